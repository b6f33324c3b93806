package loadtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Report is what a run did and found.
type Report struct {
	Target  Target
	Mode    Mode
	Clients int
	Limit   int
	Filters string
	// Stopped says what ended the run: "duration", "requests" or
	// "interrupted".
	Stopped string
	Wall    time.Duration

	// Requests were answered or failed; Pages are the answers that were
	// envelopes. Requests cut off by the end of the run count in
	// Interrupted only.
	Requests, Pages, Objects, Bytes int64
	Interrupted                     int64
	Errors                          Errors
	Latency                         Latency
	// Walks is set in Walk mode.
	Walks *WalkStats

	// CPU is this process's user and system time during the run, when the
	// platform tells (CPUMeasured): set against Wall and GOMAXPROCS, it
	// shows whether the load generator itself was the limit.
	CPU         time.Duration
	CPUMeasured bool
	GOMAXPROCS  int
}

// Errors counts failed requests by cause.
type Errors struct {
	ByStatus  map[int]int64 // HTTP status other than 200
	Timeout   int64         // the request timeout passed
	Transport int64         // connection refused, reset, TLS...
	BadBody   int64         // a 200 whose body is not a whole envelope
	// MoreWithoutNext counts pages with "more": true but no "next" to
	// follow (walk mode): the page itself counts as a success.
	MoreWithoutNext int64
	Samples         []string // a few distinct messages
}

// Total is the number of errors.
func (e Errors) Total() int64 {
	n := e.Timeout + e.Transport + e.BadBody + e.MoreWithoutNext
	for _, c := range e.ByStatus {
		n += c
	}
	return n
}

// Latency is the time to a whole response, from recorded durations
// (within 0.4%, the maximum exact), over every answered request.
type Latency struct {
	P50, P90, P99, Max time.Duration
}

// fill sums the clients' counts into r.
func (r *Report) fill(clients []*client, walking bool) {
	var all stats
	var walks WalkStats
	for _, c := range clients {
		all.merge(&c.st)
		mergeWalks(&walks, c.walks)
	}
	r.Requests, r.Pages, r.Objects, r.Bytes, r.Interrupted = all.requests, all.pages, all.objects, all.bytes, all.interrupted
	r.Errors = Errors{ByStatus: all.byStatus, Timeout: all.timeouts, Transport: all.transport,
		BadBody: all.badBodies, MoreWithoutNext: all.noNext, Samples: all.samples}
	h := &all.latency
	r.Latency = Latency{P50: h.quantile(0.50), P90: h.quantile(0.90), P99: h.quantile(0.99), Max: h.max}
	if walking {
		r.Walks = &walks
	}
}

func (r Report) perSecond(n int64) float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(n) / r.Wall.Seconds()
}

// WriteText writes the report for people.
func (r Report) WriteText(w io.Writer) error {
	b := &strings.Builder{}
	line := func(label, format string, args ...any) {
		fmt.Fprintf(b, "%-11s "+format+"\n", append([]any{label}, args...)...)
	}
	line("collection", "%s%s", r.Target.URL, parenthesised(r.Target.Title))
	line("mode", "%s: %s, limit %d, filters %s", r.Mode, plural(r.Clients, "client"), r.Limit, cmp.Or(r.Filters, "none"))
	ended := map[string]string{"duration": "the duration", "requests": "the request limit", "interrupted": "an interrupt"}
	line("ran", "%s, ended by %s", r.Wall.Round(time.Millisecond), cmp.Or(ended[r.Stopped], r.Stopped))
	line("requests", "%s (%.1f/s), %s errors", count(r.Requests), r.perSecond(r.Requests), count(r.Errors.Total()))
	line("pages", "%s (%.1f/s)", count(r.Pages), r.perSecond(r.Pages))
	line("objects", "%s (%.0f/s)", count(r.Objects), r.perSecond(r.Objects))
	line("bytes", "%.1f MB (%.1f MB/s)", float64(r.Bytes)/1e6, r.perSecond(r.Bytes)/1e6)
	l := r.Latency
	line("latency", "p50 %s  p90 %s  p99 %s  max %s", ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max))
	r.writeErrors(line)
	if r.Walks != nil {
		r.writeWalks(line)
	}
	r.writeCPU(line)
	_, err := io.WriteString(w, b.String())
	return err
}

