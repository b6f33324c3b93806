package taxii

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/singleflight"
)

// principal is who a request acts for: a user, or anonymous (nil user).
type principal struct {
	user *User
	// attempted is the user name sent, for the log of a failed sign-in.
	attempted string
}

func (p principal) name() string {
	if p.user == nil {
		return "anonymous"
	}
	return p.user.Name
}

// permission returns what the principal may do with a collection.
func (p principal) permission(c *Collection) Permission {
	if p.user == nil {
		return Permission{Read: c.AnonymousRead}
	}
	perm := p.user.Permissions[c.ID]
	perm.Read = perm.Read || c.AnonymousRead
	// A write grant means nothing on a collection that takes no writes:
	// can_write must never promise what POST and DELETE refuse.
	perm.Write = perm.Write && c.Writable
	return perm
}

const (
	// laneQueue is how many attempts for one user name may wait behind the
	// one being checked. Identical attempts share one place (single
	// flight), so a client that opens many connections at once needs one.
	laneQueue = 4
	// authRetryAfter is the Retry-After of errAuthBusy, in seconds: a lane
	// drains one compare at the highest cost (a quarter second at cost 12)
	// at a time.
	authRetryAfter = "1"
	// maxPasswordLen is the most bcrypt takes, and hash-password accepts.
	maxPasswordLen = 72
)

// errAuthBusy refuses an attempt that would wait behind too many others for
// the same user name. It says nothing of whether the name exists: unknown
// names are queued and refused exactly like known ones.
var errAuthBusy = &Error{Status: http.StatusTooManyRequests, Title: "Too many requests",
	Description: "too many sign-in attempts for this user name are being checked: retry later"}

// authenticator checks HTTP Basic credentials against bcrypt hashes.
//
// A bcrypt compare costs tens of milliseconds by design, too much per request
// for clients that page through a million objects, so a successful check is
// remembered as an HMAC of the credentials under a key that lives only in
// this process; a later request with the same credentials is then one HMAC.
// Failures are not remembered: a fast second "no" would tell an attacker
// that someone, maybe the real user mistyping, sent that password before.
//
// Every other attempt does the work of one compare at the highest cost in
// use, whoever the user and whether or not the password is right, so its
// duration tells nothing (see work). Identical concurrent attempts are
// checked once (flights). Each user name has a lane where one attempt runs
// at a time and a few wait (see lane); lanes take turns, in arrival order,
// for bcrypt slots (one per CPU but one, and at least one), so a flood of
// wrong passwords for some names delays a first login under another name by
// at most one compare per busy lane, and never takes every core from the
// requests being served.
type authenticator struct {
	users    map[string]*User
	cacheKey []byte
	maxCost  int      // highest cost of a readable hash; 0 when there is none
	dummies  [][]byte // by cost: hashes of random passwords, matched by nothing
	// compare is bcrypt.CompareHashAndPassword; tests replace it to count
	// the work done and to hold compares back.
	compare func(hash, password []byte) error
	slots   *fifoSem
	flights singleflight.Group

	lanesMu sync.Mutex
	lanes   map[string]*lane

	mu       sync.RWMutex
	verified map[string][]byte
}

func newAuthenticator(users []User) *authenticator {
	a := &authenticator{users: map[string]*User{}, cacheKey: make([]byte, 32), verified: map[string][]byte{},
		compare: bcrypt.CompareHashAndPassword, slots: newFifoSem(max(1, runtime.GOMAXPROCS(0)-1)), lanes: map[string]*lane{}}
	_, _ = rand.Read(a.cacheKey)
	for i := range users {
		a.users[users[i].Name] = &users[i]
		if c, err := bcrypt.Cost([]byte(users[i].PasswordHash)); err == nil && c > a.maxCost {
			a.maxCost = c
		}
	}
	a.dummies = newDummies(a.maxCost)
	return a
}

// newDummies hashes a random password at every cost up to maxCost, all at
// startup: a hash made on first use would make that one answer slower, and
// so tell something. They are made in parallel, so startup takes about as
// long as one compare at maxCost.
func newDummies(maxCost int) [][]byte {
	dummies := make([][]byte, maxCost+1)
	var wg sync.WaitGroup
	for c := bcrypt.MinCost; c <= maxCost; c++ {
		wg.Go(func() {
			h, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), c)
			if err != nil { // cannot happen: c is in bcrypt's range, the password short
				panic(fmt.Errorf("dummy bcrypt hash at cost %d: %w", c, err))
			}
			dummies[c] = h
		})
	}
	wg.Wait()
	return dummies
}

