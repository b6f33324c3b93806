// Package ops serves what operators and orchestrators ask of a running
// gib-taxii, outside the TAXII API roots and without authentication:
// /healthz (the process answers), /readyz (the store is usable; per-
// collection ingest health) and /metrics (Prometheus).
package ops
