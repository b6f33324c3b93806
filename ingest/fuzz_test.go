package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// The fuzz targets of this file run their seeds under plain go test; go
// test -fuzz explores from there. testdata/fuzz holds real page shapes
// (from Group-IB's public test fixtures) and inputs that found bugs. The
// targets feed the fuzzed bytes to the client as the body of a 200 answer,
// so the real request and decoding paths run.

// fuzzBody answers every request with 200 and the same body.
type fuzzBody []byte

func (b fuzzBody) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Request: req,
		Body: io.NopCloser(bytes.NewReader(b))}, nil
}

func fuzzClient(t *testing.T, body []byte) *Client {
	c, err := NewClient(ClientConfig{BaseURL: "https://tap.example.com/api/v2/", Username: "user@example.com", APIKey: "api-key",
		RateLimit: float64(rate.Inf), MaxAttempts: 1, Transport: fuzzBody(body)})
	require.NoError(t, err)
	return c
}

// statedInt returns the number a JSON value states, whether sent as a
// number or a numeric string, exactly (no float64 rounding).
func statedInt(raw json.RawMessage) (*big.Float, bool) {
	s := strings.TrimSpace(string(raw))
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	v, _, err := big.ParseFloat(s, 0, 1000, big.ToNearestEven)
	return v, err == nil
}

func requireStated(t *testing.T, raw json.RawMessage, got int64) {
	want, ok := statedInt(raw)
	require.True(t, ok, "%s decoded as %d", raw, got)
	require.Zero(t, want.Cmp(new(big.Float).SetInt64(got)), "%s decoded as %d", raw, got)
}

// FuzzUpdatedPage: an /updated answer is refused as ErrBadPage or gives a
// page whose cursor moves forward exactly when it has items, to the
// seqUpdate the answer states, at the limit asked for.
func FuzzUpdatedPage(f *testing.F) {
	for _, s := range []string{
		`{"count":0,"items":[],"seqUpdate":1682360409780000}`, `{"count":"3","items":[{"id":"a","seqUpdate":"17"}]}`,
		`{"total":2,"items":[{"id":"a","seqUpdate":16},{"id":"b"}]}`, `{"items":[{"id":"a"}]}`, `{"items":[{"seqUpdate":1.7e1}],"seqUpdate":null}`,
		`{"items":[{"id":1}],"seqUpdate":5}`, `{"items":null}`, `{"items":{}}`, `{"count":1.5}`, `[]`, `null`, ``,
	} {
		f.Add([]byte(s), int64(10))
	}
	f.Fuzz(func(t *testing.T, body []byte, seq int64) {
		page, err := fuzzClient(t, body).Updated(context.Background(), "suspicious_ip/tor_node", seq, 100, nil)
		if err != nil {
			require.ErrorIs(t, err, ErrBadPage)
			return
		}
		require.Equal(t, 100, page.Limit)
		if len(page.Items) == 0 {
			require.Equal(t, seq, page.Next)
			return
		}
		require.Greater(t, page.Next, seq)
		var stated struct {
			SeqUpdate json.RawMessage `json:"seqUpdate"`
		}
		require.NoError(t, json.Unmarshal(body, &stated))
		if _, ok := statedInt(stated.SeqUpdate); ok {
			requireStated(t, stated.SeqUpdate, page.Next)
		}
	})
}

// FuzzSequenceList: a sequence_list answer is refused as ErrBadPage or
// gives exactly the cursor it states for the collection.
func FuzzSequenceList(f *testing.F) {
	for _, s := range []string{
		`{"list":{"suspicious_ip/tor_node":1682360409780000}}`, `{"list":{"suspicious_ip/tor_node":"1682360409780000","ioc/common":1}}`,
		`{"list":{"suspicious_ip/tor_node":1.68236040978e15}}`, `{"list":{"suspicious_ip/tor_node":null}}`, `{"list":{}}`,
		`{"list":{"suspicious_ip/tor_node":"-9.007199254740993e15"}}`, `{"list":{"suspicious_ip/tor_node":"1.68236040978e15"}}`,
		`{"list":{"suspicious_ip/tor_node":-5}}`, `{"list":{"suspicious_ip/tor_node":"x"}}`, `{"list":[]}`, `{}`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	day := time.Date(2026, 11, 17, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		seq, err := fuzzClient(t, body).SequenceList(context.Background(), "suspicious_ip/tor_node", day, nil)
		if err != nil {
			require.ErrorIs(t, err, ErrBadPage)
			return
		}
		var stated struct {
			List map[string]json.RawMessage `json:"list"`
		}
		require.NoError(t, json.Unmarshal(body, &stated))
		requireStated(t, stated.List["suspicious_ip/tor_node"], seq)
	})
}

