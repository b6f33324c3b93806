package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultBaseURL is the Group-IB TI API v2.
const DefaultBaseURL = "https://tap.group-ib.com/api/v2/"

// ClientConfig configures a Client. Only Username and APIKey are required.
type ClientConfig struct {
	BaseURL  string
	Username string // the portal login e-mail
	APIKey   string
	// Proxy is an http(s) proxy URL, with credentials in its userinfo if
	// needed; empty means the HTTPS_PROXY/HTTP_PROXY environment.
	Proxy     string
	Timeout   time.Duration // per request; default 120s
	UserAgent string
	// RateLimit is requests per second for this credential (default 1),
	// Burst its bucket size (default 1). All loops share them.
	RateLimit float64
	Burst     int
	// MaxAttempts bounds tries of one request (default 6); backoff doubles
	// from BackoffBase (default 1s) up to BackoffMax (default 2m).
	MaxAttempts int
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
	Logger    *slog.Logger
}

// Client talks to the Group-IB API. It is safe for concurrent use.
type Client struct {
	cfg     ClientConfig
	base    *url.URL
	http    *http.Client
	limiter *rate.Limiter
	log     *slog.Logger

	mu sync.Mutex
	// pausedUntil holds every request back after a 429 with Retry-After:
	// the limit is the credential's, so all loops must wait, not only the
	// one that was told.
	pausedUntil time.Time
}

