package gibsim

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Item is what a generator knows about the item it renders: its identity,
// its revision (0 when first published, +1 per update) and its dates. All
// randomness comes from Rand, seeded from (seed, collection, index,
// revision), so the same item at the same revision renders identically.
type Item struct {
	Collection string
	ID         string
	Index      int
	Revision   int
	// FirstSeen is when the item first appeared; Updated is when this
	// revision was published (equal to FirstSeen at revision 0).
	FirstSeen time.Time
	Updated   time.Time

	rng    *rand.Rand
	stable *rand.Rand // seeded without the revision: for fields that never change
	drift  float64
}

// Rand returns the item's revision-dependent random source.
func (it *Item) Rand() *rand.Rand { return it.rng }

// Stable returns a random source that is the same at every revision, for
// fields an update does not change (names, hashes, addresses).
func (it *Item) Stable() *rand.Rand { return it.stable }

// Drift reports, at the configured drift rate, whether to render a field in
// one of the real API's alternative shapes.
func (it *Item) Drift() bool { return it.drift > 0 && it.rng.Float64() < it.drift }

// OneOrMany renders a list as is, or under drift a single value as a bare
// string (and an empty list as null): "list-vs-string" drift.
func (it *Item) OneOrMany(values []string) any {
	if !it.Drift() {
		return values
	}
	switch len(values) {
	case 0:
		return nil
	case 1:
		return values[0]
	}
	return values
}

// ObjectOrList renders an object as is, or under drift wrapped in a
// one-element list: the "object-or-list" drift of threatActor, file, ...
func (it *Item) ObjectOrList(obj map[string]any) any {
	if it.Drift() {
		return []any{obj}
	}
	return obj
}

// Nullable renders v, or under drift null.
func (it *Item) Nullable(v any) any {
	if it.Drift() {
		return nil
	}
	return v
}

// Blankable renders s, or under drift "".
func (it *Item) Blankable(s string) string {
	if it.Drift() {
		return ""
	}
	return s
}

// Evaluation renders the common evaluation object. ttl is days or nil.
// Under drift keys come back in the variants seen in the wild: TLP/TTL
// upper-case, admiralty_code snake_case.
func (it *Item) Evaluation(ttl any) map[string]any {
	r := it.rng
	codes := []string{"A1", "A2", "B1", "B2", "C2", "C3"}
	tlps := []string{"white", "green", "amber", "red"}
	sev := []string{"green", "orange", "red"}
	ev := map[string]any{
		"admiraltyCode": codes[r.IntN(len(codes))],
		"credibility":   10 * (3 + r.IntN(8)),
		"reliability":   10 * (3 + r.IntN(8)),
		"severity":      sev[r.IntN(len(sev))],
		"tlp":           tlps[r.IntN(len(tlps))],
		"ttl":           ttl,
	}
	if it.Drift() {
		ev["TLP"], ev["TTL"] = ev["tlp"], ev["ttl"]
		delete(ev, "tlp")
		delete(ev, "ttl")
	}
	if it.Drift() {
		ev["admiralty_code"] = ev["admiraltyCode"]
		delete(ev, "admiraltyCode")
	}
	return ev
}

// Pick returns one of values, chosen by the stable source.
func (it *Item) Pick(values ...string) string { return values[it.stable.IntN(len(values))] }

// Hex returns n random hex digits from the stable source.
func (it *Item) Hex(n int) string { return randHex(it.stable, n) }

// MD5, SHA1 and SHA256 return stable fake digests.
func (it *Item) MD5() string    { return it.Hex(32) }
func (it *Item) SHA1() string   { return it.Hex(40) }
func (it *Item) SHA256() string { return it.Hex(64) }

