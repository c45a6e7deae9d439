package nft

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cofferhq/coffer"
)

func TestValidateMetadata(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) } // runes, not bytes, are counted
	attrs := func(n int) string {
		return "[" + strings.TrimSuffix(strings.Repeat(`{"value":1},`, n), ",") + "]"
	}
	for _, tc := range []struct {
		name string
		doc  string
		max  int64  // 0: no limit
		code string // "" = accepted
		msg  string // part of the error message
	}{
		// The document.
		{"minimal", `{"name":"a"}`, 0, "", ""},
		{"empty input", ``, 0, coffer.EINVALID, "required"},
		{"null", `null`, 0, coffer.EINVALID, "required"},
		{"null with spaces", " \n null \t", 0, coffer.EINVALID, "required"},
		{"array", `[{"name":"a"}]`, 0, coffer.EINVALID, "JSON object"},
		{"string", `"a"`, 0, coffer.EINVALID, "JSON object"},
		{"number", `1`, 0, coffer.EINVALID, "JSON object"},
		{"not JSON", `{"name":"a"`, 0, coffer.EINVALID, "JSON object"},
		{"trailing data", `{"name":"a"} {}`, 0, coffer.EINVALID, "JSON object"},
		{"unknown fields kept", `{"name":"a","edition":3,"properties":{"x":[1,2]}}`, 0, "", ""},

		// Size.
		{"at the limit", `{"name":"a"}`, 12, "", ""},
		{"over the limit", `{"name":"ab"}`, 12, coffer.ETOOLARGE, "limit is 12"},
		{"over the limit before parsing", `{"name":` + strings.Repeat(" ", 100), 50, coffer.ETOOLARGE, ""},

		// name.
		{"name missing", `{"description":"d"}`, 0, coffer.EINVALID, "metadata.name is required"},
		{"name empty", `{"name":""}`, 0, coffer.EINVALID, "metadata.name must not be empty"},
		{"name blank", `{"name":"  \t"}`, 0, coffer.EINVALID, "metadata.name must not be empty"},
		{"name null", `{"name":null}`, 0, coffer.EINVALID, "metadata.name must not be empty"},
		{"name number", `{"name":1}`, 0, coffer.EINVALID, "metadata.name must be a string"},
		{"name object", `{"name":{"en":"a"}}`, 0, coffer.EINVALID, "metadata.name must be a string"},
		{"name 200 runes", `{"name":"` + long(200) + `"}`, 0, "", ""},
		{"name 201 runes", `{"name":"` + long(201) + `"}`, 0, coffer.EINVALID, "metadata.name is longer than 200"},

		// description.
		{"description", `{"name":"a","description":"` + long(10000) + `"}`, 0, "", ""},
		{"description empty", `{"name":"a","description":""}`, 0, "", ""},
		{"description too long", `{"name":"a","description":"` + long(10001) + `"}`, 0, coffer.EINVALID, "metadata.description is longer than 10000"},
		{"description not a string", `{"name":"a","description":["d"]}`, 0, coffer.EINVALID, "metadata.description must be a string"},

		// URIs.
		{"image https", `{"name":"a","image":"https://example.com/a.png"}`, 0, "", ""},
		{"image http", `{"name":"a","image":"http://example.com/a.png"}`, 0, "", ""},
		{"image ipfs", `{"name":"a","image":"ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"}`, 0, "", ""},
		{"image ar", `{"name":"a","image":"ar://bNbA3TEQVL60xlgCcqdz4ZPHFZ711cZ3hmkpGttDt_U"}`, 0, "", ""},
		{"image data", `{"name":"a","image":"data:image/png;base64,iVBORw0KGgo="}`, 0, "", ""},
		{"image empty", `{"name":"a","image":""}`, 0, "", ""},
		{"image null", `{"name":"a","image":null}`, 0, "", ""},
		{"image javascript", `{"name":"a","image":"javascript:alert(1)"}`, 0, coffer.EINVALID, `metadata.image: scheme "javascript" not allowed`},
		{"image JAVASCRIPT", `{"name":"a","image":"JavaScript:alert(1)"}`, 0, coffer.EINVALID, `not allowed`},
		{"image file", `{"name":"a","image":"file:///etc/passwd"}`, 0, coffer.EINVALID, `metadata.image: scheme "file" not allowed`},
		{"image relative", `{"name":"a","image":"/a.png"}`, 0, coffer.EINVALID, `scheme "" not allowed`},
		{"image https without host", `{"name":"a","image":"https:///a.png"}`, 0, coffer.EINVALID, "metadata.image: URL has no host"},
		{"image http opaque", `{"name":"a","image":"http:a.png"}`, 0, coffer.EINVALID, "URL has no host"},
		{"image not a URI", `{"name":"a","image":"https://exa mple.com/%zz"}`, 0, coffer.EINVALID, "metadata.image: not a URI"},
		{"image not a string", `{"name":"a","image":1}`, 0, coffer.EINVALID, "metadata.image must be a string"},
		{"image 4096", `{"name":"a","image":"https://e.com/` + strings.Repeat("a", 4096-len("https://e.com/")) + `"}`, 0, "", ""},
		{"image too long", `{"name":"a","image":"https://e.com/` + strings.Repeat("a", 4097-len("https://e.com/")) + `"}`, 0, coffer.EINVALID, "metadata.image is longer than 4096"},
		{"external_url https", `{"name":"a","external_url":"https://example.com/t/1"}`, 0, "", ""},
		{"external_url javascript", `{"name":"a","external_url":"javascript:alert(1)"}`, 0, coffer.EINVALID, "metadata.external_url: scheme"},
		{"external_url file", `{"name":"a","external_url":"file:///x"}`, 0, coffer.EINVALID, "metadata.external_url: scheme"},
		{"animation_url ipfs", `{"name":"a","animation_url":"ipfs://Qm/a.mp4"}`, 0, "", ""},
		{"animation_url javascript", `{"name":"a","animation_url":"javascript:alert(1)"}`, 0, coffer.EINVALID, "metadata.animation_url: scheme"},
		{"animation_url file", `{"name":"a","animation_url":"file:///x"}`, 0, coffer.EINVALID, "metadata.animation_url: scheme"},
		{"youtube_url https", `{"name":"a","youtube_url":"https://www.youtube.com/watch?v=x"}`, 0, "", ""},
		{"youtube_url javascript", `{"name":"a","youtube_url":"javascript:alert(1)"}`, 0, coffer.EINVALID, "metadata.youtube_url: scheme"},
		{"youtube_url no host", `{"name":"a","youtube_url":"https://"}`, 0, coffer.EINVALID, "metadata.youtube_url: URL has no host"},
		{"other URL-looking fields are not checked", `{"name":"a","website":"javascript:x"}`, 0, "", ""},

		// background_color.
		{"background_color", `{"name":"a","background_color":"00ffAA"}`, 0, "", ""},
		{"background_color with #", `{"name":"a","background_color":"#00ffaa"}`, 0, coffer.EINVALID, "metadata.background_color is longer than 6"},
		{"background_color short", `{"name":"a","background_color":"fff"}`, 0, coffer.EINVALID, "six hex digits"},
		{"background_color not hex", `{"name":"a","background_color":"gggggg"}`, 0, coffer.EINVALID, "six hex digits"},
		{"background_color too long", `{"name":"a","background_color":"0000000"}`, 0, coffer.EINVALID, "longer than 6"},
		{"background_color number", `{"name":"a","background_color":123456}`, 0, coffer.EINVALID, "metadata.background_color must be a string"},

		// attributes.
		{"attributes", `{"name":"a","attributes":[{"trait_type":"Eyes","value":"big"},{"trait_type":"Level","value":5},{"trait_type":"Shiny","value":true},{"display_type":"number","trait_type":"Gen","value":1.5,"max_value":10},{"value":"no trait"}]}`, 0, "", ""},
		{"attributes empty", `{"name":"a","attributes":[]}`, 0, "", ""},
		{"attributes null", `{"name":"a","attributes":null}`, 0, "", ""},
		{"attributes object", `{"name":"a","attributes":{"trait_type":"x","value":1}}`, 0, coffer.EINVALID, "metadata.attributes must be an array of objects"},
		{"attributes of strings", `{"name":"a","attributes":["x"]}`, 0, coffer.EINVALID, "metadata.attributes must be an array of objects"},
		{"attributes of arrays", `{"name":"a","attributes":[[1]]}`, 0, coffer.EINVALID, "metadata.attributes must be an array of objects"},
		{"attribute null", `{"name":"a","attributes":[null]}`, 0, coffer.EINVALID, "metadata.attributes[0].value is required"},
		{"attribute without value", `{"name":"a","attributes":[{"value":1},{"trait_type":"x"}]}`, 0, coffer.EINVALID, "metadata.attributes[1].value is required"},
		{"trait_type number", `{"name":"a","attributes":[{"trait_type":1,"value":1}]}`, 0, coffer.EINVALID, "metadata.attributes[0].trait_type must be a string"},
		{"trait_type object", `{"name":"a","attributes":[{"trait_type":{},"value":1}]}`, 0, coffer.EINVALID, "metadata.attributes[0].trait_type must be a string"},
		{"value null", `{"name":"a","attributes":[{"trait_type":"x","value":null}]}`, 0, coffer.EINVALID, "metadata.attributes[0].value must be a string, number or boolean"},
		{"value object", `{"name":"a","attributes":[{"trait_type":"x","value":{"a":1}}]}`, 0, coffer.EINVALID, "must be a string, number or boolean"},
		{"value array", `{"name":"a","attributes":[{"trait_type":"x","value":[1]}]}`, 0, coffer.EINVALID, "must be a string, number or boolean"},
		{"value false", `{"name":"a","attributes":[{"value":false}]}`, 0, "", ""},
		{"value negative exponent", `{"name":"a","attributes":[{"value":-1.5e-3}]}`, 0, "", ""},
		{"200 attributes", `{"name":"a","attributes":` + attrs(200) + `}`, 0, "", ""},
		{"201 attributes", `{"name":"a","attributes":` + attrs(201) + `}`, 0, coffer.EINVALID, "metadata.attributes has 201 entries; the limit is 200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := ValidateMetadata([]byte(tc.doc), tc.max)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if !json.Valid(out) {
					t.Fatalf("output is not JSON: %s", out)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want %s containing %q: %s", tc.code, tc.msg, out)
			}
			if out != nil {
				t.Errorf("output %q with an error", out)
			}
			if got := coffer.ErrorCode(err); got != tc.code {
				t.Errorf("code %q (%v), want %q", got, err, tc.code)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
		})
	}
}

