package config

import (
	"strings"
	"testing"
)

func TestPolicyFromEnvAndValidation(t *testing.T) {
	c, err := Load("", envMap(map[string]string{
		"COFFER_POLICY_CHAIN_IDS": "1, 10", "COFFER_POLICY_TO": "0x00000000000000000000000000000000000000a1",
		"COFFER_POLICY_MAX_VALUE_PER_TX": "1000", "COFFER_POLICY_RAW_HASH": "OFF", "COFFER_KEYS_ALLOW_EXPORT": "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Resolve(); err != nil {
		t.Fatal(err)
	}
	if len(c.Policy.ChainIDs) != 2 || c.Policy.ChainIDs[1] != 10 || c.Policy.RawHash != "off" || !c.Keys.AllowExport || c.Policy.MaxValuePerTx != "1000" {
		t.Fatalf("%+v %v", c.Policy, c.Keys.AllowExport)
	}
	if _, err := Load("", envMap(map[string]string{"COFFER_POLICY_CHAIN_IDS": "1,x"})); err == nil {
		t.Fatal("bad chain id list accepted")
	}
	bad := Default()
	bad.Policy = Policy{RawHash: "sometimes", MaxValuePerTx: "-1", MaxValuePerDay: "1e18", To: []string{"0x12"},
		TypedDataDomains: []TypedDataDomain{{}, {VerifyingContract: "nope"}}}
	err = bad.Resolve()
	for _, want := range []string{"policy.raw_hash", "policy.max_value_per_tx", "policy.max_value_per_day", "policy.to[0]",
		"policy.typed_data_domains[0]", "policy.typed_data_domains[1].verifying_contract"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
	big := Default()
	big.Policy.MaxValuePerDay = "115792089237316195423570985008687907853269984665640564039457584007913129639936"
	if err := big.Resolve(); err == nil {
		t.Error("2^256 accepted")
	}
}
