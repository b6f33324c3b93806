package taxii

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

func basicHeader(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func mustHash(tb testing.TB, password string, cost int) string {
	tb.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	require.NoError(tb, err)
	return string(h)
}

// bcryptWork is what a compare with hash costs, in units of one round.
func bcryptWork(hash []byte) int64 {
	c, err := bcrypt.Cost(hash)
	if err != nil {
		return 0
	}
	return 1 << c
}

// waitUntil spins until cond holds: it orders the steps of a test by state
// the code under test reaches, not by time. The deadline only turns a hang
// into a failure.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		runtime.Gosched()
	}
}

func (a *authenticator) lanePresent(name string) int {
	a.lanesMu.Lock()
	defer a.lanesMu.Unlock()
	if l := a.lanes[name]; l != nil {
		return l.present
	}
	return 0
}

// A verified password is remembered: the second request with it does not
// run bcrypt. The proof: once cached, it passes even after the stored hash
// has been replaced by one it does not match, while other passwords still
// go to bcrypt and fail.
func TestAuthenticatorCachesVerifiedCredentials(t *testing.T) {
	a := newAuthenticator([]User{{Name: "alice", PasswordHash: mustHash(t, "pw", bcrypt.MinCost)}})

	p, err := a.authenticate(context.Background(), basicHeader("alice", "pw"))
	require.NoError(t, err)
	assert.Equal(t, "alice", p.name())

	a.users["alice"].PasswordHash = mustHash(t, "something else", bcrypt.MinCost)
	_, err = a.authenticate(context.Background(), basicHeader("alice", "pw"))
	assert.NoError(t, err, "served from the cache")
	_, err = a.authenticate(context.Background(), basicHeader("alice", "wrong"))
	assert.ErrorIs(t, err, errUnauthorized, "a different password is checked with bcrypt")
	_, err = a.authenticate(context.Background(), basicHeader("alice", "something else"))
	assert.NoError(t, err)
	_, err = a.authenticate(context.Background(), basicHeader("alice", "pw"))
	assert.ErrorIs(t, err, errUnauthorized, "the cache holds only the last verified password")
}

// Fault 1 (user enumeration by timing): every uncached attempt does the
// bcrypt work of one compare at the highest cost in use, whether the name
// exists, whatever its hash's cost, and whether the password is right.
func TestAuthWorkIsTheSameForEveryAttempt(t *testing.T) {
	a := newAuthenticator([]User{
		{Name: "cheap", PasswordHash: mustHash(t, "cheap-pw", 4)},
		{Name: "mid", PasswordHash: mustHash(t, "mid-pw", 5)},
		{Name: "dear", PasswordHash: mustHash(t, "dear-pw", 6)},
		{Name: "broken", PasswordHash: "$2a$xx$not a bcrypt hash at all, but configured"},
	})
	var work atomic.Int64
	a.compare = func(hash, pw []byte) error {
		work.Add(bcryptWork(hash))
		return bcrypt.CompareHashAndPassword(hash, pw)
	}
	for _, tc := range []struct{ user, password string }{
		{"nobody", "pw"},
		{"cheap", "wrong"}, {"cheap", "cheap-pw"},
		{"mid", "wrong"}, {"mid", "mid-pw"},
		{"dear", "wrong"}, {"dear", "dear-pw"},
		{"broken", "pw"},
	} {
		work.Store(0)
		_, err := a.authenticate(context.Background(), basicHeader(tc.user, tc.password))
		assert.Equal(t, tc.password == tc.user+"-pw", err == nil, "%s/%s: %v", tc.user, tc.password, err)
		assert.Equal(t, int64(1<<6), work.Load(), "%s/%s", tc.user, tc.password)
	}
	work.Store(0)
	_, err := a.authenticate(context.Background(), basicHeader("cheap", "cheap-pw"))
	require.NoError(t, err)
	assert.Zero(t, work.Load(), "a remembered login costs no bcrypt")
}