// authenticate returns the request's principal: anonymous without an
// Authorization header, else the user its Basic credentials name. The error
// wraps errUnauthorized when the credentials are wrong or not Basic, and
// errAuthBusy when they could not be checked now.
func (a *authenticator) authenticate(ctx context.Context, header string) (principal, error) {
	if header == "" {
		return principal{}, nil
	}
	scheme, encoded, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "basic") { // lower-case "basic": trap T16
		return principal{}, fmt.Errorf("authorization scheme %.20q: %w", scheme, errUnauthorized)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return principal{}, fmt.Errorf("basic credentials: %w: %w", errUnauthorized, err)
	}
	name, password, found := strings.Cut(string(raw), ":")
	if !found {
		return principal{}, fmt.Errorf("basic credentials without a colon: %w", errUnauthorized)
	}
	u, err := a.check(ctx, name, password)
	// Only a configured name is kept for the log: what else is typed in
	// the user field may be a password.
	attempted := "an unknown user"
	if _, known := a.users[name]; known {
		attempted = name
	}
	return principal{user: u, attempted: attempted}, err
}

func (a *authenticator) check(ctx context.Context, name, password string) (*User, error) {
	if a.maxCost == 0 { // no user can sign in: there is nothing to check, or to hide
		return nil, fmt.Errorf("no user has a readable password hash: %w", errUnauthorized)
	}
	// bcrypt keys on password+NUL repeated over 72 bytes, so a longer
	// password, or one with a NUL, could match a different one. Refusing
	// them at once tells nothing of the user: it depends on the password only.
	if len(password) > maxPasswordLen || strings.IndexByte(password, 0) >= 0 {
		return nil, fmt.Errorf("password longer than %d bytes or with a NUL: %w", maxPasswordLen, errUnauthorized)
	}
	sum := a.digest(name, password)
	if !a.cached(name, sum) {
		ok, err := a.verifyOnce(ctx, name, password, sum)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("wrong user name or password: %w", errUnauthorized)
		}
	}
	return a.users[name], nil
}

// verifyOnce joins the flight checking the same credentials, or leads one.
// A flight waits under its leader's context; when the leader goes away
// before its turn, the others still waiting lead a new one.
func (a *authenticator) verifyOnce(ctx context.Context, name, password string, sum []byte) (bool, error) {
	for {
		flight := a.flights.DoChan(string(sum), func() (any, error) {
			return a.verify(ctx, name, password, sum)
		})
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("%w: %w", errAuthBusy, ctx.Err())
		case r := <-flight:
			if !errors.Is(r.Err, context.Canceled) && !errors.Is(r.Err, context.DeadlineExceeded) {
				ok, _ := r.Val.(bool)
				return ok, r.Err
			}
			if ctx.Err() != nil {
				return false, fmt.Errorf("%w: %w", errAuthBusy, ctx.Err())
			}
		}
	}
}

// verify checks credentials in the user name's lane and a bcrypt slot.
func (a *authenticator) verify(ctx context.Context, name, password string, sum []byte) (bool, error) {
	if a.cached(name, sum) { // a flight for them ended between our look and our start
		return true, nil
	}
	leave, err := a.enterLane(ctx, name)
	if err != nil {
		return false, err
	}
	defer leave()
	if err := a.slots.acquire(ctx); err != nil {
		return false, fmt.Errorf("waiting for a bcrypt slot: %w", err)
	}
	defer a.slots.release()
	hash, cost, valid := a.plan(name)
	ok := a.work(hash, cost, []byte(password)) && valid
	if ok {
		a.remember(name, sum)
	}
	return ok, nil
}

// plan returns the hash to compare with and its cost. An unknown name, or
// a hash whose cost cannot be read (bcrypt would refuse it at once), is
// compared with the dummy at the highest cost and can match nothing.
func (a *authenticator) plan(name string) (hash []byte, cost int, valid bool) {
	if u := a.users[name]; u != nil {
		if c, err := bcrypt.Cost([]byte(u.PasswordHash)); err == nil {
			return []byte(u.PasswordHash), c, true
		}
	}
	return a.dummies[a.maxCost], a.maxCost, false
}

