package mapping

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every kind of value is cleaned the same way in every rule: restored when
// defanged, refused when malformed, dropped when reserved or benign.
func TestCleanValue(t *testing.T) {
	f := defaultFilters()
	f.benignIPs = []netipPrefix{mustPrefix("8.8.8.8/32")}
	f.benignDomains = []string{"google.com"}
	cases := []struct {
		kind, raw string
		typ, want string
		drop      string
		refanged  bool
	}{
		{"ip", "45.9.148.7", "ipv4-addr", "45.9.148.7", "", false},
		{"ip", " 45.9.148.7:8080 ", "ipv4-addr", "45.9.148.7", "", false},
		{"ip", "45[.]9[.]148[.]7", "ipv4-addr", "45.9.148.7", "", true},
		{"ip", "2a0e:1c80::1", "ipv6-addr", "2a0e:1c80::1", "", false},
		{"ip", "[2A0E:1C80::1]", "ipv6-addr", "2a0e:1c80::1", "", false},
		{"ip", "::ffff:45.9.148.7", "ipv4-addr", "45.9.148.7", "", false},
		{"ipv4-addr", "2a0e:1c80::1", "", "", DropInvalid, false},
		{"ip", "999.1.1.1", "", "", DropInvalid, false},
		{"ip", "45.9.148", "", "", DropInvalid, false},
		{"ip", "127.0.0.1", "ipv4-addr", "127.0.0.1", DropReserved, false},
		{"ip", "0.0.0.0", "ipv4-addr", "0.0.0.0", DropReserved, false},
		{"ip", "10.1.2.3", "ipv4-addr", "10.1.2.3", DropReserved, false},
		{"ip", "100.64.0.9", "ipv4-addr", "100.64.0.9", DropReserved, false},
		{"ip", "192.0.2.1", "ipv4-addr", "192.0.2.1", DropReserved, false},
		{"ip", "fe80::1", "ipv6-addr", "fe80::1", DropReserved, false},
		{"ip", "2001:db8::1", "ipv6-addr", "2001:db8::1", DropReserved, false},
		{"ip", "8.8.8.8", "ipv4-addr", "8.8.8.8", DropBenign, false},
		{"domain-name", "Evil-Update.COM.", "domain-name", "evil-update.com", "", false},
		{"domain-name", "evil-update[.]com", "domain-name", "evil-update.com", "", true},
		{"domain-name", "evil-update(.)com", "domain-name", "evil-update.com", "", true},
		{"domain-name", "45.9.148.7", "ipv4-addr", "45.9.148.7", "", false},
		{"domain-name", "localhost.localdomain", "domain-name", "localhost.localdomain", DropReserved, false},
		{"domain-name", "printer.local", "domain-name", "printer.local", DropReserved, false},
		{"domain-name", "a.example.com", "domain-name", "a.example.com", DropReserved, false},
		{"domain-name", "docs.google.com", "domain-name", "docs.google.com", DropBenign, false},
		{"domain-name", "google.com.evil-update.com", "domain-name", "google.com.evil-update.com", "", false},
		{"domain-name", "not a domain", "", "", DropInvalid, false},
		{"domain-name", "bad_-.com-", "", "", DropInvalid, false},
		{"url", "hxxp://evil-update[.]com/gate.php", "url", "http://evil-update.com/gate.php", "", true},
		{"url", "hxxps[:]//evil-update.com/x", "url", "https://evil-update.com/x", "", true},
		{"url", "  https://evil-update.com/x  ", "url", "https://evil-update.com/x", "", false},
		{"url", "evil-update.com/x", "", "", DropInvalid, false},
		{"url", "https://google.com/", "url", "https://google.com/", DropBenign, false},
		{"url", "https://sites.google.com/view/phish", "url", "https://sites.google.com/view/phish", "", false},
		{"url", "http://10.0.0.1/admin", "url", "http://10.0.0.1/admin", DropReserved, false},
		{"url", "https://evil .com/x", "", "", DropInvalid, false},
		{"email-addr", "Drop@Evil-Update.com", "email-addr", "drop@evil-update.com", "", false},
		{"email-addr", "drop[@]evil-update[.]com", "email-addr", "drop@evil-update.com", "", true},
		{"email-addr", "drop@gmail.com", "email-addr", "drop@gmail.com", "", false},
		{"email-addr", "root@localhost", "", "", DropInvalid, false},
		{"email-addr", "user@corp.example", "email-addr", "user@corp.example", DropReserved, false},
	}
	for _, c := range cases {
		got := assertCleaned(t, f, c.kind, c.raw, c.typ, c.want, c.drop)
		assert.Equal(t, c.refanged, got.refanged, "%s %q refanged", c.kind, c.raw)
	}
}