// FuzzSearchPage: a search answer is refused as ErrBadPage or gives the
// count it states, and the newest update time read from its items never
// moves a window's checkpoint backwards or off whole seconds.
func FuzzSearchPage(f *testing.F) {
	for _, s := range []string{
		`{"resultId":null,"count":0,"items":[]}`, `{"resultId":12,"count":"2","items":[{"datetime":"2024-10-01 01:45:13"}]}`,
		`{"items":[{"updateTime":"2024-10-01T01:45:13.999+14:00"},{"datetime":"2024-10-01"},{"updateTime":7}]}`,
		`{"items":[{"updateTime":"0000-01-01T00:00:00Z"},{"datetime":"9999-12-31T23:59:59.999999999-23:59"}]}`, `{"count":1e400}`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	from := time.Date(2024, 9, 30, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := fuzzClient(t, body).Search(context.Background(), "compromised/breached", from, from.Add(24*time.Hour), 100, nil)
		if err != nil {
			require.ErrorIs(t, err, ErrBadPage)
			return
		}
		var stated struct {
			Count json.RawMessage `json:"count"`
		}
		require.NoError(t, json.Unmarshal(body, &stated))
		if _, ok := statedInt(stated.Count); ok {
			requireStated(t, stated.Count, page.Count)
		}
		newest := latestUpdate(from, page.Items)
		require.False(t, newest.Before(from), "checkpoint moved back to %s", newest)
		require.Zero(t, newest.Nanosecond())
	})
}

// FuzzGrantedCollections: the answer is refused as ErrBadPage or gives
// non-empty names, at most one per element.
func FuzzGrantedCollections(f *testing.F) {
	for _, s := range []string{
		`["apt/threat","apt/threat_actor","hi/threat","compromised/reaper","suspicious_ip/tor_node"]`,
		`[{"collection":"apt/threat","huntingRulesUsed":false},{"collection":"ioc/common"}]`,
		`["", {"collection":""}, 5, null, {"collection":7}]`, `{}`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		names, err := fuzzClient(t, body).GrantedCollections(context.Background())
		if err != nil {
			require.ErrorIs(t, err, ErrBadPage)
			return
		}
		var elems []json.RawMessage
		require.NoError(t, json.Unmarshal(body, &elems))
		require.LessOrEqual(t, len(names), len(elems))
		for _, n := range names {
			require.NotEmpty(t, n)
		}
	})
}

// FuzzServerMessage: the explanation read from an error answer is valid
// UTF-8 whenever the answer is, so that it can be logged and shown as is.
func FuzzServerMessage(f *testing.F) {
	for _, s := range []string{
		`{"message":"compromised/breached cannot be used with /updated"}`, `{"error":"Invalid credentials","detail":null}`,
		`{"message":403}`, `{"message":"` + strings.Repeat("é", 150) + `"}`, strings.Repeat("é", 150), ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msg := serverMessage(body)
		if utf8.Valid(body) {
			require.True(t, utf8.ValidString(msg), "%q from %q", msg, body)
		}
	})
}

// FuzzRetryAfter: a Retry-After is never negative, and a number of seconds
// is read as exactly that wait, or for more seconds than a Duration holds
// as at least the longest it can.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "1", "120", "-1", "+5", "1.5", "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "9223372036", "18446744073", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d := retryAfter(v)
		require.GreaterOrEqual(t, d, time.Duration(0), "%q", v)
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			longest := math.MaxInt64 / int64(time.Second)
			if n <= longest {
				require.Equal(t, time.Duration(n)*time.Second, d, "%q", v)
			} else {
				require.GreaterOrEqual(t, d, time.Duration(longest)*time.Second, "%q", v)
			}
		}
	})
}
