// Package api is coffer's HTTP API (../shared/spec/API.md): routing,
// middleware, request decoding and the JSON shapes of the domain types.
package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
)

// errorBody is the API's error shape.
type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeError writes err as the API error body. Internal errors are logged
// with their cause and shown to the client without it.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	s.writeErrorStatus(w, r, coffer.HTTPStatus(coffer.ErrorCode(err)), err)
}

// writeErrorStatus is writeError with a status of the caller's choosing.
func (s *Server) writeErrorStatus(w http.ResponseWriter, r *http.Request, status int, err error) {
	code := coffer.ErrorCode(err)
	var body errorBody
	body.Error.Code = coffer.PublicCode(code)
	body.Error.Message = coffer.ErrorMessage(err)
	body.Error.RequestID = coffer.RequestIDFrom(r.Context())
	if status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "request_id", body.Error.RequestID, "code", code, "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="coffer"`)
	}
	writeJSON(w, status, body)
}

// readBody reads the request body within the server's limit.
func (s *Server) readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, coffer.Errorf(coffer.ETOOLARGE, "request body is larger than %d bytes", s.cfg.MaxBodyBytes)
		}
		return nil, coffer.Errorf(coffer.EINVALID, "could not read request body: %v", err)
	}
	return body, nil
}

// decode reads a JSON body into v strictly: one object, no unknown fields,
// and type errors that name the field.
func (s *Server) decode(r *http.Request, v any) ([]byte, error) {
	body, err := s.readBody(r)
	if err != nil {
		return nil, err
	}
	// The exact common value skips the parser (and its map); anything else
	// (parameters, case) goes through it.
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return nil, coffer.Errorf(coffer.EINVALID, "Content-Type must be application/json, not %q", ct)
		}
	}
	return body, decodeJSON(body, v)
}

// decodeJSON decodes one JSON object strictly: no unknown fields, no
// trailing data, type errors that name the field.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return coffer.Errorf(coffer.EINVALID, "request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return coffer.Errorf(coffer.EINVALID, "request body has data after the JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return coffer.Errorf(coffer.EINVALID, "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return coffer.Errorf(coffer.EINVALID, "request body must be a JSON object")
		}
		return coffer.Errorf(coffer.EINVALID, "field %q must be %s, not %s", field, jsonKind(te.Type.Kind()), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return coffer.Errorf(coffer.EINVALID, "malformed JSON: unexpected end of input")
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return coffer.Errorf(coffer.EINVALID, "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	var ce *coffer.Error
	if errors.As(err, &ce) {
		return ce
	}
	return coffer.Errorf(coffer.EINVALID, "invalid JSON: %v", err)
}

func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Bool:
		return "a boolean"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Pointer:
		return "a value of another type"
	default:
		return "a number"
	}
}

// requestHash identifies a request body for idempotency checks.
func requestHash(method, path string, body []byte) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", method, path)
	h.Write(body)
	return h.Sum(nil)
}

// idempotencyKey scopes the client's Idempotency-Key to the principal.
func idempotencyKey(r *http.Request, p *coffer.Principal) (string, error) {
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return "", nil
	}
	if len(k) > 200 {
		return "", coffer.Errorf(coffer.EINVALID, "Idempotency-Key is longer than 200 characters")
	}
	return p.ID() + "|" + k, nil
}

// limitParam parses ?limit= (default 50, 1..500).
func limitParam(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 500 {
		return 0, coffer.Errorf(coffer.EINVALID, "limit must be a whole number from 1 to 500")
	}
	return n, nil
}

// statusRecorder captures the status for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (write deadlines
// of long-lived responses such as the event stream).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// middleware wraps every request: request id, panic recovery, CORS, the
// principal, and an access log line.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := r.Header.Get("X-Request-Id")
		if rid == "" || len(rid) > 64 {
			rid = coffer.NewID("req")
		}
		w.Header().Set("X-Request-Id", rid)
		ctx := coffer.WithRequestID(r.Context(), rid)
		rec := &statusRecorder{ResponseWriter: w}
		r = r.WithContext(ctx)
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("panic serving request", "request_id", rid, "panic", v, "stack", string(debug.Stack()))
				s.writeError(rec, r, fmt.Errorf("panic: %v", v))
			}
			dur := time.Since(start)
			s.metrics.observe(r.Method, r.Pattern, rec.status, dur)
			level := slog.LevelDebug
			if rec.status >= 500 {
				level = slog.LevelWarn
			}
			// Checked first: the arguments would be boxed (allocated) even
			// for a line the handler drops.
			if s.log.Enabled(ctx, level) {
				s.log.Log(ctx, level, "http", "method", r.Method, "path", r.URL.Path, "status", rec.status, "dur", dur, "request_id", rid)
			}
		}()
		if s.cors(rec, r) {
			return
		}
		// A method the path has no route for is answered 405 before the
		// credentials are looked at: here when they fail, else by the
		// mux's catch-all (routes), so that a routed request is not
		// routed twice.
		if auth := r.Header.Get("Authorization"); auth != "" {
			token, ok := strings.CutPrefix(auth, "Bearer ")
			if !ok {
				if !s.wrongMethod(rec, r) {
					s.writeError(rec, r, coffer.Errorf(coffer.EUNAUTHORIZED, "Authorization header must be \"Bearer <token>\""))
				}
				return
			}
			p, err := s.Auth.Authenticate(ctx, strings.TrimSpace(token))
			if err != nil {
				if !s.wrongMethod(rec, r) {
					s.writeError(rec, r, err)
				}
				return
			}
			r = r.WithContext(coffer.NewContext(ctx, p))
		}
		next.ServeHTTP(rec, r)
	})
}

// wrongMethod answers 405, with Allow, when r's path has routes for other
// methods only; false when it answered nothing.
func (s *Server) wrongMethod(w http.ResponseWriter, r *http.Request) bool {
	allow := s.otherMethods(r)
	if allow == "" {
		return false
	}
	w.Header().Set("Allow", allow)
	s.writeErrorStatus(w, r, http.StatusMethodNotAllowed,
		coffer.Errorf(coffer.EINVALID, "%s is not supported on %s; use %s", r.Method, r.URL.Path, allow))
	return true
}

// otherMethods lists the methods that do have a route at r's path when r's
// own method has none ("" when r has a route, or the path none at all).
func (s *Server) otherMethods(r *http.Request) string {
	if _, pattern := s.mux.Handler(r); pattern != "/" {
		return ""
	}
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	return strings.Join(allow, ", ")
}

// cors answers preflight requests from configured origins; true when done.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || !s.allowedOrigin(origin) {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "X-Request-Id")
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, X-Request-Id")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}

func (s *Server) allowedOrigin(o string) bool {
	for _, a := range s.cfg.CORSOrigins {
		if a == "*" || a == o {
			return true
		}
	}
	return false
}

// principal returns the caller, or an error if they must sign in.
func principal(ctx context.Context) (*coffer.Principal, error) {
	p := coffer.PrincipalFrom(ctx)
	if p == nil {
		return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "this endpoint needs an Authorization: Bearer token")
	}
	return p, nil
}

// admin returns the caller if they are an admin.
func admin(ctx context.Context) (*coffer.Principal, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() {
		return nil, coffer.Errorf(coffer.EFORBIDDEN, "this endpoint is for admins (operator API keys)")
	}
	return p, nil
}
