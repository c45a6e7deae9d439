package storetest

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
)

func eventTypes(es []*coffer.Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Type+" "+e.Subject)
	}
	return out
}

func allEvents(t *testing.T, s coffer.Store, f coffer.EventFilter) []*coffer.Event {
	t.Helper()
	es, err := s.Events(ctx, f)
	ok(t, err)
	return es
}

// testEventsOutbox: the store appends an event with every change of a
// transaction's or mint's status and with every transfer, in order, visible
// to their owners; the same transfer indexed again is the same event.
// lastEventIs checks that the newest event of want's subject has want's type
// and data: the row as the store holds it now, when the change that
// appended the event was the row's last.
func lastEventIs(t *testing.T, s coffer.Store, want *coffer.Event) {
	t.Helper()
	var last *coffer.Event
	for _, e := range allEvents(t, s, coffer.EventFilter{}) {
		if e.Subject == want.Subject {
			last = e
		}
	}
	if last == nil || last.Type != want.Type || string(last.Data) != string(want.Data) {
		t.Fatalf("last event of %s:\n%+v\nwant %s %s", want.Subject, last, want.Type, want.Data)
	}
}

func testEventsOutbox(t *testing.T, s coffer.Store) {
	if last, err := s.LastEventSeq(ctx); err != nil || last != 0 {
		t.Fatalf("last event of an empty outbox: %d, %v", last, err)
	}
	ok(t, s.CreateWallet(ctx, &coffer.Wallet{Address: address(3), OwnerID: "usr_rcpt", Backend: coffer.BackendLocal, KeyID: "k3"}))
	c, ctx0 := newCollection("c")
	ok(t, s.CreateCollection(ctx, c, ctx0))
	m, tx := newMint(c.ID, "ev:m1")
	ok(t, s.CreateMint(ctx, m, tx))
	_, err := s.AssignNonce(ctx, tx.ID, signer("raw"))
	ok(t, err)
	ok(t, s.UpdateTransaction(ctx, tx.ID, coffer.TxUpdate{Error: ptr("just a note")})) // no status change: no event
	// The mint moves with its transaction (pending above, mined here).
	ok(t, s.UpdateTransaction(ctx, tx.ID, coffer.TxUpdate{Status: coffer.TxMined, BlockNumber: ptr(uint64(9)), TokenID: big.NewInt(7)}))
	txNow, err := s.Transaction(ctx, tx.ID)
	ok(t, err)
	lastEventIs(t, s, coffer.TransactionEvent(txNow))
	mNow, err := s.Mint(ctx, m.ID)
	ok(t, err)
	lastEventIs(t, s, coffer.MintEvent(mNow, "usr_rcpt"))
	ok(t, s.UpdateTransaction(ctx, tx.ID, coffer.TxUpdate{Status: coffer.TxMined})) // same status: no event
	other := newTx(1, address(5), "ev:other")
	other.OwnerID = "usr_other"
	ok(t, s.CreateTransaction(ctx, other))
	ok(t, s.CancelQueued(ctx, other.ID))
	tr := coffer.Transfer{Contract: address(50), TokenID: big.NewInt(7), To: address(3), TxHash: hashOf("t"), BlockNumber: 9, BlockHash: hashOf("b9"), LogIndex: 2}
	ok(t, s.ApplyTransfers(ctx, 1, []coffer.Transfer{tr}, 9, hashOf("b9")))
	ok(t, s.ApplyTransfers(ctx, 1, []coffer.Transfer{tr}, 9, hashOf("b9"))) // indexed again: same event

	all := allEvents(t, s, coffer.EventFilter{})
	token := "token:1:" + "0x0000000000000000000000000000000000001032:7"
	want := []string{
		"transaction.queued " + ctx0.ID,
		"transaction.queued " + tx.ID, "mint.queued " + m.ID,
		"transaction.pending " + tx.ID, "mint.pending " + m.ID,
		"transaction.mined " + tx.ID, "mint.mined " + m.ID,
		"transaction.queued " + other.ID, "transaction.cancelled " + other.ID,
		"nft.transfer " + token,
	}
	same(t, "events", eventTypes(all), want)
	for i, e := range all {
		if e.Seq <= 0 || i > 0 && e.Seq <= all[i-1].Seq || e.ID == "" || e.CreatedAt.IsZero() || !json.Valid(e.Data) {
			t.Fatalf("event %d: %+v", i, e)
		}
	}
	var data struct {
		Status  string `json:"status"`
		TokenID string `json:"token_id"`
		To      string `json:"to"`
	}
	ok(t, json.Unmarshal(all[6].Data, &data))
	if data.Status != "mined" || data.TokenID != "7" || data.To != address(3).Hex() {
		t.Fatalf("mint.mined data %s", all[6].Data)
	}
	// Owners: the mint's caller and the recipient's owner see the mint; the
	// transfer's recipient sees it; the other user sees only their own.
	same(t, "mint owners", all[2].Owners, []string{"usr_1", "usr_rcpt"})
	same(t, "usr_rcpt sees", eventTypes(allEvents(t, s, coffer.EventFilter{OwnerID: "usr_rcpt"})),
		[]string{"mint.queued " + m.ID, "mint.pending " + m.ID, "mint.mined " + m.ID, "nft.transfer " + token})
	same(t, "usr_other sees", eventTypes(allEvents(t, s, coffer.EventFilter{OwnerID: "usr_other"})),
		[]string{"transaction.queued " + other.ID, "transaction.cancelled " + other.ID})
	// Types, After and Limit.
	same(t, "types", eventTypes(allEvents(t, s, coffer.EventFilter{Types: []string{"mint.*", "transaction.cancelled"}, After: all[2].Seq})),
		[]string{"mint.pending " + m.ID, "mint.mined " + m.ID, "transaction.cancelled " + other.ID})
	if got := allEvents(t, s, coffer.EventFilter{After: all[0].Seq, Limit: 2}); len(got) != 2 || got[0].Seq != all[1].Seq {
		t.Fatalf("after/limit: %v", eventTypes(got))
	}
	if last, err := s.LastEventSeq(ctx); err != nil || last != all[len(all)-1].Seq {
		t.Fatalf("last event seq %d, %v", last, err)
	}
	e, err := s.Event(ctx, all[3].ID)
	ok(t, err)
	same(t, "event by id", e, all[3])
	_, err = s.Event(ctx, "evt_missing")
	wantCode(t, err, coffer.ENOTFOUND)

	// AppendEvent: others' events, de-duplicated by id.
	low := &coffer.Event{ID: "evt_low1", Type: coffer.EventLowBalance, Subject: "platform:1", Data: json.RawMessage(`{"chain_id":1}`)}
	ok(t, s.AppendEvent(ctx, low))
	again := &coffer.Event{ID: "evt_low1", Type: coffer.EventLowBalance, Subject: "platform:1", Data: json.RawMessage(`{}`)}
	ok(t, s.AppendEvent(ctx, again))
	if again.Seq != 0 {
		t.Fatalf("an event not stored (its id exists) got seq %d", again.Seq)
	}
	if got := allEvents(t, s, coffer.EventFilter{After: all[len(all)-1].Seq}); len(got) != 1 || got[0].ID != "evt_low1" || got[0].Seq != low.Seq {
		t.Fatalf("appended: %v", eventTypes(got))
	}
	wantCode(t, s.AppendEvent(ctx, &coffer.Event{Type: "x", Data: nil}), coffer.EINVALID)
	if got := allEvents(t, s, coffer.EventFilter{OwnerID: "usr_1", Types: []string{"platform.*"}}); len(got) != 0 {
		t.Fatalf("an admin-only event reached a user: %v", eventTypes(got))
	}

	// Pruning keeps what is recent.
	n, err := s.PruneEvents(ctx, time.Now().Add(-time.Hour))
	ok(t, err)
	if n != 0 {
		t.Fatalf("pruned %d recent events", n)
	}
	n, err = s.PruneEvents(ctx, time.Now().Add(time.Minute))
	ok(t, err)
	if left := allEvents(t, s, coffer.EventFilter{}); n != int64(len(all)) || len(left) != 1 || left[0].ID != low.ID {
		t.Fatalf("pruned %d of %d, %d left; want all but the newest", n, len(all)+1, len(left))
	}
}

