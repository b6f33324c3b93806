package loadtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scanned is what the scanner reports of a body: the envelope and, for
// each element of "objects" that is an object, its id and version.
type scanned struct {
	env     envelope
	objects [][2]string
}

// scanChunks scans body in chunks of the given sizes (cycled; the whole
// body at once if none), with ids wanted or not.
func scanChunks(body []byte, withIDs bool, sizes ...int) (scanned, error) {
	var got scanned
	s := &scanner{}
	if withIDs {
		s.onObject = func(id, version []byte) {
			got.objects = append(got.objects, [2]string{string(id), string(version)})
		}
	}
	s.reset()
	if len(sizes) == 0 {
		sizes = []int{len(body)}
	}
	for i, k := 0, 0; i < len(body); k++ {
		n := min(max(sizes[k%len(sizes)], 1), len(body)-i)
		if _, err := s.Write(body[i : i+n]); err != nil {
			return scanned{}, err
		}
		i += n
	}
	env, err := s.finish()
	got.env = env
	return got, err
}

// reference is what encoding/json makes of body, as the scanner should
// see it: ok is false when body is not valid JSON (the scanner is no
// validator), wantErr when it is JSON but not an envelope the scanner
// accepts.
func reference(body []byte) (want scanned, wantErr, ok bool) {
	if !json.Valid(body) {
		return scanned{}, false, false
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); t[0] != '{' || topKeys(body, "objects") > 1 {
		return scanned{}, true, true
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		panic(err)
	}
	var more bool
	want.env.more = json.Unmarshal(top["more"], &more) == nil && more
	want.env.next = jsonString(top["next"])
	raw, has := top["objects"]
	if !has || string(raw) == "null" {
		return want, false, true
	}
	var elems []json.RawMessage
	if json.Unmarshal(raw, &elems) != nil {
		return scanned{}, true, true
	}
	want.env.objects = len(elems)
	for _, e := range elems {
		var m map[string]json.RawMessage
		if bytes.TrimLeft(e, " \t\r\n")[0] != '{' || json.Unmarshal(e, &m) != nil {
			continue
		}
		version := jsonString(m["modified"])
		if version == "" {
			version = jsonString(m["created"])
		}
		want.objects = append(want.objects, [2]string{jsonString(m["id"]), version})
	}
	return want, false, true
}

