package gibsim

import (
	"fmt"
	"strings"
)

// Generators of the threat reports (apt/threat, hi/threat), the actor
// profiles (apt|hi/threat_actor) and hi/open_threats.

// genAPTThreat renders an apt/threat report: mostly auto-generated IOC
// bulletins ("event") by APT actors.
func genAPTThreat(it *Item) map[string]any { return genThreat(it, true) }

// genHIThreat renders a hi/threat report: same schema, mostly analyst
// "threat" reports on criminal actors, often without IOCs.
func genHIThreat(it *Item) map[string]any { return genThreat(it, false) }

func genThreat(it *Item, apt bool) map[string]any {
	s := it.Stable()
	autogen := (s.IntN(3) > 0) == apt // apt: 2/3 bulletins; hi: 1/3
	nIOC := 0
	if autogen || s.IntN(3) == 0 {
		nIOC = 1 + s.IntN(4)
	}
	actor := actorRef(it, apt)
	m := threatHeader(it, actor, autogen)
	ids, indicators, rels := threatIndicators(it, nIOC)
	m["hasIocs"] = nIOC > 0
	m["indicatorsIds"] = ids
	m["indicators"] = indicators
	m["indicatorRelationships"] = rels
	m["indicatorToolRelationships"] = []any{}
	m["unreliableIndicators"] = []any{}
	for k, v := range threatContext(it, apt) {
		m[k] = v
	}
	// The report's explicit list ties its last indicator (a file, when there
	// are several) to the report's family.
	malwareRels := []any{}
	if len(ids) > 1 {
		family := m["malwareList"].([]any)[0].(map[string]any)["id"]
		malwareRels = append(malwareRels, map[string]any{"sourceId": ids[len(ids)-1], "targetId": family})
	}
	m["indicatorMalwareRelationships"] = malwareRels
	var ttl any // reports usually have no TTL; IOC bulletins sometimes 90 days
	if autogen && s.IntN(2) == 0 {
		ttl = 90
	}
	m["evaluation"] = it.Evaluation(ttl)
	return m
}

// threatHeader renders the report's identity, dates and actor.
func threatHeader(it *Item, actor map[string]any, autogen bool) map[string]any {
	name := actor["name"].(string)
	typ, title := "threat", fmt.Sprintf("%s targets %s organisations", name, it.Pick("financial", "government", "telecom"))
	if autogen {
		typ, title = "event", name+" - New indicators have been found"
	}
	return map[string]any{
		"type": typ, "title": title, "shortTitle": nil, "shortDescription": nil,
		"description":  fmt.Sprintf("<p>Simulated report on %s activity (revision %d).</p>", name, it.Revision),
		"reportNumber": fmt.Sprintf("CP-%04d-%04d", it.Stable().IntN(10000), it.Index%10000),
		"createdAt":    msk(it.FirstSeen), "updatedAt": msk(it.Updated),
		"datePublished": day(it.FirstSeen), "dateFirstSeen": day(it.FirstSeen), "dateLastSeen": day(it.Updated),
		"isAutogen": autogen, "isPublished": true, "isTailored": it.Stable().IntN(10) == 0,
		"threatActor":         it.ObjectOrList(actor),
		"relatedThreatActors": []any{},
		"displayOptions":      map[string]any{"isFavourite": false, "isHidden": false},
	}
}

// threatContext renders the report's malware, techniques, CVEs, targets
// and sources.
func threatContext(it *Item, apt bool) map[string]any {
	m := poolEntity("malware", it.Stable().IntN(malwarePool))
	contacts := []any{}
	if !apt {
		contacts = append(contacts, map[string]any{"account": "@" + it.Pick("seller", "admin", "crew") + "_example",
			"flag": "fake", "service": "telegram", "type": "im"})
	}
	return map[string]any{
		"malwareList": []any{map[string]any{"id": m.ID, "name": m.Name,
			"category": it.OneOrMany([]string{m.Category}), "platform": it.OneOrMany([]string{m.Platform})}},
		"mitreMatrix": []any{mitreEntry(it)},
		"cveList":     []any{map[string]any{"name": cveID(it)}},
		"countries":   []string{it.Country()},
		"regions":     it.OneOrMany([]string{it.Pick("asia", "europe", "america:northern_america")}),
		"sectors":     it.OneOrMany([]string{it.Pick("government", "financial-services", "telecommunication")}),
		"labels":      []string{}, "langs": []string{"en", "ru"},
		"expertise":       it.OneOrMany([]string{it.Pick("AutoReport", "Brief Report", "Deface")}),
		"targetedCompany": []string{}, "targetedPartnersAndClients": []string{},
		"contacts": contacts, "forumsAccounts": []any{}, "sources": []string{}, "sourceList": []any{}, "toolList": []any{},
		"files": []any{map[string]any{"hash": it.SHA256(), "mime": "image/png", "name": "screenshot.png", "size": 1000 + it.Stable().IntN(90000)}},
	}
}

