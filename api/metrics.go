package api

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// metrics keeps request counts and latency histograms per route, served in
// the Prometheus text format at /metrics.
type metrics struct {
	mu      sync.Mutex
	started time.Time
	series  map[seriesKey]*histogram
	gauges  []gauge // registered by other parts (RegisterGauge)
}

// Sample is one value of a registered gauge, with its labels.
type Sample struct {
	Labels map[string]string
	Value  float64
}

type gauge struct {
	name, help string
	collect    func() []Sample
}

// RegisterGauge adds a gauge to /metrics: collect is called on every scrape
// (it must be quick and safe for concurrent use) and its samples are written
// as name{labels} value. Use it before the server starts serving.
func (s *Server) RegisterGauge(name, help string, collect func() []Sample) {
	s.metrics.mu.Lock()
	s.metrics.gauges = append(s.metrics.gauges, gauge{name: name, help: help, collect: collect})
	s.metrics.mu.Unlock()
}

type seriesKey struct {
	method, route string
	status        int
}

var buckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

type histogram struct {
	counts []uint64
	count  uint64
	sum    float64
}

func newMetrics() *metrics { return &metrics{started: time.Now(), series: map[seriesKey]*histogram{}} }

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	if status == 0 {
		status = http.StatusOK
	}
	sec := d.Seconds()
	m.mu.Lock()
	k := seriesKey{method, route, status}
	h := m.series[k]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(buckets))}
		m.series[k] = h
	}
	for i, b := range buckets {
		if sec <= b {
			h.counts[i]++
		}
	}
	h.count++
	h.sum += sec
	m.mu.Unlock()
}

func (m *metrics) serve(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	keys := make([]seriesKey, 0, len(m.series))
	for k := range m.series {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].route != keys[j].route {
			return keys[i].route < keys[j].route
		}
		return keys[i].status < keys[j].status
	})
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# HELP coffer_uptime_seconds Seconds since the server started.\n# TYPE coffer_uptime_seconds gauge\ncoffer_uptime_seconds %g\n", time.Since(m.started).Seconds())
	fmt.Fprintf(w, "# HELP coffer_http_request_duration_seconds HTTP request latency by route and status.\n# TYPE coffer_http_request_duration_seconds histogram\n")
	for _, k := range keys {
		h := m.series[k]
		labels := fmt.Sprintf("method=%q,route=%q,status=\"%d\"", k.method, k.route, k.status)
		for i, b := range buckets {
			fmt.Fprintf(w, "coffer_http_request_duration_seconds_bucket{%s,le=\"%s\"} %d\n", labels, strconv.FormatFloat(b, 'g', -1, 64), h.counts[i])
		}
		fmt.Fprintf(w, "coffer_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", labels, h.count)
		fmt.Fprintf(w, "coffer_http_request_duration_seconds_sum{%s} %g\ncoffer_http_request_duration_seconds_count{%s} %d\n", labels, h.sum, labels, h.count)
	}
	gauges := m.gauges
	m.mu.Unlock()
	for _, g := range gauges {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n", g.name, g.help, g.name)
		for _, s := range g.collect() {
			names := make([]string, 0, len(s.Labels))
			for k := range s.Labels {
				names = append(names, k)
			}
			sort.Strings(names)
			labels := ""
			for i, k := range names {
				if i > 0 {
					labels += ","
				}
				labels += fmt.Sprintf("%s=%q", k, s.Labels[k])
			}
			if labels != "" {
				labels = "{" + labels + "}"
			}
			fmt.Fprintf(w, "%s%s %s\n", g.name, labels, strconv.FormatFloat(s.Value, 'g', -1, 64))
		}
	}
}
