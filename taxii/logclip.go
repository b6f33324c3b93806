package taxii

import (
	"strconv"
	"unicode/utf8"
)

// maxLoggedValue bounds each client-controlled value in a log line (path,
// query, User-Agent): one request must not write a megabyte of log, and
// 256 bytes show any real client's query and agent in full.
const maxLoggedValue = 256

// clip cuts s to at most max bytes on a rune boundary and says how long it
// was, so that an operator sees an oversized value for what it is.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "...(" + strconv.Itoa(len(s)) + " bytes)"
}
