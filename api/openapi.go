package api

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"math/big"

	"github.com/cofferhq/coffer/chain"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)(\.\.\.)?\}`)

// openapi describes the routes the server really has, from the same table
// the mux is built from.
func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	paths := map[string]map[string]any{}
	for _, rt := range s.table() {
		p := pathParam.ReplaceAllString(rt.path, "{$1}")
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		var params []map[string]any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]string{"type": "string"}})
		}
		op := map[string]any{
			"summary":     rt.summary,
			"description": "Who may call: " + rt.who + ".",
			"responses": map[string]any{
				"default": map[string]any{"description": "Error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]string{"$ref": "#/components/schemas/Error"}}}},
				"2XX":     map[string]any{"description": "Success"},
			},
		}
		if params != nil {
			op["parameters"] = params
		}
		if !strings.Contains(rt.who, "guest") {
			op["security"] = []map[string][]string{{"bearer": {}}}
		}
		if rt.method == "ANY" {
			for _, m := range []string{"get", "post", "put", "patch", "delete"} {
				paths[p][m] = op
			}
			continue
		}
		paths[p][strings.ToLower(rt.method)] = op
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]string{"title": "coffer API", "version": "v1", "description": "Self-hosted custodial Web3 backend. Addresses are EIP-55, quantities decimal strings, bytes 0x hex."},
		"servers": []map[string]string{{"url": s.cfg.PublicURL}},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]string{"type": "http", "scheme": "bearer", "description": "coffer access token (SIWE), API key ck_…, or an external OIDC JWT"}},
			"schemas": map[string]any{"Error": map[string]any{"type": "object", "properties": map[string]any{"error": map[string]any{"type": "object", "required": []string{"code", "message", "request_id"},
				"properties": map[string]any{"code": map[string]any{"type": "string", "enum": []string{"invalid", "unauthorized", "forbidden", "not_found", "conflict", "rate_limited", "unavailable", "internal"}},
					"message": map[string]string{"type": "string"}, "request_id": map[string]string{"type": "string"}}}}}},
		},
	})
	return nil
}

// docs renders the route table as a page a person can read.
func (s *Server) docs(w http.ResponseWriter, r *http.Request) error {
	var b strings.Builder
	b.WriteString("<!doctype html><meta charset=utf-8><title>coffer API</title><style>body{font:15px system-ui;margin:2em auto;max-width:60em}td,th{padding:.3em .8em;text-align:left;border-bottom:1px solid #ddd}code{font-size:14px}</style>")
	b.WriteString("<h1>coffer API v1</h1><p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a>. Errors are <code>{\"error\":{\"code\",\"message\",\"request_id\"}}</code>.</p><table><tr><th>Method</th><th>Path</th><th>Who</th><th>What</th></tr>")
	for _, rt := range s.table() {
		fmt.Fprintf(&b, "<tr><td>%s</td><td><code>%s</code></td><td>%s</td><td>%s</td></tr>", rt.method, html.EscapeString(rt.path), html.EscapeString(rt.who), html.EscapeString(rt.summary))
	}
	b.WriteString("</table>")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := w.Write([]byte(b.String()))
	return err
}

func callMsg(from common.Address, to *common.Address, value *big.Int, data []byte) ethereum.CallMsg {
	return ethereum.CallMsg{From: from, To: to, Value: value, Data: data}
}

// asRevert returns the revert reason of err, or "" if it is not a revert.
func asRevert(err error) string {
	if rev := chain.AsRevert(err); rev != nil {
		if rev.Reason == "" {
			return "no reason given"
		}
		return rev.Reason
	}
	return ""
}
