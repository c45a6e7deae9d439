package chain_test

import (
	"context"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/event"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/cofferhq/coffer/chain"
	"github.com/cofferhq/coffer/internal/testenv"
)

// woken waits until wake fires, failing after a deadline far beyond any
// block's time.
func woken(t *testing.T, wake <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-wake:
	case <-time.After(30 * time.Second):
		t.Fatalf("no wake-up %s", what)
	}
}

// quiet checks that wake stays silent for a moment (no block, no wake-up).
func quiet(t *testing.T, wake <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-wake:
		t.Fatalf("a wake-up %s", what)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestWatchHeads: a client of the in-process dev chain and one over
// WebSocket are woken by each sealed block; one over HTTP cannot be and
// says so.
func TestWatchHeads(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dc := fundedChain(t, true, "127.0.0.1:0") // blocks only on Commit
	ws, err := chain.Dial(ctx, 1337, []string{dc.WSURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	for name, c := range map[string]*chain.Client{"in-process": chain.NewFromRPC(1337, dc.RPC()), "ws": ws} {
		wake := make(chan struct{}, 1)
		if !c.WatchHeads(ctx, wake) {
			t.Fatalf("%s: WatchHeads says the node cannot announce heads", name)
		}
		woken(t, wake, name+" once subscribed")
		quiet(t, wake, name+" before any block")
		for i := range 2 {
			dc.Commit()
			woken(t, wake, name+" after a block")
			if i == 0 {
				quiet(t, wake, name+" between blocks")
			}
		}
	}
	overHTTP, err := chain.Dial(ctx, 1337, []string{dc.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer overHTTP.Close()
	if overHTTP.WatchHeads(ctx, make(chan struct{}, 1)) {
		t.Fatal("WatchHeads over HTTP says it can announce heads")
	}
}

// headsNode is an "eth" namespace serving only newHeads subscriptions,
// announcing what is sent on its feed.
type headsNode struct{ feed event.Feed }

func (n *headsNode) NewHeads(ctx context.Context) (*rpc.Subscription, error) {
	notifier, ok := rpc.NotifierFromContext(ctx)
	if !ok {
		return nil, rpc.ErrNotificationsUnsupported
	}
	sub := notifier.CreateSubscription()
	heads := make(chan uint64)
	feedSub := n.feed.Subscribe(heads)
	go func() {
		defer feedSub.Unsubscribe()
		for {
			select {
			case h := <-heads:
				notifier.Notify(sub.ID, map[string]hexutil.Uint64{"number": hexutil.Uint64(h)})
			case <-sub.Err():
				return
			}
		}
	}()
	return sub, nil
}

// TestWatchHeadsResubscribes: when the socket drops, the watch wakes its
// caller once (heads may have come meanwhile) and subscribes again, and
// later heads wake it as before.
func TestWatchHeadsResubscribes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	node := &headsNode{}
	srv := rpc.NewServer()
	if err := srv.RegisterName("eth", node); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv.WebsocketHandler(nil))
	conns := &connsListener{Listener: hs.Listener}
	hs.Listener = conns
	hs.Start()
	defer hs.Close()
	rc, err := rpc.DialWebsocket(ctx, "ws"+strings.TrimPrefix(hs.URL, "http"), "")
	if err != nil {
		t.Fatal(err)
	}
	c := chain.NewFromRPC(1337, rc)
	defer c.Close()
	wake := make(chan struct{}, 1)
	if !c.WatchHeads(ctx, wake) {
		t.Fatal("WatchHeads says a WebSocket node cannot announce heads")
	}
	woken(t, wake, "once subscribed")
	announce := func(n uint64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for node.feed.Send(n) == 0 { // until the subscription is in place
			if time.Now().After(deadline) {
				t.Fatal("no subscriber on the node")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	announce(1)
	woken(t, wake, "after the first head")
	conns.drop() // a WebSocket is hijacked: the server no longer tracks it
	woken(t, wake, "after the socket dropped (the watch subscribes again)")
	announce(2)
	woken(t, wake, "after a head on the new subscription")
}

// connsListener keeps the connections it accepts, to drop them.
type connsListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *connsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

func (l *connsListener) drop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
	l.conns = nil
}

// TestWatchHeadsAnvil: anvil announces its blocks over WebSocket, and not
// over HTTP.
func TestWatchHeadsAnvil(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := testenv.Anvil(t, 31337)
	overHTTP, err := chain.Dial(ctx, 31337, []string{url})
	if err != nil {
		t.Fatal(err)
	}
	defer overHTTP.Close()
	if overHTTP.WatchHeads(ctx, make(chan struct{}, 1)) {
		t.Fatal("WatchHeads over HTTP says it can announce heads")
	}
	ws, err := chain.Dial(ctx, 31337, []string{"ws" + strings.TrimPrefix(url, "http")})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	wake := make(chan struct{}, 1)
	if !ws.WatchHeads(ctx, wake) {
		t.Fatal("WatchHeads says anvil cannot announce heads over WebSocket")
	}
	woken(t, wake, "once subscribed")
	quiet(t, wake, "before any block")
	if err := overHTTP.RawCall(ctx, nil, "evm_mine"); err != nil {
		t.Fatal(err)
	}
	woken(t, wake, "after evm_mine")
}
