package api

import (
	"testing"

	"github.com/cofferhq/coffer"
)

func TestDecodeTxRequest(t *testing.T) {
	good := []string{
		`{"chain_id":1337,"to":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed","value":"1"}`,
		`{"chain_id":1,"to":"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed","type":"legacy","gas_price":"20000000000","nonce":9,"gas":21000}`,
		`{"chain_id":1,"data":"0x6080","max_fee_per_gas":"2","max_priority_fee_per_gas":"1"}`,
	}
	for _, s := range good {
		if _, err := decodeTxRequest([]byte(s)); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	bad := []string{
		``, `[]`, `{"chain_id":"1"}`, `{"chain_id":1}`, `{"chain_id":1,"to":"0x12"}`,
		`{"chain_id":1,"to":"0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}`, // bad checksum
		`{"chain_id":1,"to":"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed","value":"-1"}`,
		`{"chain_id":1,"to":"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed","value":"0x10"}`,
		`{"chain_id":1,"to":"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed","value":"115792089237316195423570985008687907853269984665640564039457584007913129639936"}`,
		`{"chain_id":1,"to":"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed","data":"0x123"}`,
		`{"chain_id":1,"to":"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed","type":"legacy","max_fee_per_gas":"1"}`,
		`{"chain_id":1,"to":"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed","gas_price":"1"}`,
		`{"chain_id":1,"to":"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed","type":"blob"}`,
		`{"chain_id":1,"to":"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed","max_fee_per_gas":"1","max_priority_fee_per_gas":"2"}`,
		`{"chain_id":1,"to":"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed","gas":1}`,
		`{"chain_id":1,"to":"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed","extra":1}`,
		`{"chain_id":1,"to":"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"} {}`,
	}
	for _, s := range bad {
		_, err := decodeTxRequest([]byte(s))
		if coffer.ErrorCode(err) != coffer.EINVALID {
			t.Errorf("%s: want invalid, got %v", s, err)
		}
	}
}

// FuzzDecodeTxRequest feeds the sign-transaction decoder untrusted bytes: it
// must never panic, reject only with EINVALID, and accept only requests
// whose quantities fit a transaction.
func FuzzDecodeTxRequest(f *testing.F) {
	f.Add([]byte(`{"chain_id":1337,"to":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed","value":"1","data":"0x00ff"}`))
	f.Add([]byte(`{"chain_id":1,"type":"legacy","gas_price":"1","nonce":1,"gas":30000,"data":"0x60"}`))
	f.Add([]byte(`{"chain_id":1,"max_fee_per_gas":"99999999999999999999999","max_priority_fee_per_gas":"1","to":"0x0000000000000000000000000000000000000000"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeTxRequest(body)
		if err != nil {
			if coffer.ErrorCode(err) != coffer.EINVALID {
				t.Fatalf("non-invalid error %v", err)
			}
			return
		}
		if req.ChainID == 0 || (req.Type != "legacy" && req.Type != "eip1559") || req.Value == nil || req.Value.Sign() < 0 || req.Value.BitLen() > 256 {
			t.Fatalf("accepted a request that cannot be a transaction: %+v", req)
		}
		if req.To == nil && len(req.Data) == 0 {
			t.Fatal("accepted a request with neither to nor data")
		}
	})
}
