package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/events"
)

// Webhooks and the event stream (docs/EVENTS.md).

type webhookView struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret,omitempty"` // only in the answer to POST
	CreatedAt time.Time `json:"created_at"`
}

func viewWebhook(wh *coffer.Webhook) webhookView {
	return webhookView{ID: wh.ID, URL: wh.URL, Events: wh.Events, CreatedAt: wh.CreatedAt}
}

type deliveryView struct {
	EventID       string     `json:"event_id"`
	EventType     string     `json:"event_type"`
	Subject       string     `json:"subject"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	LastAttemptAt *time.Time `json:"last_attempt_at,omitempty"`
	LastCode      int        `json:"last_status_code,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
}

func (s *Server) eventsService() (*events.Service, error) {
	if s.Events == nil {
		return nil, coffer.Errorf(coffer.EUNAVAILABLE, "events are not enabled in this process")
	}
	return s.Events, nil
}

// eventPatterns validates a list of event types and families, dropping
// those another one in the list covers.
func eventPatterns(field string, ps []string) ([]string, error) {
	var out []string
	for _, p := range ps {
		if !coffer.ValidEventPattern(p) {
			return nil, coffer.Errorf(coffer.EINVALID, "%s: unknown event type %q (one of %s, a family such as \"mint.*\", or \"*\")",
				field, p, strings.Join(coffer.EventTypes, ", "))
		}
		out = append(out, p)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	covered := func(p string) bool { // by another family in the list
		for _, q := range out {
			if q != p && (q == "*" || strings.HasSuffix(q, ".*") && strings.HasPrefix(p, strings.TrimSuffix(q, "*"))) {
				return true
			}
		}
		return false
	}
	var kept []string
	for _, p := range out {
		if !covered(p) {
			kept = append(kept, p)
		}
	}
	return kept, nil
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	if _, err := admin(r.Context()); err != nil {
		return err
	}
	ev, err := s.eventsService()
	if err != nil {
		return err
	}
	var req struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
		Secret string   `json:"secret"`
	}
	if _, err := s.decode(r, &req); err != nil {
		return err
	}
	if req.URL == "" {
		return coffer.Errorf(coffer.EINVALID, "url is required")
	}
	if err := ev.ValidateURL(req.URL); err != nil {
		return err
	}
	if len(req.Events) == 0 {
		return coffer.Errorf(coffer.EINVALID, "events is required: the event types to deliver, e.g. [\"transaction.*\", \"mint.*\", \"nft.transfer\"]")
	}
	patterns, err := eventPatterns("events", req.Events)
	if err != nil {
		return err
	}
	if req.Secret == "" {
		req.Secret = events.NewSecret()
	} else if len(req.Secret) < 16 || len(req.Secret) > 256 {
		return coffer.Errorf(coffer.EINVALID, "secret must be 16 to 256 characters (omit it to have one generated)")
	}
	wh := &coffer.Webhook{URL: req.URL, Events: patterns, Secret: req.Secret}
	if err := s.Store.CreateWebhook(r.Context(), wh); err != nil {
		return err
	}
	v := viewWebhook(wh)
	v.Secret = wh.Secret
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	if _, err := admin(r.Context()); err != nil {
		return err
	}
	ws, err := s.Store.Webhooks(r.Context())
	if err != nil {
		return err
	}
	out := page[webhookView]{Items: []webhookView{}}
	for _, wh := range ws {
		out.Items = append(out.Items, viewWebhook(wh))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	if _, err := admin(r.Context()); err != nil {
		return err
	}
	wh, err := s.Store.Webhook(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewWebhook(wh))
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if _, err := admin(r.Context()); err != nil {
		return err
	}
	if err := s.Store.DeleteWebhook(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	if _, err := admin(r.Context()); err != nil {
		return err
	}
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := s.Store.Webhook(r.Context(), id); err != nil {
		return err
	}
	ds, next, err := s.Store.Deliveries(r.Context(), id, limit, r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	out := page[deliveryView]{Items: []deliveryView{}, NextCursor: next}
	for _, d := range ds {
		v := deliveryView{EventID: d.EventID, EventType: d.EventType, Subject: d.Subject, Status: d.Status, Attempts: d.Attempts,
			LastAttemptAt: d.LastAttemptAt, LastCode: d.LastCode, LastError: d.LastError, CreatedAt: d.CreatedAt, DeliveredAt: d.DeliveredAt}
		if d.Status == coffer.DeliveryPending {
			v.NextAttemptAt = &d.NextAttemptAt
		}
		out.Items = append(out.Items, v)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// streamEvents is GET /v1/events: the caller's events as Server-Sent Events.
// Users see the events of their own transactions, mints and tokens; admins
// see every event. ?types=mint.*,nft.transfer narrows; Last-Event-ID (or
// ?last_event_id=) resumes after an event.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r.Context())
	if err != nil {
		return err
	}
	ev, err := s.eventsService()
	if err != nil {
		return err
	}
	req := events.StreamRequest{LastEventID: r.Header.Get("Last-Event-ID")}
	if req.LastEventID == "" {
		req.LastEventID = r.URL.Query().Get("last_event_id")
	}
	if !p.IsAdmin() {
		if p.UserID == "" {
			return coffer.Errorf(coffer.EFORBIDDEN, "the event stream is for users and admins")
		}
		req.Filter.OwnerID = p.UserID
	}
	if t := r.URL.Query().Get("types"); t != "" {
		if req.Filter.Types, err = eventPatterns("types", strings.Split(t, ",")); err != nil {
			return err
		}
	}
	note, err := ev.Resolve(r.Context(), &req)
	if err != nil {
		return err
	}
	return ev.Stream(r.Context(), w, req, note)
}
