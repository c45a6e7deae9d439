package main

import (
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"strings"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/config"
	"github.com/cofferhq/coffer/custody"
	"github.com/cofferhq/coffer/gateway"
	"github.com/cofferhq/coffer/txm"
)

// newGateway builds chain access (POST /v1/rpc/{chain_id}, the proxy
// routes) from rpc.* and proxy.*, reading the env:NAME values of proxy
// routes from the environment; a variable that is unset stops the start.
func newGateway(cfg config.Config, st coffer.Store, cust custody.Custodian, m *txm.Manager, log *slog.Logger) (*gateway.Gateway, error) {
	gc := gateway.Config{
		RPC: gateway.RPCConfig{
			RateLimit: cfg.RPC.RateLimit, GuestRateLimit: cfg.RPC.GuestRateLimit, MaxBatch: int(cfg.RPC.MaxBatch),
			MaxBodyBytes: cfg.RPC.MaxBodyBytes, MaxLogBlocks: cfg.RPC.MaxLogBlocks, SendWait: cfg.RPC.SendWait,
			GuestMethods: cfg.RPC.GuestMethods, UserMethods: cfg.RPC.UserMethods, AdminMethods: cfg.RPC.AdminMethods,
		},
		ProxyMaxRequestBytes: cfg.Proxy.MaxRequestBytes,
	}
	for _, c := range cfg.Chains {
		for _, u := range c.RPCURLs {
			gc.Redact = append(gc.Redact, urlSecrets(u)...)
		}
	}
	for i, r := range cfg.Proxy.Routes {
		key := fmt.Sprintf("proxy.routes[%d]", i)
		env := func(field, v string) (string, error) {
			name, ok := strings.CutPrefix(v, "env:")
			if !ok {
				return v, nil
			}
			if val := os.Getenv(name); val != "" {
				return val, nil
			}
			return "", fmt.Errorf("%s.%s: $%s is not set", key, field, name)
		}
		up, err := env("upstream", r.Upstream)
		if err != nil {
			return nil, err
		}
		rt := gateway.Route{Name: r.Name, Upstream: up, AllowPaths: r.AllowPaths, Methods: r.Methods, Roles: r.Roles,
			RateLimit: r.RateLimit, Timeout: r.Timeout, MaxResponseBytes: r.MaxResponseBytes, ForwardClientIP: r.ForwardClientIP,
			Headers: maps.Clone(r.Headers), Query: maps.Clone(r.Query)}
		for k, v := range rt.Headers {
			if rt.Headers[k], err = env("headers."+k, v); err != nil {
				return nil, err
			}
		}
		for k, v := range rt.Query {
			if rt.Query[k], err = env("query."+k, v); err != nil {
				return nil, err
			}
		}
		gc.Proxy = append(gc.Proxy, rt)
	}
	g, err := gateway.New(gateway.Deps{Store: st, Custody: cust, Txm: m, Log: log}, gc)
	if err != nil {
		return nil, err
	}
	if len(gc.Proxy) > 0 {
		log.Info("proxy routes", "count", len(gc.Proxy))
	}
	return g, nil
}

// urlSecrets are the parts of a node URL that may be an API key, for the
// gateway to scrub from what the node says: the URL itself, its password,
// query values and long path segments.
func urlSecrets(raw string) []string {
	out := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return out
	}
	if pw, ok := u.User.Password(); ok {
		out = append(out, pw)
	}
	for _, vs := range u.Query() {
		out = append(out, vs...)
	}
	for _, s := range strings.Split(u.Path, "/") {
		if len(s) >= 16 {
			out = append(out, s)
		}
	}
	return out
}
