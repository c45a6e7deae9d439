// Package blob holds what the coffer.Blob implementations (blob/fs, blob/s3)
// share: the rules for keys and content types, so that every backend accepts
// and rejects exactly the same input.
package blob

import (
	"strings"

	"github.com/cofferhq/coffer"
)

const (
	// MaxKeyLen is the longest key in bytes; well under S3's 1024 so a
	// deployment prefix still fits.
	MaxKeyLen = 512
	// MaxContentTypeLen bounds the content type stored with each object.
	MaxContentTypeLen = 255
	// DefaultContentType is stored when Put is given an empty content type.
	DefaultContentType = "application/octet-stream"
)

// ValidKey reports whether key may name a blob: 1..MaxKeyLen bytes of
// "/"-separated segments made of [A-Za-z0-9._-], with no empty segment (so no
// leading, trailing or doubled "/"), no "." segment and no ".." anywhere.
// These rules keep keys portable across backends and rule out path traversal.
// A bad key is EINVALID.
func ValidKey(key string) error {
	if key == "" {
		return coffer.Errorf(coffer.EINVALID, "blob key is empty")
	}
	if len(key) > MaxKeyLen {
		return coffer.Errorf(coffer.EINVALID, "blob key is longer than %d bytes", MaxKeyLen)
	}
	if strings.Contains(key, "..") {
		return coffer.Errorf(coffer.EINVALID, "blob key %q contains \"..\"", key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" {
			return coffer.Errorf(coffer.EINVALID, "blob key %q has an empty segment", key)
		}
		if seg == "." {
			return coffer.Errorf(coffer.EINVALID, "blob key %q has a \".\" segment", key)
		}
		for i := 0; i < len(seg); i++ {
			if !keyByte(seg[i]) {
				return coffer.Errorf(coffer.EINVALID, "blob key %q: character %q is not allowed", key, seg[i])
			}
		}
	}
	return nil
}

func keyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

// ContentType validates ct and returns what to store: DefaultContentType for
// "", otherwise ct itself if it is at most MaxContentTypeLen bytes of
// printable ASCII (it travels as an HTTP header, where control characters
// and non-ASCII bytes are not portable). A bad content type is EINVALID.
func ContentType(ct string) (string, error) {
	if ct == "" {
		return DefaultContentType, nil
	}
	if len(ct) > MaxContentTypeLen {
		return "", coffer.Errorf(coffer.EINVALID, "content type is longer than %d bytes", MaxContentTypeLen)
	}
	for i := 0; i < len(ct); i++ {
		if ct[i] < 0x20 || ct[i] > 0x7e {
			return "", coffer.Errorf(coffer.EINVALID, "content type contains byte %#x", ct[i])
		}
	}
	return ct, nil
}
