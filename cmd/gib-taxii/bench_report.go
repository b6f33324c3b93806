package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gib-taxii/gib-taxii/loadtest"
)

// benchReport is what one bench run measured.
type benchReport struct {
	opts                          benchOptions
	started                       time.Time
	store                         builtStore
	rawScan                       float64 // objects/s
	walk, first, deep, many, rare loadtest.Report
	heapPeak                      int64
	exportTime                    time.Duration
	exportRSSAnon                 int64
	ingest                        []ingestRow
}

// benchRow is one line of the table.
type benchRow struct{ measure, result, target, met string }

func (r *benchReport) rows() []benchRow {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	yes := func(ok bool) string { return map[bool]string{true: "yes", false: "**no**"}[ok] }
	var rows []benchRow
	for _, in := range r.ingest {
		share := in.perSecond / in.mapRate
		target, ok := ">= 1,000 items/s", in.perSecond >= 1000
		if in.collection == "ioc/common" {
			target, ok = ">= 5,000 items/s and >= 50% of mapping alone", in.perSecond >= 5000 && share >= 0.5
		}
		rows = append(rows, benchRow{fmt.Sprintf("ingest, %d %s items", in.items, in.collection),
			fmt.Sprintf("%.0f items/s (mapping alone: %.0f items/s; %.0f%%)", in.perSecond, in.mapRate, 100*share), target, yes(ok)})
		if in.collection == "ioc/common" {
			rows = append(rows, benchRow{"bytes written per ingested ioc/common item",
				fmt.Sprintf("%.1f KB", in.writtenPerItem/1024), "<= 10 KB", yes(in.writtenPerItem <= 10240)})
		}
	}
	s := r.store
	ratio := float64(s.fileBytes) / float64(s.jsonBytes)
	rows = append(rows, benchRow{"store size", fmt.Sprintf("%.0f MB for %.0f MB of compact JSON (%.2fx; %.0f B per version; of which the values index %.0f B)",
		float64(s.fileBytes)/1e6, float64(s.jsonBytes)/1e6, ratio, float64(s.fileBytes)/float64(s.versions),
		float64(s.buckets["values"])/float64(s.versions)), "<= 2x the JSON", yes(ratio <= 2)})
	walkRate := float64(r.walk.Objects) / r.walk.Wall.Seconds()
	rows = append(rows, benchRow{"full page-through by next, limit=1000, 1 client",
		fmt.Sprintf("%.0f objects/s = %.0f%% of the raw scan", walkRate, 100*walkRate/r.rawScan), ">= 50% of the raw scan", yes(walkRate >= r.rawScan/2)})
	for _, l := range []struct {
		name string
		rep  loadtest.Report
	}{{"first page, 1 client", r.first}, {"deep page (added_after at the middle), 1 client", r.deep}} {
		rows = append(rows, benchRow{l.name, fmt.Sprintf("p50 %s, p99 %s", ms(l.rep.Latency.P50), ms(l.rep.Latency.P99)),
			"p50 <= 5 ms, p99 <= 15 ms", yes(l.rep.Latency.P50 <= 5*time.Millisecond && l.rep.Latency.P99 <= 15*time.Millisecond)})
	}
	m, one := r.many, r.first
	agg, single := float64(m.Objects)/m.Wall.Seconds(), float64(one.Objects)/one.Wall.Seconds()
	rows = append(rows, benchRow{fmt.Sprintf("%d concurrent clients, first pages", m.Clients),
		fmt.Sprintf("%d errors; %.0f objects/s (1 client: %.0f); p50 %s, p99 %s", m.Errors.Total(), agg, single, ms(m.Latency.P50), ms(m.Latency.P99)),
		"no errors; aggregate >= 1 client's; p99 <= 3x p50", yes(m.Errors.Total() == 0 && agg >= single && m.Latency.P99 <= 3*m.Latency.P50)})
	rows = append(rows, benchRow{fmt.Sprintf("match[type]=%s (1%% of the objects), first page", s.rareType),
		fmt.Sprintf("p50 %s (unfiltered %s)", ms(r.rare.Latency.P50), ms(one.Latency.P50)), "p50 <= 3x the unfiltered page",
		yes(r.rare.Latency.P50 <= 3*one.Latency.P50)})
	rows = append(rows, benchRow{fmt.Sprintf("export of %d objects (latest versions)", s.objects),
		fmt.Sprintf("%.1f s, anonymous memory at most %.0f MB", r.exportTime.Seconds(), float64(r.exportRSSAnon)/1e6),
		"<= 10 s; anonymous memory <= 100 MB", yes(r.exportTime <= 10*time.Second && r.exportRSSAnon <= 100e6)})
	rows = append(rows, benchRow{fmt.Sprintf("Go heap while serving %d clients", m.Clients),
		fmt.Sprintf("%.0f MB at most", float64(r.heapPeak)/1e6), "<= 100 MB", yes(r.heapPeak <= 100e6)})
	return rows
}

func writeBenchReport(e env, r *benchReport, out string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# gib-taxii performance\n\n")
	fmt.Fprintf(&b, "Measured by `gib-taxii bench --objects %d --ingest-items %d --clients %d --duration %s` at %s, commit %s.\n",
		r.opts.objects, r.opts.ingestItems, r.opts.clients, r.opts.duration, r.started.UTC().Format(time.RFC3339), revision())
	fmt.Fprintf(&b, "Machine: %s/%s, %d CPUs (GOMAXPROCS %d), %s; load average %s at the start, %s at the end.\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), r.opts.loadStart(), loadAverage())
	fmt.Fprintf(&b, "Everything runs in one process on loopback: the server, the load clients (`gib-taxii loadtest`'s code) and the simulator.\n\n")
	fmt.Fprintf(&b, "Raw scan of the store (every version's bytes in date_added order, one read transaction): **%.0f objects/s**.\n\n", r.rawScan)
	fmt.Fprintf(&b, "| measure | result | target | met |\n|---|---|---|---|\n")
	for _, row := range r.rows() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", row.measure, row.result, row.target, row.met)
	}
	if out == "-" {
		_, err := io.WriteString(e.stdout, b.String())
		return err
	}
	return os.WriteFile(out, []byte(b.String()), 0o644)
}

// revision is the commit the binary was built from, when Go recorded it
// (not with -buildvcs=false), else the version it was built as.
func revision() string {
	unknown := "unknown (version " + version() + ")"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return unknown
	}
	rev, dirty := unknown, ""
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			rev = s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = " (with uncommitted changes)"
		}
	}
	return rev + dirty
}

func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(raw))[:3], " ")
}
