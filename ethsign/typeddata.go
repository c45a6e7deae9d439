package ethsign

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// Limits on untrusted EIP-712 input. go-ethereum's encoder re-validates every
// type and recomputes type hashes for every struct it meets, so its cost grows
// with fields × struct instances; these bounds keep one request to a few
// milliseconds while leaving room for real-world payloads (Permit2, Seaport).
const (
	MaxTypedDataSize = 128 << 10 // bytes of JSON
	maxDepth         = 16        // JSON nesting
	maxObjects       = 1024      // JSON objects, type fields included
	maxTypes         = 64
	maxFields        = 256 // over all types
	maxNameLen       = 64
	// maxDeps bounds the types one struct type reaches. go-ethereum's
	// Dependencies is cubic in it and runs for every struct instance; real
	// payloads (Seaport, Permit2) reach fewer than 8.
	maxDeps = 12
)

var (
	typeNameRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	fieldNameRe = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)
	arraySufRe  = regexp.MustCompile(`^(\[[0-9]{0,6}\])*$`)
)

// ParseTypedData decodes eth_signTypedData_v4 JSON from an untrusted source.
// It is strict: bounded size and nesting, no unknown or duplicate keys, no
// nulls, no trailing data, numbers only as safe integers (larger values must
// be decimal or hex strings, as wallets send them, so nothing is rounded
// through float64), well-formed type definitions, and the data must encode —
// what it returns, HashTypedData accepts. Errors are EINVALID (ETOOLARGE for
// size).
func ParseTypedData(data []byte) (apitypes.TypedData, error) {
	var td apitypes.TypedData
	if len(data) > MaxTypedDataSize {
		return td, coffer.Errorf(coffer.ETOOLARGE, "typed data is over %d bytes", MaxTypedDataSize)
	}
	if err := checkJSON(data); err != nil {
		return td, coffer.Errorf(coffer.EINVALID, "typed data: %v", err)
	}
	if err := checkKeys(data); err != nil {
		return td, coffer.Errorf(coffer.EINVALID, "typed data: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&td); err != nil {
		return apitypes.TypedData{}, coffer.Errorf(coffer.EINVALID, "typed data: %v", err)
	}
	if err := checkTypes(td); err != nil {
		return apitypes.TypedData{}, coffer.Errorf(coffer.EINVALID, "typed data: %v", err)
	}
	if _, err := HashTypedData(td); err != nil {
		return apitypes.TypedData{}, err
	}
	return td, nil
}

// HashTypedData returns the EIP-712 digest keccak256("\x19\x01" ‖
// domainSeparator ‖ hashStruct(message)). Data that does not encode is
// EINVALID; a panic in the encoder on malformed values (go-ethereum trusts
// its input more than a server may) is turned into one as well.
func HashTypedData(td apitypes.TypedData) (h common.Hash, err error) {
	defer func() {
		if r := recover(); r != nil {
			h, err = common.Hash{}, coffer.Errorf(coffer.EINVALID, "typed data cannot be encoded")
		}
	}()
	if td.PrimaryType == "" || td.Types[td.PrimaryType] == nil {
		return h, coffer.Errorf(coffer.EINVALID, "typed data: primary type %q is not defined", td.PrimaryType)
	}
	if td.Types["EIP712Domain"] == nil {
		return h, coffer.Errorf(coffer.EINVALID, "typed data: EIP712Domain type is not defined")
	}
	sum, _, err := apitypes.TypedDataAndHash(td)
	if err != nil {
		return h, coffer.Errorf(coffer.EINVALID, "typed data: %v", err)
	}
	return common.BytesToHash(sum), nil
}

// checkJSON walks the tokens of data once, enforcing the structural limits
// before anything is decoded into maps.
func checkJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object    bool
		expectKey bool
		keys      map[string]struct{}
	}
	var stack []*frame
	objects := 0
	// afterValue flips an enclosing object back to expecting a key.
	afterValue := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].expectKey = true
		}
	}
	started := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if !started {
				return errors.New("empty input")
			}
			return nil
		}
		if err != nil {
			return errors.New("malformed JSON")
		}
		if started && len(stack) == 0 {
			return errors.New("trailing data after the JSON object")
		}
		started = true
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expectKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:n-1]
				afterValue()
				continue
			}
			key := tok.(string) // the decoder guarantees object keys are strings
			if _, dup := stack[n-1].keys[key]; dup {
				return fmt.Errorf("duplicate key %q", truncate(key))
			}
			stack[n-1].keys[key] = struct{}{}
			stack[n-1].expectKey = false
			continue
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if len(stack) >= maxDepth {
					return fmt.Errorf("nested deeper than %d", maxDepth)
				}
				if v == '{' {
					if objects++; objects > maxObjects {
						return fmt.Errorf("more than %d objects", maxObjects)
					}
					stack = append(stack, &frame{object: true, expectKey: true, keys: map[string]struct{}{}})
				} else {
					stack = append(stack, &frame{})
				}
				if len(stack) == 1 && v != '{' {
					return errors.New("not a JSON object")
				}
				continue
			case ']':
				stack = stack[:len(stack)-1]
			}
		case nil:
			return errors.New("null values are not allowed")
		case json.Number:
			if !safeInteger(string(v)) {
				return fmt.Errorf("number %s is not a safe integer: send large or fractional values as strings", truncate(string(v)))
			}
		}
		if len(stack) == 0 {
			return errors.New("not a JSON object")
		}
		afterValue()
	}
}

