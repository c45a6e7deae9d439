package config

import (
	"net/url"
	"regexp"
	"slices"
)

// Mask replaces secret values in Redacted.
const Mask = "***"

// Redacted returns a copy of c that is safe to log: the S3 secret key, PKCS#11
// PIN, bootstrap admin key and passwords in the store DSN and chain RPC URLs
// are replaced by Mask. Empty secrets stay empty. c is not modified.
func (c Config) Redacted() Config {
	mask := func(s *string) {
		if *s != "" {
			*s = Mask
		}
	}
	mask(&c.Blob.S3.SecretAccessKey)
	mask(&c.Keys.PKCS11.PIN)
	mask(&c.Auth.BootstrapAdminKey)
	c.Store.DSN = redactDSN(c.Store.DSN)
	c.Chains = slices.Clone(c.Chains)
	for i := range c.Chains {
		urls := slices.Clone(c.Chains[i].RPCURLs)
		for j := range urls {
			urls[j] = redactDSN(urls[j])
		}
		c.Chains[i].RPCURLs = urls
	}
	c.Proxy.Routes = slices.Clone(c.Proxy.Routes)
	for i := range c.Proxy.Routes {
		rt := &c.Proxy.Routes[i]
		rt.Upstream = redactUpstream(rt.Upstream)
		rt.Headers = maskValues(rt.Headers)
		rt.Query = maskValues(rt.Query)
	}
	return c
}

// maskValues masks every value but env:NAME references (they name a secret,
// they do not hold it).
func maskValues(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if !envRef.MatchString(v) && v != "" {
			v = Mask
		}
		out[k] = v
	}
	return out
}

// redactUpstream keeps a proxy upstream's scheme and host: API keys live in
// paths and queries as often as in passwords.
func redactUpstream(u string) string {
	if envRef.MatchString(u) {
		return u
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return Mask
	}
	out := p.Scheme + "://" + p.Host
	if (p.Path != "" && p.Path != "/") || p.RawQuery != "" || p.User != nil {
		out += "/" + Mask
	}
	return out
}

var (
	// scheme://user:PASSWORD@host
	urlPassword = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*://[^:/@?#]*:)[^@/?#]*@`)
	// password=... in key/value DSNs and URL queries, quoted or not.
	kvPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&;]+)`)
)

// redactDSN masks passwords in URL-style and key=value DSNs.
func redactDSN(dsn string) string {
	dsn = urlPassword.ReplaceAllString(dsn, "${1}"+Mask+"@")
	return kvPassword.ReplaceAllString(dsn, "${1}"+Mask)
}
