package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// stamp is a time in microseconds since the Unix epoch with the sign bit
// flipped, so that big-endian byte order equals time order for any date.
type stamp uint64

func stampOf(t time.Time) stamp { return stamp(uint64(t.UnixMicro()) ^ (1 << 63)) }

func (s stamp) time() time.Time { return time.UnixMicro(int64(uint64(s) ^ (1 << 63))).UTC() }

func (s stamp) appendTo(b []byte) []byte { return binary.BigEndian.AppendUint64(b, uint64(s)) }

func stampAt(b []byte) stamp { return stamp(binary.BigEndian.Uint64(b)) }

// unversioned is the version key of objects without modified (SCOs,
// marking definitions): the zero time.
var unversioned = stampOf(time.Time{})

// The three index buckets share one key shape: <text> 0x00 <stamp>. The
// terminator keeps one text from prefix-matching a longer one, and the
// keys of one text sort together by stamp. Texts hold no 0x00 (STIX ids
// and types cannot; IndexValues drops values that would).
//
//	ids:    <stix-id> 0x00 <version>
//	types:  <type> 0x00 <date_added>
//	values: <indicator value> 0x00 <date_added>

// textPrefix is <text> 0x00, with room for the stamp after it.
func textPrefix(text string) []byte {
	k := make([]byte, 0, len(text)+9)
	k = append(k, text...)
	return append(k, 0)
}

func idKey(id string, version stamp) []byte  { return version.appendTo(textPrefix(id)) }
func typeKey(typ string, added stamp) []byte { return added.appendTo(textPrefix(typ)) }
func valueKey(value string, at stamp) []byte { return at.appendTo(textPrefix(value)) }
func idPrefix(id string) []byte              { return textPrefix(id) }
func typePrefix(typ string) []byte           { return textPrefix(typ) }
func valuePrefix(value string) []byte        { return textPrefix(value) }

// splitIDKey undoes idKey.
func splitIDKey(k []byte) (id []byte, version stamp, ok bool) {
	if len(k) < 10 || k[len(k)-9] != 0 {
		return nil, 0, false
	}
	return k[:len(k)-9], stampAt(k[len(k)-8:]), true
}

// typeOfID is the type part of a STIX id ("indicator" of "indicator--…").
func typeOfID(id []byte) []byte {
	for i := 0; i+1 < len(id); i++ {
		if id[i] == '-' && id[i+1] == '-' {
			return id[:i]
		}
	}
	return nil
}

// Version flags of a record: whether it is its object's first or last
// stored version. They answer match[version]=first|last while scanning in
// date_added order, and are rewritten when a version arrives or goes.
const (
	flagFirst byte = 1 << iota
	flagLast
)

// record is the value stored under a records key (the date_added).
//
//	[0]      format (3)
//	[1]      flags
//	[2:10]   version stamp
//	[10]     len(id), then id
//	[.]      len(spec_version), then spec_version
//	[.]      len(version text), then version text
//	rest     the object's JSON
type record struct {
	flags       byte
	version     stamp
	id          []byte
	specVersion []byte
	versionText []byte
	json        []byte
}

const recordFormat = 3

// flagsAt is the offset of the flags byte, which setFlags rewrites.
const flagsAt = 1

var errCorrupt = errors.New("corrupt record")

func encodeRecord(flags byte, version stamp, id, specVersion, versionText string, json []byte) ([]byte, error) {
	if len(id) > 255 || len(specVersion) > 255 || len(versionText) > 255 {
		return nil, fmt.Errorf("id, spec_version or version longer than 255 bytes")
	}
	b := make([]byte, 0, 13+len(id)+len(specVersion)+len(versionText)+len(json))
	b = append(b, recordFormat, flags)
	b = version.appendTo(b)
	for _, f := range []string{id, specVersion, versionText} {
		b = append(b, byte(len(f)))
		b = append(b, f...)
	}
	return append(b, json...), nil
}

// decodeRecord slices b without copying: the result is valid only as long
// as b, i.e. inside the transaction that read it.
func decodeRecord(b []byte) (record, error) {
	if len(b) < 13 || b[0] != recordFormat {
		return record{}, errCorrupt
	}
	r := record{flags: b[flagsAt], version: stampAt(b[2:10])}
	rest := b[10:]
	var ok bool
	for _, f := range []*[]byte{&r.id, &r.specVersion, &r.versionText} {
		if *f, rest, ok = cutLenPrefixed(rest); !ok {
			return record{}, errCorrupt
		}
	}
	r.json = rest
	return r, nil
}

// effectiveVersion is what match[version] compares: the stored version, or
// for unversioned objects their date_added (TAXII's "server-consistent value").
func (r record) effectiveVersion(added stamp) stamp {
	if len(r.versionText) == 0 {
		return added
	}
	return r.version
}

func cutLenPrefixed(b []byte) (field, rest []byte, ok bool) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return nil, nil, false
	}
	n := int(b[0])
	return b[1 : 1+n], b[1+n:], true
}
