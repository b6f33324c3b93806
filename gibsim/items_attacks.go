package gibsim

import (
	"fmt"
	"strings"
	"time"
)

// Generators of the attacks/* collections: DDoS events, defacements,
// phishing groups and phishing kits.

// genDDoS renders an attacks/ddos event: a C2 and the victim it attacked.
// The API has no update date; an update extends the attack, so dateEnd
// follows it.Updated.
func genDDoS(it *Item) map[string]any {
	s := it.Stable()
	end := it.Updated.Add(time.Duration(10+s.IntN(600)) * time.Second)
	victim := it.GeoIP(it.IPv4())
	return map[string]any{
		"oldId": fmt.Sprint(1e8 + s.IntN(1e8)), "stixGuid": it.Nullable(stixGUID(it)),
		"type":     it.Pick("DNS Reflection", "SYN Flood", "HTTP Flood", "NTP Amplification"),
		"protocol": it.Pick("udp", "tcp", "http"), "duration": int(end.Sub(it.FirstSeen).Seconds()),
		"source": "honeypot_logs:1", "sourceRowId": fmt.Sprint(s.IntN(1e8)),
		"dateBegin": utc(it.FirstSeen), "dateEnd": utc(end),
		"dateReg": utc(it.FirstSeen.UTC().Truncate(24 * time.Hour)),
		"cnc":     cncObject(it),
		"target": map[string]any{"ipv4": victim, "domain": nil, "url": nil, "port": []int{53, 80, 443, 5353}[s.IntN(4)],
			"category": nil, "domainsCount": 0},
		"malware":     it.Nullable(malwareRef(it)),
		"threatActor": it.Nullable(actorRef(it, false)),
		"requestData": map[string]any{"link": nil, "headers": map[string]any{}, "headersHash": nil, "body": nil, "bodyHash": nil},
		"messageLink": nil,
		"evaluation":  it.Evaluation(30),
	}
}

// genDeface renders an attacks/deface event. Neither date changes on
// update (the API has no update field here); the mirror and evaluation do.
func genDeface(it *Item) map[string]any {
	domain := "victim-" + it.Domain()
	url := fmt.Sprintf("http://%s/?%s", domain, it.Hex(6))
	actor := actorRef(it, false)
	actor["country"] = nil
	return map[string]any{
		"url": url, "siteUrl": url, "targetDomain": domain, "targetDomainProvider": nil,
		"targetIp": it.GeoIP(it.IPv4()),
		"source":   "defacer.example", "providerDomain": "defacer.example",
		"mirrorLink": fmt.Sprintf("https://deface.example.net/id:-%s:%d", it.ID, it.Revision),
		"portalLink": "https://tap.example/attacks/deface?searchValue=id:" + it.ID,
		"date":       it.FirstSeen.UTC().Format(TimeZ), "tsCreate": it.FirstSeen.UTC().Format(TimeZ),
		"threatActor": it.Nullable(it.ObjectOrList(actor)),
		"contacts":    []any{},
		"evaluation":  it.Evaluation(30),
	}
}

// genPhishingGroup renders an attacks/phishing_group item: a phishing
// domain with its phishing pages. threatActor is the all-empty-strings
// object of unattributed groups unless attributed.
func genPhishingGroup(it *Item) map[string]any {
	s := it.Stable()
	domain := it.Domain()
	brand := it.Pick("Example Bank", "Example Mail", "Example Games")
	hosting := it.GeoIP(it.IPv4())
	delete(hosting, "asn")
	pages := []any{}
	for range 1 + s.IntN(3) {
		pages = append(pages, phishingPage(it, domain, brand, hosting))
	}
	actor := map[string]any{"id": "", "name": "", "nameIndexed": "", "isAPT": false}
	if s.IntN(4) == 0 {
		actor = shortActorRef(it)
		actor["nameIndexed"], actor["isAPT"] = actor["name"], false
	} else {
		s.IntN(actorPool) // keep the stable draw count independent of attribution
	}
	ttl := []int{0, 7, 30}[s.IntN(3)]
	return map[string]any{
		"brand": brand, "domain": domain, "domainTitle": brand + " Login",
		"domainInfo": map[string]any{"domain": domain, "domainPuny": domain, "tld": tld(domain), "title": brand + " Login",
			"registrar": nil, "registered": nil, "expirationDate": nil, "category": []string{}},
		"date": map[string]any{"added": msk(it.FirstSeen), "detected": msk(it.FirstSeen), "blocked": blockedDate(it),
			"updated": msk(it.Updated), "blockedIndexed": nil},
		"ip": []any{hosting}, "phishing": pages,
		"countPhishing": len(pages), "groupLifetime": int(it.Updated.Sub(it.FirstSeen).Seconds()),
		"objective": it.OneOrMany([]string{"Login harvest"}), "source": it.OneOrMany([]string{"SafeSearch"}),
		"status": 1, "falsePositive": false, "whitelist": false, "phishingKitArray": []any{},
		"uniqueTitles": []any{map[string]any{"title": brand + " Login",
			"faviconHashes": map[string]any{"md5": "", "sha1": "", "sha256": ""}}},
		"threatActor": actor,
		"screenshot":  map[string]any{"pageScreen": map[string]any{"hashSha256": "s:" + it.SHA256(), "filetype": "pageScreen"}},
		"signature":   map[string]any{"resource": []any{}, "screen": []any{}, "manual": []any{}},
		"evaluation":  it.Evaluation(ttl),
	}
}