func TestValidateMetadataOutput(t *testing.T) {
	in := "\n{ \"name\" : \"Ünïcode \\u00e9 <b>&\",\n\t\"description\": \"two\\nlines\",\n" +
		"  \"attributes\": [ { \"trait_type\": \"Level\", \"value\": 1.50 } ],\n" +
		"  \"z_unknown\": {\"nested\": [1, 2, {\"k\": null}]},\n  \"a_unknown\": true }\n"
	out, err := ValidateMetadata([]byte(in), 0)
	if err != nil {
		t.Fatal(err)
	}
	// Compacted, byte for byte otherwise: field order, escapes, number
	// spelling and unknown fields are the caller's.
	want := `{"name":"Ünïcode \u00e9 <b>&","description":"two\nlines","attributes":[{"trait_type":"Level","value":1.50}],"z_unknown":{"nested":[1,2,{"k":null}]},"a_unknown":true}`
	if string(out) != want {
		t.Fatalf("output\n%s\nwant\n%s", out, want)
	}
	// Stable: validating the output gives the output; the same document
	// spelled with other whitespace gives the same bytes, so the same key.
	again, err := ValidateMetadata(out, int64(len(out)))
	if err != nil || !bytes.Equal(again, out) {
		t.Fatalf("re-validated: %s, %v", again, err)
	}
	spaced, err := ValidateMetadata([]byte(strings.ReplaceAll(in, "\n", "\r\n   ")), 0)
	if err != nil || !bytes.Equal(spaced, out) {
		t.Fatalf("other whitespace: %s, %v", spaced, err)
	}
	if MetadataKey(spaced) != MetadataKey(out) {
		t.Fatal("same document, other key")
	}
	// The input is not modified.
	if !strings.HasPrefix(in, "\n{ \"name\" : ") {
		t.Fatal("input changed")
	}
}

