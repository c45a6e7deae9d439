package api

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// metrics keeps request counts and latency histograms per route, served in
// the Prometheus text format at /metrics. Requests touch no lock once their
// series exists: series is a sync.Map and the histograms are atomic counters.
type metrics struct {
	mu      sync.Mutex // gauges
	started time.Time
	series  sync.Map // seriesKey → *histogram
	gauges  []gauge  // registered by other parts (RegisterGauge)
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
	counts [len(bucketsArr)]atomic.Uint64 // cumulative: counts[i] is requests ≤ buckets[i]
	count  atomic.Uint64
	sumNs  atomic.Int64 // nanoseconds
}

// bucketsArr fixes the number of buckets at compile time for histogram.
var bucketsArr [12]struct{}

func newMetrics() *metrics {
	if len(buckets) != len(bucketsArr) {
		panic("api: buckets and bucketsArr differ in length")
	}
	return &metrics{started: time.Now()}
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	if status == 0 {
		status = http.StatusOK
	}
	sec := d.Seconds()
	k := seriesKey{method, route, status}
	v, ok := m.series.Load(k)
	if !ok {
		v, _ = m.series.LoadOrStore(k, new(histogram))
	}
	h := v.(*histogram)
	for i, b := range buckets {
		if sec <= b {
			h.counts[i].Add(1)
		}
	}
	h.count.Add(1)
	h.sumNs.Add(int64(d))
}

func (m *metrics) serve(w http.ResponseWriter, r *http.Request) {
	var keys []seriesKey
	m.series.Range(func(k, _ any) bool {
		keys = append(keys, k.(seriesKey))
		return true
	})
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
		v, _ := m.series.Load(k)
		h := v.(*histogram)
		// Read count last: requests observed meanwhile make it at least every
		// bucket's count, as +Inf must be.
		var counts [len(bucketsArr)]uint64
		for i := range counts {
			counts[i] = h.counts[i].Load()
		}
		sum := time.Duration(h.sumNs.Load()).Seconds()
		count := h.count.Load()
		labels := fmt.Sprintf("method=%q,route=%q,status=\"%d\"", k.method, k.route, k.status)
		for i, b := range buckets {
			fmt.Fprintf(w, "coffer_http_request_duration_seconds_bucket{%s,le=\"%s\"} %d\n", labels, strconv.FormatFloat(b, 'g', -1, 64), counts[i])
		}
		fmt.Fprintf(w, "coffer_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", labels, count)
		fmt.Fprintf(w, "coffer_http_request_duration_seconds_sum{%s} %g\ncoffer_http_request_duration_seconds_count{%s} %d\n", labels, sum, labels, count)
	}
	m.mu.Lock()
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