// blockedDate is null until the group is blocked, which happens on some
// update.
func blockedDate(it *Item) any {
	if it.Revision == 0 || it.Rand().IntN(2) == 0 {
		return nil
	}
	return msk(it.Updated)
}

// phishingPage renders one phishing[] element.
func phishingPage(it *Item, domain, brand string, hosting map[string]any) map[string]any {
	paths := []string{"login/", "profile/", "verify.php", "account/update"}
	url := fmt.Sprintf("http://%s/%s", domain, paths[it.Stable().IntN(len(paths))])
	return map[string]any{
		"id": it.Hex(40), "url": url, "title": brand + " Login", "status": 1,
		"date": map[string]any{"added": msk(it.FirstSeen), "detected": msk(it.FirstSeen), "blocked": blockedDate(it)},
		"domain": map[string]any{"domain": domain, "puny": domain, "tld": tld(domain), "title": brand + " Login",
			"registrar": it.Blankable("Example Registrar"), "registered": "", "expiration": "", "category": []string{}},
		"ip":        hosting,
		"objective": []string{"Login harvest"}, "source": []string{"SafeSearch"},
		"phishingKit": []any{}, "renderedUrls": []any{}, "client": nil,
	}
}

func tld(domain string) string { return domain[strings.LastIndexByte(domain, '.')+1:] }

// genPhishingKit renders an attacks/phishing_kit item. The id is the kit's
// sha256, repeated in hash.
func genPhishingKit(it *Item) map[string]any {
	host := "kit-" + it.Domain()
	file := it.Pick("kit.zip", "bank.zip", "office365.rar")
	dl := map[string]any{"date": downloadDate(it), "url": "https://" + host + "/" + file,
		"phishingUrl": "", "domain": host, "fileName": file}
	var actors any
	if it.Stable().IntN(3) == 0 {
		actors = []any{shortActorRef(it)}
	}
	return map[string]any{
		"hash":         it.ID,
		"dateDetected": utc(it.FirstSeen), "dateFirstSeen": utc(it.FirstSeen), "dateLastSeen": utc(it.Updated),
		"downloadedFrom": []any{dl},
		"emails":         it.OneOrMany([]string{it.Email("drop." + it.Domain())}),
		"telegramIds":    it.Nullable([]string{fmt.Sprint(100000 + it.Stable().IntN(900000))}),
		"login":          "PhishingKitFetcher",
		"path":           fmt.Sprintf("https://tap.example/api/v2/attacks/phishing_kit/%s/file/%s", it.ID, it.Hex(40)),
		"source":         []string{"ci-PhishKit"}, "targetBrand": it.OneOrMany([]string{it.Pick("Example Bank", "Example Mail")}),
		"threatActors": actors,
		"variables": []any{map[string]any{"type": "DB", "filePath": "./cb/pages/email-notify.php",
			"values": []string{"host: localhost"}}},
		"evaluation": it.Evaluation(30),
	}
}

// downloadDate renders downloadedFrom[].date, which the API gives as
// "2006-01-02 15:04:05" or, in other items, with a +03:00 offset.
func downloadDate(it *Item) string {
	if it.Drift() {
		return msk(it.FirstSeen)
	}
	return it.FirstSeen.In(Moscow).Format(TimeSpace)
}
