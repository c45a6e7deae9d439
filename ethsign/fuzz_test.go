package ethsign

import (
	"testing"

	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

func apitypesField(name, typ string) apitypes.Type { return apitypes.Type{Name: name, Type: typ} }

// FuzzParseTypedData: untrusted input must never panic, and whatever is
// accepted must hash.
func FuzzParseTypedData(f *testing.F) {
	f.Add([]byte(mailJSON))
	f.Add([]byte(`{"types":{"EIP712Domain":[{"name":"name","type":"string"}],"A":[{"name":"x","type":"uint256[]"},{"name":"b","type":"B[2]"}],"B":[{"name":"y","type":"bytes32"}]},"primaryType":"A","domain":{"name":"d"},"message":{"x":[1,"0x2"],"b":[{"y":"0x00"},{}]}}`))
	f.Add([]byte(`{"types":{"EIP712Domain":[],"A":[{"name":"a","type":"A[]"}]},"primaryType":"A","domain":{"salt":"0x01"},"message":{"a":[{"a":[]}]}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		td, err := ParseTypedData(data)
		if err != nil {
			return
		}
		if _, err := HashTypedData(td); err != nil {
			t.Fatalf("accepted input does not hash: %v", err)
		}
	})
}