// mitreTechniques are real ATT&CK technique ids (not indicators) with
// their tactics, for mitreMatrix entries.
var mitreTechniques = [][2]string{
	{"T1566", "initial-access"}, {"T1059", "execution"}, {"T1071", "command-and-control"},
	{"T1105", "command-and-control"}, {"T1041", "exfiltration"},
}

// mitreEntry renders one mitreMatrix element. Its id key drifts to
// mitreId, the name the OpenCTI mappings read.
func mitreEntry(it *Item) map[string]any {
	t := mitreTechniques[it.Stable().IntN(len(mitreTechniques))]
	h := it.Hex(32)
	e := map[string]any{
		"attackPatternId": fmt.Sprintf("attack-pattern--%s-%s-4%s-8%s-%s", h[:8], h[8:12], h[13:16], h[17:20], h[20:]),
		"attackTactic":    t[1], "attackType": "mitre_attack_tactics", "params": map[string]any{"data": ""},
	}
	key := "id"
	if it.Drift() {
		key = "mitreId"
	}
	e[key] = t[0]
	return e
}

// threatIndicators renders n indicators: network ones, plus a file one
// linked to the first network indicator when n > 1.
func threatIndicators(it *Item, n int) (ids []string, list, rels []any) {
	ids, list, rels = []string{}, []any{}, []any{}
	for i := range n {
		var ind map[string]any
		if i > 0 && i == n-1 {
			ind = fileIndicator(it)
			rels = append(rels, map[string]any{"sourceId": ind["id"], "targetId": ids[0]})
		} else {
			ind = networkIndicator(it)
		}
		ids = append(ids, ind["id"].(string))
		list = append(list, ind)
	}
	return ids, list, rels
}

// networkIndicator renders a network indicator. domain and url are
// scalars that are null or "" when absent; ipv4 is a list (drifting to a
// bare string).
func networkIndicator(it *Item) map[string]any {
	domain, ip := it.Domain(), it.IPv4()
	url := it.URL(domain)
	// Half the network indicators name their own family.
	own := []any{}
	if m := malwareRef(it); it.Stable().IntN(2) == 0 {
		own = append(own, m)
	}
	if it.Stable().IntN(8) == 0 { // a defanged domain, as analysts paste them
		domain = strings.Replace(domain, ".", "[.]", 1)
	}
	var d, u any = domain, url
	ips := []string{ip}
	switch it.Stable().IntN(3) {
	case 0: // IP-only indicator: the absent domain is "" or null
		d, u = it.Nullable(""), ""
	case 1: // domain-only indicator
		u, ips = it.Nullable(""), []string{}
	}
	return map[string]any{
		"id": it.Hex(40), "type": "network",
		"params":        map[string]any{"domain": d, "url": u, "ipv4": it.OneOrMany(ips), "ipv6": []string{}, "ssl": []string{}},
		"dateFirstSeen": day(it.FirstSeen), "dateLastSeen": day(it.Updated),
		"malwareList": own, "langs": []string{"ru"}, "sources": []string{"playbook"},
		"seqUpdate": it.Updated.UnixMicro() / 100, "title": nil, "description": nil,
	}
}

// fileIndicator renders a file indicator: hashes carries ten algorithm
// keys of which only md5/sha1/sha256 are filled, as in the real API.
func fileIndicator(it *Item) map[string]any {
	hashes := map[string]any{"md5": it.MD5(), "sha1": it.SHA1(), "sha256": it.SHA256()}
	for _, k := range []string{"md4", "md6", "ripemd160", "sha224", "sha384", "sha512", "whirlpool"} {
		hashes[k] = ""
	}
	return map[string]any{
		"id": it.Hex(40), "type": "file",
		"params":        map[string]any{"hashes": hashes, "name": it.Pick("loader.dll", "update.exe", "invoice.doc"), "size": 1024 * (1 + it.Stable().IntN(500))},
		"dateFirstSeen": day(it.FirstSeen), "dateLastSeen": day(it.Updated),
		"seqUpdate": it.Updated.UnixMicro() / 100,
	}
}

