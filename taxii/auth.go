package taxii

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
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
type authenticator struct {
	users     map[string]*User
	cacheKey  []byte
	dummyHash []byte

	mu       sync.RWMutex
	verified map[string][]byte
}

func newAuthenticator(users []User) *authenticator {
	a := &authenticator{users: map[string]*User{}, cacheKey: make([]byte, 32), verified: map[string][]byte{}}
	_, _ = rand.Read(a.cacheKey)
	for i := range users {
		a.users[users[i].Name] = &users[i]
		if a.dummyHash == nil {
			a.dummyHash = []byte(users[i].PasswordHash)
		}
	}
	return a
}

// authenticate returns the request's principal. ok is false when
// credentials were sent but are wrong, or use a scheme other than Basic.
func (a *authenticator) authenticate(header string) (p principal, ok bool) {
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
	u := a.check(name, password)
	return principal{user: u}, u != nil
}

func (a *authenticator) check(name, password string) *User {
	u := a.users[name]
	if u == nil {
		// Spend the same time as for a known user, so response times do
		// not tell which user names exist.
		if a.dummyHash != nil {
			_ = bcrypt.CompareHashAndPassword(a.dummyHash, []byte(password))
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
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
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