// Fault 2, restart: 64 simultaneous first requests with the same
// credentials run one compare between them.
func TestAuthConcurrentFirstLoginsShareOneCompare(t *testing.T) {
	const clients = 64
	a := newAuthenticator([]User{{Name: "alice", PasswordHash: mustHash(t, "pw", bcrypt.MinCost)}})
	var arrived, compares atomic.Int64
	a.compare = func(hash, pw []byte) error {
		if compares.Add(1) == 1 { // hold the first compare until every client has asked
			for arrived.Load() < clients {
				runtime.Gosched()
			}
		}
		return bcrypt.CompareHashAndPassword(hash, pw)
	}
	var wg sync.WaitGroup
	errs := make([]error, clients)
	for i := range clients {
		wg.Go(func() {
			arrived.Add(1)
			_, errs[i] = a.authenticate(context.Background(), basicHeader("alice", "pw"))
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int64(1), compares.Load())
}

// attackHook makes compares with passwords starting "bad-" wait for the
// test: each announces itself on entered, then waits for release.
type attackHook struct {
	entered, release, stop chan struct{}
	started                atomic.Int64
}

func newAttackHook() *attackHook {
	return &attackHook{entered: make(chan struct{}), release: make(chan struct{}), stop: make(chan struct{})}
}

func (h *attackHook) compare(hash, pw []byte) error {
	if strings.HasPrefix(string(pw), "bad-") {
		h.started.Add(1)
		select {
		case h.entered <- struct{}{}:
		case <-h.stop:
		}
		select {
		case <-h.release:
		case <-h.stop:
		}
	}
	return bcrypt.CompareHashAndPassword(hash, pw)
}

// releaseUntil lets the held attacker compare go, then each next one as it
// comes, until done yields.
func (h *attackHook) releaseUntil(done <-chan error) error {
	h.release <- struct{}{}
	for {
		select {
		case err := <-done:
			return err
		case <-h.entered:
			h.release <- struct{}{}
		}
	}
}

// Fault 2, pile-up: 32 goroutines hammer wrong passwords for an unknown name
// and for bob, on a single bcrypt slot; carol's first login then runs after
// at most one attacker compare per busy lane, not after the whole flood.
func TestAuthBadAttemptsDoNotStarveFirstLogin(t *testing.T) {
	a := newAuthenticator([]User{
		{Name: "bob", PasswordHash: mustHash(t, "bob-pw", bcrypt.MinCost)},
		{Name: "carol", PasswordHash: mustHash(t, "carol-pw", bcrypt.MinCost)},
	})
	a.slots = newFifoSem(1)
	hook := newAttackHook()
	var carolSaw atomic.Int64
	a.compare = func(hash, pw []byte) error {
		if string(pw) == "carol-pw" {
			carolSaw.Store(hook.started.Load())
		}
		return hook.compare(hash, pw)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(hook.stop)
	defer cancel()
	for g := range 32 {
		name := []string{"mallory", "bob"}[g%2]
		wg.Go(func() { hammer(ctx, a, name, g) })
	}

	<-hook.entered // one attacker compares, holding the slot
	waitUntil(t, "both attacked lanes full, the other lane's head waiting for the slot", func() bool {
		return a.lanePresent("mallory") == laneQueue+1 && a.lanePresent("bob") == laneQueue+1 && a.slots.waiting() == 1
	})
	carol := make(chan error, 1)
	go func() { _, err := a.authenticate(context.Background(), basicHeader("carol", "carol-pw")); carol <- err }()
	waitUntil(t, "carol waiting for the slot", func() bool { return a.slots.waiting() == 2 })

	require.NoError(t, hook.releaseUntil(carol))
	assert.LessOrEqual(t, carolSaw.Load(), int64(2), "attacker compares started before carol's")
}

// hammer sends wrong passwords for name, each new, until ctx ends.
func hammer(ctx context.Context, a *authenticator, name string, g int) {
	for i := 0; ctx.Err() == nil; i++ {
		_, _ = a.authenticate(ctx, basicHeader(name, fmt.Sprintf("bad-%d-%d", g, i)))
		runtime.Gosched()
	}
}

// fillLane sends 1+laneQueue wrong attempts for name, the first held in
// its compare by hook, and returns once all are in the lane, with a wait
// for the attempts to end.
func fillLane(t *testing.T, a *authenticator, hook *attackHook, name string, send func(password string)) (wait func()) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range laneQueue + 1 {
		wg.Go(func() { send(fmt.Sprintf("bad-%s-%d", name, i)) })
		if i == 0 {
			<-hook.entered
		}
	}
	waitUntil(t, name+"'s lane full", func() bool { return a.lanePresent(name) == laneQueue+1 })
	return wg.Wait
}

// Lanes are per name, made-up names included: filling the lane of one
// unknown name delays nothing else, so lane state reveals no user name.
func TestAuthLanesAreNotSharedByUnknownNames(t *testing.T) {
	a := newAuthenticator([]User{{Name: "alice", PasswordHash: mustHash(t, "alice-pw", bcrypt.MinCost)}})
	a.slots = newFifoSem(2) // one held by mallory's lane, one free: what is shared is the lane, not the slot
	hook := newAttackHook()
	a.compare = hook.compare
	wait := fillLane(t, a, hook, "mallory", func(pw string) {
		_, _ = a.authenticate(context.Background(), basicHeader("mallory", pw))
	})
	defer wait()
	defer close(hook.stop)

	_, err := a.authenticate(context.Background(), basicHeader("mallory", "bad-overflow"))
	assert.ErrorIs(t, err, errAuthBusy)
	_, err = a.authenticate(context.Background(), basicHeader("trudy", "pw"))
	assert.ErrorIs(t, err, errUnauthorized, "another unknown name is checked at once")
	_, err = a.authenticate(context.Background(), basicHeader("alice", "pw"))
	assert.ErrorIs(t, err, errUnauthorized, "as is a known name")
}

// A full lane is answered through the real handler with 429, Retry-After and
// a TAXII error body, for a known name and an unknown one alike; the
// attempts that waited are then answered 401.
func TestAuthLaneOverflowIs429(t *testing.T) {
	for _, name := range []string{"alice", "mallory"} {
		t.Run(name, func(t *testing.T) {
			s, err := New(Config{ExternalURL: "https://taxii.example.com", Title: "t",
				Users: []User{{Name: "alice", PasswordHash: mustHash(t, "alice-pw", bcrypt.MinCost)}}}, nil)
			require.NoError(t, err)
			hook := newAttackHook()
			s.auth.compare = hook.compare
			codes := make(chan int, laneQueue+1)
			wait := fillLane(t, s.auth, hook, name, func(pw string) { codes <- discover(s, name, pw).Code })

			rec := discover(s, name, "bad-overflow")
			assert.Equal(t, http.StatusTooManyRequests, rec.Code)
			assert.Equal(t, authRetryAfter, rec.Header().Get("Retry-After"))
			assert.Equal(t, MediaTypeTAXII, rec.Header().Get("Content-Type"))
			var body errorBody
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
			assert.Equal(t, "429", body.HTTPStatus)
			assert.NotEmpty(t, body.Title)

			close(hook.stop)
			wait()
			for range laneQueue + 1 {
				assert.Equal(t, http.StatusUnauthorized, <-codes)
			}
		})
	}
}

func discover(s *Server, name, password string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/taxii2/", nil)
	req.Header.Set("Accept", MediaTypeTAXII)
	req.Header.Set("Authorization", basicHeader(name, password))
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func BenchmarkAuthenticate(b *testing.B) {
	a := newAuthenticator([]User{{Name: "alice", PasswordHash: mustHash(b, "pw", bcrypt.DefaultCost)}})
	h := basicHeader("alice", "pw")
	for range b.N {
		if _, err := a.authenticate(context.Background(), h); err != nil {
			b.Fatal(err)
		}
	}
}

// bcrypt never takes every core: on two, made-up names flooding two lanes
// would otherwise leave none for serving.
func TestAuthLeavesACoreFree(t *testing.T) {
	a := newAuthenticator(nil)
	assert.Equal(t, max(1, runtime.GOMAXPROCS(0)-1), a.slots.free)
}
