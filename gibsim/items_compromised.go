package gibsim

import (
	"fmt"
	"time"
)

// Generators of the compromised/* collections about accounts and leaks:
// account_group, access, breached, reaper and spd. Passwords and personal
// values are obviously fake.

// genAccountGroup renders a compromised/account_group item: one login with
// the stealer events that leaked it. Group-level malware, threatActor and
// source repeat what the events carry, as lists.
func genAccountGroup(it *Item) map[string]any {
	s := it.Stable()
	corp := "corp-" + it.Domain()
	host := "portal." + corp
	events := []any{}
	for range 1 + s.IntN(3) {
		events = append(events, accountEvent(it))
	}
	first := events[0].(map[string]any)
	compromised := earlier(it, it.FirstSeen, 72)
	return map[string]any{
		"login": it.Email(corp), "password": "fake-" + it.Hex(10), "port": nil,
		"parsedLogin":   map[string]any{"domain": corp, "ip": nil},
		"service":       map[string]any{"url": "https://" + host + "/login", "domain": host, "host": host, "ip": nil},
		"dateFirstSeen": utc(it.FirstSeen), "dateLastSeen": utc(it.Updated),
		"dateFirstCompromised": utc(compromised), "dateLastCompromised": utc(compromised),
		"eventCount": len(events), "events": events,
		"malware":      objectOrLone(it, []any{first["malware"]}),
		"threatActor":  []any{},
		"source":       []any{first["source"]},
		"sourceType":   it.OneOrMany([]string{first["source"].(map[string]any)["type"].(string)}),
		"sourceId":     it.OneOrMany([]string{first["source"].(map[string]any)["id"].(string)}),
		"evaluation":   it.Evaluation(30),
		"silentInsert": nil,
	}
}

// accountEvent renders one events[] element of an account group.
func accountEvent(it *Item) map[string]any {
	return map[string]any{
		"id": it.Hex(40), "oldId": fmt.Sprint(it.Stable().IntN(100000)), "stixGuid": it.Nullable(stixGUID(it)),
		"cnc": cncObject(it), "client": clientObject(it), "source": sourceObject(it),
		"malware": malwareRef(it), "threatActor": nil, "person": nil,
		"dateDetected": utc(it.FirstSeen), "dateCompromised": utc(earlier(it, it.FirstSeen, 72)),
		"additionalData": nil,
	}
}

// genAccess renders a compromised/access item: initial access offered on
// a market. The API has no update date; the description and price change.
func genAccess(it *Item) map[string]any {
	victim := "victim-" + it.Domain()
	cnc := cncObject(it)
	cnc["ipv4"] = map[string]any{"ip": it.IPv4()}
	return map[string]any{
		"type":        it.Pick("RDP", "VPN", "Citrix", "Webshell"),
		"description": fmt.Sprintf("Initial access listing, %d hosts (revision %d)", 10+it.Stable().IntN(2000), it.Revision),
		"target": map[string]any{"host": "vpn." + victim, "domain": victim, "ipv4": map[string]any{"ip": it.IPv4()},
			"provider": "Example ISP", "geo": map[string]any{"country": it.Country()},
			"device": map[string]any{"os": it.Pick("Windows Server 2019", "Windows 10"), "browser": nil}},
		"cnc":          cnc,
		"malware":      it.Nullable(malwareRef(it)),
		"sourceInfo":   map[string]any{"name": "ExampleMarket", "externalId": fmt.Sprint(it.Stable().IntN(100000)), "seller": "seller_" + it.Hex(4)},
		"price":        map[string]any{"value": 100 * (1 + it.Rand().IntN(50)), "currency": "USD"},
		"rawData":      "simulated listing",
		"dateDetected": utc(it.FirstSeen), "dateCompromised": utc(earlier(it, it.FirstSeen, 240)),
		"evaluation": it.Evaluation(30),
	}
}

// genBreached renders a compromised/breached item (search-only). The API
// writes uploadTime without a zone; updateTime is the search checkpoint and
// carries it.Updated with its offset so consumers can rely on it.
func genBreached(it *Item) map[string]any {
	domain := it.Domain()
	emails := []string{it.Email(domain)}
	if it.Stable().IntN(3) == 0 {
		emails = append(emails, it.Email(domain))
	}
	passwords := []string{}
	if it.Stable().IntN(2) == 0 {
		passwords = append(passwords, "fake-"+it.Hex(8))
	}
	return map[string]any{
		"leakName": it.Pick("Email collection", "Example Forum dump", "Combolist"), "description": it.Nullable("Simulated leak"),
		"email": it.OneOrMany(emails), "password": it.OneOrMany(passwords),
		"addInfo": map[string]any{"emailDomain": it.OneOrMany([]string{domain}),
			"updateTimestampLong": []int64{it.Updated.UnixMicro()}},
		"taName": []string{}, "downloadLinkList": []string{}, "reaperMessageId": nil,
		"leakPublished": earlier(it, it.FirstSeen, 240).Format("02.01.2006"),
		"uploadTime":    it.FirstSeen.UTC().Format(TimeNoZone),
		"updateTime":    it.Updated.Format(TimeOffset),
		"evaluation":    it.Evaluation(nil),
	}
}

