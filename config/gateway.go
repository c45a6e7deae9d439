package config

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

var (
	rpcMethodName = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
	routeNameRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	envRef        = regexp.MustCompile(`^env:[A-Za-z_][A-Za-z0-9_]*$`)
	headerName    = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
)

// nodeNamespaces reach into a node (its keys, peers, mempool, tracing): only
// rpc.admin_methods may name them.
var nodeNamespaces = []string{"admin_", "debug_", "personal_", "miner_", "txpool_", "engine_", "clique_", "les_", "trace_", "parity_", "hardhat_", "anvil_", "evm_"}

// checkGateway validates rpc.* and proxy.*; the gateway checks the resolved
// routes again at start (env: values).
func (c *Config) checkGateway(bad func(key, format string, args ...any)) {
	r := &c.RPC
	if r.RateLimit < 0 {
		bad("rpc.rate_limit", "must not be negative, got %d", r.RateLimit)
	}
	if r.GuestRateLimit < 0 {
		bad("rpc.guest_rate_limit", "must not be negative, got %d", r.GuestRateLimit)
	}
	if r.MaxBatch < 1 || r.MaxBatch > 10_000 {
		bad("rpc.max_batch", "must be 1 to 10000, got %d", r.MaxBatch)
	}
	if r.MaxBodyBytes <= 0 {
		bad("rpc.max_body_bytes", "must be positive, got %d", r.MaxBodyBytes)
	}
	if r.MaxLogBlocks == 0 {
		bad("rpc.max_log_blocks", "must be positive")
	}
	if r.SendWait <= 0 {
		bad("rpc.send_wait", "must be positive, got %s", r.SendWait)
	} else if c.HTTP.WriteTimeout > 0 && r.SendWait >= c.HTTP.WriteTimeout {
		bad("rpc.send_wait", "%s must be shorter than http.write_timeout (%s), or the answer is cut off", r.SendWait, c.HTTP.WriteTimeout)
	}
	for _, l := range []struct {
		key   string
		names *[]string
	}{{"rpc.guest_methods", &r.GuestMethods}, {"rpc.user_methods", &r.UserMethods}, {"rpc.admin_methods", &r.AdminMethods}} {
		for _, m := range *l.names {
			if !rpcMethodName.MatchString(m) {
				bad(l.key, "%q is not a JSON-RPC method name", m)
				continue
			}
			if l.key == "rpc.admin_methods" {
				continue
			}
			for _, ns := range nodeNamespaces {
				if strings.HasPrefix(m, ns) {
					bad(l.key, "%s reaches into the node (%s*): only rpc.admin_methods may name it", m, ns)
				}
			}
		}
		if len(*l.names) == 0 {
			*l.names = nil
		}
	}

	if c.Proxy.MaxRequestBytes <= 0 {
		bad("proxy.max_request_bytes", "must be positive, got %d", c.Proxy.MaxRequestBytes)
	}
	names := map[string]int{}
	for i := range c.Proxy.Routes {
		rt := &c.Proxy.Routes[i]
		key := fmt.Sprintf("proxy.routes[%d]", i)
		if !routeNameRE.MatchString(rt.Name) {
			bad(key+".name", "%q: 1-63 of a-z, 0-9, _ and -, starting with a letter or digit", rt.Name)
		} else if j, dup := names[rt.Name]; dup {
			bad(key+".name", "%q is also proxy.routes[%d].name", rt.Name, j)
		} else {
			names[rt.Name] = i
		}
		switch {
		case rt.Upstream == "":
			bad(key+".upstream", "required: the API's base URL, or env:NAME")
		case strings.HasPrefix(rt.Upstream, "env:"):
			if !envRef.MatchString(rt.Upstream) {
				bad(key+".upstream", "%q: want env:NAME", rt.Upstream)
			}
		default:
			if u, err := url.Parse(rt.Upstream); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
				bad(key+".upstream", "must be an http(s) URL with a host and no fragment, or env:NAME")
			}
		}
		if len(rt.AllowPaths) == 0 {
			bad(key+".allow_paths", "required: the paths callers may reach, e.g. /v1/nfts/**")
		}
		for _, p := range rt.AllowPaths {
			if !strings.HasPrefix(p, "/") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") || strings.Contains(p, "//") {
				bad(key+".allow_paths", "%q must start with / and have no empty or .. segments", p)
			}
		}
		for j, m := range rt.Methods {
			m = strings.ToUpper(strings.TrimSpace(m))
			rt.Methods[j] = m
			if !slices.Contains([]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}, m) {
				bad(key+".methods", "%q is not one of GET, HEAD, POST, PUT, PATCH, DELETE", m)
			}
		}
		for _, role := range rt.Roles {
			if !slices.Contains([]string{"guest", "user", "admin"}, role) {
				bad(key+".roles", "%q is not one of guest, user, admin", role)
			}
		}
		for h, v := range rt.Headers {
			if !headerName.MatchString(h) {
				bad(key+".headers", "%q is not a header name", h)
			}
			switch strings.ToLower(h) {
			case "host", "content-length", "connection", "transfer-encoding", "upgrade", "te", "trailer", "keep-alive",
				"proxy-connection", "proxy-authorization", "cookie", "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
				"x-real-ip", "origin", "referer", "x-request-id", "accept-encoding", "expect":
				bad(key+".headers", "%s cannot be injected", h)
			}
			if strings.HasPrefix(v, "env:") && !envRef.MatchString(v) {
				bad(key+".headers", "%s: %q: want env:NAME", h, v)
			}
		}
		for q, v := range rt.Query {
			if q == "" {
				bad(key+".query", "a parameter needs a name")
			}
			if strings.HasPrefix(v, "env:") && !envRef.MatchString(v) {
				bad(key+".query", "%s: %q: want env:NAME", q, v)
			}
		}
		if rt.RateLimit < 0 {
			bad(key+".rate_limit", "must not be negative, got %d", rt.RateLimit)
		}
		if rt.Timeout < 0 {
			bad(key+".timeout", "must not be negative, got %s", rt.Timeout)
		}
		if rt.MaxResponseBytes < 0 {
			bad(key+".max_response_bytes", "must not be negative, got %d", rt.MaxResponseBytes)
		}
	}
	if len(c.Proxy.Routes) == 0 {
		c.Proxy.Routes = nil
	}
}
