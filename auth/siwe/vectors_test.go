package siwe

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// The shared EIP-4361 vectors live outside the module tree.
const vectorDir = "../../../shared/testvectors/siwe"

type positiveVector struct {
	Message string                     `json:"message"`
	Fields  map[string]json.RawMessage `json:"fields"`
}

func loadVectors[T any](t testing.TB, name string) map[string]T {
	t.Helper()
	if _, err := os.Stat(vectorDir); errors.Is(err, os.ErrNotExist) {
		t.Skipf("test vectors not found at %s", vectorDir)
	}
	b, err := os.ReadFile(filepath.Join(vectorDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(v) == 0 {
		t.Fatalf("%s: no vectors", name)
	}
	return v
}

func sortedKeys[T any](m map[string]T) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestVectorsPositive(t *testing.T) {
	vs := loadVectors[positiveVector](t, "parsing_positive.json")
	for _, name := range sortedKeys(vs) {
		v := vs[name]
		t.Run(name, func(t *testing.T) {
			m, err := Parse(v.Message)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := messageFields(m)
			for k, raw := range v.Fields {
				var want any
				if err := json.Unmarshal(raw, &want); err != nil {
					t.Fatal(err)
				}
				g, known := got[k]
				if !known {
					t.Errorf("vector field %q is not checked by this test", k)
					continue
				}
				if !reflect.DeepEqual(g, want) {
					t.Errorf("%s = %#v, want %#v", k, g, want)
				}
			}
			// Absent optional fields in the vector must be absent here too.
			for k, g := range got {
				if _, ok := v.Fields[k]; !ok && g != nil {
					t.Errorf("%s = %#v, vector has it absent", k, g)
				}
			}
			if s := m.String(); s != v.Message {
				t.Errorf("String() does not reproduce the input:\n got %q\nwant %q", s, v.Message)
			}
		})
	}
}

// messageFields maps m onto the vectors' JSON field names, using the same
// value shapes encoding/json produces (nil for absent, float64 for numbers).
func messageFields(m *Message) map[string]any {
	f := map[string]any{
		"scheme":         nil,
		"domain":         m.Domain,
		"address":        m.Address.Hex(),
		"statement":      nil,
		"uri":            m.URI,
		"version":        m.Version,
		"chainId":        float64(m.ChainID),
		"nonce":          m.Nonce,
		"issuedAt":       m.IssuedAtRaw,
		"expirationTime": nil,
		"notBefore":      nil,
		"requestId":      nil,
		"resources":      nil,
	}
	if m.Scheme != "" {
		f["scheme"] = m.Scheme
	}
	if m.Statement != nil {
		f["statement"] = *m.Statement
	}
	if m.ExpirationTime != nil {
		f["expirationTime"] = m.ExpirationTimeRaw
	}
	if m.NotBefore != nil {
		f["notBefore"] = m.NotBeforeRaw
	}
	if m.RequestID != nil {
		f["requestId"] = *m.RequestID
	}
	if m.Resources != nil {
		rs := make([]any, len(m.Resources))
		for i, r := range m.Resources {
			rs[i] = r
		}
		f["resources"] = rs
	}
	return f
}

func TestVectorsNegative(t *testing.T) {
	vs := loadVectors[string](t, "parsing_negative.json")
	for _, name := range sortedKeys(vs) {
		msg := vs[name]
		t.Run(name, func(t *testing.T) {
			m, err := Parse(msg)
			if err == nil {
				t.Fatalf("Parse succeeded, want error; got %+v", m)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not a *ParseError wrapping ErrMalformed", err)
			}
			t.Log(err)
		})
	}
}
