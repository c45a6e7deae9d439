// Code generated via abigen V2 - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package bindings

import (
	"bytes"
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = bytes.Equal
	_ = errors.New
	_ = big.NewInt
	_ = common.Big1
	_ = types.BloomLookup
	_ = abi.ConvertType
)

// CofferNFTMetaData contains all meta data concerning the CofferNFT contract.
var CofferNFTMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"string\",\"name\":\"name_\",\"type\":\"string\"},{\"internalType\":\"string\",\"name\":\"symbol_\",\"type\":\"string\"},{\"internalType\":\"address\",\"name\":\"admin\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"minter\",\"type\":\"address\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[],\"name\":\"AccessControlBadConfirmation\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"neededRole\",\"type\":\"bytes32\"}],\"name\":\"AccessControlUnauthorizedAccount\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"sender\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"tokenId\",\"type\":\"uint256\"},{\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"}],\"name\":\"ERC721IncorrectOwner\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"tokenId\",\"type\":\"uint256\"}],\"name\":\"ERC721InsufficientApproval\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"approver\",\"type\":\"address\"}],\"name\":\"ERC721InvalidApprover\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"}],\"name\":\"ERC721InvalidOperator\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"}],\"name\":\"ERC721InvalidOwner\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"receiver\",\"type\":\"address\"}],\"name\":\"ERC721InvalidReceiver\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"sender\",\"type\":\"address\"}],\"name\":\"ERC721InvalidSender\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"tokenId\",\"type\":\"uint256\"}],\"name\":\"ERC721NonexistentToken\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"InvalidShortString\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"signer\",\"type\":\"address\"}],\"name\":\"InvalidVoucherSigner\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"NotVoucherRecipient\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"string\",\"name\":\"str\",\"type\":\"string\"}],\"name\":\"StringTooLong\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"VoucherExpired\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"VoucherUsed\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"ZeroAddress\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"approved\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"tokenId\",\"type\":\"uint256\"}],\"name\":\"Approval\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"bool\",\"name\":\"approved\",\"type\":\"bool\"}],\"name\":\"ApprovalForAll\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"_fromTokenId\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"_toTokenId\",\"type\":\"uint256\"}],\"name\":\"BatchMetadataUpdate\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[],\"name\":\"EIP712DomainChanged\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"_tokenId\",\"type\":\"uint256\"}],\"name\":\"MetadataUpdate\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"previousAdminRole\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"newAdminRole\",\"type\":\"bytes32\"}],\"name\":\"RoleAdminChanged\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"sender\",\"type\":\"address\"}],\"name\":\"RoleGranted\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"sender\",\"type\":\"address\"}],\"name\":\"RoleRevoked\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"from\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"tokenId\",\"type\":\"uint256\"}],\"name\":\"Transfer\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"nonce\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"signer\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"tokenId\",\"type\":\"uint256\"}],\"name\":\"VoucherRedeemed\",\"type\":\"event\"},{\"inputs\":[],\"name\":\"DEFAULT_ADMIN_ROLE\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"MINTER_ROLE\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"MINT_VOUCHER_TYPEHASH\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"tokenId\",\"type\":\"uint256\"}],\"name\":\"approve\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"}],\"name\":\"balanceOf\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"domainSeparator\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"eip712Domain\",\"outputs\":[{\"internalType\":\"bytes1\",\"name\":\"fields\",\"type\":\"bytes1\"},{\"internalType\":\"string\",\"name\":\"name\",\"type\":\"string\"},{\"internalType\":\"string\",\"name\":\"version\",\"type\":\"string\"},{\"internalType\":\"uint256\",\"name\":\"chainId\",\"type\":\"uint256\"},{\"internalType\":\"address\",\"name\":\"verifyingContract\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"salt\",\"type\":\"bytes32\"},{\"internalType\":\"uint256[]\",\"name\":\"extensions\",\"type\":\"uint256[]\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"tokenId\",\"type\":\"uint256\"}],\"name\":\"getApproved\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"}],\"name\":\"getRoleAdmin\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"}],\"name\":\"grantRole\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"}],\"name\":\"hasRole\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"}],\"name\":\"isApprovedForAll\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"voucherNonce\",\"type\":\"uint256\"}],\"name\":\"isVoucherUsed\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"string\",\"name\":\"uri\",\"type\":\"string\"}],\"name\":\"mint\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"tokenId\",\"type\":\"uint256\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"string\",\"name\":\"uri\",\"type\":\"string\"},{\"internalType\":\"uint256\",\"name\":\"voucherNonce\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"deadline\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"signature\",\"type\":\"bytes\"}],\"name\":\"mintWithVoucher\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"tokenId\",\"type\":\"uint256\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"name\",\"outputs\":[{\"internalType\":\"string\",\"name\":\"\",\"type\":\"string\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"tokenId\",\"type\":\"uint256\"}],\"name\":\"ownerOf\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"callerConfirmation\",\"type\":\"address\"}],\"name\":\"renounceRole\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"}],\"name\":\"revokeRole\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"from\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"tokenId\",\"type\":\"uint256\"}],\"name\":\"safeTransferFrom\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"from\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"tokenId\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"data\",\"type\":\"bytes\"}],\"name\":\"safeTransferFrom\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"operator\",\"type\":\"address\"},{\"internalType\":\"bool\",\"name\":\"approved\",\"type\":\"bool\"}],\"name\":\"setApprovalForAll\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes4\",\"name\":\"interfaceId\",\"type\":\"bytes4\"}],\"name\":\"supportsInterface\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"symbol\",\"outputs\":[{\"internalType\":\"string\",\"name\":\"\",\"type\":\"string\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"tokenId\",\"type\":\"uint256\"}],\"name\":\"tokenURI\",\"outputs\":[{\"internalType\":\"string\",\"name\":\"\",\"type\":\"string\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"totalMinted\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"from\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"tokenId\",\"type\":\"uint256\"}],\"name\":\"transferFrom\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"string\",\"name\":\"uri\",\"type\":\"string\"},{\"internalType\":\"uint256\",\"name\":\"voucherNonce\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"deadline\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"signature\",\"type\":\"bytes\"}],\"name\":\"voucherSigner\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	ID:  "CofferNFT",
	Bin: "0x610160604052348015610010575f5ffd5b5060405161246f38038061246f83398101604081905261002f9161033c565b6040805180820190915260018152603160f81b6020820152849081855f6100568382610450565b5060016100638282610450565b5050506100758261019160201b60201c565b6101205261008281610191565b61014052815160208084019190912060e052815190820120610100524660a05261010e60e05161010051604080517f8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f60208201529081019290925260608201524660808201523060a08201525f9060c00160405160208183030381529060405280519060200120905090565b60805250503060c0526001600160a01b038216158061013457506001600160a01b038116155b156101525760405163d92e233d60e01b815260040160405180910390fd5b61015c5f836101d7565b506101877f9f2df0fed2c77648de5860a4cc508cd0818c85b8b8a1ab4ceeef8d981c8956a6826101d7565b5050505050610566565b5f5f829050601f815111156101c4578260405163305a27a960e01b81526004016101bb919061050e565b60405180910390fd5b80516101cf82610543565b179392505050565b5f8281526007602090815260408083206001600160a01b038516845290915281205460ff1661027b575f8381526007602090815260408083206001600160a01b03861684529091529020805460ff191660011790556102333390565b6001600160a01b0316826001600160a01b0316847f2f8788117e7eff1d82e926ec794901d17c78024a50270940304540a733656f0d60405160405180910390a450600161027e565b505f5b92915050565b634e487b7160e01b5f52604160045260245ffd5b5f82601f8301126102a7575f5ffd5b81516001600160401b038111156102c0576102c0610284565b604051601f8201601f19908116603f011681016001600160401b03811182821017156102ee576102ee610284565b604052818152838201602001851015610305575f5ffd5b8160208501602083015e5f918101602001919091529392505050565b80516001600160a01b0381168114610337575f5ffd5b919050565b5f5f5f5f6080858703121561034f575f5ffd5b84516001600160401b03811115610364575f5ffd5b61037087828801610298565b602087015190955090506001600160401b0381111561038d575f5ffd5b61039987828801610298565b9350506103a860408601610321565b91506103b660608601610321565b905092959194509250565b600181811c908216806103d557607f821691505b6020821081036103f357634e487b7160e01b5f52602260045260245ffd5b50919050565b601f82111561044b578282111561044b57805f5260205f20601f840160051c602085101561042457505f5b90810190601f840160051c035f5b81811015610447575f83820155600101610432565b5050505b505050565b81516001600160401b0381111561046957610469610284565b61047d8161047784546103c1565b846103f9565b6020601f8211600181146104af575f83156104985750848201515b5f19600385901b1c1916600184901b178455610507565b5f84815260208120601f198516915b828110156104de57878501518255602094850194600190920191016104be565b50848210156104fb57868401515f19600387901b60f8161c191681555b505060018360011b0184555b5050505050565b602081525f82518060208401528060208501604085015e5f604082850101526040601f19601f83011684010191505092915050565b805160208083015191908110156103f3575f1960209190910360031b1b16919050565b60805160a05160c05160e051610100516101205161014051611eb86105b75f395f610d9001525f610d6501525f6111eb01525f6111c301525f61111e01525f61114801525f6111720152611eb85ff3fe608060405234801561000f575f5ffd5b50600436106101bb575f3560e01c806391d14854116100f3578063c87b56dd11610093578063d547741f1161006e578063d547741f146103de578063df3298e8146103f1578063e985e9c514610418578063f698da251461042b575f5ffd5b8063c87b56dd14610391578063d0def521146103a4578063d5391393146103b7575f5ffd5b8063a22cb465116100ce578063a22cb46514610350578063a2309ff814610363578063b0477af01461036b578063b88d4fde1461037e575f5ffd5b806391d148541461032e57806395d89b4114610341578063a217fddf14610349575f5ffd5b806330513af61161015e5780636352211e116101395780636352211e146102cb57806370a08231146102de57806384b0196e146102f157806385bcc3141461030c575f5ffd5b806330513af61461029257806336568abe146102a557806342842e0e146102b8575f5ffd5b8063095ea7b311610199578063095ea7b31461022757806323b872dd1461023c578063248a9ca31461024f5780632f2ff15d1461027f575f5ffd5b806301ffc9a7146101bf57806306fdde03146101e7578063081812fc146101fc575b5f5ffd5b6101d26101cd366004611838565b610433565b60405190151581526020015b60405180910390f35b6101ef610443565b6040516101de9190611881565b61020f61020a366004611893565b6104d2565b6040516001600160a01b0390911681526020016101de565b61023a6102353660046118c5565b6104f9565b005b61023a61024a3660046118ed565b610508565b61027161025d366004611893565b5f9081526007602052604090206001015490565b6040519081526020016101de565b61023a61028d366004611927565b610596565b61020f6102a0366004611996565b6105ba565b61023a6102b3366004611927565b6106ca565b61023a6102c63660046118ed565b610702565b61020f6102d9366004611893565b61071c565b6102716102ec366004611a28565b610726565b6102f961076b565b6040516101de9796959493929190611a41565b6101d261031a366004611893565b5f908152600b602052604090205460ff1690565b6101d261033c366004611927565b6107ad565b6101ef6107d7565b6102715f81565b61023a61035e366004611ad7565b6107e6565b600a54610271565b610271610379366004611996565b6107f1565b61023a61038c366004611b24565b61094c565b6101ef61039f366004611893565b610964565b6102716103b2366004611c01565b6109e5565b6102717f9f2df0fed2c77648de5860a4cc508cd0818c85b8b8a1ab4ceeef8d981c8956a681565b61023a6103ec366004611927565b610a24565b6102717fcfbc10b511a3a614fd5bff52baee0dd149529576447cb3085737e4909e81a37b81565b6101d2610426366004611c50565b610a48565b610271610a75565b5f61043d82610a83565b92915050565b60605f805461045190611c78565b80601f016020809104026020016040519081016040528092919081815260200182805461047d90611c78565b80156104c85780601f1061049f576101008083540402835291602001916104c8565b820191905f5260205f20905b8154815290600101906020018083116104ab57829003601f168201915b5050505050905090565b5f6104dc82610aa7565b505f828152600460205260409020546001600160a01b031661043d565b610504828233610adf565b5050565b6001600160a01b03821661053657604051633250574960e11b81525f60048201526024015b60405180910390fd5b5f610542838333610aec565b9050836001600160a01b0316816001600160a01b031614610590576040516364283d7b60e01b81526001600160a01b038086166004830152602482018490528216604482015260640161052d565b50505050565b5f828152600760205260409020600101546105b081610be0565b6105908383610bed565b5f5f7fcfbc10b511a3a614fd5bff52baee0dd149529576447cb3085737e4909e81a37b8989896040516105ee929190611cb0565b6040519081900381206106309392918a908a906020019485526001600160a01b0393909316602085015260408401919091526060830152608082015260a00190565b6040516020818303038152906040528051906020012090505f5f61069161065684610c7e565b87878080601f0160208091040260200160405190810160405280939291908181526020018383808284375f92019190915250610caa92505050565b5090925090505f8160038111156106aa576106aa611cbf565b146106ba575f93505050506106bf565b509150505b979650505050505050565b6001600160a01b03811633146106f35760405163334bd91960e11b815260040160405180910390fd5b6106fd8282610cf3565b505050565b6106fd83838360405180602001604052805f81525061094c565b5f61043d82610aa7565b5f6001600160a01b038216610750576040516322718ad960e21b81525f600482015260240161052d565b506001600160a01b03165f9081526003602052604090205490565b5f6060805f5f5f606061077c610d5e565b610784610d89565b604080515f80825260208201909252600f60f81b9b939a50919850469750309650945092509050565b5f9182526007602090815260408084206001600160a01b0393909316845291905290205460ff1690565b60606001805461045190611c78565b610504338383610db4565b5f336001600160a01b0389161461081b576040516362c9ca5b60e01b815260040160405180910390fd5b8342111561083c57604051630abfec3f60e11b815260040160405180910390fd5b5f858152600b602052604090205460ff161561086b576040516337fc013d60e11b815260040160405180910390fd5b5f61087b898989898989896105ba565b90506001600160a01b03811615806108ba57506108b87f9f2df0fed2c77648de5860a4cc508cd0818c85b8b8a1ab4ceeef8d981c8956a6826107ad565b155b156108e35760405163a78b414160e01b81526001600160a01b038216600482015260240161052d565b5f868152600b60205260409020805460ff19166001179055610906898989610e7b565b915081816001600160a01b0316877fb757d79c84afbc340d26d38a931274e3ec0c57f9bed689c3d6c4fa29843d89c660405160405180910390a450979650505050505050565b610957848484610508565b6105903385858585610edb565b606061096f82610aa7565b505f61098560408051602081019091525f815290565b90505f61099184611003565b905081515f036109a2579392505050565b8051156109d45781816040516020016109bc929190611cea565b60405160208183030381529060405292505050919050565b6109dd846110a2565b949350505050565b5f7f9f2df0fed2c77648de5860a4cc508cd0818c85b8b8a1ab4ceeef8d981c8956a6610a1081610be0565b610a1b858585610e7b565b95945050505050565b5f82815260076020526040902060010154610a3e81610be0565b6105908383610cf3565b6001600160a01b039182165f90815260056020908152604080832093909416825291909152205460ff1690565b5f610a7e611112565b905090565b5f6001600160e01b03198216637965db0b60e01b148061043d575061043d8261123b565b5f818152600260205260408120546001600160a01b03168061043d57604051637e27328960e01b81526004810184905260240161052d565b6106fd838383600161125f565b5f828152600260205260408120546001600160a01b0390811690831615610b1857610b18818486611363565b6001600160a01b03811615610b5257610b335f855f5f61125f565b6001600160a01b0381165f90815260036020526040902080545f190190555b6001600160a01b03851615610b80576001600160a01b0385165f908152600360205260409020805460010190555b5f8481526002602052604080822080546001600160a01b0319166001600160a01b0389811691821790925591518793918516917fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef91a490505b9392505050565b610bea81336113c7565b50565b5f610bf883836107ad565b610c77575f8381526007602090815260408083206001600160a01b03861684529091529020805460ff19166001179055610c2f3390565b6001600160a01b0316826001600160a01b0316847f2f8788117e7eff1d82e926ec794901d17c78024a50270940304540a733656f0d60405160405180910390a450600161043d565b505f61043d565b5f61043d610c8a611112565b8360405161190160f01b8152600281019290925260228201526042902090565b5f5f5f8351604103610ce1576020840151604085015160608601515f1a610cd388828585611400565b955095509550505050610cec565b505081515f91506002905b9250925092565b5f610cfe83836107ad565b15610c77575f8381526007602090815260408083206001600160a01b0386168085529252808320805460ff1916905551339286917ff6391f5c32d9c69d2a47ea670b442974b53935d1edc7fd64eb21e047a839171b9190a450600161043d565b6060610a7e7f00000000000000000000000000000000000000000000000000000000000000006114c8565b6060610a7e7f00000000000000000000000000000000000000000000000000000000000000006114c8565b6001600160a01b038316610ddd5760405163a9fbf51f60e01b81525f600482015260240161052d565b6001600160a01b038216610e0f57604051630b61174360e31b81526001600160a01b038316600482015260240161052d565b6001600160a01b038381165f81815260056020908152604080832094871680845294825291829020805460ff191686151590811790915591519182527f17307eab39ab6107e8899845ad3d59bd9653f200f220920489ca2b5937696c31910160405180910390a3505050565b5f600a5f8154610e8a90611cfe565b9190508190559050610ed18184848080601f0160208091040260200160405190810160405280939291908181526020018383808284375f9201919091525061150592505050565b610bd98482611554565b6001600160a01b0383163b15610ffc57604051630a85bd0160e11b81526001600160a01b0384169063150b7a0290610f1d908890889087908790600401611d22565b6020604051808303815f875af1925050508015610f57575060408051601f3d908101601f19168201909252610f5491810190611d5e565b60015b610fbe573d808015610f84576040519150601f19603f3d011682016040523d82523d5f602084013e610f89565b606091505b5080515f03610fb657604051633250574960e11b81526001600160a01b038516600482015260240161052d565b805160208201fd5b6001600160e01b03198116630a85bd0160e11b14610ffa57604051633250574960e11b81526001600160a01b038516600482015260240161052d565b505b5050505050565b5f81815260066020526040902080546060919061101f90611c78565b80601f016020809104026020016040519081016040528092919081815260200182805461104b90611c78565b80156110965780601f1061106d57610100808354040283529160200191611096565b820191905f5260205f20905b81548152906001019060200180831161107957829003601f168201915b50505050509050919050565b60606110ad82610aa7565b505f6110c360408051602081019091525f815290565b90505f8151116110e15760405180602001604052805f815250610bd9565b806110eb8461156d565b6040516020016110fc929190611cea565b6040516020818303038152906040529392505050565b5f306001600160a01b037f00000000000000000000000000000000000000000000000000000000000000001614801561116a57507f000000000000000000000000000000000000000000000000000000000000000046145b1561119457507f000000000000000000000000000000000000000000000000000000000000000090565b610a7e604080517f8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f60208201527f0000000000000000000000000000000000000000000000000000000000000000918101919091527f000000000000000000000000000000000000000000000000000000000000000060608201524660808201523060a08201525f9060c00160405160208183030381529060405280519060200120905090565b5f6001600160e01b03198216632483248360e11b148061043d575061043d826115fd565b808061127357506001600160a01b03821615155b15611334575f61128284610aa7565b90506001600160a01b038316158015906112ae5750826001600160a01b0316816001600160a01b031614155b80156112c157506112bf8184610a48565b155b156112ea5760405163a9fbf51f60e01b81526001600160a01b038416600482015260240161052d565b81156113325783856001600160a01b0316826001600160a01b03167f8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b92560405160405180910390a45b505b50505f90815260046020526040902080546001600160a01b0319166001600160a01b0392909216919091179055565b61136e83838361164c565b6106fd576001600160a01b03831661139c57604051637e27328960e01b81526004810182905260240161052d565b60405163177e802f60e01b81526001600160a01b03831660048201526024810182905260440161052d565b6113d182826107ad565b6105045760405163e2517d3f60e01b81526001600160a01b03821660048201526024810183905260440161052d565b5f80807f7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a084111561143957505f915060039050826114be565b604080515f808252602082018084528a905260ff891692820192909252606081018790526080810186905260019060a0016020604051602081039080840390855afa15801561148a573d5f5f3e3d5ffd5b5050604051601f1901519150506001600160a01b0381166114b557505f9250600191508290506114be565b92505f91508190505b9450945094915050565b60605f6114d4836116ad565b6040805160208082528183019092529192505f91906020820181803683375050509182525060208101929092525090565b5f82815260066020526040902061151c8282611dc7565b506040518281527ff8e1a15aba9398e019f0b49df1a4fde98ee17ae345cb5f6b5e2c27f5033e8ce79060200160405180910390a15050565b610504828260405180602001604052805f8152506116d4565b60605f611579836116eb565b60010190505f8167ffffffffffffffff81111561159857611598611b10565b6040519080825280601f01601f1916602001820160405280156115c2576020820181803683370190505b5090508181016020015b5f19016f181899199a1a9b1b9c1cb0b131b232b360811b600a86061a8153600a85049450846115cc57509392505050565b5f6001600160e01b031982166380ac58cd60e01b148061162d57506001600160e01b03198216635b5e139f60e01b145b8061043d57506301ffc9a760e01b6001600160e01b031983161461043d565b5f6001600160a01b038316158015906109dd5750826001600160a01b0316846001600160a01b0316148061168557506116858484610a48565b806109dd5750505f908152600460205260409020546001600160a01b03908116911614919050565b5f60ff8216601f81111561043d57604051632cd44ac360e21b815260040160405180910390fd5b6116de83836117c2565b6106fd335f858585610edb565b5f8072184f03e93ff9f4daa797ed6e38ed64bf6a1f0160401b83106117295772184f03e93ff9f4daa797ed6e38ed64bf6a1f0160401b830492506040015b6d04ee2d6d415b85acef81000000008310611755576d04ee2d6d415b85acef8100000000830492506020015b662386f26fc10000831061177357662386f26fc10000830492506010015b6305f5e100831061178b576305f5e100830492506008015b612710831061179f57612710830492506004015b606483106117b1576064830492506002015b600a831061043d5760010192915050565b6001600160a01b0382166117eb57604051633250574960e11b81525f600482015260240161052d565b5f6117f783835f610aec565b90506001600160a01b038116156106fd576040516339e3563760e11b81525f600482015260240161052d565b6001600160e01b031981168114610bea575f5ffd5b5f60208284031215611848575f5ffd5b8135610bd981611823565b5f81518084528060208401602086015e5f602082860101526020601f19601f83011685010191505092915050565b602081525f610bd96020830184611853565b5f602082840312156118a3575f5ffd5b5035919050565b80356001600160a01b03811681146118c0575f5ffd5b919050565b5f5f604083850312156118d6575f5ffd5b6118df836118aa565b946020939093013593505050565b5f5f5f606084860312156118ff575f5ffd5b611908846118aa565b9250611916602085016118aa565b929592945050506040919091013590565b5f5f60408385031215611938575f5ffd5b82359150611948602084016118aa565b90509250929050565b5f5f83601f840112611961575f5ffd5b50813567ffffffffffffffff811115611978575f5ffd5b60208301915083602082850101111561198f575f5ffd5b9250929050565b5f5f5f5f5f5f5f60a0888a0312156119ac575f5ffd5b6119b5886118aa565b9650602088013567ffffffffffffffff8111156119d0575f5ffd5b6119dc8a828b01611951565b9097509550506040880135935060608801359250608088013567ffffffffffffffff811115611a09575f5ffd5b611a158a828b01611951565b989b979a50959850939692959293505050565b5f60208284031215611a38575f5ffd5b610bd9826118aa565b60ff60f81b8816815260e060208201525f611a5f60e0830189611853565b8281036040840152611a718189611853565b606084018890526001600160a01b038716608085015260a0840186905283810360c0850152845180825260208087019350909101905f5b81811015611ac6578351835260209384019390920191600101611aa8565b50909b9a5050505050505050505050565b5f5f60408385031215611ae8575f5ffd5b611af1836118aa565b915060208301358015158114611b05575f5ffd5b809150509250929050565b634e487b7160e01b5f52604160045260245ffd5b5f5f5f5f60808587031215611b37575f5ffd5b611b40856118aa565b9350611b4e602086016118aa565b925060408501359150606085013567ffffffffffffffff811115611b70575f5ffd5b8501601f81018713611b80575f5ffd5b803567ffffffffffffffff811115611b9a57611b9a611b10565b604051601f8201601f19908116603f0116810167ffffffffffffffff81118282101715611bc957611bc9611b10565b604052818152828201602001891015611be0575f5ffd5b816020840160208301375f6020838301015280935050505092959194509250565b5f5f5f60408486031215611c13575f5ffd5b611c1c846118aa565b9250602084013567ffffffffffffffff811115611c37575f5ffd5b611c4386828701611951565b9497909650939450505050565b5f5f60408385031215611c61575f5ffd5b611c6a836118aa565b9150611948602084016118aa565b600181811c90821680611c8c57607f821691505b602082108103611caa57634e487b7160e01b5f52602260045260245ffd5b50919050565b818382375f9101908152919050565b634e487b7160e01b5f52602160045260245ffd5b5f81518060208401855e5f93019283525090919050565b5f6109dd611cf88386611cd3565b84611cd3565b5f60018201611d1b57634e487b7160e01b5f52601160045260245ffd5b5060010190565b6001600160a01b03858116825284166020820152604081018390526080606082018190525f90611d5490830184611853565b9695505050505050565b5f60208284031215611d6e575f5ffd5b8151610bd981611823565b601f8211156106fd57828211156106fd57805f5260205f20601f840160051c6020851015611da457505f5b90810190601f840160051c035f5b81811015610ffa575f83820155600101611db2565b815167ffffffffffffffff811115611de157611de1611b10565b611df581611def8454611c78565b84611d79565b6020601f821160018114611e27575f8315611e105750848201515b5f19600385901b1c1916600184901b178455610ffc565b5f84815260208120601f198516915b82811015611e565787850151825560209485019460019092019101611e36565b5084821015611e7357868401515f19600387901b60f8161c191681555b50505050600190811b0190555056fea2646970667358221220df5928a1da93bde80bb1dbe50868a52d0281ec4fc3e91814972db992fabeb65364736f6c63430008250033",
}

