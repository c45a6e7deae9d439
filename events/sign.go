package events

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries the signature of a delivery:
//
//	Coffer-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// The key is the webhook's secret string as bytes; body is the exact request
// body. Receivers recompute it, compare in constant time and refuse a t too
// far from their clock (replays). docs/EVENTS.md has a verification snippet.
const SignatureHeader = "Coffer-Signature"

// Sign returns the Coffer-Signature header value for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verification errors.
var (
	ErrNoSignature  = errors.New("events: no t= and v1= in the signature header")
	ErrBadSignature = errors.New("events: signature does not match")
	ErrStale        = errors.New("events: signature timestamp outside the tolerance")
)

// Verify checks a Coffer-Signature header against body, as a receiver does:
// some v1 must match and t must be within tolerance of now (0: no check).
func Verify(secret, header string, body []byte, tolerance time.Duration, now time.Time) error {
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrNoSignature
	}
	if tolerance > 0 {
		if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
			return ErrStale
		}
	}
	want := []byte(mac(secret, ts, body))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrBadSignature
}

// NewSecret returns a random webhook secret: "whsec_" and 32 bytes of hex.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := cryptoRead(b); err != nil {
		panic("events: crypto/rand failed: " + err.Error())
	}
	return "whsec_" + hex.EncodeToString(b)
}

var cryptoRead = rand.Read

// Backoff is the wait before attempt n+1 after n failed attempts (n ≥ 1):
// initial doubled per attempt, capped at max, with jitter — a uniformly
// random point in the upper half [d/2, d), so that deliveries that failed
// together do not come back together.
func Backoff(n int, initial, max time.Duration, r *mrand.Rand) time.Duration {
	if n < 1 {
		n = 1
	}
	d := initial
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	if d <= 1 {
		return d
	}
	half := d / 2
	var j int64
	if r != nil {
		j = r.Int64N(int64(d - half))
	} else {
		j = mrand.Int64N(int64(d - half))
	}
	return half + time.Duration(j)
}
