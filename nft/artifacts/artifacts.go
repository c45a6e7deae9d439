// Package artifacts embeds the committed build artifact of coffer's CofferNFT
// ERC-721 contract (nft/contracts/CofferNFT.sol), produced by
// nft/contracts/build.sh and kept fresh by nft/contracts/check.sh.
package artifacts

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// CofferNFTJSON is the raw artifact: contractName, abi, bytecode,
// deployedBytecode and compiler {version, settings}.
//
//go:embed CofferNFT.json
var CofferNFTJSON []byte

// Compiler records how the artifact was built.
type Compiler struct {
	Version  string          `json:"version"`
	Settings json.RawMessage `json:"settings"`
}

// Artifact is the decoded form of CofferNFT.json.
type Artifact struct {
	ContractName     string          `json:"contractName"`
	ABI              json.RawMessage `json:"abi"`
	Bytecode         string          `json:"bytecode"`
	DeployedBytecode string          `json:"deployedBytecode"`
	Compiler         Compiler        `json:"compiler"`
}

type parsed struct {
	artifact         Artifact
	abi              abi.ABI
	bytecode         []byte
	deployedBytecode []byte
}

var load = sync.OnceValues(func() (*parsed, error) {
	var p parsed
	if err := json.Unmarshal(CofferNFTJSON, &p.artifact); err != nil {
		return nil, fmt.Errorf("artifacts: decode CofferNFT.json: %w", err)
	}
	var err error
	if p.abi, err = abi.JSON(strings.NewReader(string(p.artifact.ABI))); err != nil {
		return nil, fmt.Errorf("artifacts: parse CofferNFT ABI: %w", err)
	}
	if p.bytecode, err = hexutil.Decode(p.artifact.Bytecode); err != nil || len(p.bytecode) == 0 {
		return nil, fmt.Errorf("artifacts: decode CofferNFT bytecode: %v", err)
	}
	if p.deployedBytecode, err = hexutil.Decode(p.artifact.DeployedBytecode); err != nil || len(p.deployedBytecode) == 0 {
		return nil, fmt.Errorf("artifacts: decode CofferNFT deployedBytecode: %v", err)
	}
	return &p, nil
})

func mustLoad() *parsed {
	p, err := load()
	if err != nil {
		// The artifact is embedded at build time and covered by tests, so
		// this only happens if the committed file is corrupt.
		panic(err)
	}
	return p
}

// CofferNFT returns the decoded artifact.
func CofferNFT() Artifact { return mustLoad().artifact }

// ABI returns CofferNFT's parsed ABI.
func ABI() abi.ABI { return mustLoad().abi }

// Bytecode returns a copy of CofferNFT's creation bytecode (without
// constructor arguments; append ABI().Pack("", name, symbol, admin, minter)).
func Bytecode() []byte { return append([]byte(nil), mustLoad().bytecode...) }

// DeployedBytecode returns a copy of CofferNFT's runtime bytecode, including
// zeroed placeholders for its immutables.
func DeployedBytecode() []byte { return append([]byte(nil), mustLoad().deployedBytecode...) }
