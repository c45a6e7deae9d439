package config

import (
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Resolve fills derived defaults and validates c. Every problem is reported
// (joined), each naming its key and where the value came from, e.g.
// "config: http.addr (COFFER_HTTP_ADDR): missing port in address".
// Resolve is idempotent.
func (c *Config) Resolve() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", c.label(key), fmt.Sprintf(format, args...)))
	}
	oneOf := func(key string, v *string, allowed ...string) {
		*v = strings.ToLower(strings.TrimSpace(*v))
		if !slices.Contains(allowed, *v) {
			bad(key, "%q is not one of %s", *v, strings.Join(allowed, "|"))
		}
	}
	positive := func(key string, n int64) {
		if n <= 0 {
			bad(key, "must be positive, got %d", n)
		}
	}
	nonNegative := func(key string, d time.Duration) {
		if d < 0 {
			bad(key, "must not be negative, got %s", d)
		}
	}
	positiveDur := func(key string, d time.Duration) {
		if d <= 0 {
			bad(key, "must be positive, got %s", d)
		}
	}
	urlOK := func(key, raw string, schemes ...string) bool {
		if err := checkURL(raw, schemes...); err != nil {
			bad(key, "%v", err)
			return false
		}
		return true
	}

	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	under := func(p *string, name string) {
		if *p == "" && c.DataDir != "" {
			*p = filepath.Join(c.DataDir, name)
		}
	}

	oneOf("log.level", &c.Log.Level, "debug", "info", "warn", "error")
	oneOf("log.format", &c.Log.Format, "text", "json")

	// HTTP
	addrOK := true
	if err := checkAddr(c.HTTP.Addr); err != nil {
		bad("http.addr", "%v", err)
		addrOK = false
	}
	if c.HTTP.PublicURL == "" && addrOK {
		c.HTTP.PublicURL = "http://" + browsable(c.HTTP.Addr)
	}
	c.HTTP.PublicURL = strings.TrimRight(c.HTTP.PublicURL, "/")
	publicOK := c.HTTP.PublicURL != "" && urlOK("http.public_url", c.HTTP.PublicURL, "http", "https")
	positive("http.max_body_bytes", c.HTTP.MaxBodyBytes)
	positive("http.max_upload_bytes", c.HTTP.MaxUploadBytes)
	nonNegative("http.read_timeout", c.HTTP.ReadTimeout)
	nonNegative("http.write_timeout", c.HTTP.WriteTimeout)
	nonNegative("http.shutdown_timeout", c.HTTP.ShutdownTimeout)
	for _, o := range c.HTTP.CORSOrigins {
		if o == "*" {
			continue
		}
		if err := checkURL(o, "http", "https"); err != nil {
			bad("http.cors_origins", "%v", err)
		} else if u, _ := url.Parse(o); (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			bad("http.cors_origins", "origin %q must be scheme://host[:port] only", o)
		}
	}

	// Store
	oneOf("store.driver", &c.Store.Driver, "sqlite", "postgres")
	switch c.Store.Driver {
	case "sqlite":
		under(&c.Store.DSN, "coffer.db")
	case "postgres":
		if c.Store.DSN == "" {
			bad("store.dsn", "required when store.driver is postgres")
		}
	}

	// Blob
	oneOf("blob.driver", &c.Blob.Driver, "fs", "s3")
	under(&c.Blob.Dir, "blobs")
	if c.Blob.Driver == "s3" && c.Blob.S3.Bucket == "" {
		bad("blob.s3.bucket", "required when blob.driver is s3")
	}
	if c.Blob.S3.Endpoint != "" {
		urlOK("blob.s3.endpoint", c.Blob.S3.Endpoint, "http", "https")
	}
	if (c.Blob.S3.AccessKeyID == "") != (c.Blob.S3.SecretAccessKey == "") {
		bad("blob.s3.access_key_id", "access_key_id and secret_access_key must be set together")
	}

	// Keys
	oneOf("keys.backend", &c.Keys.Backend, "local", "awskms", "pkcs11")
	under(&c.Keys.MasterKeyFile, "master.key")
	if c.Keys.AWSKMS.Endpoint != "" {
		urlOK("keys.awskms.endpoint", c.Keys.AWSKMS.Endpoint, "http", "https")
	}
	if c.Keys.Backend == "pkcs11" {
		if c.Keys.PKCS11.Module == "" {
			bad("keys.pkcs11.module", "required when keys.backend is pkcs11")
		}
		if c.Keys.PKCS11.TokenLabel == "" {
			bad("keys.pkcs11.token_label", "required when keys.backend is pkcs11")
		}
	}

	// Policy
	oneOf("policy.raw_hash", &c.Policy.RawHash, "admins", "owners", "off")
	for _, k := range []struct{ key, v string }{{"policy.max_value_per_tx", c.Policy.MaxValuePerTx}, {"policy.max_value_per_day", c.Policy.MaxValuePerDay}} {
		if k.v != "" && !isWei(k.v) {
			bad(k.key, "%q is not a decimal amount of wei", k.v)
		}
	}
	for i, a := range c.Policy.To {
		if !isAddress(a) {
			bad(fmt.Sprintf("policy.to[%d]", i), "%q is not an address (0x and 40 hex digits)", a)
		}
	}
	for i, d := range c.Policy.TypedDataDomains {
		key := fmt.Sprintf("policy.typed_data_domains[%d]", i)
		if d.VerifyingContract != "" && !isAddress(d.VerifyingContract) {
			bad(key+".verifying_contract", "%q is not an address (0x and 40 hex digits)", d.VerifyingContract)
		}
		if d.Name == "" && d.VerifyingContract == "" && d.ChainID == 0 {
			bad(key, "set name, verifying_contract or chain_id")
		}
	}
	// Empty lists restrict nothing, as if absent.
	if len(c.Policy.ChainIDs) == 0 {
		c.Policy.ChainIDs = nil
	}
	if len(c.Policy.To) == 0 {
		c.Policy.To = nil
	}
	if len(c.Policy.TypedDataDomains) == 0 {
		c.Policy.TypedDataDomains = nil
	}

	// Signer
	if c.Signer.Listen == "" && c.DataDir != "" {
		c.Signer.Listen = "unix://" + filepath.Join(c.DataDir, "signer.sock")
	}
	tlsFiles := c.Signer.TLS.Cert != "" && c.Signer.TLS.Key != ""
	switch l := c.Signer.Listen; {
	case strings.HasPrefix(l, "unix://") && len(l) > len("unix://"):
	case strings.HasPrefix(l, "tcp://"):
		if err := checkAddr(strings.TrimPrefix(l, "tcp://")); err != nil {
			bad("signer.listen", "%v", err)
		} else if !tlsFiles || c.Signer.TLS.ClientCA == "" {
			bad("signer.listen", "tcp:// requires mutual TLS: set signer.tls.cert, signer.tls.key and signer.tls.client_ca")
		}
	default:
		bad("signer.listen", "%q: want unix:///path/to.sock or tcp://host:port", l)
	}
	switch r := c.Signer.Remote; {
	case r == "", strings.HasPrefix(r, "unix://") && len(r) > len("unix://"):
	case strings.HasPrefix(r, "https://"):
		if urlOK("signer.remote", r, "https") && !tlsFiles {
			bad("signer.remote", "https:// requires a client certificate: set signer.tls.cert and signer.tls.key")
		}
	default:
		bad("signer.remote", "%q: want unix:///path/to.sock or https://host:port", r)
	}
	positiveDur("signer.timeout", c.Signer.Timeout)

	// Chains
	seen := map[uint64]int{}
	for i := range c.Chains {
		ch := &c.Chains[i]
		key := fmt.Sprintf("chains[%d]", i)
		if ch.ID == 0 {
			bad(key+".id", "must be non-zero")
		} else if j, dup := seen[ch.ID]; dup {
			bad(key+".id", "chain id %d is also chains[%d].id", ch.ID, j)
		} else {
			seen[ch.ID] = i
		}
		if len(ch.RPCURLs) == 0 {
			bad(key+".rpc_urls", "at least one RPC URL is required")
		}
		for _, u := range ch.RPCURLs {
			urlOK(key+".rpc_urls", u, "http", "https", "ws", "wss")
		}
		if ch.Confirmations == 0 {
			ch.Confirmations = DefaultConfirmations
		}
		if ch.PollInterval == 0 {
			ch.PollInterval = DefaultPollInterval
		}
		positiveDur(key+".poll_interval", ch.PollInterval)
		nonNegative(key+".receipt_timeout", ch.ReceiptTimeout)
		if ch.FeeSpeed == "" {
			ch.FeeSpeed = DefaultFeeSpeed
		}
		oneOf(key+".fee_speed", &ch.FeeSpeed, "slow", "normal", "fast")
		if ch.FeeHistoryBlocks == 0 {
			ch.FeeHistoryBlocks = DefaultFeeHistoryBlocks
		}
		if ch.FeeHistoryBlocks < 1 || ch.FeeHistoryBlocks > 1024 {
			bad(key+".fee_history_blocks", "must be 1 to 1024, got %d", ch.FeeHistoryBlocks)
		}
		if ch.MaxFeeGwei < 0 {
			bad(key+".max_fee_gwei", "must not be negative, got %g", ch.MaxFeeGwei)
		}
		if ch.GasBuffer == 0 {
			ch.GasBuffer = DefaultGasBuffer
		}
		if ch.GasBuffer < 1 || ch.GasBuffer > 10 {
			bad(key+".gas_buffer", "must be 1 to 10, got %g", ch.GasBuffer)
		}
		if ch.ResubmitAfter == 0 {
			ch.ResubmitAfter = DefaultResubmitAfter
		}
		positiveDur(key+".resubmit_after", ch.ResubmitAfter)
		if ch.FeeBumpPercent == 0 {
			ch.FeeBumpPercent = DefaultFeeBumpPercent
		}
		if ch.FeeBumpPercent < 10 || ch.FeeBumpPercent > 1000 {
			bad(key+".fee_bump_percent", "must be 10 (the nodes' replacement minimum) to 1000, got %g", ch.FeeBumpPercent)
		}
		checkGasTank(key+".gas_tank", ch.GasTank, bad)
	}

	// Dev
	if err := checkAddr(c.Dev.RPCAddr); err != nil {
		bad("dev.rpc_addr", "%v", err)
	}
	if c.Dev.ChainID == 0 {
		bad("dev.chain_id", "must be non-zero")
	}
	nonNegative("dev.block_period", c.Dev.BlockPeriod)
	checkGasTank("dev.gas_tank", c.Dev.GasTank, bad)
	under(&c.Dev.ChainDir, "chain")

	// Auth
	if c.Auth.Issuer == "" && publicOK {
		c.Auth.Issuer = c.HTTP.PublicURL
	}
	if publicOK {
		u, _ := url.Parse(c.HTTP.PublicURL)
		if c.Auth.SIWE.Domain == "" {
			c.Auth.SIWE.Domain = u.Host
		}
		if c.Auth.SIWE.Scheme == "" {
			c.Auth.SIWE.Scheme = u.Scheme
		}
		if c.Auth.SIWE.URI == "" {
			c.Auth.SIWE.URI = c.HTTP.PublicURL
		}
	}
	positiveDur("auth.access_ttl", c.Auth.AccessTTL)
	positiveDur("auth.refresh_ttl", c.Auth.RefreshTTL)
	positiveDur("auth.nonce_ttl", c.Auth.NonceTTL)
	nonNegative("auth.skew", c.Auth.Skew)
	under(&c.Auth.SigningKeyFile, "jwt.pem")
	if publicOK {
		if c.Auth.SIWE.Domain == "" || strings.ContainsAny(c.Auth.SIWE.Domain, "/ ") {
			bad("auth.siwe.domain", "%q is not a host[:port]", c.Auth.SIWE.Domain)
		}
		if c.Auth.SIWE.Scheme != "http" && c.Auth.SIWE.Scheme != "https" {
			bad("auth.siwe.scheme", "%q is not http or https", c.Auth.SIWE.Scheme)
		}
		urlOK("auth.siwe.uri", c.Auth.SIWE.URI)
	}
	for i, o := range c.Auth.OIDC {
		key := fmt.Sprintf("auth.oidc[%d]", i)
		if o.Issuer == "" {
			bad(key+".issuer", "required")
		} else {
			urlOK(key+".issuer", o.Issuer, "https", "http")
		}
		if o.Audience == "" {
			bad(key+".audience", "required")
		}
		if o.JWKSURL != "" {
			urlOK(key+".jwks_url", o.JWKSURL, "https", "http")
		}
	}

	positive("nft.max_metadata_bytes", c.NFT.MaxMetadataBytes)
	positiveDur("nft.voucher_ttl", c.NFT.VoucherTTL)
	c.checkGateway(bad) // gateway.go
	for key, d := range map[string]time.Duration{"events.timeout": c.Events.Timeout, "events.max_age": c.Events.MaxAge,
		"events.retry_initial": c.Events.RetryInitial, "events.retry_max": c.Events.RetryMax, "events.poll_interval": c.Events.PollInterval,
		"events.retention": c.Events.Retention, "events.heartbeat": c.Events.Heartbeat} {
		positiveDur(key, d)
	}
	positive("events.concurrency", c.Events.Concurrency)
	if c.Events.RetryMax > 0 && c.Events.RetryInitial > c.Events.RetryMax {
		bad("events.retry_initial", "must not exceed events.retry_max (%s), got %s", c.Events.RetryMax, c.Events.RetryInitial)
	}
	if c.Events.MaxAge > 0 && c.Events.Retention < c.Events.MaxAge {
		bad("events.retention", "must be at least events.max_age (%s): events are kept while they may be retried, got %s", c.Events.MaxAge, c.Events.Retention)
	}
	return errors.Join(errs...)
}