// jsonString is raw's value if it is a JSON string, else "".
func jsonString(raw json.RawMessage) string {
	var s string
	if raw == nil || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// topKeys counts the top-level keys named name, which a map hides.
func topKeys(body []byte, name string) int {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil {
		return 0
	}
	n := 0
	for dec.More() {
		k, _ := dec.Token()
		if k == name {
			n++
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return n
		}
	}
	return n
}

// checkAgainstReference scans body whole, byte by byte and in odd chunks,
// with and without ids, and compares with encoding/json.
func checkAgainstReference(t *testing.T, body []byte) {
	t.Helper()
	want, wantErr, ok := reference(body)
	if !ok {
		return
	}
	for _, sizes := range [][]int{nil, {1}, {7, 3, 13}} {
		for _, withIDs := range []bool{true, false} {
			got, err := scanChunks(body, withIDs, sizes...)
			if wantErr {
				require.Error(t, err, "%s", body)
				continue
			}
			require.NoError(t, err, "%s", body)
			for i := range got.objects { // encoding/json replaces invalid UTF-8
				got.objects[i] = [2]string{string([]rune(got.objects[i][0])), string([]rune(got.objects[i][1]))}
			}
			got.env.next = string([]rune(got.env.next))
			w := want
			if !withIDs {
				w.objects = nil
			}
			require.Equal(t, w, got, "chunks %v, ids %v: %s", sizes, withIDs, body)
		}
	}
}

func TestLoadtestScannerCases(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		want scanned
	}{
		"plain": {`{"more":true,"next":"a}b","objects":[{"id":"x--1","modified":"m1"}]}`,
			scanned{envelope{1, true, "a}b"}, [][2]string{{"x--1", "m1"}}}},
		"brackets and quotes in strings": {`{"objects":[{"description":"}{][\"\\\":,","id":"x--2","created":"c"},
			{"pattern":"[file:name = 'a\\\"]'] AND {\"","id":"x--3"}],"more":false}`,
			scanned{envelope{2, false, ""}, [][2]string{{"x--2", "c"}, {"x--3", ""}}}},
		"next after objects, more missing": {`{"objects":[{"id":"x--4","modified":"m","created":"c"}],"next":"n1"}`,
			scanned{envelope{1, false, "n1"}, [][2]string{{"x--4", "m"}}}},
		"ids nested deeper are not the object's": {`{"objects":[{"x":{"id":"no","modified":"no"},"refs":[{"id":"no"}],"id":"x--5"}]}`,
			scanned{envelope{1, false, ""}, [][2]string{{"x--5", ""}}}},
		"escaped keys and values": {`{"mor\u0065":true,"n\u0065xt":"\u0041\"b\/","obj\u0065cts":[{"\u0069d":"x--\u0036"}]}`,
			scanned{envelope{1, true, `A"b/`}, [][2]string{{"x--6", ""}}}},
		"elements of every kind": {`{"objects":[1,"s",[{"id":"no"}],null,{},true]}`,
			scanned{envelope{6, false, ""}, [][2]string{{"", ""}}}},
		"more and next inside objects are not the envelope's": {`{"objects":[{"more":true,"next":"no","objects":[1,2]}]}`,
			scanned{envelope{1, false, ""}, [][2]string{{"", ""}}}},
		"last repeated key wins": {`{"more":true,"next":"a","more":false,"next":7,"objects":[{"id":"a","id":5}]}`,
			scanned{envelope{1, false, ""}, [][2]string{{"", ""}}}},
		"whitespace everywhere": {" \n{ \"more\" :\ttrue ,\r\n\"objects\" : [ { \"id\" : \"x\" } , { } ] } \n",
			scanned{envelope{2, true, ""}, [][2]string{{"x", ""}, {"", ""}}}},
		"empty":          {`{}`, scanned{}},
		"no objects":     {`{"more":false,"objects":[]}`, scanned{}},
		"null objects":   {`{"objects":null}`, scanned{}},
		"more as string": {`{"more":"true"}`, scanned{}},
	} {
		t.Run(name, func(t *testing.T) {
			for _, sizes := range [][]int{nil, {1}, {2, 5}} {
				got, err := scanChunks([]byte(tc.body), true, sizes...)
				require.NoError(t, err)
				assert.Equal(t, tc.want.env, got.env, "chunks %v", sizes)
				assert.Equal(t, len(tc.want.objects), len(got.objects), "chunks %v", sizes)
				if len(tc.want.objects) > 0 {
					assert.Equal(t, tc.want.objects, got.objects, "chunks %v", sizes)
				}
			}
			checkAgainstReference(t, []byte(tc.body))
		})
	}
}

func TestLoadtestScannerRefusesWhatIsNoEnvelope(t *testing.T) {
	for name, body := range map[string]string{
		"empty":              "",
		"blank":              " \n",
		"list":               `[{"objects":[]}]`,
		"string":             `"objects"`,
		"null":               `null`,
		"truncated in value": `{"objects":[{"id":"x"`,
		"truncated in key":   `{"obje`,
		"unclosed":           `{"objects":[]`,
		"trailing data":      `{"more":false} {}`,
		"extra close":        `{"more":false}}`,
		"objects twice":      `{"objects":[1],"objects":[2]}`,
		"objects not a list": `{"objects":{"id":"x"}}`,
	} {
		for _, withIDs := range []bool{true, false} {
			_, err := scanChunks([]byte(body), withIDs, 3)
			assert.Error(t, err, "%s: %q", name, body)
		}
	}
}

// TestLoadtestScannerMatchesEncodingJSON compares the scanner with
// encoding/json on generated envelopes full of traps: strings holding
// brackets, quotes, escapes and the names of the keys it looks for, keys
// written with \u escapes, those keys nested where they do not count,
// random key order, whitespace and chunking.
func TestLoadtestScannerMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 400 {
		body := genEnvelope(r)
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkAgainstReference(t, []byte(body)) })
	}
}