// IPv4 returns a stable public unicast address. Simulated IOCs must look
// like real ones: the mappings drop documentation and private ranges as
// they would in a real feed.
func (it *Item) IPv4() string {
	firsts := []int{5, 23, 31, 37, 45, 46, 62, 77, 78, 80, 81, 85, 89, 91, 93, 94, 95, 103, 104, 109,
		141, 146, 147, 151, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217}
	return fmt.Sprintf("%d.%d.%d.%d", firsts[it.stable.IntN(len(firsts))], it.stable.IntN(256),
		it.stable.IntN(256), 1+it.stable.IntN(254))
}

// IPv6 returns a stable public unicast address (in RIPE's 2a00::/12).
func (it *Item) IPv6() string {
	return fmt.Sprintf("2a0%x:%x:%x::%x", it.stable.IntN(16), 1+it.stable.IntN(0xfffe), it.stable.IntN(0xffff),
		1+it.stable.IntN(0xfffe))
}

// Domain returns a stable domain name of the kind malicious infrastructure
// uses; "-sim" marks it as simulated.
func (it *Item) Domain() string {
	words := []string{"update", "cdn", "login", "secure", "mail", "files", "check", "api", "portal", "sync"}
	tlds := []string{"com", "net", "org", "top", "xyz", "info", "ru", "biz"}
	return fmt.Sprintf("%s-%s%d-sim.%s", words[it.stable.IntN(len(words))], words[it.stable.IntN(len(words))],
		it.stable.IntN(1000), tlds[it.stable.IntN(len(tlds))])
}

// URL returns a stable URL on domain.
func (it *Item) URL(domain string) string {
	paths := []string{"gate.php", "panel/login", "download/update.exe", "api/v1/beacon", "index.html"}
	return "https://" + domain + "/" + paths[it.stable.IntN(len(paths))]
}

// Email returns a stable address on domain.
func (it *Item) Email(domain string) string {
	users := []string{"admin", "billing", "support", "j.doe", "noreply", "hr"}
	return users[it.stable.IntN(len(users))] + "@" + domain
}

// Country returns a stable ISO country code.
func (it *Item) Country() string {
	return it.Pick("US", "DE", "NL", "RU", "CN", "BR", "IN", "SG", "GB", "FR")
}

// GeoIP renders the API's IP/geo object for ip.
func (it *Item) GeoIP(ip string) map[string]any {
	cc := it.Country()
	return map[string]any{
		"ip": ip, "asn": fmt.Sprintf("AS%d", 64496+it.stable.IntN(15)), "city": it.Nullable("Springfield"),
		"countryCode": cc, "countryName": countryNames[cc], "provider": it.Pick("Hoster Ltd", "CloudCo", "Example ISP"),
		"region": nil,
	}
}

var countryNames = map[string]string{"US": "United States", "DE": "Germany", "NL": "Netherlands", "RU": "Russia",
	"CN": "China", "BR": "Brazil", "IN": "India", "SG": "Singapore", "GB": "United Kingdom", "FR": "France"}

// Name returns a stable proper name built from syllables, e.g. for a
// threat actor or malware family.
func (it *Item) Name() string {
	syl := []string{"ra", "ven", "ko", "dar", "mi", "sha", "tor", "lex", "ny", "gor", "vel", "an"}
	var b strings.Builder
	for range 2 + it.stable.IntN(2) {
		b.WriteString(syl[it.stable.IntN(len(syl))])
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

// Time formats t the ways the API does.
const (
	TimeOffset = "2006-01-02T15:04:05-07:00" // 2024-09-23T23:20:09+03:00
	TimeZ      = "2006-01-02T15:04:05Z"
	DateOnly   = "2006-01-02"
	TimeSpace  = "2006-01-02 15:04:05"
	TimeNoZone = "2006-01-02T15:04:05"
)

// Moscow is the +03:00 zone many Group-IB dates carry.
var Moscow = time.FixedZone("MSK", 3*3600)

func randHex(r *rand.Rand, n int) string {
	b := make([]byte, (n+1)/2)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return hex.EncodeToString(b)[:n]
}
