package gateway

// # Proxy routes
//
// ANY /v1/proxy/{name}/{path…} forwards to a configured third-party HTTP API
// (NFT APIs, price feeds…) so that its API key stays on the server:
//
//   - who: the route's roles (guest, user, admin; default user and admin);
//     a guest where guests are not allowed is 401, others 403;
//   - what: the route's methods (default GET, HEAD) and allow_paths, matched
//     against the decoded path after the route name. A pattern is a path
//     whose segments are path.Match globs (* within one segment); a last
//     segment ** matches one or more further segments. Paths with dot
//     segments, empty segments, encoded slashes, backslashes or dots
//     (%2f, %5c, %2e), double encoding or control characters are refused
//     (400) before matching, so nothing escapes the allowlist;
//   - how much: rate_limit calls per minute per principal (guests: per
//     address), 429 with Retry-After beyond it;
//   - the request upstream: the client's query plus the route's own (a
//     client cannot set or override an injected parameter), the route's
//     headers set server-side, and never the client's Authorization, Cookie,
//     Proxy-Authorization, Origin, Referer, Forwarded/X-Forwarded-*/X-Real-IP
//     or hop-by-hop headers. The caller's IP goes upstream only with
//     forward_client_ip (as X-Forwarded-For: the one address coffer saw;
//     third parties otherwise learn nothing about coffer's users);
//     redirects are not followed (an injected header must never reach
//     another host);
//   - the answer: status and body as the upstream sent them, within
//     max_response_bytes (else 502), buffered (no streaming), without
//     Set-Cookie, CORS (coffer's own apply), Alt-Svc or hop-by-hop headers;
//     every injected secret (header and query values of 8 characters or
//     more, passwords and long path segments of the upstream URL) is
//     replaced by *** in headers and body, and in coffer's logs.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
)

// Route is one configured proxy route, its secrets already resolved.
type Route struct {
	Name             string
	Upstream         string            // base URL; the path after the route name is appended
	AllowPaths       []string          // patterns (see above)
	Methods          []string          // default GET, HEAD
	Headers          map[string]string // set on every upstream request
	Query            map[string]string // added to every upstream query
	Roles            []string          // guest, user, admin; default user, admin
	RateLimit        int64             // per principal per minute; 0 = no limit
	Timeout          time.Duration     // whole upstream exchange
	MaxResponseBytes int64
	ForwardClientIP  bool
}

type route struct {
	Route
	base     *url.URL
	patterns [][]string
	limit    *limiter
	client   *http.Client
}

var routeName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Roles a route may admit.
var routeRoles = []string{"guest", "user", "admin"}

// CheckRoute validates a route's shape (not its secrets' values).
func CheckRoute(rt Route) error {
	_, err := newRoute(rt)
	return err
}

