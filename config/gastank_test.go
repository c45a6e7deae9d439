package config

import (
	"strings"
	"testing"
)

func TestGasTankValidation(t *testing.T) {
	c := Default()
	if err := c.Resolve(); err != nil || !c.Dev.GasTank.Enabled() || c.NFT.VoucherTTL <= 0 {
		t.Fatalf("defaults: %v %+v %v", err, c.Dev.GasTank, c.NFT.VoucherTTL)
	}
	off := Default()
	off.Chains = []Chain{{ID: 5, RPCURLs: []string{"http://node"}, GasTank: GasTank{TopUpWei: "0"}}}
	if err := off.Resolve(); err != nil || off.Chains[0].GasTank.Enabled() {
		t.Fatalf("top_up_wei 0: %v, enabled %v", err, off.Chains[0].GasTank.Enabled())
	}
	bad := Default()
	bad.Dev.GasTank.PlatformLowWei = "10 ETH"
	bad.NFT.VoucherTTL = -1
	bad.Chains = []Chain{
		{ID: 5, RPCURLs: []string{"http://node"}, GasTank: GasTank{TopUpWei: "100"}},
		{ID: 6, RPCURLs: []string{"http://node"}, GasTank: GasTank{TopUpWei: "100", MaxPerWalletPerDayWei: "99"}},
		{ID: 7, RPCURLs: []string{"http://node"}, GasTank: GasTank{MinBalanceWei: "-1"}},
	}
	err := bad.Resolve()
	for _, want := range []string{"dev.gas_tank.platform_low_wei", "nft.voucher_ttl", "chains[0].gas_tank.max_per_wallet_per_day_wei: required",
		"chains[2].gas_tank.min_balance_wei", "chains[1].gas_tank.max_per_wallet_per_day_wei: 99 is less"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}