func TestCleanHashes(t *testing.T) {
	f := defaultFilters()
	c := f.cleanHashes([]string{"  0CC175B9C0F1B6A831C399E269772661", "", "nothex", "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"})
	assert.Empty(t, c.drop)
	assert.Equal(t, [][2]string{{"MD5", "0cc175b9c0f1b6a831c399e269772661"}, {"SHA-1", "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"}}, c.hashes)
	assert.Equal(t, "[file:hashes.'MD5' = '0cc175b9c0f1b6a831c399e269772661' OR file:hashes.'SHA-1' = '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8']", c.pattern())
	assert.Equal(t, DropBenign, f.cleanHashes([]string{"d41d8cd98f00b204e9800998ecf8427e"}).drop, "the empty file")
	assert.Equal(t, DropInvalid, f.cleanHashes([]string{"00000000000000000000000000000000"}).drop, "a placeholder, no hash")
	kept := f.cleanHashes([]string{"00000000000000000000000000000000", "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"})
	assert.Empty(t, kept.drop, "a placeholder beside a real hash does not drop the file")
	assert.Equal(t, [][2]string{{"SHA-1", "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"}}, kept.hashes)
	assert.Equal(t, DropInvalid, f.cleanHashes([]string{"xyz"}).drop)
}

type netipPrefix = netip.Prefix

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// Values seen in the wild that the first cleaner got wrong.
func TestCleanValueEdgeCases(t *testing.T) {
	f := defaultFilters()
	for _, c := range []struct{ kind, raw, typ, want, drop string }{
		{"url", "hxxps[://]evil-update.com/x", "url", "https://evil-update.com/x", ""},
		{"url", "HXXP[:]//evil-update.com/x", "url", "http://evil-update.com/x", ""},
		{"url", "https://evil-update.com/login(at)home", "url", "https://evil-update.com/login(at)home", ""},
		{"url", "https://evil-update.com:99999/x", "", "", DropInvalid},
		{"url", "http://[fe80::1%25eth0]/x", "", "", DropInvalid},
		{"url", "https://bücher-sim.de/x", "url", "https://xn--bcher-sim-q9a.de/x", ""},
		{"domain-name", "bücher-sim.de", "domain-name", "xn--bcher-sim-q9a.de", ""},
		{"domain-name", "evil-update.com:8080", "domain-name", "evil-update.com", ""},
		{"domain-name", "update.exe", "", "", DropInvalid},
		{"domain-name", "invoice.pdf", "", "", DropInvalid},
		{"domain-name", "forum3abcdefghijklm.onion", "domain-name", "forum3abcdefghijklm.onion", ""},
		{"domain-name", "*.evil-update.com", "", "", DropInvalid},
		{"ip", "[2a0e:1c80::7]:443", "ipv6-addr", "2a0e:1c80::7", ""},
		{"email-addr", "drop@bücher-sim.de", "email-addr", "drop@xn--bcher-sim-q9a.de", ""},
	} {
		assertCleaned(t, f, c.kind, c.raw, c.typ, c.want, c.drop)
	}
}

// assertCleaned cleans raw and checks the outcome: the drop reason and,
// unless the value is invalid, the observable's type and value.
func assertCleaned(t *testing.T, f *filters, kind, raw, typ, want, drop string) cleaned {
	t.Helper()
	got := f.cleanValue(kind, raw)
	assert.Equal(t, drop, got.drop, "%s %q", kind, raw)
	if drop != DropInvalid {
		assert.Equal(t, typ, got.typ, "%s %q", kind, raw)
		assert.Equal(t, want, got.value, "%s %q", kind, raw)
	}
	return got
}