// testPruneEvents: pruning deletes the events created before the cut and
// nothing newer, and keeps those a pending delivery needs. (An event stamped
// before the cut but appended after newer ones may wait for a later prune.)
func testPruneEvents(t *testing.T, s coffer.Store) {
	ok(t, s.CreateWebhook(ctx, &coffer.Webhook{URL: "https://example.com/keep", Events: []string{"test.keep"}, Secret: "s"}))
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Second) }
	var made []*coffer.Event
	for i := range 101 {
		e := &coffer.Event{Type: "test.prune", Subject: fmt.Sprint(i), Data: json.RawMessage(`{}`), CreatedAt: at(i)}
		if i == 10 {
			e.Type = "test.keep" // a pending delivery
		}
		ok(t, s.AppendEvent(ctx, e))
		made = append(made, e)
	}
	late := &coffer.Event{Type: "test.prune", Subject: "late", Data: json.RawMessage(`{}`), CreatedAt: at(30)}
	ok(t, s.AppendEvent(ctx, late))
	ok(t, s.AppendEvent(ctx, &coffer.Event{Type: "test.prune", Subject: "last", Data: json.RawMessage(`{}`), CreatedAt: at(200)}))
	left := func() map[string]bool {
		t.Helper()
		out := map[string]bool{}
		for after := int64(0); ; {
			es := allEvents(t, s, coffer.EventFilter{After: after, Limit: 50})
			if len(es) == 0 {
				return out
			}
			for _, e := range es {
				out[e.Subject] = true
			}
			after = es[len(es)-1].Seq
		}
	}
	// prune cuts at before and checks which events are left (newer ones
	// and 10, whose delivery is pending; "late" may be left or not until a
	// cut past the newest) and that the count matches.
	prune := func(before time.Time, keep func(i int) bool) {
		t.Helper()
		had := left()
		n, err := s.PruneEvents(ctx, before)
		ok(t, err)
		got := left()
		if int(n) != len(had)-len(got) {
			t.Fatalf("pruned %d events before %s, but %d went", n, before.Sub(base), len(had)-len(got))
		}
		for i, e := range made {
			if want := keep(i) || i == 10; got[e.Subject] != want {
				t.Fatalf("pruned before %s: event %d kept %v, want %v", before.Sub(base), i, got[e.Subject], want)
			}
		}
		if !got["last"] && before.Before(at(200)) {
			t.Fatalf("pruned before %s: the newest event went", before.Sub(base))
		}
	}
	prune(at(0), func(int) bool { return true })
	prune(at(50).Add(time.Millisecond), func(i int) bool { return i > 50 })
	prune(at(60).Add(time.Millisecond), func(i int) bool { return i > 60 })
	prune(time.Now(), func(int) bool { return false })
	if got := left(); len(got) != 2 || !got["10"] || !got["last"] {
		t.Fatalf("after pruning everything: %v left, want 10 and the newest", got)
	}
	// The newest stays so that no seq is given twice: the next event comes
	// after every event ever appended.
	var newest int64
	for _, e := range append(made, late) {
		newest = max(newest, e.Seq)
	}
	last := allEvents(t, s, coffer.EventFilter{After: made[10].Seq, Limit: 50})
	if len(last) != 1 || last[0].Subject != "last" || last[0].Seq <= newest {
		t.Fatalf("after pruning everything: events after 10 %v, want the newest alone", last)
	}
	next := &coffer.Event{Type: "test.prune", Subject: "next", Data: json.RawMessage(`{}`)}
	ok(t, s.AppendEvent(ctx, next))
	if next.Seq <= last[0].Seq {
		t.Fatalf("after pruning: a new event has seq %d, the newest before had %d", next.Seq, last[0].Seq)
	}
	prune(time.Now(), func(int) bool { return false })
	if got := left(); len(got) != 2 || !got["10"] || !got["next"] {
		t.Fatalf("after pruning everything again: %v left, want 10 and the newest", got)
	}
}