// genThreatActor renders an apt/threat_actor or hi/threat_actor profile.
// Item k of the collection is actor k of the reference pool, so that
// threats referring to actors find their profiles. No evaluation.
func genThreatActor(it *Item) map[string]any {
	apt := it.Collection == "apt/threat_actor"
	a := poolEntity(actorPoolName(apt), it.Index)
	return map[string]any{
		"name": a.Name, "aliases": it.OneOrMany([]string{a.Name + "Team"}),
		"country": a.Country, "isAPT": apt,
		"description": fmt.Sprintf("<p>Simulated profile of %s (revision %d).</p>", a.Name, it.Revision),
		"goals":       it.OneOrMany([]string{it.Pick("Information", "Financial")}),
		"roles":       []string{"agent"}, "labels": []string{it.Pick("spy", "criminal", "hacktivist")},
		"langs": []string{"en", "ru"}, "spokenOnLangs": []string{it.Pick("en", "ru", "zh")},
		"createdAt": utc(it.FirstSeen), "updatedAt": msk(it.Updated),
		"files": []any{}, "hasIocs": true, "stixGuid": it.Nullable(stixGUID(it)),
		"stat": actorStat(it),
	}
}

// actorStat renders the profile's statistics; the counters grow with the
// revision, as they do when an actor gets new reports.
func actorStat(it *Item) map[string]any {
	r := it.Rand()
	m := poolEntity("malware", it.Stable().IntN(malwarePool))
	return map[string]any{
		"dateFirstSeen": day(it.FirstSeen), "dateLastSeen": day(it.Updated),
		"countries": []string{it.Country()}, "regions": []string{it.Pick("asia", "europe")},
		"sectors": []string{it.Pick("government", "financial-services")},
		"malware": it.OneOrMany([]string{m.Name}), "cve": []string{cveID(it)},
		"expertise":          []string{"AutoReport"},
		"allIndicatorsCount": 10 + 5*it.Revision + r.IntN(5), "allReportsCount": 1 + it.Revision,
		"contactsCount": r.IntN(5), "forumsAccountsCount": 0, "relatedThreatActorsCount": 0,
		"targetedCompany": []string{}, "targetedPartnersAndClients": []string{},
		"reports": []any{map[string]any{"id": it.Hex(40), "datePublished": day(it.Updated),
			"name": map[string]any{"en": "Simulated report"}}},
	}
}

// genOpenThreats renders a hi/open_threats item: an open-source
// publication with the indicators extracted from it.
func genOpenThreats(it *Item) map[string]any {
	domain := it.Domain()
	source := "blog." + it.Domain()
	return map[string]any{
		"title": fmt.Sprintf("Vendor blog: new %s campaign", it.Pick("loader", "stealer", "phishing")),
		"text":  fmt.Sprintf("Simulated article text (revision %d).", it.Revision), "original": "Simulated original text.",
		"link": "https://" + source + "/post/" + it.Hex(6), "source": source, "sourceType": it.Pick("vendor", "news", "twitter"),
		"author":       map[string]any{"userId": fmt.Sprint(it.Stable().IntN(1000)), "screenName": "analyst", "name": "Example Analyst"},
		"threatActors": []any{anyActorRef(it)},
		"data": map[string]any{
			"malware": []any{malwareRef(it)}, "cve": []any{map[string]any{"id": cveID(it)}},
			"domains": it.OneOrMany([]string{domain}), "ip": it.OneOrMany([]string{it.IPv4()}),
			"urls": it.OneOrMany([]string{it.URL(domain)}), "hashes": it.OneOrMany([]string{it.MD5()}),
			"files":  []any{map[string]any{"hashes": map[string]any{"md5": it.MD5()}, "name": "a.exe", "size": 1 + it.Stable().IntN(1<<20)}},
			"emails": it.OneOrMany([]string{}), "tags": []string{it.Pick("loader", "stealer")},
			"countries": []any{map[string]any{"countryCode": it.Country()}},
		},
		"createdAt": utc(it.FirstSeen), "updatedAt": utc(it.Updated), "dateDetected": utc(earlier(it, it.FirstSeen, 12)),
		"evaluation": it.Evaluation(nil),
	}
}