// checkKeys requires the exact spelling of the keys that decode into Go
// structs: encoding/json matches those case-insensitively, so {"types": …,
// "Types": …} would otherwise be accepted with one of them silently ignored.
func checkKeys(data []byte) error {
	var top struct {
		raw    map[string]json.RawMessage
		Domain map[string]json.RawMessage `json:"domain"`
		Types  map[string][]map[string]json.RawMessage
	}
	if err := json.Unmarshal(data, &top.raw); err != nil {
		return errors.New("malformed JSON")
	}
	if err := exactKeys(top.raw, "types", "primaryType", "domain", "message"); err != nil {
		return err
	}
	if d, ok := top.raw["domain"]; ok {
		if err := json.Unmarshal(d, &top.Domain); err != nil {
			return errors.New("domain is not an object")
		}
		if err := exactKeys(top.Domain, "name", "version", "chainId", "verifyingContract", "salt"); err != nil {
			return fmt.Errorf("domain: %w", err)
		}
	}
	if t, ok := top.raw["types"]; ok {
		if err := json.Unmarshal(t, &top.Types); err != nil {
			return errors.New("types must map names to lists of {name, type}")
		}
		for name, fs := range top.Types {
			for _, f := range fs {
				if err := exactKeys(f, "name", "type"); err != nil {
					return fmt.Errorf("type %s: %w", truncate(name), err)
				}
			}
		}
	}
	return nil
}

func exactKeys(m map[string]json.RawMessage, allowed ...string) error {
	for k := range m {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return fmt.Errorf("unknown key %q", truncate(k))
		}
	}
	return nil
}

// safeInteger reports whether s is an integer literal that float64 holds
// exactly (|s| < 2^53).
func safeInteger(s string) bool {
	if strings.ContainsAny(s, ".eE") {
		return false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n > -(1<<53) && n < 1<<53
}

func checkTypes(td apitypes.TypedData) error {
	if len(td.Types) > maxTypes {
		return fmt.Errorf("more than %d types", maxTypes)
	}
	if td.Types["EIP712Domain"] == nil {
		return errors.New("EIP712Domain type is not defined")
	}
	if td.PrimaryType == "EIP712Domain" {
		return errors.New("primary type must not be EIP712Domain")
	}
	if td.Types[td.PrimaryType] == nil {
		return fmt.Errorf("primary type %q is not defined", truncate(td.PrimaryType))
	}
	if td.Message == nil {
		return errors.New("message is missing")
	}
	fields := 0
	for name, fs := range td.Types {
		if len(name) > maxNameLen || !typeNameRe.MatchString(name) || isPrimitive(name) {
			return fmt.Errorf("invalid type name %q", truncate(name))
		}
		seen := make(map[string]struct{}, len(fs))
		for _, f := range fs {
			if fields++; fields > maxFields {
				return fmt.Errorf("more than %d fields", maxFields)
			}
			if len(f.Name) > maxNameLen || !fieldNameRe.MatchString(f.Name) {
				return fmt.Errorf("type %s: invalid field name %q", name, truncate(f.Name))
			}
			if _, dup := seen[f.Name]; dup {
				return fmt.Errorf("type %s: duplicate field %q", name, f.Name)
			}
			seen[f.Name] = struct{}{}
			base, suffix, _ := strings.Cut(f.Type, "[")
			if suffix != "" || strings.Contains(f.Type, "[") {
				suffix = "[" + suffix
			}
			if !arraySufRe.MatchString(suffix) {
				return fmt.Errorf("type %s: invalid array type %q", name, truncate(f.Type))
			}
			if !isPrimitive(base) && td.Types[base] == nil {
				return fmt.Errorf("type %s: field %s has undefined type %q", name, f.Name, truncate(f.Type))
			}
			if base == "EIP712Domain" {
				return fmt.Errorf("type %s: field %s must not use EIP712Domain", name, f.Name)
			}
		}
	}
	for name := range td.Types {
		if n := len(closure(td, name, map[string]bool{})); n > maxDeps {
			return fmt.Errorf("type %s references %d types, more than %d", truncate(name), n, maxDeps)
		}
	}
	return nil
}

// closure adds to seen every struct type that t reaches, itself included.
func closure(td apitypes.TypedData, t string, seen map[string]bool) map[string]bool {
	base, _, _ := strings.Cut(t, "[")
	if seen[base] || td.Types[base] == nil {
		return seen
	}
	seen[base] = true
	for _, f := range td.Types[base] {
		closure(td, f.Type, seen)
	}
	return seen
}

func isPrimitive(t string) bool {
	switch t {
	case "address", "bool", "string", "bytes", "int", "uint":
		return true
	}
	for _, p := range []string{"bytes", "uint", "int"} {
		if rest, ok := strings.CutPrefix(t, p); ok {
			n, err := strconv.Atoi(rest)
			if err != nil || rest[0] == '0' || rest[0] == '+' {
				return false
			}
			if p == "bytes" {
				return n >= 1 && n <= 32
			}
			return n >= 8 && n <= 256 && n%8 == 0
		}
	}
	return false
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
