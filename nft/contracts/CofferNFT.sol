// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title CofferNFT
/// @notice ERC-721 collection deployed by coffer. Tokens are minted either
/// directly by a MINTER_ROLE holder (the platform wallet) or by the recipient
/// itself, redeeming an EIP-712 mint voucher signed by a MINTER_ROLE holder.
/// Token ids are sequential, starting at 1.
contract CofferNFT is ERC721URIStorage, AccessControl, EIP712 {
    /// @notice Role allowed to mint directly and to sign mint vouchers.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @notice EIP-712 type hash of a mint voucher.
    bytes32 public constant MINT_VOUCHER_TYPEHASH =
        keccak256("MintVoucher(address to,string uri,uint256 nonce,uint256 deadline)");

    /// @dev Last token id minted; also the number of tokens minted.
    uint256 private _lastTokenId;

    /// @dev Voucher nonces already redeemed (contract-wide, not per signer).
    mapping(uint256 voucherNonce => bool used) private _voucherUsed;

    /// @notice A voucher was redeemed: `nonce` is spent, `signer` authorised
    /// the mint of `tokenId`.
    event VoucherRedeemed(uint256 indexed nonce, address indexed signer, uint256 indexed tokenId);

    /// @notice The admin or the minter given to the constructor is the zero address.
    error ZeroAddress();
    /// @notice The voucher's deadline is in the past.
    error VoucherExpired();
    /// @notice The voucher's nonce has already been redeemed.
    error VoucherUsed();
    /// @notice The voucher was not signed by a MINTER_ROLE holder (or the
    /// signature is malformed, in which case `signer` is the zero address).
    error InvalidVoucherSigner(address signer);
    /// @notice Vouchers may only be redeemed by their recipient (`to`).
    error NotVoucherRecipient();

    constructor(string memory name_, string memory symbol_, address admin, address minter)
        ERC721(name_, symbol_)
        EIP712(name_, "1")
    {
        if (admin == address(0) || minter == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, minter);
    }

    /// @notice Mints the next token to `to` with metadata URI `uri`.
    function mint(address to, string calldata uri) external onlyRole(MINTER_ROLE) returns (uint256 tokenId) {
        tokenId = _mintWithURI(to, uri);
    }

    /// @notice Mints the next token to `to`, authorised by an EIP-712
    /// MintVoucher(address to,string uri,uint256 nonce,uint256 deadline)
    /// signed by a MINTER_ROLE holder. Must be sent by `to` itself, before
    /// `deadline` (inclusive, unix seconds); each nonce is redeemable once.
    function mintWithVoucher(
        address to,
        string calldata uri,
        uint256 voucherNonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256 tokenId) {
        if (msg.sender != to) revert NotVoucherRecipient();
        if (block.timestamp > deadline) revert VoucherExpired();
        if (_voucherUsed[voucherNonce]) revert VoucherUsed();

        address signer = voucherSigner(to, uri, voucherNonce, deadline, signature);
        if (signer == address(0) || !hasRole(MINTER_ROLE, signer)) revert InvalidVoucherSigner(signer);

        _voucherUsed[voucherNonce] = true;
        tokenId = _mintWithURI(to, uri);
        emit VoucherRedeemed(voucherNonce, signer, tokenId);
    }

    /// @notice Address that signed the given voucher, or the zero address if
    /// the signature is malformed. Does not check roles, nonce or deadline.
    function voucherSigner(
        address to,
        string calldata uri,
        uint256 voucherNonce,
        uint256 deadline,
        bytes calldata signature
    ) public view returns (address) {
        bytes32 structHash =
            keccak256(abi.encode(MINT_VOUCHER_TYPEHASH, to, keccak256(bytes(uri)), voucherNonce, deadline));
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
        if (err != ECDSA.RecoverError.NoError) return address(0);
        return signer;
    }

    /// @notice Whether voucher nonce `voucherNonce` has been redeemed.
    function isVoucherUsed(uint256 voucherNonce) external view returns (bool) {
        return _voucherUsed[voucherNonce];
    }

    /// @notice Number of tokens minted so far (equals the last token id).
    function totalMinted() external view returns (uint256) {
        return _lastTokenId;
    }

    /// @notice EIP-712 domain separator (name = collection name, version "1").
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC721URIStorage, AccessControl)
        returns (bool)
    {
        return super.supportsInterface(interfaceId);
    }

    /// @dev Sets the URI before minting so that an onERC721Received hook
    /// already sees it; state is updated before the external call.
    function _mintWithURI(address to, string calldata uri) private returns (uint256 tokenId) {
        tokenId = ++_lastTokenId;
        _setTokenURI(tokenId, uri);
        _safeMint(to, tokenId);
    }
}
