package artifacts

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestArtifact(t *testing.T) {
	a := CofferNFT()
	if a.ContractName != "CofferNFT" {
		t.Fatalf("contractName = %q", a.ContractName)
	}
	if a.Compiler.Version == "" || !bytes.HasPrefix([]byte(a.Compiler.Version), []byte("0.8.37+")) {
		t.Fatalf("compiler version = %q", a.Compiler.Version)
	}
	var settings struct {
		EVMVersion string `json:"evmVersion"`
		Optimizer  struct {
			Enabled bool `json:"enabled"`
			Runs    int  `json:"runs"`
		} `json:"optimizer"`
	}
	if err := json.Unmarshal(a.Compiler.Settings, &settings); err != nil {
		t.Fatal(err)
	}
	if settings.EVMVersion != "cancun" || !settings.Optimizer.Enabled || settings.Optimizer.Runs != 200 {
		t.Fatalf("settings = %+v", settings)
	}

	parsed := ABI()
	for _, m := range []string{"mint", "mintWithVoucher", "totalMinted", "tokenURI", "ownerOf", "supportsInterface", "hasRole"} {
		if _, ok := parsed.Methods[m]; !ok {
			t.Errorf("ABI lacks method %s", m)
		}
	}
	for _, e := range []string{"VoucherExpired", "VoucherUsed", "InvalidVoucherSigner", "NotVoucherRecipient"} {
		if _, ok := parsed.Errors[e]; !ok {
			t.Errorf("ABI lacks error %s", e)
		}
	}
	if got := parsed.Events["Transfer"].ID; got != common.HexToHash("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef") {
		t.Errorf("Transfer topic = %s", got)
	}

	code := Bytecode()
	if len(code) == 0 || len(DeployedBytecode()) == 0 {
		t.Fatal("empty bytecode")
	}
	code[0] ^= 0xff // callers get a copy
	if Bytecode()[0] == code[0] {
		t.Fatal("Bytecode returned shared slice")
	}
	if len(DeployedBytecode()) > 24576 {
		t.Fatalf("runtime code %d bytes exceeds EIP-170 limit", len(DeployedBytecode()))
	}
	if _, err := parsed.Pack("", "Coffer", "CFR", common.Address{1}, common.Address{2}); err != nil {
		t.Fatalf("pack constructor: %v", err)
	}
}