// NewClient checks the configuration and builds a client.
func NewClient(cfg ClientConfig) (*Client, error) {
	cfg = cfg.withDefaults()
	if cfg.Username == "" || cfg.APIKey == "" {
		return nil, errors.New("group-ib client: username and api_key are required")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("group-ib client: base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	transport, err := cfg.transport()
	if err != nil {
		return nil, err
	}
	return &Client{
		cfg:  cfg,
		base: base,
		http: &http.Client{
			Transport: transport,
			Timeout:   cfg.Timeout,
			// A redirect means "your IP is not allow-listed": never follow it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		limiter: rate.NewLimiter(rate.Limit(cfg.RateLimit), cfg.Burst),
		log:     cfg.Logger,
	}, nil
}

func (c ClientConfig) withDefaults() ClientConfig {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	if c.Timeout <= 0 {
		c.Timeout = 120 * time.Second
	}
	if c.UserAgent == "" {
		c.UserAgent = "gib-taxii/dev"
	}
	if c.RateLimit <= 0 {
		c.RateLimit = 1
	}
	if c.Burst <= 0 {
		c.Burst = 1
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 6
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = time.Second
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = 2 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c ClientConfig) transport() (http.RoundTripper, error) {
	if c.Transport != nil {
		return c.Transport, nil
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment
	if c.Proxy != "" {
		u, err := url.Parse(c.Proxy)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("group-ib client: proxy %q is not a URL", redactURL(c.Proxy))
		}
		// Credentials in the URL become Proxy-Authorization: unlike
		// Group-IB's own client, they are really used.
		t.Proxy = http.ProxyURL(u)
	}
	return t, nil
}

// redactURL hides a password in a URL for messages.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "(unparsable)"
}

// request is one API call: retried as a whole, with params adjustable
// between attempts.
type request struct {
	collection string
	path       string
	params     url.Values
	// onRetry may change params after a retryable failure.
	onRetry func(err error)
}

// get performs a request with retries and returns the body of the 2xx
// response. Empty parameters are dropped, as Group-IB's client does.
func (c *Client) get(ctx context.Context, r request) ([]byte, error) {
	if ctx.Value(noRetriesKey{}) != nil {
		body, _, err := c.attempt(ctx, r)
		return body, err
	}
	var err error
	for attempt := 1; ; attempt++ {
		var body []byte
		var wait time.Duration
		body, wait, err = c.attempt(ctx, r)
		if err == nil {
			return body, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %w", errCanceled, ctx.Err())
		}
		if !retryable(err) || attempt >= c.cfg.MaxAttempts {
			return nil, err
		}
		if wait <= 0 {
			wait = c.backoff(attempt)
		}
		wait = min(wait, maxRetryAfter)
		c.log.Warn("group-ib request failed, retrying", "gib_collection", r.collection, "attempt", attempt,
			"retry_in", wait, "error", err.Error())
		if r.onRetry != nil {
			r.onRetry(err)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%w: %w", errCanceled, err)
		}
	}
}

// maxRetryAfter caps a server's Retry-After, so a bogus value cannot park
// a loop for hours.
const maxRetryAfter = 10 * time.Minute

// backoff is exponential with jitter: a random duration in [d/2, d] where
// d doubles per attempt from BackoffBase up to BackoffMax.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.BackoffBase << min(attempt-1, 20)
	if d > c.cfg.BackoffMax || d <= 0 {
		d = c.cfg.BackoffMax
	}
	return d/2 + rand.N(d/2+1)
}

// attempt sends the request once. wait is the server's Retry-After.
func (c *Client) attempt(ctx context.Context, r request) ([]byte, time.Duration, error) {
	if err := c.waitPause(ctx); err != nil {
		return nil, 0, err
	}
	if err := c.limiter.Wait(ctx); err != nil {
		return nil, 0, err
	}
	u := *c.base
	u.Path += r.path
	u.RawQuery = encodeParams(r.params)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, err
	}
	req.SetBasicAuth(c.cfg.Username, c.cfg.APIKey)
	req.Header.Set("Accept", "*/*")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	res, err := c.http.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("group-ib %s: GET %s: %w", r.collection, describe(r), err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, 0, fmt.Errorf("group-ib %s: GET %s: reading body: %w", r.collection, describe(r), err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		se := &StatusError{Collection: r.collection, Request: describe(r), Status: res.StatusCode,
			Message: serverMessage(body), RetryAfter: retryAfter(res.Header.Get("Retry-After"))}
		if se.Status == http.StatusTooManyRequests && se.RetryAfter > 0 {
			c.pauseFor(min(se.RetryAfter, maxRetryAfter))
		}
		return nil, se.RetryAfter, se
	}
	return body, 0, nil
}

func (c *Client) pauseFor(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until := time.Now().Add(d); until.After(c.pausedUntil) {
		c.pausedUntil = until
	}
}

func (c *Client) waitPause(ctx context.Context) error {
	c.mu.Lock()
	d := time.Until(c.pausedUntil)
	c.mu.Unlock()
	if d <= 0 {
		return nil
	}
	if ctx.Value(noRetriesKey{}) != nil {
		// Told to wait by a 429: a caller that does not retry is told so
		// too, instead of being held.
		return &StatusError{Collection: "(paused)", Request: "(not sent)", Status: http.StatusTooManyRequests,
			Message: "the credential is paused after a 429", RetryAfter: d}
	}
	return sleep(ctx, d)
}

type noRetriesKey struct{}

// WithoutRetries makes the client's requests made with the returned
// context single attempts that do not wait out a 429 pause: for callers
// that answer someone now (lookups), a failure is better than a wait.
func WithoutRetries(ctx context.Context) context.Context {
	return context.WithValue(ctx, noRetriesKey{}, true)
}

func describe(r request) string {
	if q := encodeParams(r.params); q != "" {
		return r.path + "?" + q
	}
	return r.path
}

func encodeParams(params url.Values) string {
	kept := url.Values{}
	for k, vs := range params {
		for _, v := range vs {
			if v != "" {
				kept.Add(k, v)
			}
		}
	}
	return kept.Encode()
}

// serverMessage extracts the API's explanation from an error body.
func serverMessage(body []byte) string {
	var m struct {
		Message flexString `json:"message"`
		Error   flexString `json:"error"`
		Detail  flexString `json:"detail"`
	}
	if json.Unmarshal(body, &m) == nil {
		for _, s := range []flexString{m.Message, m.Error, m.Detail} {
			if s != "" {
				return string(s)
			}
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "..." // not half a character
	}
	return s
}

// retryAfter reads Retry-After in seconds or as an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(min(n, int(math.MaxInt64/time.Second))) * time.Second // saturate, not wrap
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