// testWebhookDeliveries: webhooks, a delivery per subscribed event, claims
// that lease, one subject at a time, outcomes, listing, deletion.
func testWebhookDeliveries(t *testing.T, s coffer.Store) {
	wh := &coffer.Webhook{URL: "https://example.com/hook", Events: []string{"mint.*", "mint.pending", "nft.transfer"}, Secret: "s3cret"}
	ok(t, s.CreateWebhook(ctx, wh))
	all := &coffer.Webhook{URL: "https://example.com/all", Events: []string{"*"}, Secret: "x"}
	ok(t, s.CreateWebhook(ctx, all))
	if wh.ID == "" || wh.CreatedAt.IsZero() {
		t.Fatalf("created %+v", wh)
	}
	got, err := s.Webhook(ctx, wh.ID)
	ok(t, err)
	slices.Sort(wh.Events)
	same(t, "webhook", got, wh)
	list, err := s.Webhooks(ctx)
	ok(t, err)
	if len(list) != 2 || list[0].ID != wh.ID || list[1].ID != all.ID {
		t.Fatalf("webhooks %+v", list)
	}

	c, ctx0 := newCollection("c")
	ok(t, s.CreateCollection(ctx, c, ctx0))
	m, tx := newMint(c.ID, "wh:m1")
	ok(t, s.CreateMint(ctx, m, tx))
	ok(t, s.UpdateMint(ctx, m.ID, coffer.MintUpdate{Status: coffer.MintPending}))
	m2, tx2 := newMint(c.ID, "wh:m2")
	ok(t, s.CreateMint(ctx, m2, tx2))

	// wh: mint.queued, mint.pending (m), mint.queued (m2) — once each although
	// two patterns match mint.pending. all: every event.
	ds, next, err := s.Deliveries(ctx, wh.ID, 10, "")
	ok(t, err)
	if len(ds) != 3 || next != "" || ds[0].EventType != "mint.queued" || ds[0].Subject != m2.ID || ds[2].EventType != "mint.queued" ||
		ds[0].Status != coffer.DeliveryPending || ds[0].Attempts != 0 {
		t.Fatalf("deliveries %+v", ds)
	}
	page, next, err := s.Deliveries(ctx, wh.ID, 2, "")
	ok(t, err)
	rest, _, err := s.Deliveries(ctx, wh.ID, 2, next)
	ok(t, err)
	if len(page) != 2 || len(rest) != 1 || rest[0].EventSeq != ds[2].EventSeq {
		t.Fatalf("paged %d+%d", len(page), len(rest))
	}

	// Claims: one per subject (m's pending waits for its queued), with the
	// event and the webhook; leased, so a second claim gets nothing.
	now := time.Now()
	cl, err := s.ClaimDeliveries(ctx, now, 100, time.Minute)
	ok(t, err)
	var mine []*coffer.Delivery
	for _, d := range cl {
		if d.WebhookID == wh.ID {
			mine = append(mine, d)
		}
	}
	if len(mine) != 2 || mine[0].Event == nil || mine[0].Webhook.Secret != "s3cret" || mine[0].Webhook.URL != wh.URL || mine[0].Attempts != 1 {
		t.Fatalf("claimed %+v", mine)
	}
	for _, d := range mine {
		if d.Event.Type != "mint.queued" || !json.Valid(d.Event.Data) || d.Event.ID != d.EventID {
			t.Fatalf("claimed %+v %+v", d, d.Event)
		}
	}
	if again, err := s.ClaimDeliveries(ctx, now, 100, time.Minute); err != nil || len(again) != 0 {
		t.Fatalf("claimed again: %d %v", len(again), err)
	}
	// Failed attempt: retried later; still blocks its subject.
	first := mine[0]
	if first.Subject != m.ID {
		first = mine[1]
	}
	first.LastCode, first.LastError, first.NextAttemptAt = 500, "HTTP 500", now.Add(time.Second)
	ok(t, s.FinishAttempt(ctx, first))
	if cl, _ := s.ClaimDeliveries(ctx, now, 100, time.Minute); len(cl) != 0 {
		t.Fatalf("claimed before the retry was due: %+v", cl[0])
	}
	cl, err = s.ClaimDeliveries(ctx, now.Add(2*time.Second), 100, time.Minute)
	ok(t, err)
	var retry *coffer.Delivery
	for _, d := range cl {
		if d.WebhookID == wh.ID {
			retry = d
		}
	}
	if retry == nil || retry.EventSeq != first.EventSeq || retry.Attempts != 2 || retry.LastCode != 500 {
		t.Fatalf("retry %+v", retry)
	}
	at := now.Add(2 * time.Second)
	retry.Status, retry.DeliveredAt, retry.LastCode, retry.LastError = coffer.DeliveryDelivered, &at, 204, ""
	ok(t, s.FinishAttempt(ctx, retry))
	// Now m's mint.pending is next.
	cl, err = s.ClaimDeliveries(ctx, now.Add(3*time.Second), 100, time.Minute)
	ok(t, err)
	var pending *coffer.Delivery
	for _, d := range cl {
		if d.WebhookID == wh.ID {
			pending = d
		}
	}
	if pending == nil || pending.EventType != "mint.pending" || pending.Subject != m.ID {
		t.Fatalf("after delivery: %+v", pending)
	}
	ds, _, err = s.Deliveries(ctx, wh.ID, 10, "")
	ok(t, err)
	if d := ds[len(ds)-1]; d.Status != coffer.DeliveryDelivered || d.Attempts != 2 || d.LastCode != 204 || d.DeliveredAt == nil || d.LastAttemptAt == nil {
		t.Fatalf("delivered %+v", d)
	}

	ok(t, s.DeleteWebhook(ctx, wh.ID))
	wantCode(t, s.DeleteWebhook(ctx, wh.ID), coffer.ENOTFOUND)
	_, err = s.Webhook(ctx, wh.ID)
	wantCode(t, err, coffer.ENOTFOUND)
	if ds, _, _ := s.Deliveries(ctx, wh.ID, 10, ""); len(ds) != 0 {
		t.Fatalf("deliveries of a deleted webhook: %d", len(ds))
	}
	// Pending deliveries keep their events from pruning.
	n, err := s.PruneEvents(ctx, time.Now().Add(time.Minute))
	ok(t, err)
	if n != 0 {
		t.Fatalf("pruned %d events with pending deliveries", n)
	}
}

// testClaimRace: workers claiming concurrently (several connections; FOR
// UPDATE SKIP LOCKED on PostgreSQL) never take the same delivery twice, and
// together take them all.
func testClaimRace(t *testing.T, s coffer.Store) {
	wh := &coffer.Webhook{URL: "https://example.com/race", Events: []string{"*"}, Secret: "x"}
	ok(t, s.CreateWebhook(ctx, wh))
	const n = 120
	for i := range n {
		ok(t, s.AppendEvent(ctx, &coffer.Event{Type: coffer.EventLowBalance, Subject: fmt.Sprint("race:", i), Data: json.RawMessage(`{}`)}))
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	now := time.Now()
	for range 6 {
		wg.Go(func() {
			for {
				ds, err := s.ClaimDeliveries(ctx, now, 7, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ds) == 0 {
					return
				}
				mu.Lock()
				for _, d := range ds {
					seen[d.EventSeq]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("claimed %d of %d deliveries", len(seen), n)
	}
	for seq, c := range seen {
		if c != 1 {
			t.Fatalf("delivery of event %d claimed %d times", seq, c)
		}
	}
}
