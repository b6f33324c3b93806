package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// mediaTAXII is the Accept of every request, as taxii2client sends it.
const mediaTAXII = "application/taxii+json;version=2.1"

// maxErrorBody is the most of an error response read (and counted) so that
// its connection can be reused.
const maxErrorBody = 1 << 20

// errBody marks a 200 response whose body is not an envelope.
var errBody = errors.New("malformed envelope")

// outcome is how one request ended.
type outcome uint8

const (
	succeeded   outcome = iota
	failed              // counted as an error
	interrupted         // cut off by the end of the run: not counted
)

// client is one simulated TAXII client: one request at a time, on one
// goroutine, counting into its own stats.
type client struct {
	hc     *http.Client
	cfg    Config
	prefix string // the objects URL with limit and filters
	budget *atomic.Int64
	buf    []byte
	scan   scanner
	walk   *walkCheck // nil in First mode
	next   string     // where the walk goes on; empty at its start
	st     stats
	walks  WalkStats
}

func newClient(hc *http.Client, cfg Config, target Target, budget *atomic.Int64) *client {
	q := "limit=" + strconv.Itoa(cfg.Limit)
	if f := strings.TrimPrefix(cfg.Filters, "?"); f != "" {
		q += "&" + f
	}
	return &client{hc: hc, cfg: cfg, prefix: target.URL + "objects/?" + q, budget: budget, buf: make([]byte, 64<<10)}
}

// setWalk makes the client walk the collection and check its walks.
func (c *client) setWalk(w *walkCheck) {
	c.walk = w
	c.scan.onObject = w.add
}

// run makes requests until ctx ends or the budget is spent.
func (c *client) run(ctx context.Context) {
	for ctx.Err() == nil && c.take() {
		u := c.prefix
		if c.next != "" {
			u += "&next=" + url.QueryEscape(c.next)
		}
		env, out := c.fetch(ctx, u)
		if c.walk != nil && out != interrupted {
			c.step(env, out)
		}
	}
	if c.walk != nil {
		c.walks = c.walk.finish()
	}
}

// take claims one request of the budget.
func (c *client) take() bool {
	return c.cfg.Requests == 0 || c.budget.Add(1) <= c.cfg.Requests
}

// step moves the walk on after a page, like taxii2client's as_pages: the
// same filters again, with next, while more is true. Where as_pages would
// ask for the first page forever (more without next), the walk counts an
// error and starts again.
func (c *client) step(env envelope, out outcome) {
	switch {
	case out == failed:
		c.walk.abort()
		c.next = ""
	case env.more && env.next == "":
		c.st.noNext++
		c.st.sample(`"more": true without "next"`)
		c.walk.abort()
		c.next = ""
	case env.more:
		c.next = env.next
	default:
		c.walk.complete()
		c.next = ""
	}
}

// fetch makes one request, bounded by the run's context and the request
// timeout, and scans its envelope.
func (c *client) fetch(ctx context.Context, u string) (envelope, outcome) {
	reqCtx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := newRequest(reqCtx, c.cfg, u)
	if err != nil {
		return envelope{}, c.failed(ctx, err)
	}
	start := time.Now()
	res, err := c.hc.Do(req)
	if err != nil {
		return envelope{}, c.failed(ctx, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return envelope{}, c.refused(ctx, res, start)
	}
	c.scan.reset()
	env := envelope{}
	if err = c.read(res.Body, &c.scan); err == nil {
		env, err = c.scan.finish()
		if err != nil {
			err = fmt.Errorf("%w: %w", errBody, err)
		}
	}
	if err != nil {
		return envelope{}, c.failed(ctx, err)
	}
	c.st.latency.record(time.Since(start))
	c.st.requests++
	c.st.pages++
	c.st.objects += int64(env.objects)
	return env, succeeded
}

// read streams body into w, counting its bytes.
func (c *client) read(body io.Reader, w io.Writer) error {
	for {
		n, err := body.Read(c.buf)
		c.st.bytes += int64(n)
		if n > 0 {
			if _, werr := w.Write(c.buf[:n]); werr != nil {
				return fmt.Errorf("%w: %w", errBody, werr)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// refused counts a response other than 200, keeping the start of its
// body (a TAXII error's title and description) to show.
func (c *client) refused(ctx context.Context, res *http.Response, start time.Time) outcome {
	n, _ := io.ReadFull(res.Body, c.buf[:512])
	c.st.bytes += int64(n)
	head := strings.Join(strings.Fields(string(c.buf[:min(n, 200)])), " ")
	if err := c.read(io.LimitReader(res.Body, maxErrorBody), io.Discard); err != nil && ctx.Err() != nil {
		c.st.interrupted++
		return interrupted
	}
	c.st.latency.record(time.Since(start))
	c.st.requests++
	if c.st.byStatus == nil {
		c.st.byStatus = map[int]int64{}
	}
	c.st.byStatus[res.StatusCode]++
	c.st.sample(strings.TrimSpace(res.Status + " " + head))
	return failed
}

// failed counts a request that got no usable answer; one cut off by the
// end of the run is not an error.
func (c *client) failed(ctx context.Context, err error) outcome {
	if ctx.Err() != nil {
		c.st.interrupted++
		return interrupted
	}
	c.st.requests++
	var ne net.Error
	switch {
	case errors.Is(err, errBody):
		c.st.badBodies++
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		c.st.timeouts++
	default:
		c.st.transport++
	}
	// The URL, different for every page, would make each message new.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	c.st.sample(err.Error())
	return failed
}

// newRequest is a GET as TAXII clients send it.
func newRequest(ctx context.Context, cfg Config, u string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", mediaTAXII)
	req.Header.Set("User-Agent", "gib-taxii-loadtest")
	if cfg.User != "" {
		req.SetBasicAuth(cfg.User, cfg.Password)
	}
	return req, nil
}