// genReaper renders a compromised/reaper item (search-only). Section 3.6
// documents no item shape: this is a dark-web monitoring message with the
// credentials found in it, carrying the datetime checkpoint the search
// integrations rely on.
func genReaper(it *Item) map[string]any {
	domain := it.Domain()
	return map[string]any{
		"datetime":   it.Updated.Format(TimeOffset),
		"uploadTime": it.FirstSeen.UTC().Format(TimeNoZone),
		"source":     map[string]any{"type": it.Pick("telegram", "forum", "paste"), "name": "source-" + it.Hex(6)},
		"title":      it.Pick("combo list", "fresh logs", "db leak"),
		"text":       fmt.Sprintf("Simulated message (revision %d)", it.Revision),
		"link":       "https://" + domain + "/msg/" + it.Hex(8),
		"email":      it.OneOrMany([]string{it.Email("corp-" + domain)}),
		"password":   it.OneOrMany([]string{"fake-" + it.Hex(8)}),
		"domain":     it.OneOrMany([]string{"corp-" + domain}),
		"evaluation": it.Evaluation(nil),
	}
}

// spdKinds are the value types of compromised/spd and the key under which
// value carries them.
var spdKinds = [][2]string{{"email", "email"}, {"card", "bankCard"}, {"iban", "iban"}, {"phone", "phone"}}

// genSPD renders a compromised/spd item: a payment detail seen on an
// illegal service. value is keyed by its type, or under drift by "value".
func genSPD(it *Item) map[string]any {
	kind := spdKinds[it.Stable().IntN(len(spdKinds))]
	v := spdValue(it, kind[0])
	key := kind[1]
	if it.Drift() {
		key = "value"
	}
	src := map[string]any{"name": "casino-" + it.Domain(), "type": "website"}
	score := 5 + it.Rand().IntN(5)
	return map[string]any{
		"type": kind[0], "serviceType": it.Pick("casino", "betting", "exchange"), "ownerName": "John Doe",
		"name":  "Example payout details",
		"value": map[string]any{key: v},
		"tags":  it.OneOrMany([]string{kind[1]}), "country": []string{it.Country()}, "illegalScore": score,
		"createdAt": utc(it.FirstSeen), "firstSeenAt": utc(earlier(it, it.FirstSeen, 24)), "lastSeenAt": utc(it.Updated),
		"events": []any{map[string]any{"compromisedAt": utc(earlier(it, it.FirstSeen, 48)), "detectedAt": utc(it.FirstSeen),
			"source": src, "tags": []string{kind[1]}, "illegalScore": score}},
		"sources": []any{src}, "malware": []any{}, "threatActor": []any{},
		"evaluation": it.Evaluation(90),
	}
}

// spdValue returns an obviously fake value of the kind: reserved-domain
// e-mail, test card number, IBAN with a zero check digit, 555-01xx phone.
func spdValue(it *Item, kind string) string {
	n := it.Stable().IntN(100)
	switch kind {
	case "email":
		return it.Email(it.Domain())
	case "card":
		return testCards[n%len(testCards)][0]
	case "iban":
		return fmt.Sprintf("XX00EXAMPLE%010d", n)
	}
	return fmt.Sprintf("+1-555-01%02d", n)
}

// testCards are the card networks' published test numbers, with their
// network.
var testCards = [][2]string{{"4111111111111111", "VISA"}, {"5555555555554444", "MASTERCARD"},
	{"378282246310005", "AMEX"}, {"6011111111111117", "DISCOVER"}}

// cardInfo renders the card object of card collections.
func cardInfo(it *Item, masked bool) map[string]any {
	card := testCards[it.Stable().IntN(len(testCards))]
	number, bin := card[0], card[0][:6]
	if masked {
		number = bin + "******" + number[len(number)-4:]
	}
	valid := time.Date(2026+it.Stable().IntN(4), time.Month(1+it.Stable().IntN(12)), 1, 0, 0, 0, 0, time.UTC)
	return map[string]any{
		"number": number, "bin": bin,
		"type": it.Pick("PERSONAL", "CLASSIC", "BUSINESS"), "system": card[1],
		"issuer":        map[string]any{"issuer": "EXAMPLE BANK", "countryCode": "US", "countryName": "UNITED STATES"},
		"validThru":     valid.Format("01/2006"),
		"validThruDate": valid.AddDate(0, 1, -1).Format(DateOnly),
		"cvv":           nil, "pin": nil, "dump": nil,
	}
}
