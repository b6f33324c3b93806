package taxii

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// principal is who a request acts for: a user, or anonymous (nil user).
type principal struct {
	user *User
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
	return perm
}

// authenticator checks HTTP Basic credentials against bcrypt hashes. A
// bcrypt compare costs tens of milliseconds by design, too much per request
// for clients that page through a million objects, so a successful check is
// remembered as an HMAC of the credentials under a key that lives only in
// this process; a later request with the same credentials is then one HMAC.
// Compares that do run are limited to one per CPU at a time, so a flood of
// wrong passwords cannot take every core from the requests being served.
type authenticator struct {
	users     map[string]*User
	cacheKey  []byte
	dummyHash []byte
	slots     chan struct{}

	mu       sync.RWMutex
	verified map[string][]byte
}

func newAuthenticator(users []User) *authenticator {
	a := &authenticator{users: map[string]*User{}, cacheKey: make([]byte, 32), verified: map[string][]byte{},
		slots: make(chan struct{}, runtime.GOMAXPROCS(0))}
	_, _ = rand.Read(a.cacheKey)
	maxCost := 0
	for i := range users {
		a.users[users[i].Name] = &users[i]
		if c, err := bcrypt.Cost([]byte(users[i].PasswordHash)); err == nil && c > maxCost {
			maxCost = c
		}
	}
	if maxCost > 0 {
		// Unknown user names are checked against this hash at the
		// highest cost in use, so timing does not reveal which names exist.
		a.dummyHash, _ = bcrypt.GenerateFromPassword([]byte(rand.Text()), maxCost)
	}
	return a
}

// compare runs one bcrypt compare when a slot is free, or gives up when
// the request ends first.
func (a *authenticator) compare(ctx context.Context, hash []byte, password string) bool {
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	defer func() { <-a.slots }()
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}

// authenticate returns the request's principal. ok is false when
// credentials were sent but are wrong, or use a scheme other than Basic.
func (a *authenticator) authenticate(ctx context.Context, header string) (p principal, ok bool) {
	if header == "" {
		return principal{}, true
	}
	scheme, encoded, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "basic") { // lower-case "basic": trap T16
		return principal{}, false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return principal{}, false
	}
	name, password, found := strings.Cut(string(raw), ":")
	if !found {
		return principal{}, false
	}
	u := a.check(ctx, name, password)
	return principal{user: u}, u != nil
}

func (a *authenticator) check(ctx context.Context, name, password string) *User {
	u := a.users[name]
	if u == nil {
		if a.dummyHash != nil {
			a.compare(ctx, a.dummyHash, password)
		}
		return nil
	}
	sum := a.digest(name, password)
	a.mu.RLock()
	cached := a.verified[name]
	a.mu.RUnlock()
	if cached != nil && hmac.Equal(cached, sum) {
		return u
	}
	if !a.compare(ctx, []byte(u.PasswordHash), password) {
		return nil
	}
	a.mu.Lock()
	a.verified[name] = sum
	a.mu.Unlock()
	return u
}

func (a *authenticator) digest(name, password string) []byte {
	m := hmac.New(sha256.New, a.cacheKey)
	m.Write([]byte(name))
	m.Write([]byte{0})
	m.Write([]byte(password))
	return m.Sum(nil)
}