// CofferNFT is an auto generated Go binding around an Ethereum contract.
type CofferNFT struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *CofferNFT) GetABI() abi.ABI {
	return c.abi
}

// NewCofferNFT creates a new instance of CofferNFT.
func NewCofferNFT() *CofferNFT {
	parsed, err := CofferNFTMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &CofferNFT{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *CofferNFT) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackConstructor is the Go binding used to pack the parameters required for
// contract deployment.
//
// Solidity: constructor(string name_, string symbol_, address admin, address minter) returns()
func (cofferNFT *CofferNFT) PackConstructor(name_ string, symbol_ string, admin common.Address, minter common.Address) []byte {
	enc, err := cofferNFT.abi.Pack("", name_, symbol_, admin, minter)
	if err != nil {
		panic(err)
	}
	return enc
}

// PackDEFAULTADMINROLE is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa217fddf.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function DEFAULT_ADMIN_ROLE() view returns(bytes32)
func (cofferNFT *CofferNFT) PackDEFAULTADMINROLE() []byte {
	enc, err := cofferNFT.abi.Pack("DEFAULT_ADMIN_ROLE")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackDEFAULTADMINROLE is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa217fddf.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function DEFAULT_ADMIN_ROLE() view returns(bytes32)
func (cofferNFT *CofferNFT) TryPackDEFAULTADMINROLE() ([]byte, error) {
	return cofferNFT.abi.Pack("DEFAULT_ADMIN_ROLE")
}

// UnpackDEFAULTADMINROLE is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xa217fddf.
//
// Solidity: function DEFAULT_ADMIN_ROLE() view returns(bytes32)
func (cofferNFT *CofferNFT) UnpackDEFAULTADMINROLE(data []byte) ([32]byte, error) {
	out, err := cofferNFT.abi.Unpack("DEFAULT_ADMIN_ROLE", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackMINTERROLE is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd5391393.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function MINTER_ROLE() view returns(bytes32)
func (cofferNFT *CofferNFT) PackMINTERROLE() []byte {
	enc, err := cofferNFT.abi.Pack("MINTER_ROLE")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackMINTERROLE is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd5391393.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function MINTER_ROLE() view returns(bytes32)
func (cofferNFT *CofferNFT) TryPackMINTERROLE() ([]byte, error) {
	return cofferNFT.abi.Pack("MINTER_ROLE")
}

// UnpackMINTERROLE is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xd5391393.
//
// Solidity: function MINTER_ROLE() view returns(bytes32)
func (cofferNFT *CofferNFT) UnpackMINTERROLE(data []byte) ([32]byte, error) {
	out, err := cofferNFT.abi.Unpack("MINTER_ROLE", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackMINTVOUCHERTYPEHASH is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xdf3298e8.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function MINT_VOUCHER_TYPEHASH() view returns(bytes32)
func (cofferNFT *CofferNFT) PackMINTVOUCHERTYPEHASH() []byte {
	enc, err := cofferNFT.abi.Pack("MINT_VOUCHER_TYPEHASH")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackMINTVOUCHERTYPEHASH is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xdf3298e8.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function MINT_VOUCHER_TYPEHASH() view returns(bytes32)
func (cofferNFT *CofferNFT) TryPackMINTVOUCHERTYPEHASH() ([]byte, error) {
	return cofferNFT.abi.Pack("MINT_VOUCHER_TYPEHASH")
}

// UnpackMINTVOUCHERTYPEHASH is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xdf3298e8.
//
// Solidity: function MINT_VOUCHER_TYPEHASH() view returns(bytes32)
func (cofferNFT *CofferNFT) UnpackMINTVOUCHERTYPEHASH(data []byte) ([32]byte, error) {
	out, err := cofferNFT.abi.Unpack("MINT_VOUCHER_TYPEHASH", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackApprove is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x095ea7b3.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function approve(address to, uint256 tokenId) returns()
func (cofferNFT *CofferNFT) PackApprove(to common.Address, tokenId *big.Int) []byte {
	enc, err := cofferNFT.abi.Pack("approve", to, tokenId)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackApprove is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x095ea7b3.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function approve(address to, uint256 tokenId) returns()
func (cofferNFT *CofferNFT) TryPackApprove(to common.Address, tokenId *big.Int) ([]byte, error) {
	return cofferNFT.abi.Pack("approve", to, tokenId)
}

// PackBalanceOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x70a08231.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function balanceOf(address owner) view returns(uint256)
func (cofferNFT *CofferNFT) PackBalanceOf(owner common.Address) []byte {
	enc, err := cofferNFT.abi.Pack("balanceOf", owner)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackBalanceOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x70a08231.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function balanceOf(address owner) view returns(uint256)
func (cofferNFT *CofferNFT) TryPackBalanceOf(owner common.Address) ([]byte, error) {
	return cofferNFT.abi.Pack("balanceOf", owner)
}

// UnpackBalanceOf is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x70a08231.
//
// Solidity: function balanceOf(address owner) view returns(uint256)
func (cofferNFT *CofferNFT) UnpackBalanceOf(data []byte) (*big.Int, error) {
	out, err := cofferNFT.abi.Unpack("balanceOf", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackDomainSeparator is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xf698da25.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function domainSeparator() view returns(bytes32)
func (cofferNFT *CofferNFT) PackDomainSeparator() []byte {
	enc, err := cofferNFT.abi.Pack("domainSeparator")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackDomainSeparator is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xf698da25.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function domainSeparator() view returns(bytes32)
func (cofferNFT *CofferNFT) TryPackDomainSeparator() ([]byte, error) {
	return cofferNFT.abi.Pack("domainSeparator")
}

// UnpackDomainSeparator is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xf698da25.
//
// Solidity: function domainSeparator() view returns(bytes32)
func (cofferNFT *CofferNFT) UnpackDomainSeparator(data []byte) ([32]byte, error) {
	out, err := cofferNFT.abi.Unpack("domainSeparator", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackEip712Domain is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x84b0196e.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function eip712Domain() view returns(bytes1 fields, string name, string version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] extensions)
func (cofferNFT *CofferNFT) PackEip712Domain() []byte {
	enc, err := cofferNFT.abi.Pack("eip712Domain")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackEip712Domain is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x84b0196e.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function eip712Domain() view returns(bytes1 fields, string name, string version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] extensions)
func (cofferNFT *CofferNFT) TryPackEip712Domain() ([]byte, error) {
	return cofferNFT.abi.Pack("eip712Domain")
}

// Eip712DomainOutput serves as a container for the return parameters of contract
// method Eip712Domain.
type Eip712DomainOutput struct {
	Fields            [1]byte
	Name              string
	Version           string
	ChainId           *big.Int
	VerifyingContract common.Address
	Salt              [32]byte
	Extensions        []*big.Int
}

// UnpackEip712Domain is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x84b0196e.
//
// Solidity: function eip712Domain() view returns(bytes1 fields, string name, string version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] extensions)
func (cofferNFT *CofferNFT) UnpackEip712Domain(data []byte) (Eip712DomainOutput, error) {
	out, err := cofferNFT.abi.Unpack("eip712Domain", data)
	outstruct := new(Eip712DomainOutput)
	if err != nil {
		return *outstruct, err
	}
	outstruct.Fields = *abi.ConvertType(out[0], new([1]byte)).(*[1]byte)
	outstruct.Name = *abi.ConvertType(out[1], new(string)).(*string)
	outstruct.Version = *abi.ConvertType(out[2], new(string)).(*string)
	outstruct.ChainId = abi.ConvertType(out[3], new(big.Int)).(*big.Int)
	outstruct.VerifyingContract = *abi.ConvertType(out[4], new(common.Address)).(*common.Address)
	outstruct.Salt = *abi.ConvertType(out[5], new([32]byte)).(*[32]byte)
	outstruct.Extensions = *abi.ConvertType(out[6], new([]*big.Int)).(*[]*big.Int)
	return *outstruct, nil
}

// PackGetApproved is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x081812fc.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function getApproved(uint256 tokenId) view returns(address)
func (cofferNFT *CofferNFT) PackGetApproved(tokenId *big.Int) []byte {
	enc, err := cofferNFT.abi.Pack("getApproved", tokenId)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackGetApproved is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x081812fc.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function getApproved(uint256 tokenId) view returns(address)
func (cofferNFT *CofferNFT) TryPackGetApproved(tokenId *big.Int) ([]byte, error) {
	return cofferNFT.abi.Pack("getApproved", tokenId)
}

// UnpackGetApproved is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x081812fc.
//
// Solidity: function getApproved(uint256 tokenId) view returns(address)
func (cofferNFT *CofferNFT) UnpackGetApproved(data []byte) (common.Address, error) {
	out, err := cofferNFT.abi.Unpack("getApproved", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackGetRoleAdmin is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x248a9ca3.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function getRoleAdmin(bytes32 role) view returns(bytes32)
func (cofferNFT *CofferNFT) PackGetRoleAdmin(role [32]byte) []byte {
	enc, err := cofferNFT.abi.Pack("getRoleAdmin", role)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackGetRoleAdmin is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x248a9ca3.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function getRoleAdmin(bytes32 role) view returns(bytes32)
func (cofferNFT *CofferNFT) TryPackGetRoleAdmin(role [32]byte) ([]byte, error) {
	return cofferNFT.abi.Pack("getRoleAdmin", role)
}

// UnpackGetRoleAdmin is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x248a9ca3.
//
// Solidity: function getRoleAdmin(bytes32 role) view returns(bytes32)
func (cofferNFT *CofferNFT) UnpackGetRoleAdmin(data []byte) ([32]byte, error) {
	out, err := cofferNFT.abi.Unpack("getRoleAdmin", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackGrantRole is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x2f2ff15d.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function grantRole(bytes32 role, address account) returns()
func (cofferNFT *CofferNFT) PackGrantRole(role [32]byte, account common.Address) []byte {
	enc, err := cofferNFT.abi.Pack("grantRole", role, account)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackGrantRole is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x2f2ff15d.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function grantRole(bytes32 role, address account) returns()
func (cofferNFT *CofferNFT) TryPackGrantRole(role [32]byte, account common.Address) ([]byte, error) {
	return cofferNFT.abi.Pack("grantRole", role, account)
}

// PackHasRole is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x91d14854.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function hasRole(bytes32 role, address account) view returns(bool)
func (cofferNFT *CofferNFT) PackHasRole(role [32]byte, account common.Address) []byte {
	enc, err := cofferNFT.abi.Pack("hasRole", role, account)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackHasRole is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x91d14854.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function hasRole(bytes32 role, address account) view returns(bool)
func (cofferNFT *CofferNFT) TryPackHasRole(role [32]byte, account common.Address) ([]byte, error) {
	return cofferNFT.abi.Pack("hasRole", role, account)
}

// UnpackHasRole is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x91d14854.
//
// Solidity: function hasRole(bytes32 role, address account) view returns(bool)
func (cofferNFT *CofferNFT) UnpackHasRole(data []byte) (bool, error) {
	out, err := cofferNFT.abi.Unpack("hasRole", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackIsApprovedForAll is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xe985e9c5.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function isApprovedForAll(address owner, address operator) view returns(bool)
func (cofferNFT *CofferNFT) PackIsApprovedForAll(owner common.Address, operator common.Address) []byte {
	enc, err := cofferNFT.abi.Pack("isApprovedForAll", owner, operator)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackIsApprovedForAll is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xe985e9c5.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function isApprovedForAll(address owner, address operator) view returns(bool)
func (cofferNFT *CofferNFT) TryPackIsApprovedForAll(owner common.Address, operator common.Address) ([]byte, error) {
	return cofferNFT.abi.Pack("isApprovedForAll", owner, operator)
}

// UnpackIsApprovedForAll is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xe985e9c5.
//
// Solidity: function isApprovedForAll(address owner, address operator) view returns(bool)
func (cofferNFT *CofferNFT) UnpackIsApprovedForAll(data []byte) (bool, error) {
	out, err := cofferNFT.abi.Unpack("isApprovedForAll", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackIsVoucherUsed is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x85bcc314.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function isVoucherUsed(uint256 voucherNonce) view returns(bool)
func (cofferNFT *CofferNFT) PackIsVoucherUsed(voucherNonce *big.Int) []byte {
	enc, err := cofferNFT.abi.Pack("isVoucherUsed", voucherNonce)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackIsVoucherUsed is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x85bcc314.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function isVoucherUsed(uint256 voucherNonce) view returns(bool)
func (cofferNFT *CofferNFT) TryPackIsVoucherUsed(voucherNonce *big.Int) ([]byte, error) {
	return cofferNFT.abi.Pack("isVoucherUsed", voucherNonce)
}

// UnpackIsVoucherUsed is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x85bcc314.
//
// Solidity: function isVoucherUsed(uint256 voucherNonce) view returns(bool)
func (cofferNFT *CofferNFT) UnpackIsVoucherUsed(data []byte) (bool, error) {
	out, err := cofferNFT.abi.Unpack("isVoucherUsed", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackMint is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd0def521.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function mint(address to, string uri) returns(uint256 tokenId)
func (cofferNFT *CofferNFT) PackMint(to common.Address, uri string) []byte {
	enc, err := cofferNFT.abi.Pack("mint", to, uri)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackMint is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd0def521.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function mint(address to, string uri) returns(uint256 tokenId)
func (cofferNFT *CofferNFT) TryPackMint(to common.Address, uri string) ([]byte, error) {
	return cofferNFT.abi.Pack("mint", to, uri)
}

// UnpackMint is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xd0def521.
//
// Solidity: function mint(address to, string uri) returns(uint256 tokenId)
func (cofferNFT *CofferNFT) UnpackMint(data []byte) (*big.Int, error) {
	out, err := cofferNFT.abi.Unpack("mint", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackMintWithVoucher is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb0477af0.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function mintWithVoucher(address to, string uri, uint256 voucherNonce, uint256 deadline, bytes signature) returns(uint256 tokenId)
func (cofferNFT *CofferNFT) PackMintWithVoucher(to common.Address, uri string, voucherNonce *big.Int, deadline *big.Int, signature []byte) []byte {
	enc, err := cofferNFT.abi.Pack("mintWithVoucher", to, uri, voucherNonce, deadline, signature)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackMintWithVoucher is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb0477af0.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function mintWithVoucher(address to, string uri, uint256 voucherNonce, uint256 deadline, bytes signature) returns(uint256 tokenId)
func (cofferNFT *CofferNFT) TryPackMintWithVoucher(to common.Address, uri string, voucherNonce *big.Int, deadline *big.Int, signature []byte) ([]byte, error) {
	return cofferNFT.abi.Pack("mintWithVoucher", to, uri, voucherNonce, deadline, signature)
}

// UnpackMintWithVoucher is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xb0477af0.
//
// Solidity: function mintWithVoucher(address to, string uri, uint256 voucherNonce, uint256 deadline, bytes signature) returns(uint256 tokenId)
func (cofferNFT *CofferNFT) UnpackMintWithVoucher(data []byte) (*big.Int, error) {
	out, err := cofferNFT.abi.Unpack("mintWithVoucher", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackName is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x06fdde03.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function name() view returns(string)
func (cofferNFT *CofferNFT) PackName() []byte {
	enc, err := cofferNFT.abi.Pack("name")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackName is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x06fdde03.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function name() view returns(string)
func (cofferNFT *CofferNFT) TryPackName() ([]byte, error) {
	return cofferNFT.abi.Pack("name")
}

// UnpackName is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x06fdde03.
//
// Solidity: function name() view returns(string)
func (cofferNFT *CofferNFT) UnpackName(data []byte) (string, error) {
	out, err := cofferNFT.abi.Unpack("name", data)
	if err != nil {
		return *new(string), err
	}
	out0 := *abi.ConvertType(out[0], new(string)).(*string)
	return out0, nil
}

// PackOwnerOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x6352211e.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function ownerOf(uint256 tokenId) view returns(address)
func (cofferNFT *CofferNFT) PackOwnerOf(tokenId *big.Int) []byte {
	enc, err := cofferNFT.abi.Pack("ownerOf", tokenId)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackOwnerOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x6352211e.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function ownerOf(uint256 tokenId) view returns(address)
func (cofferNFT *CofferNFT) TryPackOwnerOf(tokenId *big.Int) ([]byte, error) {
	return cofferNFT.abi.Pack("ownerOf", tokenId)
}

// UnpackOwnerOf is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x6352211e.
//
// Solidity: function ownerOf(uint256 tokenId) view returns(address)
func (cofferNFT *CofferNFT) UnpackOwnerOf(data []byte) (common.Address, error) {
	out, err := cofferNFT.abi.Unpack("ownerOf", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackRenounceRole is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x36568abe.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function renounceRole(bytes32 role, address callerConfirmation) returns()
func (cofferNFT *CofferNFT) PackRenounceRole(role [32]byte, callerConfirmation common.Address) []byte {
	enc, err := cofferNFT.abi.Pack("renounceRole", role, callerConfirmation)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRenounceRole is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x36568abe.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function renounceRole(bytes32 role, address callerConfirmation) returns()
func (cofferNFT *CofferNFT) TryPackRenounceRole(role [32]byte, callerConfirmation common.Address) ([]byte, error) {
	return cofferNFT.abi.Pack("renounceRole", role, callerConfirmation)
}

// PackRevokeRole is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd547741f.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function revokeRole(bytes32 role, address account) returns()
func (cofferNFT *CofferNFT) PackRevokeRole(role [32]byte, account common.Address) []byte {
	enc, err := cofferNFT.abi.Pack("revokeRole", role, account)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRevokeRole is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd547741f.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function revokeRole(bytes32 role, address account) returns()
func (cofferNFT *CofferNFT) TryPackRevokeRole(role [32]byte, account common.Address) ([]byte, error) {
	return cofferNFT.abi.Pack("revokeRole", role, account)
}

// PackSafeTransferFrom is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x42842e0e.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function safeTransferFrom(address from, address to, uint256 tokenId) returns()
func (cofferNFT *CofferNFT) PackSafeTransferFrom(from common.Address, to common.Address, tokenId *big.Int) []byte {
	enc, err := cofferNFT.abi.Pack("safeTransferFrom", from, to, tokenId)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSafeTransferFrom is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x42842e0e.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function safeTransferFrom(address from, address to, uint256 tokenId) returns()
func (cofferNFT *CofferNFT) TryPackSafeTransferFrom(from common.Address, to common.Address, tokenId *big.Int) ([]byte, error) {
	return cofferNFT.abi.Pack("safeTransferFrom", from, to, tokenId)
}

// PackSafeTransferFrom0 is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb88d4fde.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function safeTransferFrom(address from, address to, uint256 tokenId, bytes data) returns()
func (cofferNFT *CofferNFT) PackSafeTransferFrom0(from common.Address, to common.Address, tokenId *big.Int, data []byte) []byte {
	enc, err := cofferNFT.abi.Pack("safeTransferFrom0", from, to, tokenId, data)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSafeTransferFrom0 is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb88d4fde.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function safeTransferFrom(address from, address to, uint256 tokenId, bytes data) returns()
func (cofferNFT *CofferNFT) TryPackSafeTransferFrom0(from common.Address, to common.Address, tokenId *big.Int, data []byte) ([]byte, error) {
	return cofferNFT.abi.Pack("safeTransferFrom0", from, to, tokenId, data)
}

// PackSetApprovalForAll is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa22cb465.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function setApprovalForAll(address operator, bool approved) returns()
func (cofferNFT *CofferNFT) PackSetApprovalForAll(operator common.Address, approved bool) []byte {
	enc, err := cofferNFT.abi.Pack("setApprovalForAll", operator, approved)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSetApprovalForAll is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa22cb465.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function setApprovalForAll(address operator, bool approved) returns()
func (cofferNFT *CofferNFT) TryPackSetApprovalForAll(operator common.Address, approved bool) ([]byte, error) {
	return cofferNFT.abi.Pack("setApprovalForAll", operator, approved)
}

// PackSupportsInterface is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x01ffc9a7.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function supportsInterface(bytes4 interfaceId) view returns(bool)
func (cofferNFT *CofferNFT) PackSupportsInterface(interfaceId [4]byte) []byte {
	enc, err := cofferNFT.abi.Pack("supportsInterface", interfaceId)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSupportsInterface is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x01ffc9a7.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function supportsInterface(bytes4 interfaceId) view returns(bool)
func (cofferNFT *CofferNFT) TryPackSupportsInterface(interfaceId [4]byte) ([]byte, error) {
	return cofferNFT.abi.Pack("supportsInterface", interfaceId)
}

// UnpackSupportsInterface is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x01ffc9a7.
//
// Solidity: function supportsInterface(bytes4 interfaceId) view returns(bool)
func (cofferNFT *CofferNFT) UnpackSupportsInterface(data []byte) (bool, error) {
	out, err := cofferNFT.abi.Unpack("supportsInterface", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackSymbol is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x95d89b41.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function symbol() view returns(string)
func (cofferNFT *CofferNFT) PackSymbol() []byte {
	enc, err := cofferNFT.abi.Pack("symbol")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSymbol is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x95d89b41.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function symbol() view returns(string)
func (cofferNFT *CofferNFT) TryPackSymbol() ([]byte, error) {
	return cofferNFT.abi.Pack("symbol")
}

// UnpackSymbol is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x95d89b41.
//
// Solidity: function symbol() view returns(string)
func (cofferNFT *CofferNFT) UnpackSymbol(data []byte) (string, error) {
	out, err := cofferNFT.abi.Unpack("symbol", data)
	if err != nil {
		return *new(string), err
	}
	out0 := *abi.ConvertType(out[0], new(string)).(*string)
	return out0, nil
}

// PackTokenURI is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xc87b56dd.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function tokenURI(uint256 tokenId) view returns(string)
func (cofferNFT *CofferNFT) PackTokenURI(tokenId *big.Int) []byte {
	enc, err := cofferNFT.abi.Pack("tokenURI", tokenId)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTokenURI is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xc87b56dd.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function tokenURI(uint256 tokenId) view returns(string)
func (cofferNFT *CofferNFT) TryPackTokenURI(tokenId *big.Int) ([]byte, error) {
	return cofferNFT.abi.Pack("tokenURI", tokenId)
}

// UnpackTokenURI is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xc87b56dd.
//
// Solidity: function tokenURI(uint256 tokenId) view returns(string)
func (cofferNFT *CofferNFT) UnpackTokenURI(data []byte) (string, error) {
	out, err := cofferNFT.abi.Unpack("tokenURI", data)
	if err != nil {
		return *new(string), err
	}
	out0 := *abi.ConvertType(out[0], new(string)).(*string)
	return out0, nil
}

// PackTotalMinted is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa2309ff8.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function totalMinted() view returns(uint256)
func (cofferNFT *CofferNFT) PackTotalMinted() []byte {
	enc, err := cofferNFT.abi.Pack("totalMinted")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTotalMinted is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa2309ff8.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function totalMinted() view returns(uint256)
func (cofferNFT *CofferNFT) TryPackTotalMinted() ([]byte, error) {
	return cofferNFT.abi.Pack("totalMinted")
}

// UnpackTotalMinted is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xa2309ff8.
//
// Solidity: function totalMinted() view returns(uint256)
func (cofferNFT *CofferNFT) UnpackTotalMinted(data []byte) (*big.Int, error) {
	out, err := cofferNFT.abi.Unpack("totalMinted", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackTransferFrom is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x23b872dd.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function transferFrom(address from, address to, uint256 tokenId) returns()
func (cofferNFT *CofferNFT) PackTransferFrom(from common.Address, to common.Address, tokenId *big.Int) []byte {
	enc, err := cofferNFT.abi.Pack("transferFrom", from, to, tokenId)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTransferFrom is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x23b872dd.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function transferFrom(address from, address to, uint256 tokenId) returns()
func (cofferNFT *CofferNFT) TryPackTransferFrom(from common.Address, to common.Address, tokenId *big.Int) ([]byte, error) {
	return cofferNFT.abi.Pack("transferFrom", from, to, tokenId)
}

// PackVoucherSigner is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x30513af6.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function voucherSigner(address to, string uri, uint256 voucherNonce, uint256 deadline, bytes signature) view returns(address)
func (cofferNFT *CofferNFT) PackVoucherSigner(to common.Address, uri string, voucherNonce *big.Int, deadline *big.Int, signature []byte) []byte {
	enc, err := cofferNFT.abi.Pack("voucherSigner", to, uri, voucherNonce, deadline, signature)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackVoucherSigner is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x30513af6.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function voucherSigner(address to, string uri, uint256 voucherNonce, uint256 deadline, bytes signature) view returns(address)
func (cofferNFT *CofferNFT) TryPackVoucherSigner(to common.Address, uri string, voucherNonce *big.Int, deadline *big.Int, signature []byte) ([]byte, error) {
	return cofferNFT.abi.Pack("voucherSigner", to, uri, voucherNonce, deadline, signature)
}

// UnpackVoucherSigner is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x30513af6.
//
// Solidity: function voucherSigner(address to, string uri, uint256 voucherNonce, uint256 deadline, bytes signature) view returns(address)
func (cofferNFT *CofferNFT) UnpackVoucherSigner(data []byte) (common.Address, error) {
	out, err := cofferNFT.abi.Unpack("voucherSigner", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// CofferNFTApproval represents a Approval event raised by the CofferNFT contract.
type CofferNFTApproval struct {
	Owner    common.Address
	Approved common.Address
	TokenId  *big.Int
	Raw      *types.Log // Blockchain specific contextual infos
}

const CofferNFTApprovalEventName = "Approval"

// ContractEventName returns the user-defined event name.
func (CofferNFTApproval) ContractEventName() string {
	return CofferNFTApprovalEventName
}

// UnpackApprovalEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId)
func (cofferNFT *CofferNFT) UnpackApprovalEvent(log *types.Log) (*CofferNFTApproval, error) {
	event := "Approval"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != cofferNFT.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CofferNFTApproval)
	if len(log.Data) > 0 {
		if err := cofferNFT.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range cofferNFT.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CofferNFTApprovalForAll represents a ApprovalForAll event raised by the CofferNFT contract.
type CofferNFTApprovalForAll struct {
	Owner    common.Address
	Operator common.Address
	Approved bool
	Raw      *types.Log // Blockchain specific contextual infos
}

const CofferNFTApprovalForAllEventName = "ApprovalForAll"

// ContractEventName returns the user-defined event name.
func (CofferNFTApprovalForAll) ContractEventName() string {
	return CofferNFTApprovalForAllEventName
}

// UnpackApprovalForAllEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event ApprovalForAll(address indexed owner, address indexed operator, bool approved)
func (cofferNFT *CofferNFT) UnpackApprovalForAllEvent(log *types.Log) (*CofferNFTApprovalForAll, error) {
	event := "ApprovalForAll"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != cofferNFT.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CofferNFTApprovalForAll)
	if len(log.Data) > 0 {
		if err := cofferNFT.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range cofferNFT.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CofferNFTBatchMetadataUpdate represents a BatchMetadataUpdate event raised by the CofferNFT contract.
type CofferNFTBatchMetadataUpdate struct {
	FromTokenId *big.Int
	ToTokenId   *big.Int
	Raw         *types.Log // Blockchain specific contextual infos
}

const CofferNFTBatchMetadataUpdateEventName = "BatchMetadataUpdate"

// ContractEventName returns the user-defined event name.
func (CofferNFTBatchMetadataUpdate) ContractEventName() string {
	return CofferNFTBatchMetadataUpdateEventName
}

// UnpackBatchMetadataUpdateEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event BatchMetadataUpdate(uint256 _fromTokenId, uint256 _toTokenId)
func (cofferNFT *CofferNFT) UnpackBatchMetadataUpdateEvent(log *types.Log) (*CofferNFTBatchMetadataUpdate, error) {
	event := "BatchMetadataUpdate"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != cofferNFT.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CofferNFTBatchMetadataUpdate)
	if len(log.Data) > 0 {
		if err := cofferNFT.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range cofferNFT.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CofferNFTEIP712DomainChanged represents a EIP712DomainChanged event raised by the CofferNFT contract.
type CofferNFTEIP712DomainChanged struct {
	Raw *types.Log // Blockchain specific contextual infos
}

const CofferNFTEIP712DomainChangedEventName = "EIP712DomainChanged"

// ContractEventName returns the user-defined event name.
func (CofferNFTEIP712DomainChanged) ContractEventName() string {
	return CofferNFTEIP712DomainChangedEventName
}

// UnpackEIP712DomainChangedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event EIP712DomainChanged()
func (cofferNFT *CofferNFT) UnpackEIP712DomainChangedEvent(log *types.Log) (*CofferNFTEIP712DomainChanged, error) {
	event := "EIP712DomainChanged"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != cofferNFT.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CofferNFTEIP712DomainChanged)
	if len(log.Data) > 0 {
		if err := cofferNFT.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range cofferNFT.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CofferNFTMetadataUpdate represents a MetadataUpdate event raised by the CofferNFT contract.
type CofferNFTMetadataUpdate struct {
	TokenId *big.Int
	Raw     *types.Log // Blockchain specific contextual infos
}

const CofferNFTMetadataUpdateEventName = "MetadataUpdate"

// ContractEventName returns the user-defined event name.
func (CofferNFTMetadataUpdate) ContractEventName() string {
	return CofferNFTMetadataUpdateEventName
}

// UnpackMetadataUpdateEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event MetadataUpdate(uint256 _tokenId)
func (cofferNFT *CofferNFT) UnpackMetadataUpdateEvent(log *types.Log) (*CofferNFTMetadataUpdate, error) {
	event := "MetadataUpdate"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != cofferNFT.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CofferNFTMetadataUpdate)
	if len(log.Data) > 0 {
		if err := cofferNFT.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range cofferNFT.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CofferNFTRoleAdminChanged represents a RoleAdminChanged event raised by the CofferNFT contract.
type CofferNFTRoleAdminChanged struct {
	Role              [32]byte
	PreviousAdminRole [32]byte
	NewAdminRole      [32]byte
	Raw               *types.Log // Blockchain specific contextual infos
}

const CofferNFTRoleAdminChangedEventName = "RoleAdminChanged"

// ContractEventName returns the user-defined event name.
func (CofferNFTRoleAdminChanged) ContractEventName() string {
	return CofferNFTRoleAdminChangedEventName
}

// UnpackRoleAdminChangedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event RoleAdminChanged(bytes32 indexed role, bytes32 indexed previousAdminRole, bytes32 indexed newAdminRole)
func (cofferNFT *CofferNFT) UnpackRoleAdminChangedEvent(log *types.Log) (*CofferNFTRoleAdminChanged, error) {
	event := "RoleAdminChanged"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != cofferNFT.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CofferNFTRoleAdminChanged)
	if len(log.Data) > 0 {
		if err := cofferNFT.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range cofferNFT.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CofferNFTRoleGranted represents a RoleGranted event raised by the CofferNFT contract.
type CofferNFTRoleGranted struct {
	Role    [32]byte
	Account common.Address
	Sender  common.Address
	Raw     *types.Log // Blockchain specific contextual infos
}

const CofferNFTRoleGrantedEventName = "RoleGranted"

// ContractEventName returns the user-defined event name.
func (CofferNFTRoleGranted) ContractEventName() string {
	return CofferNFTRoleGrantedEventName
}

// UnpackRoleGrantedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)
func (cofferNFT *CofferNFT) UnpackRoleGrantedEvent(log *types.Log) (*CofferNFTRoleGranted, error) {
	event := "RoleGranted"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != cofferNFT.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CofferNFTRoleGranted)
	if len(log.Data) > 0 {
		if err := cofferNFT.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range cofferNFT.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CofferNFTRoleRevoked represents a RoleRevoked event raised by the CofferNFT contract.
type CofferNFTRoleRevoked struct {
	Role    [32]byte
	Account common.Address
	Sender  common.Address
	Raw     *types.Log // Blockchain specific contextual infos
}

const CofferNFTRoleRevokedEventName = "RoleRevoked"

// ContractEventName returns the user-defined event name.
func (CofferNFTRoleRevoked) ContractEventName() string {
	return CofferNFTRoleRevokedEventName
}

// UnpackRoleRevokedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)
func (cofferNFT *CofferNFT) UnpackRoleRevokedEvent(log *types.Log) (*CofferNFTRoleRevoked, error) {
	event := "RoleRevoked"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != cofferNFT.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CofferNFTRoleRevoked)
	if len(log.Data) > 0 {
		if err := cofferNFT.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range cofferNFT.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CofferNFTTransfer represents a Transfer event raised by the CofferNFT contract.
type CofferNFTTransfer struct {
	From    common.Address
	To      common.Address
	TokenId *big.Int
	Raw     *types.Log // Blockchain specific contextual infos
}

const CofferNFTTransferEventName = "Transfer"

// ContractEventName returns the user-defined event name.
func (CofferNFTTransfer) ContractEventName() string {
	return CofferNFTTransferEventName
}

// UnpackTransferEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)
func (cofferNFT *CofferNFT) UnpackTransferEvent(log *types.Log) (*CofferNFTTransfer, error) {
	event := "Transfer"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != cofferNFT.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CofferNFTTransfer)
	if len(log.Data) > 0 {
		if err := cofferNFT.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range cofferNFT.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// CofferNFTVoucherRedeemed represents a VoucherRedeemed event raised by the CofferNFT contract.
type CofferNFTVoucherRedeemed struct {
	Nonce   *big.Int
	Signer  common.Address
	TokenId *big.Int
	Raw     *types.Log // Blockchain specific contextual infos
}

const CofferNFTVoucherRedeemedEventName = "VoucherRedeemed"

// ContractEventName returns the user-defined event name.
func (CofferNFTVoucherRedeemed) ContractEventName() string {
	return CofferNFTVoucherRedeemedEventName
}

// UnpackVoucherRedeemedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event VoucherRedeemed(uint256 indexed nonce, address indexed signer, uint256 indexed tokenId)
func (cofferNFT *CofferNFT) UnpackVoucherRedeemedEvent(log *types.Log) (*CofferNFTVoucherRedeemed, error) {
	event := "VoucherRedeemed"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != cofferNFT.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(CofferNFTVoucherRedeemed)
	if len(log.Data) > 0 {
		if err := cofferNFT.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range cofferNFT.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// UnpackError attempts to decode the provided error data using user-defined
// error definitions.
func (cofferNFT *CofferNFT) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["AccessControlBadConfirmation"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackAccessControlBadConfirmationError(raw[4:])
	}
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["AccessControlUnauthorizedAccount"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackAccessControlUnauthorizedAccountError(raw[4:])
	}
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["ERC721IncorrectOwner"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackERC721IncorrectOwnerError(raw[4:])
	}
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["ERC721InsufficientApproval"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackERC721InsufficientApprovalError(raw[4:])
	}
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["ERC721InvalidApprover"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackERC721InvalidApproverError(raw[4:])
	}
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["ERC721InvalidOperator"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackERC721InvalidOperatorError(raw[4:])
	}
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["ERC721InvalidOwner"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackERC721InvalidOwnerError(raw[4:])
	}
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["ERC721InvalidReceiver"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackERC721InvalidReceiverError(raw[4:])
	}
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["ERC721InvalidSender"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackERC721InvalidSenderError(raw[4:])
	}
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["ERC721NonexistentToken"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackERC721NonexistentTokenError(raw[4:])
	}
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["InvalidShortString"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackInvalidShortStringError(raw[4:])
	}
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["InvalidVoucherSigner"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackInvalidVoucherSignerError(raw[4:])
	}
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["NotVoucherRecipient"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackNotVoucherRecipientError(raw[4:])
	}
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["StringTooLong"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackStringTooLongError(raw[4:])
	}
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["VoucherExpired"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackVoucherExpiredError(raw[4:])
	}
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["VoucherUsed"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackVoucherUsedError(raw[4:])
	}
	if bytes.Equal(raw[:4], cofferNFT.abi.Errors["ZeroAddress"].ID.Bytes()[:4]) {
		return cofferNFT.UnpackZeroAddressError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// CofferNFTAccessControlBadConfirmation represents a AccessControlBadConfirmation error raised by the CofferNFT contract.
type CofferNFTAccessControlBadConfirmation struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error AccessControlBadConfirmation()
func CofferNFTAccessControlBadConfirmationErrorID() common.Hash {
	return common.HexToHash("0x6697b23232a647058342c0724fe7c415cab25915b54e5dbc03f233173d37b41c")
}

// UnpackAccessControlBadConfirmationError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error AccessControlBadConfirmation()
func (cofferNFT *CofferNFT) UnpackAccessControlBadConfirmationError(raw []byte) (*CofferNFTAccessControlBadConfirmation, error) {
	out := new(CofferNFTAccessControlBadConfirmation)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "AccessControlBadConfirmation", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// CofferNFTAccessControlUnauthorizedAccount represents a AccessControlUnauthorizedAccount error raised by the CofferNFT contract.
type CofferNFTAccessControlUnauthorizedAccount struct {
	Account    common.Address
	NeededRole [32]byte
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)
func CofferNFTAccessControlUnauthorizedAccountErrorID() common.Hash {
	return common.HexToHash("0xe2517d3fbfae6f8515ef5ff1ccedc3933ab0cbbda0b492c06eb54ad10ef03b3e")
}

// UnpackAccessControlUnauthorizedAccountError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)
func (cofferNFT *CofferNFT) UnpackAccessControlUnauthorizedAccountError(raw []byte) (*CofferNFTAccessControlUnauthorizedAccount, error) {
	out := new(CofferNFTAccessControlUnauthorizedAccount)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "AccessControlUnauthorizedAccount", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// CofferNFTERC721IncorrectOwner represents a ERC721IncorrectOwner error raised by the CofferNFT contract.
type CofferNFTERC721IncorrectOwner struct {
	Sender  common.Address
	TokenId *big.Int
	Owner   common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ERC721IncorrectOwner(address sender, uint256 tokenId, address owner)
func CofferNFTERC721IncorrectOwnerErrorID() common.Hash {
	return common.HexToHash("0x64283d7b313c8117c125f736876fa2b4e90ea3831a4716dfdb87d2f540e26289")
}

// UnpackERC721IncorrectOwnerError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ERC721IncorrectOwner(address sender, uint256 tokenId, address owner)
func (cofferNFT *CofferNFT) UnpackERC721IncorrectOwnerError(raw []byte) (*CofferNFTERC721IncorrectOwner, error) {
	out := new(CofferNFTERC721IncorrectOwner)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "ERC721IncorrectOwner", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// CofferNFTERC721InsufficientApproval represents a ERC721InsufficientApproval error raised by the CofferNFT contract.
type CofferNFTERC721InsufficientApproval struct {
	Operator common.Address
	TokenId  *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ERC721InsufficientApproval(address operator, uint256 tokenId)
func CofferNFTERC721InsufficientApprovalErrorID() common.Hash {
	return common.HexToHash("0x177e802f6f313bc89797ecace66d6d29ab4719cbaaacbb87367264048b1eb861")
}

// UnpackERC721InsufficientApprovalError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ERC721InsufficientApproval(address operator, uint256 tokenId)
func (cofferNFT *CofferNFT) UnpackERC721InsufficientApprovalError(raw []byte) (*CofferNFTERC721InsufficientApproval, error) {
	out := new(CofferNFTERC721InsufficientApproval)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "ERC721InsufficientApproval", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// CofferNFTERC721InvalidApprover represents a ERC721InvalidApprover error raised by the CofferNFT contract.
type CofferNFTERC721InvalidApprover struct {
	Approver common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ERC721InvalidApprover(address approver)
func CofferNFTERC721InvalidApproverErrorID() common.Hash {
	return common.HexToHash("0xa9fbf51f86b8e03595d59dc726bb10c329bb24f62589be276d8dd193ca0b69ea")
}

// UnpackERC721InvalidApproverError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ERC721InvalidApprover(address approver)
func (cofferNFT *CofferNFT) UnpackERC721InvalidApproverError(raw []byte) (*CofferNFTERC721InvalidApprover, error) {
	out := new(CofferNFTERC721InvalidApprover)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "ERC721InvalidApprover", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// CofferNFTERC721InvalidOperator represents a ERC721InvalidOperator error raised by the CofferNFT contract.
type CofferNFTERC721InvalidOperator struct {
	Operator common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ERC721InvalidOperator(address operator)
func CofferNFTERC721InvalidOperatorErrorID() common.Hash {
	return common.HexToHash("0x5b08ba185e8f577075361f3a3555a6580a227ce22734dcc979c1aeadf894658b")
}

// UnpackERC721InvalidOperatorError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ERC721InvalidOperator(address operator)
func (cofferNFT *CofferNFT) UnpackERC721InvalidOperatorError(raw []byte) (*CofferNFTERC721InvalidOperator, error) {
	out := new(CofferNFTERC721InvalidOperator)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "ERC721InvalidOperator", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// CofferNFTERC721InvalidOwner represents a ERC721InvalidOwner error raised by the CofferNFT contract.
type CofferNFTERC721InvalidOwner struct {
	Owner common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ERC721InvalidOwner(address owner)
func CofferNFTERC721InvalidOwnerErrorID() common.Hash {
	return common.HexToHash("0x89c62b6479af2e623826dcc39c5133061d35b66d72de92833401dd2fd6567480")
}

// UnpackERC721InvalidOwnerError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ERC721InvalidOwner(address owner)
func (cofferNFT *CofferNFT) UnpackERC721InvalidOwnerError(raw []byte) (*CofferNFTERC721InvalidOwner, error) {
	out := new(CofferNFTERC721InvalidOwner)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "ERC721InvalidOwner", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// CofferNFTERC721InvalidReceiver represents a ERC721InvalidReceiver error raised by the CofferNFT contract.
type CofferNFTERC721InvalidReceiver struct {
	Receiver common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ERC721InvalidReceiver(address receiver)
func CofferNFTERC721InvalidReceiverErrorID() common.Hash {
	return common.HexToHash("0x64a0ae9278f805eaf991dcd18ca78756d280b7508b764ef1b255c55845c11df9")
}

// UnpackERC721InvalidReceiverError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ERC721InvalidReceiver(address receiver)
func (cofferNFT *CofferNFT) UnpackERC721InvalidReceiverError(raw []byte) (*CofferNFTERC721InvalidReceiver, error) {
	out := new(CofferNFTERC721InvalidReceiver)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "ERC721InvalidReceiver", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// CofferNFTERC721InvalidSender represents a ERC721InvalidSender error raised by the CofferNFT contract.
type CofferNFTERC721InvalidSender struct {
	Sender common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ERC721InvalidSender(address sender)
func CofferNFTERC721InvalidSenderErrorID() common.Hash {
	return common.HexToHash("0x73c6ac6e10798e95d99e1f130d923eb40193ecb8d094ec3dce93292564eb3b17")
}

// UnpackERC721InvalidSenderError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ERC721InvalidSender(address sender)
func (cofferNFT *CofferNFT) UnpackERC721InvalidSenderError(raw []byte) (*CofferNFTERC721InvalidSender, error) {
	out := new(CofferNFTERC721InvalidSender)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "ERC721InvalidSender", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// CofferNFTERC721NonexistentToken represents a ERC721NonexistentToken error raised by the CofferNFT contract.
type CofferNFTERC721NonexistentToken struct {
	TokenId *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ERC721NonexistentToken(uint256 tokenId)
func CofferNFTERC721NonexistentTokenErrorID() common.Hash {
	return common.HexToHash("0x7e273289a3a9ef6670f06df7dca227856fc925e956db96980692764a8bc734d7")
}

// UnpackERC721NonexistentTokenError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ERC721NonexistentToken(uint256 tokenId)
func (cofferNFT *CofferNFT) UnpackERC721NonexistentTokenError(raw []byte) (*CofferNFTERC721NonexistentToken, error) {
	out := new(CofferNFTERC721NonexistentToken)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "ERC721NonexistentToken", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// CofferNFTInvalidShortString represents a InvalidShortString error raised by the CofferNFT contract.
type CofferNFTInvalidShortString struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error InvalidShortString()
func CofferNFTInvalidShortStringErrorID() common.Hash {
	return common.HexToHash("0xb3512b0c6163e5f0bafab72bb631b9d58cd7a731b082f910338aa21c83d5c274")
}

// UnpackInvalidShortStringError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error InvalidShortString()
func (cofferNFT *CofferNFT) UnpackInvalidShortStringError(raw []byte) (*CofferNFTInvalidShortString, error) {
	out := new(CofferNFTInvalidShortString)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "InvalidShortString", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// CofferNFTInvalidVoucherSigner represents a InvalidVoucherSigner error raised by the CofferNFT contract.
type CofferNFTInvalidVoucherSigner struct {
	Signer common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error InvalidVoucherSigner(address signer)
func CofferNFTInvalidVoucherSignerErrorID() common.Hash {
	return common.HexToHash("0xa78b41416f21d1a6d97df03e178dbe2366975534756c3056f2d0b49fdedc369a")
}

// UnpackInvalidVoucherSignerError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error InvalidVoucherSigner(address signer)
func (cofferNFT *CofferNFT) UnpackInvalidVoucherSignerError(raw []byte) (*CofferNFTInvalidVoucherSigner, error) {
	out := new(CofferNFTInvalidVoucherSigner)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "InvalidVoucherSigner", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// CofferNFTNotVoucherRecipient represents a NotVoucherRecipient error raised by the CofferNFT contract.
type CofferNFTNotVoucherRecipient struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NotVoucherRecipient()
func CofferNFTNotVoucherRecipientErrorID() common.Hash {
	return common.HexToHash("0x62c9ca5bacf0cf7c9e4a8938a43d13cb458b6c3794268f92d96c9761df546a2a")
}

// UnpackNotVoucherRecipientError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NotVoucherRecipient()
func (cofferNFT *CofferNFT) UnpackNotVoucherRecipientError(raw []byte) (*CofferNFTNotVoucherRecipient, error) {
	out := new(CofferNFTNotVoucherRecipient)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "NotVoucherRecipient", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// CofferNFTStringTooLong represents a StringTooLong error raised by the CofferNFT contract.
type CofferNFTStringTooLong struct {
	Str string
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error StringTooLong(string str)
func CofferNFTStringTooLongErrorID() common.Hash {
	return common.HexToHash("0x305a27a93f8e33b7392df0a0f91d6fc63847395853c45991eec52dbf24d72381")
}

// UnpackStringTooLongError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error StringTooLong(string str)
func (cofferNFT *CofferNFT) UnpackStringTooLongError(raw []byte) (*CofferNFTStringTooLong, error) {
	out := new(CofferNFTStringTooLong)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "StringTooLong", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// CofferNFTVoucherExpired represents a VoucherExpired error raised by the CofferNFT contract.
type CofferNFTVoucherExpired struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error VoucherExpired()
func CofferNFTVoucherExpiredErrorID() common.Hash {
	return common.HexToHash("0x157fd87e36be7c3ebb5768b1f134a6cdc73277a76e258496b7764aed6963a801")
}

// UnpackVoucherExpiredError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error VoucherExpired()
func (cofferNFT *CofferNFT) UnpackVoucherExpiredError(raw []byte) (*CofferNFTVoucherExpired, error) {
	out := new(CofferNFTVoucherExpired)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "VoucherExpired", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// CofferNFTVoucherUsed represents a VoucherUsed error raised by the CofferNFT contract.
type CofferNFTVoucherUsed struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error VoucherUsed()
func CofferNFTVoucherUsedErrorID() common.Hash {
	return common.HexToHash("0x6ff8027a1a14e8518d7f0b929b1bbbe89a24d1b15c82682727df299773510739")
}

// UnpackVoucherUsedError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error VoucherUsed()
func (cofferNFT *CofferNFT) UnpackVoucherUsedError(raw []byte) (*CofferNFTVoucherUsed, error) {
	out := new(CofferNFTVoucherUsed)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "VoucherUsed", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// CofferNFTZeroAddress represents a ZeroAddress error raised by the CofferNFT contract.
type CofferNFTZeroAddress struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ZeroAddress()
func CofferNFTZeroAddressErrorID() common.Hash {
	return common.HexToHash("0xd92e233df2717d4a40030e20904abd27b68fcbeede117eaaccbbdac9618c8c73")
}

// UnpackZeroAddressError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ZeroAddress()
func (cofferNFT *CofferNFT) UnpackZeroAddressError(raw []byte) (*CofferNFTZeroAddress, error) {
	out := new(CofferNFTZeroAddress)
	if err := cofferNFT.abi.UnpackIntoInterface(out, "ZeroAddress", raw); err != nil {
		return nil, err
	}
	return out, nil
}
