package gibsim

// Generators of the suspicious_ip/* collections. The item id is the IP
// itself (185.100.0.0/15, see itemID), repeated in ipv4.ip.

// suspiciousGeo renders the ipv4 object of it.ID. Most of its fields are
// null in the real feeds; about half the items carry none of them.
func suspiciousGeo(it *Item) map[string]any {
	geo := it.GeoIP(it.ID)
	if it.Stable().IntN(2) == 0 {
		for _, k := range []string{"asn", "city", "countryName", "provider", "region"} {
			geo[k] = nil
		}
	}
	return geo
}

// suspiciousBase renders the fields all suspicious_ip collections share.
func suspiciousBase(it *Item, ttl int) map[string]any {
	return map[string]any{
		"ipv4":          suspiciousGeo(it),
		"dateFirstSeen": utc(it.FirstSeen), "dateLastSeen": utc(it.Updated),
		"evaluation": it.Evaluation(ttl),
		"portalLink": nil, "bind": nil,
	}
}

// genTorNode renders a suspicious_ip/tor_node item.
func genTorNode(it *Item) map[string]any {
	m := suspiciousBase(it, 30)
	m["nodes"] = []any{}
	m["source"] = it.Pick("tor_banner", "tor_consensus")
	return m
}

// genOpenProxy renders a suspicious_ip/open_proxy item.
func genOpenProxy(it *Item) map[string]any {
	m := proxyBase(it, 15)
	m["port"] = []int{80, 3128, 8080, 8088}[it.Stable().IntN(4)]
	m["type"] = it.Pick("http", "https")
	m["anonymous"] = it.Blankable(it.Pick("anonymous", "elite", "transparent"))
	return m
}

// genSocksProxy renders a suspicious_ip/socks_proxy item: an open proxy
// without port, type and anonymity.
func genSocksProxy(it *Item) map[string]any { return proxyBase(it, 2) }

// proxyBase renders the fields of both proxy collections. dateDetected is
// the first detection.
func proxyBase(it *Item, ttl int) map[string]any {
	m := suspiciousBase(it, ttl)
	source := it.Pick("proxy-list.example", "awmproxy", "free-proxies.example")
	m["source"] = source
	m["sources"] = it.OneOrMany([]string{source})
	m["dateDetected"] = utc(it.FirstSeen)
	m["stixGuid"] = nil
	return m
}

// genVPN renders a suspicious_ip/vpn item.
func genVPN(it *Item) map[string]any {
	m := suspiciousBase(it, 2)
	soft := it.Pick("SoftEther VPN", "OpenVPN", "WireGuard")
	m["names"] = it.OneOrMany([]string{soft})
	m["types"] = it.OneOrMany([]string{it.Pick("self-hosted", "commercial")})
	m["rules"] = []string{"vpn_" + it.Hex(6)}
	m["source"] = "playbook"
	m["sources"] = it.OneOrMany([]string{"playbook"})
	return m
}

// genScanner renders a suspicious_ip/scanner item. categories grow as the
// scanner is seen doing more (on update).
func genScanner(it *Item) map[string]any {
	m := suspiciousBase(it, 15)
	all := []string{"Brute-Force", "SSH", "Port Scan", "Web App Attack", "RDP"}
	n := 1 + it.Stable().IntN(2) + it.Revision
	m["categories"] = it.OneOrMany(all[:min(n, len(all))])
	m["sources"] = []string{}
	return m
}
