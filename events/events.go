// Package events delivers coffer's events — transaction and mint status
// changes, NFT transfers, platform alerts — to webhooks (signed POSTs,
// retried with backoff, at least once) and to Server-Sent Events streams.
//
// The events themselves are written by the store into an outbox table in the
// same store transaction as the change they describe (see coffer.Event), each
// with one pending delivery per subscribed webhook. This package only reads
// the outbox: the delivery worker claims due deliveries (several processes
// may run it: claims are leases taken with FOR UPDATE SKIP LOCKED on
// PostgreSQL) and streams poll it from the last event they sent.
package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cofferhq/coffer"
)

// Config tunes delivery.
type Config struct {
	// AllowPrivateTargets lets webhooks reach loopback, private, link-local
	// and other non-public addresses (checked when connecting, after DNS).
	AllowPrivateTargets bool
	Timeout             time.Duration // per attempt (default 10s)
	MaxAge              time.Duration // no attempt is scheduled once an event is older (default 24h)
	RetryInitial        time.Duration // first retry after about this (default 5s), doubling
	RetryMax            time.Duration // longest wait between attempts (default 1h)
	PollInterval        time.Duration // how often the outbox is read (default 1s); local changes wake it at once
	Retention           time.Duration // events and finished deliveries are pruned after this (default 7 days)
	Concurrency         int           // deliveries in flight per process (default 8)
	Heartbeat           time.Duration // SSE comment interval (default 15s)
}

// Defaults of Config.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxAge       = 24 * time.Hour
	DefaultRetryInitial = 5 * time.Second
	DefaultRetryMax     = time.Hour
	DefaultPollInterval = time.Second
	DefaultRetention    = 7 * 24 * time.Hour
	DefaultConcurrency  = 8
	DefaultHeartbeat    = 15 * time.Second
)

// Service delivers events.
type Service struct {
	store  coffer.Store
	cfg    Config
	log    *slog.Logger
	client *http.Client

	mu   sync.Mutex
	wake chan struct{} // closed and replaced by Notify
}

// New returns the service; Run starts its delivery worker.
func New(store coffer.Store, cfg Config, log *slog.Logger) *Service {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Timeout, DefaultTimeout)
	def(&cfg.MaxAge, DefaultMaxAge)
	def(&cfg.RetryInitial, DefaultRetryInitial)
	def(&cfg.RetryMax, DefaultRetryMax)
	def(&cfg.PollInterval, DefaultPollInterval)
	def(&cfg.Retention, DefaultRetention)
	def(&cfg.Heartbeat, DefaultHeartbeat)
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	s := &Service{store: store, cfg: cfg, log: log, wake: make(chan struct{})}
	s.client = newClient(cfg)
	return s
}

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// Publish appends an event that no store change writes by itself (such as
// platform.low_balance) and wakes the workers. e.ID may be set for
// de-duplication (an event whose id exists is dropped); Owners none = admins.
func (s *Service) Publish(ctx context.Context, e *coffer.Event) error {
	if !coffer.ValidEventPattern(e.Type) || strings.HasSuffix(e.Type, "*") {
		return coffer.Errorf(coffer.EINVALID, "unknown event type %q", e.Type)
	}
	if e.Subject == "" {
		e.Subject = e.Type
	}
	if err := s.store.AppendEvent(ctx, e); err != nil {
		return err
	}
	s.Notify()
	return nil
}

// Notify says the outbox may have grown (a change in this process): the
// delivery worker and the streams look now instead of at their next poll.
func (s *Service) Notify() {
	s.mu.Lock()
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
}

func (s *Service) changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wake
}

