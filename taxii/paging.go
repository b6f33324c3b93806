package taxii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/google/uuid"
)

// A next token is base64url of
//
//	version(1) | collection id (16) | position µs (8) | issued unix s (8) | HMAC-SHA256[:16]
//
// It records a position only: filters are re-read from each request and
// permissions re-checked (spec App. B), the page size may change between
// pages (trap T2), and no server state is kept (T3), so tokens survive
// restarts and work on any replica that shares the key.
const (
	tokenVersion = 1
	tokenBody    = 1 + 16 + 8 + 8
	tokenMACLen  = 16
	// tokenClockSkew tolerates replicas whose clocks disagree.
	tokenClockSkew = 5 * time.Minute
)

var errBadToken = errors.New("not a valid paging token for this collection")

// pager signs and checks next tokens.
type pager struct {
	key    []byte
	maxAge time.Duration
	now    func() time.Time
}

func (p pager) sign(collection uuid.UUID, pos storage.Position) string {
	b := make([]byte, 0, tokenBody+tokenMACLen)
	b = append(b, tokenVersion)
	b = append(b, collection[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(pos.DateAdded.UnixMicro()))
	b = binary.BigEndian.AppendUint64(b, uint64(p.now().Unix()))
	b = append(b, p.mac(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (p pager) mac(body []byte) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write(body)
	return m.Sum(nil)[:tokenMACLen]
}

// check returns the position a token encodes if it was signed with our key
// for this collection and has not expired.
func (p pager) check(token string, collection uuid.UUID) (storage.Position, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != tokenBody+tokenMACLen {
		return storage.Position{}, errBadToken
	}
	body, sum := b[:tokenBody], b[tokenBody:]
	if !hmac.Equal(sum, p.mac(body)) || body[0] != tokenVersion || uuid.UUID(body[1:17]) != collection {
		return storage.Position{}, errBadToken
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(body[25:33])), 0)
	now := p.now()
	if now.Sub(issued) > p.maxAge || issued.Sub(now) > tokenClockSkew {
		return storage.Position{}, errors.New("paging token has expired: restart from added_after")
	}
	pos := time.UnixMicro(int64(binary.BigEndian.Uint64(body[17:25]))).UTC()
	return storage.Position{DateAdded: pos}, nil
}
