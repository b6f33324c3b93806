package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// benchEnvelope is a TAXII envelope of distinct indicators of about the
// given size, shaped like what Sentinel and MISP push (a name, a
// description, labels, a STIX pattern, an external reference).
func benchEnvelope(size int) (string, int) {
	var b strings.Builder
	b.WriteString(`{"objects":[`)
	n := 0
	for b.Len() < size-1000 {
		if n > 0 {
			b.WriteByte(',')
		}
		id := uuid.NewString()
		fmt.Fprintf(&b, `{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-11-01T10:00:00.000Z",`+
			`"modified":"2026-11-01T10:00:00.000Z","name":"Malicious IP 203.0.%d.%d","description":"Seen in phishing campaign %s; `+
			`pushed from the SOC's triage playbook for correlation across tools.","indicator_types":["malicious-activity"],`+
			`"pattern":"[ipv4-addr:value = '203.0.%d.%d']","pattern_type":"stix","valid_from":"2026-11-01T10:00:00Z",`+
			`"labels":["phishing","soc-triage"],"confidence":80,"external_references":[{"source_name":"soc-case","external_id":"CASE-%d"}]}`,
			id, n/250%250, n%250, id[:8], n/250%250, n%250, n)
		n++
	}
	b.WriteString(`]}`)
	return b.String(), n
}

// BenchmarkAddObjects10MB posts 10 MB envelopes of new indicators to a
// writable collection of a running serve over loopback HTTP: the real
// path of a push (negotiation, Basic auth from the cache, envelope
// decoding, the mapping's validation of every object, one fsynced
// commit with the status). Reports objects/s and MB/s.
//
//	go test ./cmd/gib-taxii -run '^$' -bench AddObjects10MB -benchtime 5x
func BenchmarkAddObjects10MB(b *testing.B) {
	_, cfg := writableConfig(b)
	cfg.TAXII.MaxContentLength = 11 << 20
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), func(a *app) { addr <- a.Addr() }) }()
	url := "http://" + <-addr + "/gib/collections/indicators/objects/"
	post := func(body string) {
		status, reply, err := postTAXII(url, body)
		require.NoError(b, err)
		require.Equal(b, http.StatusAccepted, status, "%.300s", reply)
		require.Contains(b, string(reply), `"failure_count":0`)
	}
	post(`{"objects":[` + indicator(1) + `]}`) // sign in once: bcrypt is not what is measured
	b.ReportAllocs()
	objects, bytes := 0, 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		env, n := benchEnvelope(10 << 20)
		b.StartTimer()
		post(env)
		objects, bytes = objects+n, bytes+len(env)
	}
	b.StopTimer()
	b.ReportMetric(float64(objects)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(float64(bytes)/(1<<20)/b.Elapsed().Seconds(), "MB/s")
	b.ReportMetric(float64(objects)/float64(b.N), "objects/POST")
	cancel()
	require.NoError(b, <-done)
}
