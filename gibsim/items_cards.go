package gibsim

import "fmt"

// Generators of the compromised/* collections about payment data:
// bank_card_group, masked_card and mule. Card numbers are the networks'
// published test numbers; account numbers and IBANs are obviously fake.

// genBankCardGroup renders a compromised/bank_card_group item: one card
// with the events (leaks, shop listings) it appeared in. The group-level
// cardInfo carries bin as a list; the per-event cardInfo carries the
// validity and CVV.
func genBankCardGroup(it *Item) map[string]any {
	card := cardInfo(it, false)
	groupCard := map[string]any{"number": card["number"], "type": card["type"], "system": card["system"],
		"issuer": card["issuer"], "bin": it.OneOrMany([]string{card["bin"].(string)})}
	eventCard := map[string]any{"cvv": fmt.Sprintf("%03d", it.Stable().IntN(1000)), "pin": nil, "dump": nil,
		"validThru": card["validThru"], "validThruDate": card["validThruDate"]}
	events := []any{}
	for range 1 + it.Stable().IntN(2) {
		events = append(events, cardEvent(it, eventCard))
	}
	first := events[0].(map[string]any)
	compromised := earlier(it, it.FirstSeen, 120)
	return map[string]any{
		"stixGuid": it.Nullable(stixGUID(it)),
		"cardInfo": groupCard, "isMasked": false, "baseName": nil, "serviceCode": nil,
		"eventCount": len(events), "events": events,
		"malware":       objectOrLone(it, []any{first["malware"]}),
		"threatActor":   objectOrLone(it, []any{first["threatActor"]}),
		"source":        []any{first["source"]},
		"dateFirstSeen": utc(it.FirstSeen), "dateLastSeen": utc(it.Updated),
		"dateFirstCompromised": utc(compromised), "dateLastCompromised": utc(compromised),
		"evaluation": it.Evaluation(90),
	}
}

// cardEvent renders one events[] element of a card group. Leak events have
// an empty CnC object, as in the API.
func cardEvent(it *Item, card map[string]any) map[string]any {
	return map[string]any{
		"id": it.Hex(40), "cardInfo": card,
		"client": map[string]any{"ipv4": nil, "ipv6": nil},
		"cnc": map[string]any{"cnc": "", "domain": nil, "url": nil, "ipv4": nil, "ipv6": nil,
			"port": nil, "proto": nil, "stixGuid": nil},
		"price":       map[string]any{"value": fmt.Sprint(5 + it.Rand().IntN(50)), "currency": "USD"},
		"malware":     malwareRef(it),
		"threatActor": shortActorRef(it),
		"owner":       person(it), "source": sourceObject(it),
		"isDump": false, "isExpired": false, "externalId": "", "track": []any{},
		"dateCompromised": utc(earlier(it, it.FirstSeen, 120)), "dateDetected": utc(it.FirstSeen),
	}
}

// genMaskedCard renders a compromised/masked_card item: a flat card event
// whose number is masked. The API has no update date here.
func genMaskedCard(it *Item) map[string]any {
	actor := actorRef(it, false)
	delete(actor, "stixGuid")
	return map[string]any{
		"cardInfo":    cardInfo(it, true),
		"client":      map[string]any{"ipv4": map[string]any{"ip": it.IPv4()}},
		"cnc":         cncObject(it),
		"malware":     malwareRef(it),
		"threatActor": it.Nullable(actor),
		"owner":       person(it),
		"price":       map[string]any{"value": fmt.Sprint(5 + it.Rand().IntN(50)), "currency": "USD"},
		"baseName":    it.Pick("USA FRESH", "EU MIX", "WORLD BASE"), "sourceType": "Card shop", "sourceLink": it.Blankable("https://shop." + it.Domain()),
		"isMasked": true, "isDump": false, "isExpired": false,
		"dateDetected": utc(it.FirstSeen), "dateCompromised": utc(earlier(it, it.FirstSeen, 120)),
		"evaluation": it.Evaluation(90),
	}
}

// genMule renders a compromised/mule item: a bank account used to cash
// out stolen money. dateAdd is when Group-IB added it; the API has no
// update date.
func genMule(it *Item) map[string]any {
	s := it.Stable()
	cnc := cncObject(it)
	if s.IntN(2) == 0 { // most mules come from manual research: empty CnC
		cnc = map[string]any{"cnc": "", "domain": nil, "url": nil, "ipv4": map[string]any{"ip": nil, "asn": nil,
			"city": nil, "countryCode": nil, "countryName": nil, "provider": nil, "region": nil},
			"ipv6": nil, "port": nil, "proto": nil, "stixGuid": nil}
	}
	return map[string]any{
		"stixGuid": it.Nullable(stixGUID(it)),
		"account":  fmt.Sprintf("4000%012d", s.Int64N(1e12)), "type": it.Pick("Person", "Company"), "hash": it.MD5(),
		"organization": map[string]any{"name": "EXAMPLE OOO", "bic": nil, "bicRu": nil, "bsb": nil,
			"iban": it.Nullable(fmt.Sprintf("XX00EXAMPLE%010d", s.IntN(1e9))), "swift": nil, "clabe": nil},
		"person":      person(it),
		"cnc":         cnc,
		"malware":     it.Nullable(malwareRef(it)),
		"threatActor": it.Nullable(actorRef(it, false)),
		"dateAdd":     utc(it.FirstSeen), "dateIncident": utc(earlier(it, it.FirstSeen, 480)),
		"sourceType": nil, "operatorClabe": nil, "info": it.Nullable(fmt.Sprintf("revision %d", it.Revision)),
		"evaluation": it.Evaluation(30),
	}
}
