package main

import (
	"io"
	"log/slog"
	"time"
)

var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
}

// newLogger builds the process's one logger; components get it injected.
func newLogger(w io.Writer, cfg logConfig) *slog.Logger {
	opts := &slog.HandlerOptions{Level: logLevels[cfg.Level], ReplaceAttr: readableDuration}
	if cfg.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// readableDuration writes durations as "12.5ms", not as a count of
// nanoseconds (the JSON handler's default), rounded to what matters.
func readableDuration(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		d := a.Value.Duration()
		switch {
		case d >= time.Second:
			d = d.Round(time.Millisecond)
		case d >= time.Millisecond:
			d = d.Round(time.Microsecond)
		}
		return slog.String(a.Key, d.String())
	}
	return a
}
