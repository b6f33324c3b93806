package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Index families (the first byte of an index key).
const (
	kindAll   byte = 'A'
	kindFirst byte = 'F'
	kindLast  byte = 'L'
)

// stamp is a time in microseconds since the Unix epoch with the sign bit
// flipped, so that big-endian byte order equals time order for any date.
type stamp uint64

func stampOf(t time.Time) stamp { return stamp(uint64(t.UnixMicro()) ^ (1 << 63)) }

func (s stamp) time() time.Time { return time.UnixMicro(int64(uint64(s) ^ (1 << 63))).UTC() }

func (s stamp) appendTo(b []byte) []byte { return binary.BigEndian.AppendUint64(b, uint64(s)) }

func stampAt(b []byte) stamp { return stamp(binary.BigEndian.Uint64(b)) }

// objectKey is <stix-id> 0x00 <version>. The terminator keeps one id from
// prefix-matching a longer one, and the versions of an object sort together
// oldest first.
func objectKey(id string, version stamp) []byte {
	k := make([]byte, 0, len(id)+9)
	k = append(k, id...)
	k = append(k, 0)
	return version.appendTo(k)
}

func idPrefix(id string) []byte {
	k := make([]byte, 0, len(id)+1)
	k = append(k, id...)
	return append(k, 0)
}

func indexPrefix(kind byte, typ string) []byte {
	k := make([]byte, 0, len(typ)+10)
	k = append(k, kind)
	k = append(k, typ...)
	return append(k, 0)
}

func indexKey(kind byte, typ string, added stamp) []byte {
	return added.appendTo(indexPrefix(kind, typ))
}

// splitIDKey undoes objectKey: <id> 0x00 <stamp>.
func splitIDKey(k []byte) (id []byte, s stamp, ok bool) {
	if len(k) < 10 || k[len(k)-9] != 0 {
		return nil, 0, false
	}
	return k[:len(k)-9], stampAt(k[len(k)-8:]), true
}

// splitIndexKey undoes indexKey; typ is nil for the untyped entries.
func splitIndexKey(k []byte) (kind byte, typ []byte, added stamp, ok bool) {
	if len(k) < 10 || k[len(k)-9] != 0 {
		return 0, nil, 0, false
	}
	kind = k[0]
	if kind != kindAll && kind != kindFirst && kind != kindLast {
		return 0, nil, 0, false
	}
	if t := k[1 : len(k)-9]; len(t) > 0 {
		typ = t
	}
	return kind, typ, stampAt(k[len(k)-8:]), true
}

// record is the value stored under an objects key.
//
//	[0]      format (1)
//	[1:9]    date_added stamp
//	[9]      len(spec_version), then spec_version
//	[.]      len(version text), then version text
//	rest     the object's JSON
type record struct {
	added       stamp
	specVersion []byte
	versionText []byte
	json        []byte
}

const recordFormat = 1

var errCorrupt = errors.New("corrupt record")

func encodeRecord(added stamp, specVersion, versionText string, json []byte) ([]byte, error) {
	if len(specVersion) > 255 || len(versionText) > 255 {
		return nil, fmt.Errorf("spec_version or version longer than 255 bytes")
	}
	b := make([]byte, 0, 11+len(specVersion)+len(versionText)+len(json))
	b = append(b, recordFormat)
	b = added.appendTo(b)
	b = append(b, byte(len(specVersion)))
	b = append(b, specVersion...)
	b = append(b, byte(len(versionText)))
	b = append(b, versionText...)
	return append(b, json...), nil
}

// decodeRecord slices b without copying: the result is valid only as long
// as b, i.e. inside the transaction that read it.
func decodeRecord(b []byte) (record, error) {
	if len(b) < 11 || b[0] != recordFormat {
		return record{}, errCorrupt
	}
	r := record{added: stampAt(b[1:9])}
	rest := b[9:]
	var ok bool
	if r.specVersion, rest, ok = cutLenPrefixed(rest); !ok {
		return record{}, errCorrupt
	}
	if r.versionText, rest, ok = cutLenPrefixed(rest); !ok {
		return record{}, errCorrupt
	}
	r.json = rest
	return r, nil
}

func cutLenPrefixed(b []byte) (field, rest []byte, ok bool) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return nil, nil, false
	}
	n := int(b[0])
	return b[1 : 1+n], b[1+n:], true
}
