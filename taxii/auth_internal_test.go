package taxii

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

func basicHeader(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// A verified password is remembered: the second request with it does not
// run bcrypt. The proof: once cached, it passes even after the stored hash
// has been replaced by one it does not match, while other passwords still
// go to bcrypt and fail.
func TestAuthenticatorCachesVerifiedCredentials(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	require.NoError(t, err)
	a := newAuthenticator([]User{{Name: "alice", PasswordHash: string(hash)}})

	p, ok := a.authenticate(context.Background(), basicHeader("alice", "pw"))
	require.True(t, ok)
	assert.Equal(t, "alice", p.name())

	other, err := bcrypt.GenerateFromPassword([]byte("something else"), bcrypt.MinCost)
	require.NoError(t, err)
	a.users["alice"].PasswordHash = string(other)
	_, ok = a.authenticate(context.Background(), basicHeader("alice", "pw"))
	assert.True(t, ok, "served from the cache")
	_, ok = a.authenticate(context.Background(), basicHeader("alice", "wrong"))
	assert.False(t, ok, "a different password is checked with bcrypt")
	_, ok = a.authenticate(context.Background(), basicHeader("alice", "something else"))
	assert.True(t, ok)
	_, ok = a.authenticate(context.Background(), basicHeader("alice", "pw"))
	assert.False(t, ok, "the cache holds only the last verified password")
}

func BenchmarkAuthenticate(b *testing.B) {
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.DefaultCost)
	require.NoError(b, err)
	a := newAuthenticator([]User{{Name: "alice", PasswordHash: string(hash)}})
	h := basicHeader("alice", "pw")
	for range b.N {
		if _, ok := a.authenticate(context.Background(), h); !ok {
			b.Fatal("refused")
		}
	}
}
