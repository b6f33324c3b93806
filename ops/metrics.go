package ops

import (
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds gib-taxii's Prometheus metrics. It implements the Metrics
// interfaces of the taxii and ingest packages and is safe for concurrent
// use.
type Metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	objectsServed *prometheus.CounterVec

	pages    *prometheus.CounterVec
	items    *prometheus.CounterVec
	objects  *prometheus.CounterVec
	skipped  *prometheus.CounterVec
	queued   *prometheus.GaugeVec
	failures *prometheus.CounterVec
	refused  prometheus.Counter
}

// NewMetrics registers the metrics; storePath is the store file whose size
// is reported.
func NewMetrics(storePath string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	f := promauto{m.reg}
	m.requests = f.counter("gib_taxii_requests_total", "TAXII requests by endpoint and HTTP status.", "endpoint", "status")
	m.latency = f.histogram("gib_taxii_request_duration_seconds", "TAXII request latency by endpoint.", "endpoint")
	m.objectsServed = f.counter("gib_taxii_objects_served_total", "Objects and manifest records returned, by endpoint.", "endpoint")
	m.pages = f.counter("gib_taxii_ingest_pages_total", "Group-IB pages committed, by collection.", "gib_collection")
	m.items = f.counter("gib_taxii_ingest_items_total", "Group-IB items received, by collection.", "gib_collection")
	m.objects = f.counter("gib_taxii_ingest_objects_written_total", "New STIX object versions stored, by Group-IB collection.", "gib_collection")
	m.skipped = f.counter("gib_taxii_ingest_items_skipped_total", "Items that could not be mapped, by collection.", "gib_collection")
	m.queued = f.gauge("gib_taxii_ingest_queued_items", "Items the Group-IB API still has queued (cursor lag), by collection.", "gib_collection")
	m.failures = f.counter("gib_taxii_ingest_failures_total", "Failed ingest passes by collection and class (access, rate_limit, server, network, bad_page, other).", "gib_collection", "class")
	m.refused = prometheus.NewCounter(prometheus.CounterOpts{Name: "gib_taxii_connections_refused_total",
		Help: "Connections refused because taxii.max_connections were open."})
	m.reg.MustRegister(m.refused)
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gib_taxii_store_size_bytes", Help: "Size of the bbolt store file.",
	}, func() float64 {
		st, err := os.Stat(storePath)
		if err != nil {
			return 0
		}
		return float64(st.Size())
	}))
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Request implements taxii.Metrics.
func (m *Metrics) Request(endpoint string, status int, d time.Duration, objects int) {
	m.requests.WithLabelValues(endpoint, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(endpoint).Observe(d.Seconds())
	if objects > 0 {
		m.objectsServed.WithLabelValues(endpoint).Add(float64(objects))
	}
}

// Page implements ingest.Metrics.
func (m *Metrics) Page(collection string, items, objectsAdded, skipped int, queued int64) {
	m.pages.WithLabelValues(collection).Inc()
	m.items.WithLabelValues(collection).Add(float64(items))
	m.objects.WithLabelValues(collection).Add(float64(objectsAdded))
	m.skipped.WithLabelValues(collection).Add(float64(skipped))
	m.queued.WithLabelValues(collection).Set(float64(queued))
}

// Failure implements ingest.Metrics.
func (m *Metrics) Failure(collection, class string) {
	m.failures.WithLabelValues(collection, class).Inc()
}

// promauto registers metrics on one registry.
type promauto struct{ reg *prometheus.Registry }

func (p promauto) counter(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	p.reg.MustRegister(c)
	return c
}

func (p promauto) gauge(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	p.reg.MustRegister(g)
	return g
}

func (p promauto) histogram(name, help string, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help,
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, labels)
	p.reg.MustRegister(h)
	return h
}

// ConnectionRefused counts a connection refused at the connection cap.
func (m *Metrics) ConnectionRefused() { m.refused.Inc() }

// Watch registers figures read at scrape time from the process's memory,
// so that they show even when the store cannot be written or read:
// gib_taxii_store_damaged (1 once damage was met in the store file) and
// gib_taxii_ingest_consecutive_errors per Group-IB collection. Call it
// once.
func (m *Metrics) Watch(storeDamaged func() bool, ingestErrors func() map[string]int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gib_taxii_store_damaged", Help: "1 when the store file was found damaged: restore a backup.",
	}, func() float64 {
		if storeDamaged() {
			return 1
		}
		return 0
	}))
	m.reg.MustRegister(&funcCollector{
		desc: prometheus.NewDesc("gib_taxii_ingest_consecutive_errors",
			"Failed passes in a row per Group-IB collection, as ingest holds them in memory.", []string{"gib_collection"}, nil),
		values: ingestErrors,
	})
}

// funcCollector reports one gauge per label value from a function.
type funcCollector struct {
	desc   *prometheus.Desc
	values func() map[string]int
}

func (c *funcCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *funcCollector) Collect(ch chan<- prometheus.Metric) {
	for label, v := range c.values() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(v), label)
	}
}

// LookupStats are the lookup service's counts (lookup.Stats).
type LookupStats struct {
	Lookups, CacheHits, Upstream, Items int64
	UpstreamSeconds                     float64
}

// WatchLookups registers the lookup counters, read at scrape time:
// gib_taxii_lookups_total, gib_taxii_lookup_cache_hits_total,
// gib_taxii_lookup_upstream_requests_total, gib_taxii_lookup_items_total
// and gib_taxii_lookup_upstream_seconds_total (divided by the requests:
// the mean upstream latency). Call it once.
func (m *Metrics) WatchLookups(stats func() LookupStats) {
	for _, c := range []struct {
		name, help string
		value      func(LookupStats) float64
	}{
		{"gib_taxii_lookups_total", "Lookups asked (GET /{api-root}/lookup/).", func(s LookupStats) float64 { return float64(s.Lookups) }},
		{"gib_taxii_lookup_cache_hits_total", "Lookups answered from the cache.", func(s LookupStats) float64 { return float64(s.CacheHits) }},
		{"gib_taxii_lookup_upstream_requests_total", "Group-IB API requests made for lookups.", func(s LookupStats) float64 { return float64(s.Upstream) }},
		{"gib_taxii_lookup_items_total", "Group-IB items fetched and mapped for lookups.", func(s LookupStats) float64 { return float64(s.Items) }},
		{"gib_taxii_lookup_upstream_seconds_total", "Time spent in Group-IB API requests for lookups.", func(s LookupStats) float64 { return s.UpstreamSeconds }},
	} {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: c.name, Help: c.help},
			func() float64 { return c.value(stats()) }))
	}
}

// WatchLeader registers gib_taxii_ingest_leader: 1 on the replica that
// holds the ingest lease, 0 on the others. Call it once.
func (m *Metrics) WatchLeader(leading func() bool) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gib_taxii_ingest_leader", Help: "1 when this replica runs ingest (it holds the ingest lease).",
	}, func() float64 {
		if leading() {
			return 1
		}
		return 0
	}))
}