// checkAddr accepts host:port with a numeric port; the host may be empty.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			return fmt.Errorf("%q: %s", addr, ae.Err)
		}
		return err
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%q: invalid port %q", addr, port)
	}
	return nil
}

// browsable turns a listen address into one a client can reach: an empty or
// unspecified host becomes localhost.
func browsable(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// checkURL requires an absolute URL with a host and, if given, one of schemes.
func checkURL(raw string, schemes ...string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL %q", raw)
	}
	if u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	if len(schemes) > 0 && !slices.Contains(schemes, u.Scheme) {
		return fmt.Errorf("%q: scheme must be %s", raw, strings.Join(schemes, "|"))
	}
	return nil
}

// label is key plus where its value came from, falling back to the env var.
func (c *Config) label(key string) string {
	for k := key; k != ""; k = parentKey(k) {
		if s, ok := c.src[k]; ok {
			return key + " (" + s + ")"
		}
	}
	if s := lookupKey(key); s != nil && s.env != "" {
		return key + " (" + s.env + ")"
	}
	return key
}

func parentKey(k string) string {
	i := strings.LastIndexAny(k, ".[")
	if i < 0 {
		return ""
	}
	return k[:i]
}

// checkGasTank validates a gas_tank block: amounts in decimal wei and, when
// it is on, a daily limit per wallet of at least one top-up.
func checkGasTank(key string, g GasTank, bad func(key, format string, args ...any)) {
	ok := true
	for _, k := range []struct{ key, v string }{{"min_balance_wei", g.MinBalanceWei}, {"top_up_wei", g.TopUpWei},
		{"max_per_wallet_per_day_wei", g.MaxPerWalletPerDayWei}, {"platform_low_wei", g.PlatformLowWei}} {
		if k.v != "" && !isWei(k.v) {
			bad(key+"."+k.key, "%q is not a decimal amount of wei", k.v)
			ok = false
		}
	}
	if !ok || !g.Enabled() {
		return
	}
	top, _ := new(big.Int).SetString(g.TopUpWei, 10)
	max, set := new(big.Int).SetString(g.MaxPerWalletPerDayWei, 10)
	switch {
	case !set:
		bad(key+".max_per_wallet_per_day_wei", "required when top_up_wei is set: the most one wallet may receive in 24h")
	case max.Cmp(top) < 0:
		bad(key+".max_per_wallet_per_day_wei", "%s is less than one top-up (top_up_wei %s)", max, top)
	}
}

// isWei reports whether s is a non-negative decimal integer below 2^256.
func isWei(s string) bool {
	if s == "" || len(s) > 78 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return len(s) < 78 || s <= "115792089237316195423570985008687907853269984665640564039457584007913129639935"
}

// isAddress reports whether s is 0x followed by 40 hex digits.
func isAddress(s string) bool {
	if len(s) != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return false
	}
	for _, r := range s[2:] {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
			return false
		}
	}
	return true
}
