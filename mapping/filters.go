package mapping

import (
	"net/netip"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Reasons a value is not turned into an object. They are reported per
// rule by MapItem, and by `gib-taxii mappings run`.
const (
	DropInvalid     = "invalid"     // not a well-formed value of its kind
	DropReserved    = "reserved"    // private, reserved or documentation address or name
	DropBenign      = "benign"      // on the allow-list of benign infrastructure
	DropPlaceholder = "placeholder" // a name Group-IB uses for "none" (Unknown, Data Leak)
)

// filters hold the values that never become observables or indicators
// (filters: in the mappings file) and the names that are no actor or
// malware family. Defaults apply where the file is silent.
type filters struct {
	reservedNets    []netip.Prefix
	reservedTLDs    map[string]bool
	reservedDomains []string
	benignIPs       []netip.Prefix
	benignDomains   []string
	benignHashes    map[string]bool
	placeholders    []*regexp.Regexp
}

// defaultFilters is used for a key of filters: the file leaves out.
func defaultFilters() *filters {
	f := &filters{reservedTLDs: set("localhost", "local", "localdomain", "example", "invalid", "test", "arpa",
		"internal", "lan", "home", "intranet", "corp", "private"),
		reservedDomains: []string{"example.com", "example.net", "example.org"},
		benignHashes: set("d41d8cd98f00b204e9800998ecf8427e", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")}
	for _, p := range []string{`^unknown`, `^unclassified`, `^data ?leak$`, `^other$`, `^n/?a$`, `^none$`, `^null$`, `^-+$`} {
		f.placeholders = append(f.placeholders, regexp.MustCompile("(?i)"+p))
	}
	for _, p := range defaultReservedNets {
		f.reservedNets = append(f.reservedNets, netip.MustParsePrefix(p))
	}
	return f
}

// defaultReservedNets are the IANA special-purpose registries' ranges that
// are not reachable on the Internet (RFC 6890 and successors).
var defaultReservedNets = []string{
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
	"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
	"203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
	"::/128", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
	"2002::/16", "3fff::/20", "fc00::/7", "fe80::/10", "ff00::/8",
}

func (l *loader) loadFilters(n *yaml.Node) {
	f := l.filters
	l.pairs(n, "filters", func(key string, k, v *yaml.Node) {
		switch key {
		case "reserved_networks":
			f.reservedNets = l.prefixes(v)
		case "reserved_tlds":
			f.reservedTLDs = set(l.lowerList(v)...)
		case "reserved_domains":
			f.reservedDomains = l.lowerList(v)
		case "benign_ips":
			f.benignIPs = l.prefixes(v)
		case "benign_domains":
			f.benignDomains = l.lowerList(v)
		case "benign_hashes":
			f.benignHashes = set(l.lowerList(v)...)
		case "placeholder_names":
			f.placeholders = nil
			for _, s := range scalarsOf(v) {
				re, err := regexp.Compile("(?i)" + s.Value)
				if err != nil {
					l.errorf(s, "placeholder_names: %v", err)
					continue
				}
				f.placeholders = append(f.placeholders, re)
			}
		default:
			l.errorf(k, "unknown key %q in filters (reserved_networks, reserved_tlds, reserved_domains, "+
				"benign_ips, benign_domains, benign_hashes, placeholder_names)", key)
		}
	})
}

func (l *loader) lowerList(v *yaml.Node) []string {
	if v.Kind != yaml.SequenceNode {
		l.errorf(v, "expected a list")
		return nil
	}
	var out []string
	for _, s := range v.Content {
		out = append(out, strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s.Value)), "."))
	}
	return out
}

// prefixes reads a list of CIDR networks or single addresses.
func (l *loader) prefixes(v *yaml.Node) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range l.lowerList(v) {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		} else {
			l.errorf(v, "%q is not an IP network (a.b.c.d/n) or address", s)
		}
	}
	return out
}

// addrReason tells why an address is no indicator, or "".
func (f *filters) addrReason(a netip.Addr) string {
	a = a.Unmap()
	if !a.IsGlobalUnicast() || inPrefixes(a, f.reservedNets) {
		return DropReserved
	}
	if inPrefixes(a, f.benignIPs) {
		return DropBenign
	}
	return ""
}

func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// domainReason tells why a (valid, lower-case) domain is no indicator.
// benign is false for e-mail domains: an attacker's mailbox at a benign
// provider is still the attacker's.
func (f *filters) domainReason(d string, benign bool) string {
	tld := d[strings.LastIndexByte(d, '.')+1:]
	if f.reservedTLDs[tld] || underAny(d, f.reservedDomains) {
		return DropReserved
	}
	if benign && underAny(d, f.benignDomains) {
		return DropBenign
	}
	return ""
}

// underAny reports whether d is one of the domains or a subdomain of one.
func underAny(d string, domains []string) bool {
	for _, b := range domains {
		if d == b || strings.HasSuffix(d, "."+b) {
			return true
		}
	}
	return false
}

// placeholder reports whether a name stands for "no actor/family".
func (f *filters) placeholder(name string) bool {
	for _, re := range f.placeholders {
		if re.MatchString(strings.TrimSpace(name)) {
			return true
		}
	}
	return false
}