// Run delivers until ctx ends.
func (s *Service) Run(ctx context.Context) {
	slots := make(chan struct{}, s.cfg.Concurrency)
	done := make(chan struct{}, s.cfg.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	nextPrune := time.Now().Add(time.Minute)
	for {
		changed := s.changed()
		if free := cap(slots) - len(slots); free > 0 {
			ds, err := s.store.ClaimDeliveries(ctx, time.Now(), free, s.lease())
			if err != nil && ctx.Err() == nil {
				s.log.Warn("events: claim deliveries", "err", err)
			}
			for _, d := range ds {
				slots <- struct{}{}
				wg.Go(func() {
					defer func() {
						<-slots
						select { // wake the loop: a slot is free
						case done <- struct{}{}:
						default:
						}
					}()
					s.deliver(ctx, d)
				})
			}
			if len(ds) == free && free > 0 {
				continue // there may be more due
			}
		}
		if time.Now().After(nextPrune) {
			nextPrune = time.Now().Add(time.Hour)
			if n, err := s.store.PruneEvents(ctx, time.Now().Add(-s.cfg.Retention)); err != nil {
				s.log.Warn("events: prune", "err", err)
			} else if n > 0 {
				s.log.Info("events: pruned old events", "events", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-poll.C:
		case <-done:
		}
	}
}

// lease is how long a claimed delivery is left to its worker: an attempt
// and some slack. A worker that dies leaves it to be retried after this.
func (s *Service) lease() time.Duration { return s.cfg.Timeout + 30*time.Second }

// payload is the JSON body of a delivery and the data of a stream message.
type payload struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Body is the JSON an event is delivered as: {"id","type","created_at","data"}.
func Body(e *coffer.Event) []byte {
	b, _ := json.Marshal(payload{ID: e.ID, Type: e.Type, CreatedAt: e.CreatedAt.UTC(), Data: e.Data})
	return b
}

// deliver makes one attempt and records its outcome.
func (s *Service) deliver(ctx context.Context, d *coffer.Delivery) {
	code, err := s.post(ctx, d)
	if ctx.Err() != nil {
		return // shutting down: the lease expires and the attempt is made again
	}
	now := time.Now()
	d.LastCode, d.LastError = code, ""
	if err == nil {
		d.Status, d.DeliveredAt = coffer.DeliveryDelivered, &now
	} else {
		d.LastError = err.Error()
		d.NextAttemptAt = now.Add(Backoff(d.Attempts, s.cfg.RetryInitial, s.cfg.RetryMax, nil))
		if d.NextAttemptAt.Sub(d.Event.CreatedAt) > s.cfg.MaxAge {
			d.Status = coffer.DeliveryFailed
			s.log.Warn("events: giving up a webhook delivery", "webhook", d.WebhookID, "event", d.EventID, "attempts", d.Attempts, "err", err)
		} else {
			s.log.Debug("events: webhook delivery failed; will retry", "webhook", d.WebhookID, "event", d.EventID, "attempt", d.Attempts, "next", d.NextAttemptAt, "err", err)
		}
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.store.FinishAttempt(fctx, d); err != nil && coffer.ErrorCode(err) != coffer.ENOTFOUND { // not found: webhook deleted meanwhile
		s.log.Error("events: record delivery", "webhook", d.WebhookID, "event", d.EventID, "err", err)
	}
}

// post sends d's event and returns the HTTP status (0 without an answer).
func (s *Service) post(ctx context.Context, d *coffer.Delivery) (int, error) {
	body := Body(d.Event)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "coffer-webhooks/1")
	req.Header.Set("Coffer-Event-Id", d.EventID)
	req.Header.Set("Coffer-Event-Type", d.EventType)
	req.Header.Set("Coffer-Delivery-Attempt", fmt.Sprint(d.Attempts))
	req.Header.Set(SignatureHeader, Sign(d.Webhook.Secret, time.Now(), body))
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && loc != "" {
			return resp.StatusCode, fmt.Errorf("HTTP %d: redirect to %s not followed (only redirects to the same host are)", resp.StatusCode, loc)
		}
		return resp.StatusCode, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// newClient is the HTTP client of deliveries: no proxy from the
// environment, redirects followed only to the same scheme and host (three at
// most), and — unless private targets are allowed — connections refused to
// any address that is not public, checked on the resolved IP so that DNS
// cannot smuggle one in.
func newClient(cfg Config) *http.Client {
	dialer := &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}
	if !cfg.AllowPrivateTargets {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return err
			}
			if !PublicAddr(ap.Addr()) {
				return fmt.Errorf("webhook target %s is not a public address (events.allow_private_targets is off)", ap.Addr())
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy: nil, DialContext: dialer.DialContext, ForceAttemptHTTP2: true,
		MaxIdleConns: 100, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second,
		TLSHandshakeTimeout: cfg.Timeout, ResponseHeaderTimeout: cfg.Timeout,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			first := via[0].URL
			if len(via) > 3 || req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

// nonPublic are the ranges a webhook may not reach by default, besides what
// netip classifies (loopback, private, link-local, multicast, unspecified).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach IPv4 private space
	netip.MustParsePrefix("2001:db8::/32"),
}

// PublicAddr reports whether a is a public unicast address.
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// ValidateURL checks a webhook URL: absolute http or https with a host, no
// credentials or fragment, and — unless private targets are allowed — not
// an IP literal or name that is obviously not public (the dialer checks
// every resolved address again).
func (s *Service) ValidateURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return coffer.Errorf(coffer.EINVALID, "url must be an absolute http:// or https:// URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return coffer.Errorf(coffer.EINVALID, "url scheme must be http or https, not %q", u.Scheme)
	}
	if u.User != nil || u.Fragment != "" {
		return coffer.Errorf(coffer.EINVALID, "url must not carry credentials or a fragment")
	}
	if len(raw) > 2048 {
		return coffer.Errorf(coffer.EINVALID, "url is longer than 2048 characters")
	}
	if s.cfg.AllowPrivateTargets {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if a, err := netip.ParseAddr(host); err == nil && !PublicAddr(a) || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return coffer.Errorf(coffer.EINVALID, "url points at a non-public address (%s); set events.allow_private_targets to allow it", host)
	}
	return nil
}

// ErrNotStreamable is returned when the connection cannot stream.
var ErrNotStreamable = errors.New("events: the response writer cannot flush")