func TestMetadataKey(t *testing.T) {
	doc := []byte(`{"name":"a"}`)
	k := MetadataKey(doc)
	// sha256 of the bytes, hex, under metadata/.
	sum := sha256.Sum256(doc)
	if k != "metadata/"+hex.EncodeToString(sum[:])+".json" {
		t.Fatalf("key %q is not the content's sha256", k)
	}
	if MetadataKey(bytes.Clone(doc)) != k {
		t.Fatal("not stable")
	}
	if MetadataKey([]byte(`{"name":"b"}`)) == k || MetadataKey([]byte(`{"name": "a"}`)) == k {
		t.Fatal("other content, same key")
	}
	if got := MetadataKey(nil); got != "metadata/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.json" {
		t.Fatalf("empty document: %q", got)
	}
}

func FuzzValidateMetadata(f *testing.F) {
	for _, s := range []string{
		`{"name":"a"}`,
		`{"name":"a","description":"d","image":"ipfs://x","external_url":"https://e.com","background_color":"abcdef","attributes":[{"trait_type":"t","value":1},{"value":true}]}`,
		`{"name":"a","image":"javascript:alert(1)"}`,
		`{"name":"a","attributes":[{"value":null}]}`,
		`{"name":"a","attributes":[null]}`,
		`{"name":"\u0000\ud800","x":1e999}`,
		`{"name":"a","name":""}`,
		`[]`, `null`, ``, `{`, "{\"name\":\"\xff\"}",
	} {
		f.Add([]byte(s), int64(0))
	}
	f.Add([]byte(`{"name":"a"}`), int64(5))
	f.Fuzz(func(t *testing.T, raw []byte, max int64) {
		in := bytes.Clone(raw)
		out, err := ValidateMetadata(raw, max)
		if !bytes.Equal(in, raw) {
			t.Fatal("input modified")
		}
		if err != nil {
			if out != nil {
				t.Fatalf("output with an error: %v", err)
			}
			if c := coffer.ErrorCode(err); c != coffer.EINVALID && c != coffer.ETOOLARGE {
				t.Fatalf("code %q: %v", c, err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("accepted output is not JSON: %q", out)
		}
		if len(out) > len(raw) {
			t.Fatalf("output longer than input: %q → %q", raw, out)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("accepted output is not an object: %v", err)
		}
		again, err := ValidateMetadata(out, max)
		if err != nil {
			t.Fatalf("output refused: %v\n%q", err, out)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("not stable:\n%q\n%q", out, again)
		}
	})
}
