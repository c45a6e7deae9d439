package blob_test

import (
	"strings"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/blob"
)

func TestValidKey(t *testing.T) {
	for _, key := range []string{
		"a", "metadata/" + strings.Repeat("ab", 32) + ".json", "media/x.png",
		".hidden", "a.b", "a-b_c/D.E", "a.b.c", strings.Repeat("k", 512),
	} {
		if err := blob.ValidKey(key); err != nil {
			t.Errorf("ValidKey(%q) = %v, want nil", key, err)
		}
	}
	for _, key := range []string{
		"", "/", "/a", "a/", "a//b", ".", "./a", "a/.", "..", "../a", "a/../b", "a..b",
		"a b", "a\\b", "a\x00", "é", "a?b", strings.Repeat("k", 513),
	} {
		if err := blob.ValidKey(key); coffer.ErrorCode(err) != coffer.EINVALID {
			t.Errorf("ValidKey(%q) = %v, want %s", key, err, coffer.EINVALID)
		}
	}
}

func TestContentType(t *testing.T) {
	if ct, err := blob.ContentType(""); err != nil || ct != blob.DefaultContentType {
		t.Errorf("ContentType(\"\") = %q, %v", ct, err)
	}
	if ct, err := blob.ContentType("image/png"); err != nil || ct != "image/png" {
		t.Errorf("ContentType(image/png) = %q, %v", ct, err)
	}
	for _, ct := range []string{"a\nb", "a\rb", "a\x7f", "ü", strings.Repeat("a", 256)} {
		if _, err := blob.ContentType(ct); coffer.ErrorCode(err) != coffer.EINVALID {
			t.Errorf("ContentType(%q) = %v, want %s", ct, err, coffer.EINVALID)
		}
	}
}
