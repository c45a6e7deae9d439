// Package nft deploys coffer's ERC-721 collections and mints into them:
// metadata is validated and stored first, then the mint is queued on the
// transaction manager; receipts move mints and collections along.
package nft

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/cofferhq/coffer"
)

var hexColor = regexp.MustCompile(`^[0-9a-fA-F]{6}$`)

// ValidateMetadata checks ERC-721 metadata JSON (with the OpenSea
// conventions) and returns it compacted, ready to store. Unknown fields are
// kept: marketplaces define many.
func ValidateMetadata(raw []byte, maxBytes int64) ([]byte, error) {
	if len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, coffer.Errorf(coffer.EINVALID, "metadata is required")
	}
	if maxBytes > 0 && int64(len(raw)) > maxBytes {
		return nil, coffer.Errorf(coffer.ETOOLARGE, "metadata is %d bytes; the limit is %d", len(raw), maxBytes)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, coffer.Errorf(coffer.EINVALID, "metadata must be a JSON object")
	}
	str := func(field string, required bool, maxLen int) (string, error) {
		v, ok := m[field]
		if !ok {
			if required {
				return "", coffer.Errorf(coffer.EINVALID, "metadata.%s is required", field)
			}
			return "", nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", coffer.Errorf(coffer.EINVALID, "metadata.%s must be a string", field)
		}
		if required && strings.TrimSpace(s) == "" {
			return "", coffer.Errorf(coffer.EINVALID, "metadata.%s must not be empty", field)
		}
		if utf8.RuneCountInString(s) > maxLen {
			return "", coffer.Errorf(coffer.EINVALID, "metadata.%s is longer than %d characters", field, maxLen)
		}
		return s, nil
	}
	if _, err := str("name", true, 200); err != nil {
		return nil, err
	}
	if _, err := str("description", false, 10000); err != nil {
		return nil, err
	}
	for _, f := range []string{"image", "external_url", "animation_url", "youtube_url"} {
		s, err := str(f, false, 4096)
		if err != nil {
			return nil, err
		}
		if s != "" {
			if err := validURI(s); err != nil {
				return nil, coffer.Errorf(coffer.EINVALID, "metadata.%s: %v", f, err)
			}
		}
	}
	if s, err := str("background_color", false, 6); err != nil {
		return nil, err
	} else if s != "" && !hexColor.MatchString(s) {
		return nil, coffer.Errorf(coffer.EINVALID, "metadata.background_color must be six hex digits without '#'")
	}
	if a, ok := m["attributes"]; ok {
		var attrs []map[string]json.RawMessage
		if err := json.Unmarshal(a, &attrs); err != nil {
			return nil, coffer.Errorf(coffer.EINVALID, "metadata.attributes must be an array of objects")
		}
		if len(attrs) > 200 {
			return nil, coffer.Errorf(coffer.EINVALID, "metadata.attributes has %d entries; the limit is 200", len(attrs))
		}
		for i, at := range attrs {
			if tt, ok := at["trait_type"]; ok {
				var s string
				if json.Unmarshal(tt, &s) != nil {
					return nil, coffer.Errorf(coffer.EINVALID, "metadata.attributes[%d].trait_type must be a string", i)
				}
			}
			v, ok := at["value"]
			if !ok {
				return nil, coffer.Errorf(coffer.EINVALID, "metadata.attributes[%d].value is required", i)
			}
			var scalar any
			if json.Unmarshal(v, &scalar) != nil {
				return nil, coffer.Errorf(coffer.EINVALID, "metadata.attributes[%d].value is not valid JSON", i)
			}
			switch scalar.(type) {
			case string, float64, bool:
			default:
				return nil, coffer.Errorf(coffer.EINVALID, "metadata.attributes[%d].value must be a string, number or boolean", i)
			}
		}
	}
	var out bytes.Buffer
	if err := json.Compact(&out, raw); err != nil {
		return nil, coffer.Errorf(coffer.EINVALID, "metadata is not valid JSON")
	}
	return out.Bytes(), nil
}

func validURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URI")
	}
	switch u.Scheme {
	case "https", "http":
		if u.Host == "" {
			return fmt.Errorf("URL has no host")
		}
	case "ipfs", "ar", "data":
	default:
		return fmt.Errorf("scheme %q not allowed (use https, http, ipfs, ar or data)", u.Scheme)
	}
	return nil
}

// MetadataKey is where metadata with this content is stored: content
// addressed, so a stored document never changes under its token URI.
func MetadataKey(doc []byte) string {
	sum := sha256.Sum256(doc)
	return "metadata/" + hex.EncodeToString(sum[:]) + ".json"
}
