package main

import (
	"io"
	"log/slog"
)

var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
}

// newLogger builds the process's one logger; components get it injected.
func newLogger(w io.Writer, cfg logConfig) *slog.Logger {
	opts := &slog.HandlerOptions{Level: logLevels[cfg.Level]}
	if cfg.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
