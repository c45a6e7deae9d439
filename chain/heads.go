package chain

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/rpc"
)

// headsRetry is the pause before a broken head subscription is made again.
// Whoever watches heads also polls, so a gap costs latency, not correctness.
const headsRetry = time.Second

// WatchHeads sends on wake, never waiting, each time the node announces a
// new head block (eth_subscribe "newHeads"), until ctx ends, so that a
// follower reads a block when it is sealed rather than at its next poll.
// Only connections that carry notifications can announce (ws://, IPC, the
// in-process dev chain); when none of the client's URLs does, WatchHeads
// returns false and the caller polls alone. It subscribes in the
// background, so a node that is down holds up no caller, and wakes the
// caller once subscribed (blocks may have come before); a subscription
// that breaks (a node restarted, a socket dropped) is made again after a
// pause, on the first URL that takes it. Nodes that answer that they have
// no eth_subscribe end the watch.
func (c *Client) WatchHeads(ctx context.Context, wake chan<- struct{}) bool {
	if !slices.ContainsFunc(c.rpcs, (*rpc.Client).SupportsSubscriptions) {
		return false
	}
	// A header is decoded into nothing: the announcement is what counts.
	heads := make(chan struct{}, 16)
	go func() {
		var sub *rpc.ClientSubscription
		retry := time.After(0)
		for {
			var broken <-chan error
			if sub != nil {
				broken = sub.Err()
			}
			select {
			case <-ctx.Done():
				if sub != nil {
					sub.Unsubscribe()
				}
				return
			case <-heads:
				poke(wake)
			case <-broken:
				sub, retry = nil, time.After(headsRetry)
			case <-retry:
				var err error
				if sub, err = c.subscribeHeads(ctx, heads); errors.Is(err, rpc.ErrNotificationsUnsupported) {
					return
				}
				retry = nil
				if sub == nil {
					retry = time.After(headsRetry)
				}
				poke(wake) // blocks may have come while nobody listened
			}
		}
	}()
	return true
}

// subscribeHeads subscribes on the first URL that takes it, starting with
// the one in use. The error is rpc.ErrNotificationsUnsupported only when no
// URL can announce heads: none carries notifications or has eth_subscribe.
func (c *Client) subscribeHeads(ctx context.Context, heads chan struct{}) (*rpc.ClientSubscription, error) {
	first := int(c.current.Load())
	unsupported := 0
	var last error
	for i := range c.rpcs {
		rc := c.rpcs[(first+i)%len(c.rpcs)]
		sctx, cancel := context.WithTimeout(ctx, c.timeout)
		sub, err := rc.EthSubscribe(sctx, heads, "newHeads")
		cancel()
		if err == nil {
			return sub, nil
		}
		var answer rpc.Error // a node without eth_subscribe says so
		if errors.Is(err, rpc.ErrNotificationsUnsupported) || errors.As(err, &answer) {
			unsupported++
		}
		last = err
	}
	if unsupported == len(c.rpcs) {
		return nil, rpc.ErrNotificationsUnsupported
	}
	return nil, last
}

// poke sends on wake unless a wake-up is due already.
func poke(wake chan<- struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}
