package gibsim

import (
	"fmt"
	"time"
)

// Building blocks shared by the item generators: the date renderings the
// API uses, actor and malware references, and the CnC / client objects
// several collections embed.
//
// Generators draw from it.Stable() in a fixed order, so the number of
// stable draws must never depend on it.Rand() or it.Drift(): evaluate
// stable values unconditionally and let drift only choose how to render
// them. Otherwise every stable field after the branch would change between
// revisions.

// msk renders t with the +03:00 offset of threat and leak dates.
func msk(t time.Time) string { return t.In(Moscow).Format(TimeOffset) }

// utc renders t with the +00:00 offset most event dates carry.
func utc(t time.Time) string { return t.UTC().Format(TimeOffset) }

// day renders t as the date-only form of threat dates (datePublished,
// dateFirstSeen, stat.dateLastSeen), which Group-IB counts in Moscow time.
func day(t time.Time) string { return t.In(Moscow).Format(DateOnly) }

// earlier returns t moved back by a stable 1..maxHours hours: for dates
// that precede the first sighting (compromise, registration, creation).
func earlier(it *Item, t time.Time, maxHours int) time.Time {
	return t.Add(-time.Duration(1+it.Stable().IntN(maxHours)) * time.Hour)
}

// Sizes of the reference pools. References pick from the first entries
// only, so that the profiles at those indexes in apt|hi/threat_actor and
// malware/malware exist for them.
const (
	actorPool   = 24
	malwarePool = 16
)

// entity is a threat actor or malware family from a deterministic pool,
// so that references in different collections agree on its id and name.
type entity struct {
	ID, Name, Country, Category, Platform string
}

// poolEntity returns entity k of a pool ("actor/apt", "actor/hi",
// "malware"). It does not depend on the simulator seed: the same names
// recur in every run, like the real catalogue's well-known families.
func poolEntity(pool string, k int) entity {
	r := newRand(0, "pool/"+pool, k, -1)
	p := &Item{stable: r, rng: r}
	return entity{
		ID: p.Hex(40), Name: p.Name(), Country: p.Country(),
		Category: p.Pick("Backdoor", "Stealer", "Loader", "RAT", "Ransomware", "Banking Trojan"),
		Platform: p.Pick("Windows", "Linux", "Android", "macOS"),
	}
}

func actorPoolName(apt bool) string {
	if apt {
		return "actor/apt"
	}
	return "actor/hi"
}

// actorRef renders the {id, name, country, isAPT, stixGuid} reference to
// one of the first actorPool actors.
func actorRef(it *Item, apt bool) map[string]any {
	a := poolEntity(actorPoolName(apt), it.Stable().IntN(actorPool))
	return map[string]any{"id": a.ID, "name": a.Name, "country": it.Nullable(a.Country),
		"isAPT": apt, "stixGuid": it.Nullable(stixGUID(it))}
}

// anyActorRef renders a reference to an actor of either pool the way the
// collections that do not profile actors write it: isAPT absent or false
// even for an APT group (the NetTraveler case), and the name sometimes
// padded with spaces. The same actor is then named by a profile, a report
// and this reference, which must all make one object.
func anyActorRef(it *Item) map[string]any {
	s := it.Stable()
	apt, k, flag := s.IntN(2) == 0, s.IntN(actorPool), s.IntN(3)
	a := poolEntity(actorPoolName(apt), k)
	ref := map[string]any{"id": a.ID, "name": a.Name}
	switch flag {
	case 1:
		ref["isAPT"] = false
	case 2:
		ref["isAPT"] = apt
	}
	if it.Drift() {
		ref["name"] = " " + a.Name + "  "
	}
	return ref
}

// noisyValue returns, for about one item in six, a value of the kind real
// feeds carry and the mappings must not turn into an indicator: defanged
// (restored), reserved, benign or malformed; else "".
func noisyValue(it *Item) string {
	noise := []string{"127.0.0.1", "10.20.30.40", "0.0.0.0", "8.8.8.8", "999.1.1.1", "google.com",
		"localhost.localdomain", "hxxp://" + it.Domain() + "/gate.php", it.Domain() + "[.]net"}
	if k := it.Stable().IntN(6 * len(noise)); k < len(noise) {
		return noise[k]
	}
	return ""
}

// shortActorRef renders the {id, name} form of group-level lists.
func shortActorRef(it *Item) map[string]any {
	a := poolEntity(actorPoolName(false), it.Stable().IntN(actorPool))
	return map[string]any{"id": a.ID, "name": a.Name}
}

// malwareRef renders the {id, name} reference to one of the first
// malwarePool families.
func malwareRef(it *Item) map[string]any {
	m := poolEntity("malware", it.Stable().IntN(malwarePool))
	return map[string]any{"id": m.ID, "name": m.Name}
}

// stixGUID returns a stable UUID-shaped string. Like the real stixGuid its
// variant bits are arbitrary: it is a cross-reference, not a STIX id.
func stixGUID(it *Item) string {
	h := it.Hex(32)
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}

// cncObject renders the CnC object of compromised and attack events. The
// ipv4 geo object drifts to null, as in events whose C2 was a bare domain.
func cncObject(it *Item) map[string]any {
	domain := it.Domain()
	url := it.URL(domain)
	port := []int{80, 443, 8080}[it.Stable().IntN(3)]
	return map[string]any{
		"cnc": url, "domain": domain, "url": url,
		"ipv4": it.Nullable(it.GeoIP(it.IPv4())), "ipv6": nil,
		"port": port, "proto": it.Pick("http", "https"), "stixGuid": it.Nullable(stixGUID(it)),
	}
}

// clientObject renders the victim machine of compromised events.
func clientObject(it *Item) map[string]any {
	return map[string]any{"ipv4": it.Nullable(it.GeoIP(it.IPv4())), "ipv6": nil}
}

// person renders the owner/person object; most fields are null in the
// real data, and names are obviously fake.
func person(it *Item) map[string]any {
	domain := it.Domain()
	return map[string]any{
		"name": it.Nullable(it.Pick("John Doe", "Jane Roe", "Max Mustermann")), "email": it.Nullable(it.Email(domain)),
		"phone":   it.Nullable(fmt.Sprintf("+1-555-01%02d", it.Stable().IntN(100))),
		"address": nil, "birthday": nil, "passport": nil, "taxNumber": nil, "state": nil, "zip": nil, "region": nil,
		"countryCode": it.Country(),
	}
}

// sourceObject renders the {id, type, idType} source of compromised data.
func sourceObject(it *Item) map[string]any {
	typ := it.Pick("Botnet", "Leak", "Card shop")
	id := fmt.Sprintf("botnet-%d", it.Stable().IntN(100))
	if typ != "Botnet" {
		id = "https://leaks." + it.Domain() + "/" + it.Hex(8) + ".txt"
	}
	return map[string]any{"id": id, "type": typ, "idType": it.Blankable("url")}
}

// objectOrLone renders a list of objects, or under drift a one-element
// list as its bare element: the list-vs-object drift of reference lists.
func objectOrLone(it *Item, objs []any) any {
	if len(objs) == 1 && it.Drift() {
		return objs[0]
	}
	return objs
}

// cveID returns the id of vulnerability k of osi/vulnerability when it is a
// CVE (see itemID), so threat cveLists point at vulnerabilities the
// simulator also serves.
func cveID(it *Item) string {
	k := 3 * it.Stable().IntN(40) // k%3 != 2: a CVE, not a WPVDB advisory
	return fmt.Sprintf("CVE-%d-%d", 2015+k%11, 10000+k)
}
