package siwe

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and that anything it accepts
// re-serialises to the identical text, which parses to the same message.
func FuzzParse(f *testing.F) {
	f.Add(full)
	if b, err := os.ReadFile(filepath.Join(vectorDir, "parsing_positive.json")); err == nil {
		var vs map[string]positiveVector
		if err := json.Unmarshal(b, &vs); err != nil {
			f.Fatal(err)
		}
		for _, v := range vs {
			f.Add(v.Message)
		}
	}
	if b, err := os.ReadFile(filepath.Join(vectorDir, "parsing_negative.json")); err == nil {
		var vs map[string]string
		if err := json.Unmarshal(b, &vs); err != nil {
			f.Fatal(err)
		}
		for _, v := range vs {
			f.Add(v)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(s)
		if err != nil {
			if m != nil {
				t.Fatal("Parse returned both a message and an error")
			}
			return
		}
		out := m.String()
		if out != s {
			t.Fatalf("String() differs from accepted input:\n in %q\nout %q", s, out)
		}
		m2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(String()) failed: %v\n%q", err, out)
		}
		if err := sameMessage(m, m2); err != nil {
			t.Fatalf("round trip changed the message: %v\n%q", err, out)
		}
	})
}
