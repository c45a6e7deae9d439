package events_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/events"
	"github.com/cofferhq/coffer/store/sqlite"
)

func TestSignVerify(t *testing.T) {
	body := []byte(`{"id":"evt_1","type":"mint.pending"}`)
	at := time.Unix(1700000000, 0)
	h := events.Sign("whsec_k", at, body)
	// The scheme, spelled out (docs/EVENTS.md): HMAC-SHA256(secret, "<t>.<body>") in hex.
	m := hmac.New(sha256.New, []byte("whsec_k"))
	m.Write([]byte("1700000000." + string(body)))
	if want := "t=1700000000,v1=" + hex.EncodeToString(m.Sum(nil)); h != want {
		t.Fatalf("header %s, want %s", h, want)
	}
	if err := events.Verify("whsec_k", h, body, 5*time.Minute, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		secret, header string
		body           []byte
		now            time.Time
		want           error
	}{
		"other secret": {"whsec_x", h, body, at, events.ErrBadSignature},
		"other body":   {"whsec_k", h, []byte(`{}`), at, events.ErrBadSignature},
		"stale":        {"whsec_k", h, body, at.Add(time.Hour), events.ErrStale},
		"future":       {"whsec_k", h, body, at.Add(-time.Hour), events.ErrStale},
		"garbage":      {"whsec_k", "v1=abc", body, at, events.ErrNoSignature},
		"other t":      {"whsec_k", strings.Replace(h, "t=1700000000", "t=1700000001", 1), body, at, events.ErrBadSignature},
	} {
		if err := events.Verify(tc.secret, tc.header, tc.body, 5*time.Minute, tc.now); err != tc.want {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	// A rotated secret: several v1 values, one matches.
	two := h + ",v1=" + strings.Repeat("0", 64)
	if err := events.Verify("whsec_k", two, body, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	if a, b := events.NewSecret(), events.NewSecret(); a == b || !strings.HasPrefix(a, "whsec_") || len(a) != 6+64 {
		t.Fatalf("secrets %s %s", a, b)
	}
}

func TestBackoff(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	initial, max := time.Second, time.Minute
	for n := 1; n <= 40; n++ {
		want := min(initial<<min(n-1, 30), max)
		for range 100 {
			d := events.Backoff(n, initial, max, r)
			if d < want/2 || d >= want {
				t.Fatalf("attempt %d: %v outside [%v, %v)", n, d, want/2, want)
			}
		}
	}
	// Jitter spreads retries.
	seen := map[time.Duration]bool{}
	for range 50 {
		seen[events.Backoff(3, initial, max, r)] = true
	}
	if len(seen) < 40 {
		t.Fatalf("only %d distinct delays", len(seen))
	}
}

func TestURLChecks(t *testing.T) {
	strict := events.New(nil, events.Config{}, slog.New(slog.DiscardHandler))
	loose := events.New(nil, events.Config{AllowPrivateTargets: true}, slog.New(slog.DiscardHandler))
	for _, u := range []string{"ftp://example.com/x", "file:///etc/passwd", "example.com/hook", "https://", "https://u:p@example.com/", "javascript:alert(1)"} {
		if strict.ValidateURL(u) == nil || loose.ValidateURL(u) == nil {
			t.Errorf("%s accepted", u)
		}
	}
	for _, u := range []string{"http://127.0.0.1:9/x", "http://localhost/x", "http://10.1.2.3/", "http://[::1]/", "http://169.254.169.254/latest", "http://[::ffff:192.168.1.1]/", "http://100.64.0.1/"} {
		if strict.ValidateURL(u) == nil {
			t.Errorf("%s accepted without allow_private_targets", u)
		}
		if err := loose.ValidateURL(u); err != nil {
			t.Errorf("%s refused with allow_private_targets: %v", u, err)
		}
	}
	for _, u := range []string{"https://example.com/hook", "http://8.8.8.8:8080/x?y=1"} {
		if err := strict.ValidateURL(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if events.PublicAddr(netip.MustParseAddr("::ffff:10.0.0.1")) || !events.PublicAddr(netip.MustParseAddr("2606:4700::1")) {
		t.Fatal("PublicAddr")
	}
}

func openStore(t *testing.T) coffer.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestDeliveryRetriesInOrder: a receiver answering 500 twice gets the same
// event (id and body) again after a backoff, then the next one of the same
// subject — never out of order; a private target is refused when not allowed.
func TestDeliveryRetriesInOrder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st := openStore(t)
	var mu sync.Mutex
	var got []string
	fails := 2
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := events.Verify("s3cret-s3cret", r.Header.Get("Coffer-Signature"), body, time.Minute, time.Now()); err != nil {
			t.Errorf("signature: %v", err)
		}
		var p struct{ ID, Type string }
		_ = json.Unmarshal(body, &p)
		if p.ID != r.Header.Get("Coffer-Event-Id") || p.Type != r.Header.Get("Coffer-Event-Type") {
			t.Errorf("headers %v for %s", r.Header, body)
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, p.ID)
		if fails > 0 {
			fails--
			w.WriteHeader(500)
			return
		}
		w.WriteHeader(204)
	}))
	defer srv.Close()
	svc := events.New(st, events.Config{AllowPrivateTargets: true, RetryInitial: 20 * time.Millisecond, PollInterval: 10 * time.Millisecond}, slog.New(slog.DiscardHandler))
	wh := &coffer.Webhook{URL: srv.URL, Events: []string{"platform.*"}, Secret: "s3cret-s3cret"}
	if err := st.CreateWebhook(ctx, wh); err != nil {
		t.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { svc.Run(runCtx); close(done) }()
	var ids []string
	for i := range 3 {
		e := &coffer.Event{Type: coffer.EventLowBalance, Subject: "platform:1", Data: json.RawMessage(`{"n":` + string(rune('0'+i)) + `}`)}
		if err := svc.Publish(ctx, e); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	want := []string{ids[0], ids[0], ids[0], ids[1], ids[2]}
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= len(want) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("received %v", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("received %v, want %v", got, want)
	}
	mu.Unlock()
	ds, _, err := st.Deliveries(ctx, wh.ID, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Status != coffer.DeliveryDelivered {
			t.Fatalf("delivery %+v", d)
		}
	}
	if d := ds[len(ds)-1]; d.Attempts != 3 || d.LastCode != 204 {
		t.Fatalf("first delivery %+v", d)
	}

	stopRun()
	<-done

	// The same receiver through a strict service: refused at connect time.
	strict := events.New(st, events.Config{RetryInitial: time.Hour, PollInterval: 10 * time.Millisecond}, slog.New(slog.DiscardHandler))
	if err := strict.ValidateURL(srv.URL); err == nil {
		t.Fatal("loopback URL accepted")
	}
	wh2 := &coffer.Webhook{URL: strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), Events: []string{"platform.*"}, Secret: "x"}
	if err := st.CreateWebhook(ctx, wh2); err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithCancel(ctx)
	defer scancel()
	go strict.Run(sctx)
	if err := strict.Publish(ctx, &coffer.Event{Type: coffer.EventLowBalance, Data: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	for {
		ds, _, _ := st.Deliveries(ctx, wh2.ID, 1, "")
		if len(ds) == 1 && ds[0].LastError != "" {
			if !strings.Contains(ds[0].LastError, "not a public address") || ds[0].Status != coffer.DeliveryPending {
				t.Fatalf("strict delivery %+v", ds[0])
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatal("no attempt")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