func FuzzLoadtestScanner(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		f.Add([]byte(genEnvelope(r)))
	}
	f.Add([]byte(`{"objects":[{"id":"a\ud83d\ude00","modified":"\u00e9"}],"more":true,"next":"\\"}`))
	f.Add([]byte("{\"next\":\"\xff\xfe\",\"objects\":[{\"id\":\"\xc3\"}]}"))
	f.Fuzz(func(t *testing.T, body []byte) { checkAgainstReference(t, body) })
}

var trickyText = []string{"{", "}", "[", "]", `"`, `\`, ":", ",", "\n", "é", "😀", "\x00", "objects", "more",
	"next", "id", "modified", "true", "indicator--1", "2026-01-01T00:00:00.000Z", " ", "/", "\u2028"}

// genString is a JSON string of tricky text, escaped one way or another.
func genString(r *rand.Rand, text string) string {
	if text == "" {
		for range r.IntN(5) {
			text += trickyText[r.IntN(len(trickyText))]
		}
	}
	if r.IntN(4) > 0 {
		b, _ := json.Marshal(text)
		return string(b)
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range text { // every rune escaped, as \uXXXX or surrogate pairs
		if c > 0xffff {
			c -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(c>>10), 0xdc00+(c&0x3ff))
		} else {
			fmt.Fprintf(&b, `\u%04x`, c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func ws(r *rand.Rand) string { return []string{"", "", " ", "\n  ", "\t", "\r\n"}[r.IntN(6)] }

// genValue is any JSON value, nested up to depth levels, whose objects
// may use the keys the scanner looks for.
func genValue(r *rand.Rand, depth int) string {
	switch k := r.IntN(8); {
	case depth > 0 && k == 0:
		return genObject(r, depth-1, []string{"id", "modified", "created", "more", "next", "objects", "x"})
	case depth > 0 && k == 1:
		var items []string
		for range r.IntN(4) {
			items = append(items, ws(r)+genValue(r, depth-1)+ws(r))
		}
		return "[" + strings.Join(items, ",") + "]"
	case k == 2:
		return []string{"true", "false", "null", "0", "-1.5e3", "123456789"}[r.IntN(6)]
	default:
		return genString(r, "")
	}
}

func genObject(r *rand.Rand, depth int, keys []string) string {
	var members []string
	for range r.IntN(5) {
		members = append(members, ws(r)+genString(r, keys[r.IntN(len(keys))])+ws(r)+":"+ws(r)+genValue(r, depth)+ws(r))
	}
	return "{" + strings.Join(members, ",") + "}"
}

// genElement is an element of objects: mostly a STIX-like object with
// string id and versions, in any order, among nested traps.
func genElement(r *rand.Rand) string {
	if r.IntN(8) == 0 {
		return genValue(r, 2)
	}
	members := []string{`"type":"indicator"`, `"nested":` + genObject(r, 2, []string{"id", "modified", "objects"})}
	for _, k := range []string{"id", "modified", "created", "description"} {
		if r.IntN(4) > 0 {
			members = append(members, genString(r, k)+":"+ws(r)+genString(r, ""))
		}
	}
	r.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	return "{" + ws(r) + strings.Join(members, ","+ws(r)) + "}"
}

// genEnvelope is a TAXII envelope with some of more, next and objects, in
// any order, among other keys.
func genEnvelope(r *rand.Rand) string {
	var members []string
	if r.IntN(4) > 0 {
		members = append(members, genString(r, "more")+":"+[]string{"true", "false", `"true"`, "null"}[r.IntN(4)])
	}
	if r.IntN(4) > 0 {
		members = append(members, genString(r, "next")+":"+ws(r)+genValue(r, 1))
	}
	if r.IntN(8) > 0 {
		var elems []string
		for range r.IntN(6) {
			elems = append(elems, ws(r)+genElement(r)+ws(r))
		}
		members = append(members, genString(r, "objects")+":"+ws(r)+"["+strings.Join(elems, ",")+"]")
	}
	members = append(members, genString(r, "x")+":"+genValue(r, 3))
	r.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	return ws(r) + "{" + strings.Join(members, ","+ws(r)) + "}" + ws(r)
}