func newRoute(rt Route) (*route, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("gateway: proxy route %q: %s", rt.Name, fmt.Sprintf(format, args...))
	}
	if !routeName.MatchString(rt.Name) {
		return nil, bad("the name must be 1-63 of a-z, 0-9, _ and -, starting with a letter or digit")
	}
	u, err := url.Parse(rt.Upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return nil, bad("upstream must be an http(s) URL with a host and no fragment")
	}
	if len(rt.AllowPaths) == 0 {
		return nil, bad("allow_paths is empty: list the paths callers may reach (e.g. /v1/nfts/**)")
	}
	r := &route{Route: rt, base: u, limit: newLimiter(rt.RateLimit)}
	for _, p := range rt.AllowPaths {
		if !strings.HasPrefix(p, "/") {
			return nil, bad("allow_paths entry %q must start with /", p)
		}
		segs := strings.Split(p[1:], "/")
		for i, s := range segs {
			if s == "." || s == ".." || (s == "" && i < len(segs)-1) || (s == "**" && i != len(segs)-1) {
				return nil, bad("allow_paths entry %q: no empty or dot segments; ** only at the end", p)
			}
			if _, err := path.Match(s, ""); err != nil {
				return nil, bad("allow_paths entry %q: %v", p, err)
			}
		}
		r.patterns = append(r.patterns, segs)
	}
	if len(r.Methods) == 0 {
		r.Methods = []string{http.MethodGet, http.MethodHead}
	}
	for i, m := range r.Methods {
		m = strings.ToUpper(m)
		if !slices.Contains([]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}, m) {
			return nil, bad("method %q is not one of GET, HEAD, POST, PUT, PATCH, DELETE", m)
		}
		r.Methods[i] = m
	}
	if len(r.Roles) == 0 {
		r.Roles = []string{"user", "admin"}
	}
	for _, role := range r.Roles {
		if !slices.Contains(routeRoles, role) {
			return nil, bad("role %q is not one of guest, user, admin", role)
		}
	}
	for k := range rt.Headers {
		if ck := textproto.CanonicalMIMEHeaderKey(k); !validHeaderName(k) || (dropRequestHeader(ck) && ck != "Authorization") {
			return nil, bad("header %q cannot be injected", k)
		}
	}
	for k := range rt.Query {
		if k == "" {
			return nil, bad("a query parameter needs a name")
		}
	}
	if r.RateLimit < 0 || r.MaxResponseBytes < 0 || r.Timeout < 0 {
		return nil, bad("rate_limit, max_response_bytes and timeout must not be negative")
	}
	if r.Timeout == 0 {
		r.Timeout = DefaultProxyTimeout
	}
	if r.MaxResponseBytes == 0 {
		r.MaxResponseBytes = DefaultProxyMaxResp
	}
	r.client = &http.Client{
		Transport: proxyTransport,
		// An injected header must never follow a redirect to another host:
		// the client gets the 3xx.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return r, nil
}

var proxyTransport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	t.ResponseHeaderTimeout = time.Minute
	return t
}()

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c)) {
			return false
		}
	}
	return true
}

// secrets lists what must never be shown: injected values long enough to
// be keys, and the secret parts of the upstream URL.
func (r *route) secrets() []string {
	var out []string
	add := func(s string) {
		if len(s) >= 8 {
			out = append(out, s, "***")
			if e := url.QueryEscape(s); e != s {
				out = append(out, e, "***")
			}
		}
	}
	for _, v := range r.Headers {
		add(v)
		if _, tok, ok := strings.Cut(v, " "); ok { // "Bearer <key>"
			add(tok)
		}
	}
	for _, v := range r.Query {
		add(v)
	}
	if pw, ok := r.base.User.Password(); ok {
		add(pw)
	}
	for _, vs := range r.base.Query() {
		for _, v := range vs {
			add(v)
		}
	}
	for _, s := range strings.Split(r.base.Path, "/") {
		if len(s) >= 16 { // keys in the path (…/v2/<key>/…)
			add(s)
		}
	}
	return out
}

func roleOf(p *coffer.Principal) string {
	switch {
	case p == nil:
		return "guest"
	case p.IsAdmin():
		return "admin"
	default:
		return "user"
	}
}

// match reports whether the decoded path p is allowed.
func (r *route) match(p string) bool {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for _, pat := range r.patterns {
		if matchSegments(pat, segs) {
			return true
		}
	}
	return false
}

func matchSegments(pat, segs []string) bool {
	for i, ps := range pat {
		if ps == "**" {
			return len(segs) > i
		}
		if i >= len(segs) {
			return false
		}
		if ok, _ := path.Match(ps, segs[i]); !ok {
			return false
		}
	}
	return len(pat) == len(segs)
}

