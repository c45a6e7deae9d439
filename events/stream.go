package events

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/cofferhq/coffer"
)

// StreamRequest says what a stream sends.
type StreamRequest struct {
	Filter coffer.EventFilter // OwnerID and Types; After is where it starts
	// LastEventID resumes after that event (the Last-Event-ID header); ""
	// starts at the newest event. An id no longer (or never) in the outbox
	// starts at the newest event too, after a comment saying so.
	LastEventID string
}

// Resolve turns req.LastEventID into req.Filter.After. It is separate from
// Stream so that a caller can answer errors before the stream starts.
func (s *Service) Resolve(ctx context.Context, req *StreamRequest) (note string, err error) {
	if req.LastEventID != "" {
		e, err := s.store.Event(ctx, req.LastEventID)
		switch {
		case err == nil:
			req.Filter.After = e.Seq
			return "", nil
		case coffer.ErrorCode(err) != coffer.ENOTFOUND:
			return "", err
		}
		note = "unknown Last-Event-ID " + req.LastEventID + "; streaming from now"
	}
	req.Filter.After, err = s.store.LastEventSeq(ctx)
	return note, err
}

// Stream writes events as Server-Sent Events until the client leaves or ctx
// ends: "id:" is the event id (what Last-Event-ID resumes from), "event:"
// its type, "data:" the JSON of Body; a comment every Heartbeat keeps
// proxies from closing an idle stream. The server's write timeout is pushed
// ahead before every write, so it does not cut the stream.
func (s *Service) Stream(ctx context.Context, w http.ResponseWriter, req StreamRequest, note string) error {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer
	extend := func() { _ = rc.SetWriteDeadline(time.Now().Add(s.cfg.Heartbeat + 30*time.Second)) }
	extend()
	w.WriteHeader(http.StatusOK)
	if note != "" {
		fmt.Fprintf(w, ": %s\n\n", note)
	}
	fmt.Fprintf(w, "retry: 2000\n\n")
	if err := rc.Flush(); err != nil {
		return ErrNotStreamable
	}
	f := req.Filter
	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	beat := time.NewTicker(s.cfg.Heartbeat)
	defer beat.Stop()
	for {
		changed := s.changed()
		for {
			es, err := s.store.Events(ctx, f)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("events: stream read failed; closing it (the client resumes with Last-Event-ID)", "err", err)
				}
				return nil
			}
			if len(es) == 0 {
				break
			}
			extend()
			for _, e := range es {
				if _, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", e.ID, e.Type, Body(e)); err != nil {
					return nil // the client left
				}
				f.After = e.Seq
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
			beat.Reset(s.cfg.Heartbeat)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-poll.C:
		case <-beat.C:
			extend()
			if _, err := fmt.Fprintf(w, ": heartbeat %s\n\n", time.Now().UTC().Format(time.RFC3339)); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		}
	}
}
