package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/events"
)

// received is one webhook request as the receiver saw it.
type received struct {
	id, typ, subject string
	body             []byte
	status           int
}

// receiver is an httptest webhook endpoint: it checks every signature and
// answers 500 to the first two attempts of the first mint.* event it sees
// (the test's one mint: a transaction event may also come from elsewhere,
// such as the demo collection's deployment being confirmed).
type receiver struct {
	t      *testing.T
	mu     sync.Mutex
	secret string
	first  string
	reqs   []received
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err := events.Verify(rc.secret, r.Header.Get("Coffer-Signature"), body, 5*time.Minute, time.Now()); err != nil {
		rc.t.Errorf("delivery %s: %v", r.Header.Get("Coffer-Event-Id"), err)
	}
	var p struct {
		ID, Type  string
		CreatedAt time.Time `json:"created_at"`
		Data      struct{ ID string }
	}
	if err := json.Unmarshal(body, &p); err != nil || p.ID != r.Header.Get("Coffer-Event-Id") || p.Type != r.Header.Get("Coffer-Event-Type") || p.CreatedAt.IsZero() {
		rc.t.Errorf("delivery body %s headers %v: %v", body, r.Header, err)
	}
	if rc.first == "" && strings.HasPrefix(p.Type, "mint.") {
		rc.first = p.ID
	}
	status := http.StatusNoContent
	if p.ID == rc.first && rc.count(p.ID) < 2 {
		status = http.StatusInternalServerError
	}
	rc.reqs = append(rc.reqs, received{id: p.ID, typ: p.Type, subject: p.Data.ID, body: body, status: status})
	w.WriteHeader(status)
}

func (rc *receiver) count(id string) int {
	n := 0
	for _, r := range rc.reqs {
		if r.id == id {
			n++
		}
	}
	return n
}

// delivered returns the types delivered (2xx) for subject, in order of arrival.
func (rc *receiver) delivered(subject string) []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []string
	for _, r := range rc.reqs {
		if r.subject == subject && r.status < 300 {
			out = append(out, r.typ)
		}
	}
	return out
}

// inOrder reports whether types are the whole life of a confirmed object
// in order: queued, pending, mined (skipped when one block confirms),
// confirmed — each once.
func inOrder(types []string, prefix string) bool {
	want := []string{prefix + "queued", prefix + "pending", prefix + "confirmed"}
	if len(types) == 4 {
		want = slices.Insert(want, 2, prefix+"mined")
	}
	return slices.Equal(types, want)
}

func eventsConfig(t *testing.T) *devInstance {
	cfg := devConfig(t, t.TempDir())
	cfg.Events.PollInterval = 50 * time.Millisecond
	cfg.Events.RetryInitial = 50 * time.Millisecond
	cfg.Events.Heartbeat = 200 * time.Millisecond
	cfg.HTTP.WriteTimeout = time.Second // streams outlive it
	return startTestDev(t, cfg)
}