// work compares password with hash, then with the dummies at costs cost to
// maxCost-1. bcrypt's work doubles with each cost, so the total is always
// that of one compare at maxCost: 2^c + (2^c + ... + 2^(max-1)) = 2^max.
// A wrong password costs what a right one does: every compare runs.
func (a *authenticator) work(hash []byte, cost int, password []byte) bool {
	ok := a.compare(hash, password) == nil
	for c := cost; c < a.maxCost; c++ {
		_ = a.compare(a.dummies[c], password)
	}
	return ok
}

func (a *authenticator) cached(name string, sum []byte) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return hmac.Equal(a.verified[name], sum)
}

func (a *authenticator) remember(name string, sum []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.verified[name] = sum
}

func (a *authenticator) digest(name, password string) []byte {
	m := hmac.New(sha256.New, a.cacheKey)
	m.Write([]byte(name))
	m.Write([]byte{0})
	m.Write([]byte(password))
	return m.Sum(nil)
}

// lane holds the attempts for one user name: one runs its compares, up to
// laneQueue wait, in order, and more are refused with errAuthBusy. Floods
// of wrong passwords for one name therefore hold one slot at most, however
// many connections send them, and cap online guessing at one compare at a
// time per name.
//
// Every name has its own lane, unknown names too. A single lane shared by
// all unknown names would be an oracle: keep it busy with one attempt under
// a made-up name, and any name whose attempt is then not delayed (or
// refused) exists. The price: a flood spread over many made-up names gets
// one turn per name, so it delays a first login by one compare per name
// being tried at that moment, that is, by the attacker's concurrency.
//
// Trade-off, chosen: a flood of wrong passwords for a real user's own name
// keeps that name's lane full, so that user's first login after a restart
// is refused (429, retry) or waits behind at most laneQueue attempts until
// the flood stops; a user who signed in before it is served from the cache
// and never waits. Unbounded lanes would avoid the refusals but let one
// name's flood hold an unbounded number of requests; locking nothing would
// let it starve every other user, as before lanes.
type lane struct {
	turn    chan struct{} // holds a token while an attempt for the name compares
	present int           // attempts running or waiting; guarded by lanesMu
}

// enterLane waits for the name's turn; leave ends it.
func (a *authenticator) enterLane(ctx context.Context, name string) (leave func(), err error) {
	l, err := a.joinLane(name)
	if err != nil {
		return nil, err
	}
	select {
	case l.turn <- struct{}{}:
		return func() { <-l.turn; a.quitLane(name, l) }, nil
	case <-ctx.Done():
		a.quitLane(name, l)
		return nil, fmt.Errorf("waiting for the user name's turn: %w", ctx.Err())
	}
}

func (a *authenticator) joinLane(name string) (*lane, error) {
	a.lanesMu.Lock()
	defer a.lanesMu.Unlock()
	l := a.lanes[name]
	if l == nil {
		l = &lane{turn: make(chan struct{}, 1)}
		a.lanes[name] = l
	}
	if l.present > laneQueue {
		return nil, fmt.Errorf("%d attempts for this user name already wait: %w", laneQueue, errAuthBusy)
	}
	l.present++
	return l, nil
}

// quitLane forgets idle lanes, so made-up names leave nothing behind.
func (a *authenticator) quitLane(name string, l *lane) {
	a.lanesMu.Lock()
	defer a.lanesMu.Unlock()
	l.present--
	if l.present == 0 {
		delete(a.lanes, name)
	}
}

// fifoSem is a counting semaphore that grants in arrival order, so an
// attempt waits for a slot behind the lanes that asked before it only.
type fifoSem struct {
	mu      sync.Mutex
	free    int
	waiters []chan struct{} // closed when granted
}

func newFifoSem(n int) *fifoSem { return &fifoSem{free: n} }

func (s *fifoSem) acquire(ctx context.Context) error {
	s.mu.Lock()
	if s.free > 0 {
		s.free--
		s.mu.Unlock()
		return nil
	}
	granted := make(chan struct{})
	s.waiters = append(s.waiters, granted)
	s.mu.Unlock()
	select {
	case <-granted:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		if i := slices.Index(s.waiters, granted); i >= 0 {
			s.waiters = slices.Delete(s.waiters, i, i+1)
		} else {
			s.releaseLocked() // granted as we gave up: pass it on
		}
		return ctx.Err()
	}
}

func (s *fifoSem) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked()
}

func (s *fifoSem) releaseLocked() {
	if len(s.waiters) == 0 {
		s.free++
		return
	}
	close(s.waiters[0])
	s.waiters = s.waiters[1:]
}

// waiting counts the attempts waiting for a slot.
func (s *fifoSem) waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.waiters)
}
