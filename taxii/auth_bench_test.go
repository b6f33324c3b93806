package taxii

import (
	"context"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// forget empties the verified-credential cache, so the next login is a
// first login again.
func (a *authenticator) forget() {
	a.mu.Lock()
	defer a.mu.Unlock()
	clear(a.verified)
}

// BenchmarkAuthFirstLogin times uncached logins with real bcrypt, for users
// whose hashes have costs 10 and 12, and for an unknown name: every case
// should take the time of one compare at cost 12, which "bcrypt12" times
// alone for reference.
func BenchmarkAuthFirstLogin(b *testing.B) {
	twelve := mustHash(b, "twelve-pw", 12)
	a := newAuthenticator([]User{
		{Name: "ten", PasswordHash: mustHash(b, "ten-pw", 10)},
		{Name: "twelve", PasswordHash: twelve},
	})
	b.Run("bcrypt12", func(b *testing.B) {
		for b.Loop() {
			_ = bcrypt.CompareHashAndPassword([]byte(twelve), []byte("wrong"))
		}
	})
	for _, bc := range []struct{ name, user, password string }{
		{"unknown", "nobody", "pw"},
		{"cost10-wrong", "ten", "wrong"},
		{"cost10-right", "ten", "ten-pw"},
		{"cost12-wrong", "twelve", "wrong"},
		{"cost12-right", "twelve", "twelve-pw"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			header, right := basicHeader(bc.user, bc.password), bc.password == bc.user+"-pw"
			for b.Loop() {
				a.forget()
				if _, err := a.authenticate(context.Background(), header); (err == nil) != right {
					b.Fatalf("%s: %v", bc.name, err)
				}
			}
		})
	}
}
