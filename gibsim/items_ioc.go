package gibsim

// genIOCCommon renders an ioc/common item: lists of network and file
// indicators with the threats and malware they belong to.
func genIOCCommon(it *Item) map[string]any {
	domain := it.Domain()
	ips := []string{it.IPv4()}
	if it.Stable().IntN(3) == 0 {
		ips = append(ips, it.IPv4())
	}
	domains := []string{domain}
	if noise := noisyValue(it); noise != "" {
		ips = append(ips, noise) // the mapping tells IPs from the rest
		domains = append(domains, noise)
	}
	return map[string]any{
		"url":           it.OneOrMany([]string{it.URL(domain)}),
		"domain":        it.OneOrMany(domains),
		"ip":            it.OneOrMany(ips),
		"hash":          it.OneOrMany([]string{it.MD5()}),
		"threatList":    []any{map[string]any{"name": it.Name()}},
		"malwareList":   []any{malwareRef(it)},
		"dateFirstSeen": it.FirstSeen.Format(TimeOffset),
		"dateLastSeen":  it.Updated.Format(TimeOffset),
	}
}

// genMalwareCnC renders a malware/cnc item: a C2 address with the malware
// and actors using it. file drifts between null, [] and an object.
func genMalwareCnC(it *Item) map[string]any {
	domain := it.Domain()
	url := it.URL(domain)
	var file any = map[string]any{"id": "f-" + it.Hex(8), "name": it.Pick("payload.exe", "loader.dll", "stage2.bin"),
		"md5": it.MD5(), "sha1": it.SHA1(), "sha256": it.SHA256()}
	if it.Drift() {
		file = it.Pick("null", "[]")
		if file == "null" {
			file = nil
		} else {
			file = []any{}
		}
	}
	ipv6 := []any{}
	if v6 := it.IPv6(); it.Stable().IntN(4) == 0 { // some C2s answer on IPv6 too
		ipv6 = append(ipv6, it.GeoIP(v6))
	}
	malware := malwareRef(it)
	malware["stixGuid"] = nil
	return map[string]any{
		"stixGuid": nil,
		"cnc":      url, "url": url, "domain": domain,
		"ipv4": []any{it.GeoIP(it.IPv4())},
		"ipv6": ipv6, "ssl": []any{}, "platform": nil,
		"file":          file,
		"malwareList":   []any{malware},
		"threatActor":   it.ObjectOrList(anyActorRef(it)),
		"dateDetected":  it.FirstSeen.Format(TimeOffset),
		"dateFirstSeen": it.FirstSeen.Format(TimeOffset),
		"dateLastSeen":  it.Updated.Format(TimeOffset),
		"vtAll":         nil, "vtDetected": nil,
	}
}

// genIOCPrimary renders an ioc/primary item: one network indicator (its
// domain, URL and IP with per-value risk scores) or one file (its hashes).
// Risk scores change on update; the indicator values do not.
func genIOCPrimary(it *Item) map[string]any {
	domain, ip := it.Domain(), it.IPv4()
	url := it.URL(domain)
	hashes := []string{it.MD5(), it.SHA1(), it.SHA256()}
	m := poolEntity("malware", it.Stable().IntN(malwarePool))
	actor := poolEntity(actorPoolName(it.Stable().IntN(2) == 0), it.Stable().IntN(actorPool))
	isFile := it.Stable().IntN(4) == 0
	r := it.Rand()
	risk := 50 + r.IntN(50)
	scored := func(key, v string) any {
		return objectOrLone(it, []any{map[string]any{key: v, "riskScore": 40 + r.IntN(60)}})
	}
	item := map[string]any{
		"type": "network", "riskScore": risk,
		"domain": scored("domain", domain), "url": scored("url", url), "ip": scored("ip", ip),
		"hash":          it.OneOrMany([]string{}),
		"tags":          it.OneOrMany([]string{it.Pick("c2", "phishing", "payload")}),
		"malwareList":   []any{map[string]any{"name": m.Name, "aliases": []string{m.Name + "Loader"}}},
		"threatList":    []any{map[string]any{"name": actor.Name, "title": actor.Name + " campaign"}},
		"dateFirstSeen": utc(it.FirstSeen), "dateLastSeen": utc(it.Updated),
		"evaluation": it.Evaluation(90),
	}
	if isFile {
		item["type"] = "file"
		item["domain"], item["url"], item["ip"] = []any{}, []any{}, []any{}
		item["hash"] = hashes
	}
	return item
}