// TestWebhooksEndToEnd: a webhook registered through the API receives the
// transaction.* and mint.* events of a mint, signed, each object's events in
// the order they happened; the first mint event is answered 500 twice and comes
// again with the same id and body; deliveries are listed; bad input is a 400.
func TestWebhooksEndToEnd(t *testing.T) {
	d := eventsConfig(t)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	admin := &client{base: d.cfg.HTTP.PublicURL, token: d.AdminKey, http: httpClient()}

	rc := &receiver{t: t}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	var wh struct {
		ID, URL, Secret string
		Events          []string
	}
	rc.mu.Lock()
	if err := admin.do(ctx, "POST", "/v1/webhooks", map[string]any{"url": srv.URL + "/hook", "events": []string{"transaction.*", "mint.*", "mint.pending"}}, &wh); err != nil {
		t.Fatal(err)
	}
	rc.secret = wh.Secret
	rc.mu.Unlock()
	if !strings.HasPrefix(wh.Secret, "whsec_") || wh.ID == "" || !slices.Equal(wh.Events, []string{"mint.*", "transaction.*"}) {
		t.Fatalf("created %+v", wh)
	}
	for _, bad := range []map[string]any{
		{"url": "ftp://example.com/x", "events": []string{"mint.*"}},
		{"url": srv.URL, "events": []string{"mint.exploded"}},
		{"url": srv.URL, "events": []string{}},
		{"url": srv.URL, "events": []string{"mint.*"}, "secret": "short"},
		{"url": srv.URL, "events": []string{"mint.*"}, "extra": 1},
	} {
		if err := admin.do(ctx, "POST", "/v1/webhooks", bad, nil); err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("%v: %v", bad, err)
		}
	}

	user, _, _ := signedIn(t, ctx, d.cfg.HTTP.PublicURL)
	if err := user.do(ctx, "GET", "/v1/webhooks", nil, nil); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("user listed webhooks: %v", err)
	}
	var m mintResp
	if err := user.do(ctx, "POST", "/v1/collections/"+d.Demo.ID+"/mint", map[string]any{"metadata": map[string]any{"name": "hooked"}}, &m); err != nil {
		t.Fatal(err)
	}
	if waitMint(t, ctx, user, m.ID).Status != "confirmed" {
		t.Fatal("mint failed")
	}
	for !inOrder(rc.delivered(m.TransactionID), "transaction.") || !inOrder(rc.delivered(m.ID), "mint.") {
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			t.Fatalf("delivered: transaction %v, mint %v", rc.delivered(m.TransactionID), rc.delivered(m.ID))
		}
	}

	// The first event came three times, identical; every other once.
	rc.mu.Lock()
	var firstBodies [][]byte
	ids := map[string]int{}
	for _, r := range rc.reqs {
		ids[r.id]++
		if r.id == rc.first {
			firstBodies = append(firstBodies, r.body)
		}
	}
	rc.mu.Unlock()
	if len(firstBodies) != 3 || !bytes.Equal(firstBodies[0], firstBodies[2]) {
		rc.mu.Lock()
		var log []string
		for _, r := range rc.reqs {
			log = append(log, fmt.Sprintf("%s %s %s %d", r.id, r.typ, r.subject, r.status))
		}
		rc.mu.Unlock()
		t.Fatalf("first event delivered %d times; requests (mint %s, transaction %s):\n%s", len(firstBodies), m.ID, m.TransactionID, strings.Join(log, "\n"))
	}
	for id, n := range ids {
		if id != rc.first && n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}

	type delivery struct {
		EventID  string `json:"event_id"`
		Status   string
		Attempts int
		LastCode int `json:"last_status_code"`
	}
	var ds struct{ Items []delivery }
	// The receiver has seen every request; the sender records each outcome
	// just after the answer, so the last one may still be on its way.
	for {
		if err := admin.do(ctx, "GET", "/v1/webhooks/"+wh.ID+"/deliveries?limit=500", nil, &ds); err != nil {
			t.Fatal(err)
		}
		pending := slices.ContainsFunc(ds.Items, func(d delivery) bool { return d.Status == "pending" })
		if !pending || sleep(ctx, 20*time.Millisecond) != nil {
			break
		}
	}
	for _, it := range ds.Items {
		attempts := 1
		if it.EventID == rc.first {
			attempts = 3
		}
		if len(ds.Items) != len(ids) || ids[it.EventID] != attempts || it.Attempts != attempts || it.Status != "delivered" || it.LastCode != 204 {
			t.Fatalf("deliveries %+v (%d events)", ds.Items, len(ids))
		}
	}
	var list struct{ Items []map[string]any }
	if err := admin.do(ctx, "GET", "/v1/webhooks", nil, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0]["secret"] != nil || list.Items[0]["id"] != wh.ID {
		t.Fatalf("listed %v", list.Items)
	}
	if err := admin.do(ctx, "DELETE", "/v1/webhooks/"+wh.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := admin.do(ctx, "DELETE", "/v1/webhooks/"+wh.ID, nil, nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("second delete: %v", err)
	}
}

// sseEvent is one message of an event stream.
type sseEvent struct {
	ID, Type string
	Data     struct {
		ID   string
		Type string
		Data struct {
			ID      string
			TokenID *string `json:"token_id"`
		}
	}
}

type sseStream struct {
	events     chan sseEvent
	heartbeats chan struct{}
	resp       *http.Response
}

// openStream connects to GET /v1/events and parses what arrives.
func openStream(t *testing.T, ctx context.Context, c *client, query, lastID string) *sseStream {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/v1/events"+query, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /v1/events%s: %s %s", query, resp.Status, b)
	}
	s := &sseStream{events: make(chan sseEvent, 256), heartbeats: make(chan struct{}, 256), resp: resp}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var e sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e.ID != "" {
					s.events <- e
				}
				e = sseEvent{}
			case strings.HasPrefix(line, ": heartbeat"):
				select {
				case s.heartbeats <- struct{}{}:
				default:
				}
			case strings.HasPrefix(line, "id: "):
				e.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				e.Type = line[7:]
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(line[6:]), &e.Data); err != nil {
					t.Errorf("data %s: %v", line, err)
				}
			}
		}
	}()
	return s
}

func (s *sseStream) Close() { s.resp.Body.Close() }

