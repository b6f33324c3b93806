package gibsim

import "fmt"

// Generators of the chat and forum collections: compromised/discord,
// compromised/messenger and darkweb/forums. They carry text, not
// indicators, and (per Group-IB's own mappings) no evaluation.

// chatRules are the hunting rules that matched a message.
var chatRules = []string{"logs", "combolist", "access", "cards"}

// genDiscord renders a compromised/discord message. ts is when it was
// posted; an update shows in the channel statistics.
func genDiscord(it *Item) map[string]any {
	s := it.Stable()
	r := it.Rand()
	return map[string]any{
		"text":        fmt.Sprintf("selling fresh %s (simulated, revision %d)", it.Pick(chatRules...), it.Revision),
		"translation": nil, "ts": utc(it.FirstSeen), "deleted": false,
		"rules": it.OneOrMany([]string{it.Pick(chatRules...)}),
		"channel": map[string]any{
			"id": fmt.Sprint(s.Int64N(1e17)), "name": it.Pick("market", "general", "logs"),
			"server": "Example Server " + it.Name(), "serverId": fmt.Sprint(s.Int64N(1e17)),
			"description": it.Blankable("simulated channel"),
			"stat": map[string]any{"firstMessageDate": utc(earlier(it, it.FirstSeen, 8760)), "lastMessageDate": utc(it.Updated),
				"messageNum": 1000 + 10*it.Revision + r.IntN(10), "userNum": 100 + r.IntN(50)},
		},
		"author": map[string]any{"id": fmt.Sprint(s.Int64N(1e17)), "name": "seller_" + it.Hex(4),
			"discriminator": fmt.Sprintf("%04d", s.IntN(10000)), "avatar": nil},
	}
}

// genMessenger renders a compromised/messenger (Telegram) message.
// lastEditTs is null until the message is edited, i.e. until its first
// update.
func genMessenger(it *Item) map[string]any {
	s := it.Stable()
	r := it.Rand()
	var edited any
	if it.Revision > 0 {
		edited = utc(it.Updated)
	}
	title := "Example Chat " + it.Name()
	return map[string]any{
		"message":           fmt.Sprintf("new %s available (simulated, revision %d)", it.Pick(chatRules...), it.Revision),
		"translatedMessage": nil, "messageTs": utc(it.FirstSeen), "lastEditTs": edited,
		"isReply": s.IntN(4) == 0, "messageId": 1 + s.IntN(100000), "name": title, "deleted": false,
		"rules": it.OneOrMany([]string{it.Pick(chatRules...)}),
		"chatStat": map[string]any{
			"id": fmt.Sprintf("-100%d", s.Int64N(1e10)), "name": "examplechat" + it.Hex(4), "title": title,
			"type": it.Pick("channel", "group"), "userNum": 100 + r.IntN(5000), "messageNum": 1000 + 10*it.Revision + r.IntN(10),
			"firstMessageDate": utc(earlier(it, it.FirstSeen, 8760)), "lastMessageDate": utc(it.Updated),
		},
		"author": map[string]any{"id": fmt.Sprint(s.Int64N(1e10)), "userName": "seller_" + it.Hex(4),
			"firstName": "S", "lastName": nil, "type": "user"},
	}
}

// genDarkwebForums renders a darkweb/forums post. The post URL is domain +
// url; datetime is when it was posted, uploadTime when Group-IB collected
// it, and updateDatetimeAlert is null until the post changes.
func genDarkwebForums(it *Item) map[string]any {
	s := it.Stable()
	msg := fmt.Sprintf("Simulated forum post (revision %d).", it.Revision)
	var alert any
	if it.Revision > 0 {
		alert = utc(it.Updated)
	}
	thread := fmt.Sprint(1 + s.IntN(1000000))
	return map[string]any{
		"forum": "Example Forum " + it.Name(), "domain": "forum." + it.Domain(), "url": "/threads/" + thread,
		"thread_id": thread, "topic": it.Pick("Selling access", "Fresh logs", "Database for sale"),
		"message": msg, "message_len": len(msg), "nickname": "seller_" + it.Hex(4),
		"lang": it.Pick("en", "ru"), "categories": it.OneOrMany([]string{it.Pick("access", "logs", "databases")}),
		"datetime": utc(earlier(it, it.FirstSeen, 24)), "uploadTime": utc(it.FirstSeen),
		"updateDatetimeAlert": alert,
	}
}
