package testkit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// PostgresEnv names the server the PostgreSQL tests use (.ci/run sets it).
const PostgresEnv = "GIB_TAXII_TEST_POSTGRES"

// PostgresSchema makes a PostgreSQL schema of the test's own on the server
// of GIB_TAXII_TEST_POSTGRES, dropped when the test ends, and returns a URL
// whose connections use it. Without that variable the test is skipped,
// saying that it did not run.
func PostgresSchema(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		tb.Skip(PostgresEnv + " is not set: this PostgreSQL test did not run " +
			"(e.g. " + PostgresEnv + "=postgres://postgres@127.0.0.1:5432/test)")
	}
	ctx := context.Background()
	schema := fmt.Sprintf("gibtest_%d_%x", time.Now().UnixNano(), rand.Uint32())
	conn, err := pgx.Connect(ctx, base)
	require.NoError(tb, err)
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(tb, err)
	require.NoError(tb, conn.Close(ctx))
	tb.Cleanup(func() {
		if conn, err := pgx.Connect(ctx, base); err == nil {
			_, _ = conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			_ = conn.Close(ctx)
		}
	})
	u, err := url.Parse(base)
	require.NoError(tb, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