// proxyPath returns the path after /v1/proxy/{name}: as sent (escaped, to
// forward) and decoded (to match), refusing anything that could climb out
// of the allowlist once an upstream decodes or normalises it.
func proxyPath(r *http.Request, name string) (escaped, decoded string, _ error) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/v1/proxy/"+name+"/")
	if !ok {
		return "", "", coffer.Errorf(coffer.EINVALID, "proxy path must be /v1/proxy/%s/<path>", name)
	}
	rest = "/" + rest
	lower := strings.ToLower(rest)
	for _, bad := range []string{"%2f", "%5c", "%2e", "%25", "%00", "\\"} {
		if strings.Contains(lower, bad) {
			return "", "", coffer.Errorf(coffer.EINVALID, "proxy path may not contain encoded slashes, backslashes, dots or percent signs")
		}
	}
	dec, err := url.PathUnescape(rest)
	if err != nil {
		return "", "", coffer.Errorf(coffer.EINVALID, "proxy path is not valid percent-encoding")
	}
	segs := strings.Split(dec[1:], "/")
	for i, s := range segs {
		if s == "." || s == ".." {
			return "", "", coffer.Errorf(coffer.EINVALID, "proxy path may not contain . or .. segments")
		}
		if s == "" && i < len(segs)-1 {
			return "", "", coffer.Errorf(coffer.EINVALID, "proxy path may not contain empty segments (//)")
		}
		if strings.IndexFunc(s, func(c rune) bool { return c < 0x20 || c == 0x7f }) >= 0 {
			return "", "", coffer.Errorf(coffer.EINVALID, "proxy path may not contain control characters")
		}
	}
	return rest, dec, nil
}

// Request headers that never go upstream (canonical names).
var droppedRequest = set("Authorization", "Proxy-Authorization", "Cookie", "Host", "Forwarded", "X-Forwarded-For",
	"X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Real-Ip", "Origin", "Referer", "X-Request-Id",
	"Accept-Encoding", "Content-Length", "Expect")

// Hop-by-hop headers (RFC 9110 7.6.1), dropped both ways.
var hopByHop = set("Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Te", "Trailer", "Transfer-Encoding", "Upgrade")

func dropRequestHeader(k string) bool { return droppedRequest[k] || hopByHop[k] }

// Response headers that never reach the client.
func dropResponseHeader(k string) bool {
	return hopByHop[k] || k == "Set-Cookie" || k == "Set-Cookie2" || k == "Content-Length" || k == "Alt-Svc" ||
		k == "X-Request-Id" || strings.HasPrefix(k, "Access-Control-")
}

// connectionHeaders are the headers a Connection header names (hop-by-hop too).
func connectionHeaders(h http.Header) map[string]bool {
	out := map[string]bool{}
	for _, v := range h.Values("Connection") {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out[textproto.CanonicalMIMEHeaderKey(f)] = true
			}
		}
	}
	return out
}

