package gibsim

import (
	"fmt"
	"net/netip"
)

// Mode is how a collection is read.
type Mode int

const (
	// ModeUpdated collections are polled with <collection>/updated?seqUpdate=.
	ModeUpdated Mode = iota
	// ModeSearch collections only offer date-window search sessions.
	ModeSearch
)

// IDForm is the shape of a collection's item ids.
type IDForm int

const (
	IDHex40    IDForm = iota // sha1-like
	IDHex24                  // Mongo ObjectId
	IDHex32                  // md5-like
	IDHex64                  // sha256-like
	IDOpaque                 // a prefixed opaque string
	IDIPv4                   // the IP address itself (suspicious_ip)
	IDAdvisory               // an advisory or CVE id (osi/vulnerability)
)

// Spec describes one simulated collection.
type Spec struct {
	Name   string
	Mode   Mode
	IDForm IDForm
	// SeqDigits is the scale of the collection's seqUpdate values, as in
	// the real API (10: seconds ... 16: microseconds).
	SeqDigits int
	// MaxLimit caps the limit parameter, like the server's per-collection
	// maximum.
	MaxLimit int
	// Generate renders the item body. The server adds "id" and, for
	// ModeUpdated collections, "seqUpdate"; the generator must put
	// it.Updated into the collection's update-date field(s) (for search
	// collections: updateTime for compromised/breached, datetime for
	// compromised/reaper).
	Generate func(it *Item) map[string]any
}

// Catalogue returns the simulated collections: every active collection of
// the Group-IB catalogue.
func Catalogue() []Spec {
	return []Spec{
		{"apt/threat", ModeUpdated, IDHex40, 14, 20, genAPTThreat},
		{"apt/threat_actor", ModeUpdated, IDHex40, 14, 100, genThreatActor},
		{"hi/threat", ModeUpdated, IDHex40, 14, 20, genHIThreat},
		{"hi/threat_actor", ModeUpdated, IDHex40, 14, 100, genThreatActor},
		{"hi/open_threats", ModeUpdated, IDOpaque, 14, 100, genOpenThreats},
		{"attacks/ddos", ModeUpdated, IDHex40, 10, 500, genDDoS},
		{"attacks/deface", ModeUpdated, IDHex24, 16, 500, genDeface},
		{"attacks/phishing_group", ModeUpdated, IDHex64, 16, 100, genPhishingGroup},
		{"attacks/phishing_kit", ModeUpdated, IDHex64, 13, 100, genPhishingKit},
		{"compromised/access", ModeUpdated, IDOpaque, 16, 100, genAccess},
		{"compromised/account_group", ModeUpdated, IDHex40, 16, 100, genAccountGroup},
		{"compromised/bank_card_group", ModeUpdated, IDHex40, 13, 100, genBankCardGroup},
		{"compromised/breached", ModeSearch, IDHex32, 0, 100, genBreached},
		{"compromised/discord", ModeUpdated, IDOpaque, 16, 100, genDiscord},
		{"compromised/masked_card", ModeUpdated, IDOpaque, 16, 100, genMaskedCard},
		{"compromised/messenger", ModeUpdated, IDOpaque, 16, 100, genMessenger},
		{"compromised/mule", ModeUpdated, IDHex40, 13, 100, genMule},
		{"compromised/reaper", ModeSearch, IDOpaque, 0, 100, genReaper},
		{"compromised/spd", ModeUpdated, IDOpaque, 16, 100, genSPD},
		{"ioc/common", ModeUpdated, IDOpaque, 16, 500, genIOCCommon},
		{"ioc/primary", ModeUpdated, IDOpaque, 16, 500, genIOCPrimary},
		{"malware/cnc", ModeUpdated, IDHex40, 11, 500, genMalwareCnC},
		{"malware/config", ModeUpdated, IDOpaque, 16, 100, genMalwareConfig},
		{"malware/malware", ModeUpdated, IDHex40, 14, 100, genMalware},
		{"malware/signature", ModeUpdated, IDOpaque, 16, 100, genSignature},
		{"malware/yara", ModeUpdated, IDOpaque, 16, 100, genYara},
		{"osi/git_repository", ModeUpdated, IDHex40, 16, 100, genGitRepository},
		{"osi/public_leak", ModeUpdated, IDHex40, 14, 100, genPublicLeak},
		{"osi/vulnerability", ModeUpdated, IDAdvisory, 14, 100, genVulnerability},
		{"suspicious_ip/open_proxy", ModeUpdated, IDIPv4, 16, 500, genOpenProxy},
		{"suspicious_ip/scanner", ModeUpdated, IDIPv4, 16, 500, genScanner},
		{"suspicious_ip/socks_proxy", ModeUpdated, IDIPv4, 16, 500, genSocksProxy},
		{"suspicious_ip/tor_node", ModeUpdated, IDIPv4, 16, 500, genTorNode},
		{"suspicious_ip/vpn", ModeUpdated, IDIPv4, 16, 500, genVPN},
		{"darkweb/forums", ModeUpdated, IDOpaque, 16, 100, genDarkwebForums},
	}
}

// itemID returns the id of item index in a collection, in its id form.
// Ids are unique per collection and stable for a seed.
func itemID(form IDForm, seed uint64, collection string, index int) string {
	r := newRand(seed, collection, index, -1)
	switch form {
	case IDHex24:
		return randHex(r, 24)
	case IDHex32:
		return randHex(r, 32)
	case IDHex64:
		return randHex(r, 64)
	case IDOpaque:
		return fmt.Sprintf("%s-%s", shortName(collection), randHex(r, 16))
	case IDIPv4:
		// 185.100.0.0/15, public unicast as real suspicious IPs are (the
		// mappings drop reserved ranges): room for 131,070 distinct items.
		a := netip.AddrFrom4([4]byte{185, 100, 0, 0}).As4()
		n := index + 1
		a[1] += byte(n >> 16)
		a[2] = byte(n >> 8)
		a[3] = byte(n)
		return netip.AddrFrom4(a).String()
	case IDAdvisory:
		if index%3 == 2 {
			return fmt.Sprintf("WPVDB-ID:%d", 7000+index)
		}
		return fmt.Sprintf("CVE-%d-%d", 2015+index%11, 10000+index)
	}
	return randHex(r, 40)
}

func shortName(collection string) string {
	for i := len(collection) - 1; i >= 0; i-- {
		if collection[i] == '/' {
			return collection[i+1:]
		}
	}
	return collection
}
