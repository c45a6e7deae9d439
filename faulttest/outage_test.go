package faulttest

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/testenv"
)

// proxy forwards TCP connections to a node until cut: then its listener is
// closed (new connections are refused) and every open connection is reset.
type proxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	p := &proxy{t: t, target: target, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.listen(ln)
	t.Cleanup(func() { p.cut(); p.wg.Wait() })
	return p
}

func (p *proxy) URL() string { return "http://" + p.addr }

func (p *proxy) listen(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Go(func() { p.pipe(c) })
		}
	})
}

func (p *proxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		reset(c)
		return
	}
	p.mu.Lock()
	if p.ln == nil { // cut meanwhile
		p.mu.Unlock()
		reset(c)
		reset(up)
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
	c.Close()
	up.Close()
	<-done
}

// reset closes c with an RST rather than a FIN.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// cut refuses new connections and resets the open ones.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		reset(c)
		delete(p.conns, c)
	}
}

// restore listens again on the same address.
func (p *proxy) restore() {
	p.t.Helper()
	var ln net.Listener
	var err error
	for range 100 { // the port may linger a moment
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			p.listen(ln)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
}

// TestNodeOutage: mints arrive at a steady pace while coffer's only node
// (behind a proxy) is unreachable for 30 s (3 s with COFFER_TEST_SHORT):
// connections refused and the open ones reset. Mints keep being accepted
// (queued) during the outage; afterwards every accepted mint is confirmed
// once, nothing is lost, and the nonces have no gap.
func TestNodeOutage(t *testing.T) {
	n, outage, every := 500, 30*time.Second, 75*time.Millisecond
	if short() {
		n, outage, every = 120, 3*time.Second, 25*time.Millisecond
	}
	node := testenv.Anvil(t, chainID)
	px := startProxy(t, node[len("http://"):])
	cfg := newServerConfig(t, px.URL())
	srv := newServer(t, "coffer", cfg)
	srv.start()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	col := deployCollection(t, ctx, srv.api)
	st := openStore(t, cfg)

	// A burst first, so that the cut finds the worker in the middle of
	// signing and broadcasting; then a steady stream through the outage.
	burst := n / 5
	load := newMintLoad(t, col.ID, srv.api)
	var wg sync.WaitGroup
	began := time.Now()
	wg.Go(func() { load.run(ctx, 0, burst, 32) })
	wg.Go(func() { load.runPaced(ctx, burst, n, 16, every) })
	// Cut while the worker is sending the burst: transactions are queued
	// and some hold a nonce, signed, on their way to the node.
	var queued, pending []*coffer.Transaction
	for cut := false; !cut; {
		if err := sleep(ctx, time.Millisecond); err != nil {
			t.Fatal(err)
		}
		var err error
		if queued, err = st.TransactionsByStatus(ctx, chainID, []string{coffer.TxQueued}, 5000); err != nil {
			t.Fatal(err)
		}
		if pending, err = st.TransactionsByStatus(ctx, chainID, []string{coffer.TxPending}, 5000); err != nil {
			t.Fatal(err)
		}
		cut = len(pending) > 0 && len(queued) > 0
		if !cut && time.Since(began) > 30*time.Second {
			t.Fatal("never caught the worker between signing and confirming")
		}
	}
	px.cut()
	cutAt := time.Now()
	before := load.accepted.Load()
	t.Logf("node cut off after %s: %d mints accepted, %d transactions queued, %d pending",
		cutAt.Sub(began).Round(time.Millisecond), before, len(queued), len(pending))
	if err := sleep(ctx, outage); err != nil {
		t.Fatal(err)
	}
	during := load.accepted.Load() - before
	// What holds a nonce now was signed before or during the outage and
	// could not all be delivered.
	held, err := st.TransactionsByStatus(ctx, chainID, []string{coffer.TxPending}, 5000)
	if err != nil {
		t.Fatal(err)
	}
	px.restore()
	restored := time.Now()
	t.Logf("node back after %s; %d mints accepted during the outage; %d transactions pending",
		restored.Sub(cutAt).Round(time.Millisecond), during, len(held))
	if during == 0 {
		t.Errorf("no mint accepted during the %s outage: mints must be queued while the node is unreachable", outage)
	}
	// Those go out first once the node is back: next round, not after the
	// 30 s re-broadcast interval (a failed send is not a delivery).
	for _, tx := range held {
		for {
			fresh, err := st.Transaction(ctx, tx.ID)
			if err != nil {
				t.Fatal(err)
			}
			if fresh.Status == coffer.TxConfirmed || fresh.Status == coffer.TxFailed {
				break
			}
			if time.Since(restored) > 15*time.Second {
				t.Fatalf("transaction %s (nonce %s), pending when the node came back, is still %s after %s",
					tx.ID, nonceStr(fresh.Nonce), fresh.Status, time.Since(restored).Round(time.Millisecond))
			}
			if err := sleep(ctx, 20*time.Millisecond); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(held) > 0 {
		t.Logf("the %d transactions pending at the end of the outage mined %s after it", len(held), time.Since(restored).Round(time.Millisecond))
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	answered := time.Since(restored)
	waitSettled(t, ctx, st)
	t.Logf("%d mints answered (%d requests sent again) %s after the node came back; all settled after %s",
		load.accepted.Load(), load.retries.Load(), answered.Round(time.Millisecond), time.Since(restored).Round(time.Millisecond))
	ids := load.ids()
	if len(ids) != n {
		t.Fatalf("%d keys answered, want %d", len(ids), n)
	}
	srv.stop()
	verify(t, ctx, st, node, col, ids)
}
