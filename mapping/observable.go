package mapping

import (
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// observableKinds are what an observable rule may name: a STIX SCO type,
// or ip (IPv4 or IPv6, by the value).
var observableKinds = set("ip", "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file")

// openCTITypes name the SCO types the way OpenCTI's
// x_opencti_main_observable_type does; without it OpenCTI files an
// indicator under "Unknown".
var openCTITypes = map[string]string{"ipv4-addr": "IPv4-Addr", "ipv6-addr": "IPv6-Addr", "domain-name": "Domain-Name",
	"url": "Url", "email-addr": "Email-Addr", "file": "StixFile"}

// observed is a cleaned observable value: what its indicator's pattern
// tests and what its SCO holds.
type observed struct {
	typ    string
	value  string
	hashes [][2]string // file: algorithm, lower-case hex; in hashPreference order
}

// cleaned is the outcome of cleaning one raw value.
type cleaned struct {
	observed
	drop     string // a Drop* reason, or ""
	refanged bool   // the value was written defanged (evil[.]com) and was restored
}

// cleanValue turns a raw value of a kind into an observable, refanging it
// and refusing what is malformed, reserved or benign.
func (f *filters) cleanValue(kind, raw string) cleaned {
	s, refanged := refang(strings.TrimSpace(raw), kind != "url")
	var c cleaned
	switch kind {
	case "ip", "ipv4-addr", "ipv6-addr":
		c = f.cleanIP(kind, s)
	case "domain-name":
		c = f.cleanDomain(s)
	case "url":
		c = f.cleanURL(s)
	case "email-addr":
		c = f.cleanEmail(s)
	default:
		c.drop = DropInvalid
	}
	c.refanged = refanged
	return c
}

// refangers undo the usual ways of writing an IOC so that it cannot be
// clicked: hxxp://, [.], (.), {.}, [dot], [:], [@], [at].
var refangers = []struct {
	re  *regexp.Regexp
	out string
}{
	{regexp.MustCompile(`(?i)^(?:h[x]{2}p|http)(s?)(?:\[://\]|\[:\]//|://)`), "http$1://"},
	{regexp.MustCompile(`(?i)^(ftp)(?:\[://\]|\[:\]//)`), "$1://"},
	{regexp.MustCompile(`(?i)\s*(\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\})\s*`), "."},
	{regexp.MustCompile(`(?i)\s*(\[@\]|\(@\)|\[at\]|\(at\))\s*`), "@"},
	{regexp.MustCompile(`\[:\]`), ":"},
}

// refang restores a defanged value; at (the @ forms) is false for URLs,
// whose paths may say "(at)".
func refang(s string, at bool) (string, bool) {
	if !strings.ContainsAny(s, "[({") && !strings.Contains(strings.ToLower(s), "xxp") {
		return s, false // the common case: nothing to restore
	}
	out := s
	for _, r := range refangers {
		if at || r.out != "@" {
			out = r.re.ReplaceAllString(out, r.out)
		}
	}
	return out, out != s
}

func (f *filters) cleanIP(kind, s string) cleaned {
	if host, port, err := net.SplitHostPort(s); err == nil && isDigits(port) {
		s = host // 192.0.2.1:8080, [2001:db8::1]:443
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return cleaned{drop: DropInvalid}
	}
	a = a.Unmap()
	typ := "ipv4-addr"
	if a.Is6() {
		typ = "ipv6-addr"
	}
	if kind != "ip" && kind != typ {
		return cleaned{drop: DropInvalid}
	}
	return cleaned{observed: observed{typ: typ, value: a.String()}, drop: f.addrReason(a)}
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// hostLabel is one label of a host name: letters, digits, hyphens (and the
// underscores real malware domains use), not starting or ending with a
// hyphen.
var hostLabel = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$`)

// tldLabel is a top-level domain: letters, or an IDNA A-label.
var tldLabel = regexp.MustCompile(`^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$`)

// cleanDomain lower-cases a host name and checks it; an IP address written
// in a domain field is an IP observable.
func (f *filters) cleanDomain(s string) cleaned {
	if host, port, err := net.SplitHostPort(s); err == nil && isDigits(port) {
		s = host // evil.com:8080
	}
	if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return f.cleanIP("ip", s)
	}
	d, ok := asciiHost(s)
	if !ok {
		return cleaned{drop: DropInvalid}
	}
	return cleaned{observed: observed{typ: "domain-name", value: d}, drop: f.domainReason(d, true)}
}

// asciiHost lower-cases a host name, writes an internationalised one in
// its ASCII (punycode) form, and checks it: letters, digits and hyphens
// in labels, and a top-level domain that exists (per the public suffix
// list; .onion for Tor services), so that a file name such as update.exe
// is no domain.
func asciiHost(s string) (string, bool) {
	d := strings.TrimSuffix(strings.ToLower(s), ".")
	if !isASCII(d) {
		a, err := idna.Lookup.ToASCII(d)
		if err != nil {
			return "", false
		}
		d = a
	}
	labels := strings.Split(d, ".")
	if len(d) > 253 || len(labels) < 2 || !tldLabel.MatchString(labels[len(labels)-1]) {
		return "", false
	}
	for _, l := range labels {
		if !hostLabel.MatchString(l) {
			return "", false
		}
	}
	tld := labels[len(labels)-1]
	if _, icann := publicsuffix.PublicSuffix(tld); !icann && tld != "onion" && !reservedNames[tld] {
		return "", false
	}
	return d, true
}

// reservedNames are special-use top-level names that are valid host names
// (and then dropped as reserved, with that reason, rather than invalid).
var reservedNames = set("localhost", "local", "localdomain", "example", "invalid", "test", "internal", "lan",
	"home", "intranet", "corp", "private")

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// urlSchemes are the schemes of URLs that are indicators.
var urlSchemes = set("http", "https", "ftp", "ftps", "sftp", "ws", "wss", "tcp", "udp")

// cleanURL requires an absolute URL with a host; a benign host is only
// dropped for the bare site (a path on it can be the attacker's).
func (f *filters) cleanURL(s string) cleaned {
	u, err := url.Parse(s)
	if err != nil || !urlSchemes[strings.ToLower(u.Scheme)] || u.Hostname() == "" || strings.ContainsAny(s, " \t\r\n") ||
		!validPort(u.Port()) {
		return cleaned{drop: DropInvalid}
	}
	host := cleaned{}
	if a, err := netip.ParseAddr(u.Hostname()); err == nil {
		if a.Zone() != "" {
			return cleaned{drop: DropInvalid}
		}
		host.drop = f.addrReason(a)
	} else if h, ok := asciiHost(u.Hostname()); !ok {
		return cleaned{drop: DropInvalid}
	} else {
		host.drop = f.domainReason(h, true)
		if h != u.Hostname() && !isASCII(u.Hostname()) {
			// A URL (RFC 3986) writes an internationalised host in punycode.
			s = strings.Replace(s, u.Hostname(), h, 1)
		}
	}
	if host.drop == DropBenign && strings.Trim(u.EscapedPath(), "/") != "" || host.drop == DropBenign && u.RawQuery != "" {
		host.drop = ""
	}
	return cleaned{observed: observed{typ: "url", value: s}, drop: host.drop}
}

func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536
}

var mailbox = regexp.MustCompile(`^[a-z0-9!#$%&'*+/=?^_{|}~.-]{1,64}$`)

func (f *filters) cleanEmail(s string) cleaned {
	e := strings.ToLower(strings.Trim(s, "<> "))
	local, domain, ok := strings.Cut(e, "@")
	if ok {
		domain, ok = asciiHost(domain)
	}
	if !ok || !mailbox.MatchString(local) {
		return cleaned{drop: DropInvalid}
	}
	e = local + "@" + domain
	return cleaned{observed: observed{typ: "email-addr", value: e}, drop: f.domainReason(domain, false)}
}

// cleanHashes keeps the well-formed hashes of one file, one per algorithm;
// a file is dropped as benign when any of them is (the empty file).
func (f *filters) cleanHashes(raw []string) cleaned {
	byAlgo := map[string]string{}
	for _, r := range raw {
		h := strings.ToLower(strings.TrimSpace(r))
		if algo := hashAlgorithm(h); algo != "" && byAlgo[algo] == "" && strings.Trim(h, "0") != "" {
			byAlgo[algo] = h
		}
	}
	c := cleaned{observed: observed{typ: "file"}}
	for _, algo := range hashPreference {
		if h, ok := byAlgo[algo]; ok {
			c.hashes = append(c.hashes, [2]string{algo, h})
			if f.benignHashes[h] {
				c.drop = DropBenign
			}
		}
	}
	if len(c.hashes) == 0 {
		c.drop = DropInvalid
	}
	return c
}

// pattern is the STIX pattern that matches the observable.
func (o observed) pattern() string {
	if o.typ != "file" {
		return "[" + o.typ + ":value = " + quoteLiteral(o.value) + "]"
	}
	parts := make([]string, len(o.hashes))
	for i, h := range o.hashes {
		parts[i] = "file:hashes.'" + h[0] + "' = " + quoteLiteral(h[1])
	}
	return "[" + strings.Join(parts, " OR ") + "]"
}

// key identifies the observable among the item's objects.
func (o observed) key() string {
	if o.typ != "file" {
		return o.value
	}
	return o.hashes[0][1]
}

// name is what an indicator of the observable is called by default.
func (o observed) name() string {
	if o.typ != "file" {
		return o.value
	}
	return o.hashes[len(o.hashes)-1][1] // the strongest hash
}

// sco renders the observable's STIX Cyber-observable Object properties;
// completeSCO adds type, id and marking.
func (o observed) sco() map[string]any {
	obj := map[string]any{}
	if o.typ != "file" {
		obj["value"] = o.value
		return obj
	}
	hashes := map[string]any{}
	for _, h := range o.hashes {
		hashes[h[0]] = h[1]
	}
	obj["hashes"] = hashes
	return obj
}

// quoteLiteral renders a STIX pattern string literal.
func quoteLiteral(s string) string { return "'" + literalEscaper.Replace(s) + "'" }

var literalEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)
