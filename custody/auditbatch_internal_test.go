package custody

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
)

// gateStore records the size of each batch and holds each write until the
// test lets it go.
type gateStore struct {
	coffer.Store // nil: only AppendAuditBatch is called
	sizes        chan int
	release      chan struct{}
}

func (g *gateStore) AppendAuditBatch(_ context.Context, rs []*coffer.AuditRecord) error {
	g.sizes <- len(rs)
	<-g.release
	return nil
}

func newGate() *gateStore {
	return &gateStore{sizes: make(chan int, 16), release: make(chan struct{})}
}

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// The batcher's waits here are bounded by an hour of linger: what ends them
// is the queue reaching its target, so nothing depends on how fast the
// machine is (a test that lingered when it must not would hang, not flake).

// appendAsync appends one record in the background and reports when it is
// committed.
func appendAsync(b *auditBatcher, st coffer.Store, done *sync.WaitGroup, queued *atomic.Int64) {
	done.Go(func() {
		queued.Add(1)
		if err := b.append(context.Background(), st, &coffer.AuditRecord{}); err != nil {
			panic(err)
		}
	})
}

// waitQueued waits until n records are in the batcher's queue.
func waitQueued(t *testing.T, b *auditBatcher, n int) {
	t.Helper()
	for range 10000 {
		b.mu.Lock()
		l := len(b.queue)
		b.mu.Unlock()
		if l >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("the queue never reached %d records", n)
}

func nextSize(t *testing.T, g *gateStore) int {
	t.Helper()
	select {
	case n := <-g.sizes:
		return n
	case <-time.After(time.Minute):
		t.Fatal("no batch was written (the writer lingers when it must not?)")
		return 0
	}
}

// The next batch's writer lingers from when it becomes free, not from when
// its oldest record arrived: a record that waited through a long write does
// not leave at once on its own while more are about to come.
func TestAuditLingerCountsFromTheFreeWriter(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	b := &auditBatcher{now: clk.now, linger: time.Hour}
	g := newGate()
	for range 8 { // 8 signing requests in custody: the writer waits for want records
		b.enter()
	}
	want := lingerWant(8)
	var wg sync.WaitGroup
	var queued atomic.Int64
	for range want {
		appendAsync(b, g, &wg, &queued)
	}
	if n := nextSize(t, g); n != want {
		t.Fatalf("first batch of %d records, want %d", n, want)
	}
	// While that batch is being written, one record arrives and waits far
	// longer than the linger.
	appendAsync(b, g, &wg, &queued)
	waitQueued(t, b, 1)
	clk.add(2 * time.Hour)
	g.release <- struct{}{}
	// Its writer, free now, still waits for the others.
	for range want - 1 {
		appendAsync(b, g, &wg, &queued)
	}
	if n := nextSize(t, g); n != want {
		t.Fatalf("second batch of %d records, want %d (the lone record was written on its own)", n, want)
	}
	g.release <- struct{}{}
	wg.Wait()
}

// The number of signers in custody is the most seen since the last batch was
// taken: a momentary dip below lingerSiblings does not make the writer take
// a lone record.
func TestAuditLingerUsesThePeak(t *testing.T) {
	b := &auditBatcher{linger: time.Hour}
	g := newGate()
	for range 8 {
		b.enter()
	}
	for range 8 { // all gone for a moment
		b.leave()
	}
	want := lingerWant(8)
	var wg sync.WaitGroup
	var queued atomic.Int64
	for range want {
		appendAsync(b, g, &wg, &queued)
	}
	if n := nextSize(t, g); n != want {
		t.Fatalf("batch of %d records, want %d", n, want)
	}
	g.release <- struct{}{}
	wg.Wait()

	// That batch restarted the peak from those in custody (none): a record
	// alone now is written at once, without lingering.
	appendAsync(b, g, &wg, &queued)
	if n := nextSize(t, g); n != 1 {
		t.Fatalf("batch of %d records, want 1", n)
	}
	g.release <- struct{}{}
	wg.Wait()
}

// Below lingerSiblings concurrent signers nothing waits.
func TestAuditNoLingerAtLowConcurrency(t *testing.T) {
	b := &auditBatcher{linger: time.Hour}
	g := newGate()
	for range lingerSiblings - 1 {
		b.enter()
	}
	var wg sync.WaitGroup
	var queued atomic.Int64
	for range 3 {
		appendAsync(b, g, &wg, &queued)
		if n := nextSize(t, g); n != 1 {
			t.Fatalf("batch of %d records, want 1", n)
		}
		g.release <- struct{}{}
		wg.Wait()
	}
}

func TestLingerWant(t *testing.T) {
	for conc, want := range map[int64]int{0: 0, 1: 0, lingerSiblings - 1: 0, lingerSiblings: 3, 7: 5, 32: 24, 64: lingerTarget, 1000: lingerTarget} {
		if got := lingerWant(conc); got != want {
			t.Errorf("lingerWant(%d) = %d, want %d", conc, got, want)
		}
	}
}
