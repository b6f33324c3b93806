package ingest

// SearchOnly reports whether a Group-IB collection can only be read with
// date-window search sessions, not with /updated.
func SearchOnly(collection string) bool {
	return collection == "compromised/breached" || collection == "compromised/reaper"
}