func (r Report) writeErrors(line func(string, string, ...any)) {
	e := r.Errors
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(e.ByStatus)) {
		parts = append(parts, fmt.Sprintf("HTTP %d: %s", code, count(e.ByStatus[code])))
	}
	for _, p := range []struct {
		name string
		n    int64
	}{{"timeout", e.Timeout}, {"transport", e.Transport}, {"bad body", e.BadBody}, {"more without next", e.MoreWithoutNext}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%s: %s", p.name, count(p.n)))
		}
	}
	line("errors", "%s", cmp.Or(strings.Join(parts, ", "), "none"))
	for _, s := range e.Samples {
		line("", "e.g. %s", s)
	}
	if r.Interrupted > 0 {
		line("", "%s cut off by the end of the run (not counted)", plural(int(r.Interrupted), "request"))
	}
}

func (r Report) writeWalks(line func(string, string, ...any)) {
	w := r.Walks
	size := fmt.Sprintf("%d objects each", w.ObjectsMin)
	if w.ObjectsMin != w.ObjectsMax {
		size = fmt.Sprintf("%d to %d objects", w.ObjectsMin, w.ObjectsMax)
	}
	if w.Complete == 0 {
		size = "none finished"
	}
	line("walks", "%d complete (%s), %d aborted by errors, %d unfinished at the end",
		w.Complete, size, w.Aborted, w.Unfinished)
	line("duplicates", "%d (same id and version twice within one walk; every walk checked)", w.Duplicates)
	if w.Compared == 0 {
		line("gaps", "not checked: no client completed two walks in a row")
	} else {
		line("gaps", "%d (ids of a client's previous complete walk missing from its next: %s compared, %d identical)",
			w.Gaps, plural(int(w.Compared), "pair"), w.Identical)
	}
	if w.Untracked > 0 || w.Unchecked > 0 {
		line("", "%d objects without id not tracked; %d walks over the tracking limit not checked", w.Untracked, w.Unchecked)
	}
}

func (r Report) writeCPU(line func(string, string, ...any)) {
	if !r.CPUMeasured {
		line("tool CPU", "not measured on this platform (GOMAXPROCS %d)", r.GOMAXPROCS)
		return
	}
	line("tool CPU", "%s in %s: %.2f of %d cores (this process: well under all of them, the tool was not the limit)",
		r.CPU.Round(time.Millisecond), r.Wall.Round(time.Millisecond), r.perSecond(int64(r.CPU))/1e9, r.GOMAXPROCS)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func parenthesised(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms" }

// count writes n with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// WriteJSON writes the report as one JSON object, durations in seconds
// and milliseconds.
func (r Report) WriteJSON(w io.Writer) error {
	byStatus := map[string]int64{}
	for code, n := range r.Errors.ByStatus {
		byStatus[strconv.Itoa(code)] = n
	}
	msec := func(d time.Duration) float64 { return float64(d) / 1e6 }
	v := map[string]any{
		"collection": r.Target, "mode": r.Mode, "clients": r.Clients, "limit": r.Limit, "filters": r.Filters,
		"stopped": r.Stopped, "wall_seconds": r.Wall.Seconds(),
		"requests": r.Requests, "pages": r.Pages, "objects": r.Objects, "bytes": r.Bytes, "interrupted": r.Interrupted,
		"requests_per_second": r.perSecond(r.Requests), "pages_per_second": r.perSecond(r.Pages),
		"objects_per_second": r.perSecond(r.Objects), "mb_per_second": r.perSecond(r.Bytes) / 1e6,
		"errors": map[string]any{"total": r.Errors.Total(), "http": byStatus, "timeout": r.Errors.Timeout,
			"transport": r.Errors.Transport, "bad_body": r.Errors.BadBody,
			"more_without_next": r.Errors.MoreWithoutNext, "samples": r.Errors.Samples},
		"latency_ms": map[string]float64{"p50": msec(r.Latency.P50), "p90": msec(r.Latency.P90),
			"p99": msec(r.Latency.P99), "max": msec(r.Latency.Max)},
		"cpu": map[string]any{"measured": r.CPUMeasured, "seconds": r.CPU.Seconds(),
			"cores_used": r.perSecond(int64(r.CPU)) / 1e9, "gomaxprocs": r.GOMAXPROCS},
	}
	if r.Walks != nil {
		v["walks"] = r.Walks
		v["gap_check"] = "ids of each client's previous complete walk missing from its next"
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