// Proxy serves ANY /v1/proxy/{name}/{path...}.
func (g *Gateway) Proxy(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	rt := g.routes[name]
	if rt == nil {
		return coffer.Errorf(coffer.ENOTFOUND, "no proxy route %q", name)
	}
	ctx := r.Context()
	p := coffer.PrincipalFrom(ctx)
	if !slices.Contains(rt.Roles, roleOf(p)) {
		if p == nil {
			return coffer.Errorf(coffer.EUNAUTHORIZED, "proxy route %s needs an Authorization: Bearer token", name)
		}
		return coffer.Errorf(coffer.EFORBIDDEN, "proxy route %s is for %s", name, strings.Join(rt.Roles, ", "))
	}
	if !slices.Contains(rt.Methods, r.Method) {
		w.Header().Set("Allow", strings.Join(rt.Methods, ", "))
		return coffer.Errorf(coffer.EFORBIDDEN, "proxy route %s allows %s, not %s", name, strings.Join(rt.Methods, ", "), r.Method)
	}
	escaped, decoded, err := proxyPath(r, name)
	if err != nil {
		return err
	}
	if !rt.match(decoded) {
		return coffer.Errorf(coffer.EFORBIDDEN, "path %s is not allowed on proxy route %s", decoded, name)
	}
	if ok, wait := rt.limit.take(rateKey(r, p), 1); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(wait)))
		return coffer.Errorf(coffer.ERATELIMITED, "proxy route %s: rate limit of %d calls a minute; retry in %ds", name, rt.RateLimit, retrySeconds(wait))
	}
	var body io.Reader
	if r.Body != nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
		b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, g.cfg.ProxyMaxRequestBytes))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return coffer.Errorf(coffer.ETOOLARGE, "request body is larger than %d bytes", g.cfg.ProxyMaxRequestBytes)
			}
			return coffer.Errorf(coffer.EINVALID, "could not read request body: %v", err)
		}
		body = bytes.NewReader(b)
	}

	// The upstream URL: base path + the path as sent; the client's query
	// without the route's parameters, then the base's and the route's.
	q := r.URL.Query()
	for k := range rt.Query {
		q.Del(k)
	}
	for k, vs := range rt.base.Query() {
		q.Del(k)
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	for k, v := range rt.Query {
		q.Set(k, v)
	}
	target, err := url.Parse(rt.base.Scheme + "://" + rt.base.Host + strings.TrimSuffix(rt.base.EscapedPath(), "/") + escaped)
	if err != nil {
		return coffer.Errorf(coffer.EINVALID, "proxy path cannot be forwarded")
	}
	target.User = rt.base.User
	target.RawQuery = q.Encode()

	uctx, cancel := context.WithTimeout(ctx, rt.Timeout)
	defer cancel()
	out, err := http.NewRequestWithContext(uctx, r.Method, target.String(), body)
	if err != nil {
		return coffer.WrapError(coffer.EINTERNAL, g.cause(err), "proxy route %s: bad request", name)
	}
	conn := connectionHeaders(r.Header)
	for k, vs := range r.Header {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if dropRequestHeader(ck) || conn[ck] || rt.injects(ck) {
			continue
		}
		out.Header[ck] = slices.Clone(vs)
	}
	for k, v := range rt.Headers {
		out.Header.Set(k, v)
	}
	if rid := coffer.RequestIDFrom(ctx); rid != "" {
		out.Header.Set("X-Request-Id", rid)
	}
	if rt.ForwardClientIP {
		out.Header.Set("X-Forwarded-For", clientIP(r))
	}
	if out.Header.Get("User-Agent") == "" {
		out.Header.Set("User-Agent", "coffer-proxy")
	}

	start := time.Now()
	resp, err := rt.client.Do(out)
	if err != nil {
		g.Log.Warn("proxy: upstream failed", "route", name, "path", decoded, "request_id", coffer.RequestIDFrom(ctx), "err", g.cause(err))
		if uctx.Err() != nil && ctx.Err() == nil {
			return coffer.Errorf(coffer.EUNAVAILABLE, "proxy route %s: the upstream did not answer within %s", name, rt.Timeout)
		}
		return coffer.Errorf(coffer.EUNAVAILABLE, "proxy route %s: the upstream is unavailable", name)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, rt.MaxResponseBytes+1))
	if err != nil {
		g.Log.Warn("proxy: reading the upstream answer failed", "route", name, "request_id", coffer.RequestIDFrom(ctx), "err", g.cause(err))
		return coffer.Errorf(coffer.EUNAVAILABLE, "proxy route %s: the upstream answer broke off", name)
	}
	if int64(len(data)) > rt.MaxResponseBytes {
		return &coffer.Error{Code: coffer.EUNAVAILABLE, Message: fmt.Sprintf("proxy route %s: the upstream answer is larger than %d bytes", name, rt.MaxResponseBytes)}
	}
	data = []byte(g.scrub(string(data)))
	conn = connectionHeaders(resp.Header)
	h := w.Header()
	for k, vs := range resp.Header {
		if dropResponseHeader(k) || conn[k] {
			continue
		}
		for _, v := range vs {
			h.Add(k, g.scrub(v))
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(resp.StatusCode)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
	g.Log.Debug("proxy", "route", name, "method", r.Method, "path", decoded, "status", resp.StatusCode, "bytes", len(data),
		"dur", time.Since(start), "principal", p.ID(), "request_id", coffer.RequestIDFrom(ctx))
	return nil
}

// injects reports whether the route sets header k itself.
func (r *route) injects(k string) bool {
	for h := range r.Headers {
		if textproto.CanonicalMIMEHeaderKey(h) == k {
			return true
		}
	}
	return false
}