// until reads events until done says so.
func (s *sseStream) until(t *testing.T, ctx context.Context, got *[]sseEvent, done func([]sseEvent) bool) {
	t.Helper()
	for !done(*got) {
		select {
		case e, ok := <-s.events:
			if !ok {
				t.Fatalf("stream ended after %d events", len(*got))
			}
			if e.ID != e.Data.ID || e.Type != e.Data.Type {
				t.Fatalf("message %+v", e)
			}
			*got = append(*got, e)
		case <-ctx.Done():
			t.Fatalf("after %d events: %v", len(*got), summary(*got))
		}
	}
}

func summary(es []sseEvent) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Type+" "+e.Data.Data.ID)
	}
	return out
}

func hasEvent(es []sseEvent, typ, subject string) bool {
	return slices.ContainsFunc(es, func(e sseEvent) bool { return e.Type == typ && e.Data.Data.ID == subject })
}

// TestEventStream: a user's stream carries their own mint's events (and the
// transfer of their token), never another user's; it outlives the server's
// write timeout with heartbeats; Last-Event-ID resumes where it left off;
// ?types= narrows.
func TestEventStream(t *testing.T) {
	d := eventsConfig(t)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := d.cfg.HTTP.PublicURL
	alice, _, _ := signedIn(t, ctx, base)
	bob, _, _ := signedIn(t, ctx, base)
	as, bs := openStream(t, ctx, alice, "", ""), openStream(t, ctx, bob, "", "")
	defer as.Close()
	defer bs.Close()

	// Idle for longer than http.write_timeout: heartbeats keep coming.
	deadline := time.After(1500 * time.Millisecond)
	beats := 0
	for wait := true; wait; {
		select {
		case <-as.heartbeats:
			beats++
		case <-deadline:
			wait = false
		}
	}
	if beats < 3 {
		t.Fatalf("%d heartbeats in 1.5s", beats)
	}

	mint := func(c *client, name string) mintResp {
		var m mintResp
		if err := c.do(ctx, "POST", "/v1/collections/"+d.Demo.ID+"/mint", map[string]any{"metadata": map[string]any{"name": name}}, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	am, bm := mint(alice, "alice's"), mint(bob, "bob's")
	var ag, bg []sseEvent
	done := func(m mintResp) func([]sseEvent) bool {
		return func(es []sseEvent) bool {
			return hasEvent(es, "mint.confirmed", m.ID) && hasEvent(es, "transaction.confirmed", m.TransactionID) &&
				slices.ContainsFunc(es, func(e sseEvent) bool { return e.Type == "nft.transfer" })
		}
	}
	as.until(t, ctx, &ag, done(am))
	bs.until(t, ctx, &bg, done(bm))
	for _, e := range ag {
		if e.Data.Data.ID == bm.ID || e.Data.Data.ID == bm.TransactionID {
			t.Fatalf("alice saw bob's %s", e.Type)
		}
	}
	for _, e := range bg {
		if e.Data.Data.ID == am.ID || e.Data.Data.ID == am.TransactionID {
			t.Fatalf("bob saw alice's %s", e.Type)
		}
	}
	var mintTypes []string
	for _, e := range ag {
		if e.Data.Data.ID == am.ID {
			mintTypes = append(mintTypes, e.Type)
		}
	}
	if !inOrder(mintTypes, "mint.") {
		t.Fatalf("alice's mint events %v", mintTypes)
	}
	as.Close()

	// Resume after the second event: the rest again, same ids, same order.
	rs := openStream(t, ctx, alice, "", ag[1].ID)
	defer rs.Close()
	var rg []sseEvent
	rs.until(t, ctx, &rg, func(es []sseEvent) bool { return len(es) >= len(ag)-2 })
	for i, e := range rg[:len(ag)-2] {
		if e.ID != ag[i+2].ID {
			t.Fatalf("resumed %v, want %v", summary(rg), summary(ag[2:]))
		}
	}
	// Only mints, from the start of alice's events.
	ms := openStream(t, ctx, alice, "?types=mint.*", ag[0].ID)
	defer ms.Close()
	var mg []sseEvent
	ms.until(t, ctx, &mg, func(es []sseEvent) bool { return len(es) >= 3 })
	for _, e := range mg {
		if !strings.HasPrefix(e.Type, "mint.") {
			t.Fatalf("types=mint.* streamed %s", e.Type)
		}
	}
	// Bad filters are a 400; guests are refused.
	for _, q := range []string{"?types=mint.exploded"} {
		if err := alice.do(ctx, "GET", "/v1/events"+q, nil, nil); err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("%s: %v", q, err)
		}
	}
	guest := &client{base: base, http: httpClient()}
	if err := guest.do(ctx, "GET", "/v1/events", nil, nil); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("guest stream: %v", err)
	}
}
