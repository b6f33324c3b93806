package storage

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIndexValues(t *testing.T) {
	cases := []struct {
		typ, json string
		want      []string
	}{
		{"ipv4-addr", `{"value":"198.51.100.7"}`, []string{"198.51.100.7"}},
		{"ipv6-addr", `{"value":"2001:DB8:0:0::1"}`, []string{"2001:db8::1"}},
		{"domain-name", `{"value":"Evil.Example"}`, []string{"evil.example"}},
		{"url", `{"value":"HTTP://Evil.Example/Login?A=B"}`, []string{"http://evil.example/Login?A=B"}},
		{"file", `{"hashes":{"MD5":"D41D8CD98F00B204E9800998ECF8427E","SHA-256":"ab"}}`, []string{"ab", "d41d8cd98f00b204e9800998ecf8427e"}},
		{"vulnerability", `{"name":"CVE-2021-44228","external_references":[{"source_name":"cve","external_id":"CVE-2021-44228"}]}`, []string{"cve-2021-44228"}},
		{"indicator", `{"pattern_type":"stix","pattern":"[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'it\\'s.example'] OR [file:hashes.MD5 = 'AB']"}`,
			[]string{"198.51.100.7", "ab", "it's.example"}},
		{"indicator", `{"pattern_type":"stix","pattern":"[file:hashes.'SHA-256' = 'AB' OR file:hashes.'MD5' = 'CD']"}`, []string{"ab", "cd"}},
		{"indicator", `{"pattern_type":"stix","pattern":"[domain-name:value IN ('a.example', 'b.example')] AND [url:value LIKE 'http://x/%'] AND [file:name MATCHES '^x$'] AND [x:y != 'no'] AND [x:z <= 'no']"}`,
			[]string{"a.example", "b.example"}},
		{"indicator", `{"pattern_type":"stix","pattern":"[file:created = t'2020-01-01T00:00:00Z' AND artifact:payload_bin = b'AAAA' AND x:y = h'00ff'] START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'"}`, nil},
		{"indicator", `{"pattern_type":"stix","pattern":"[ipv4-addr:value = '198.51.100.9']","external_references":[{"external_id":5}]}`, []string{"198.51.100.9"}},
		{"vulnerability", `{"name":7,"external_references":[{"source_name":"cve","external_id":"CVE-2020-1"},{"external_id":5}]}`, []string{"cve-2020-1"}},
		{"file", `{"hashes":{"MD5":"AA","SHA-1":5}}`, []string{"aa"}},
		{"indicator", `{"pattern_type":"yara","pattern":"rule x { strings: $a = 'zzz' }"}`, nil},
		{"indicator", `{"pattern_type":"stix","pattern":"[url:value = 'unterminated]"}`, nil},
		{"malware", `{"name":"Evil"}`, nil},
		{"ipv4-addr", `not json`, nil},
	}
	for _, c := range cases {
		got := IndexValues(c.typ, []byte(c.json))
		if len(c.want) == 0 {
			assert.Empty(t, got, "%s %s", c.typ, c.json)
			continue
		}
		assert.Equal(t, c.want, got, "%s %s", c.typ, c.json)
	}
	assert.Equal(t, NormalizeValue(" Evil.Example "), NormalizeValue("evil.example"))
	assert.Equal(t, "198.51.100.7", NormalizeValue("198.51.100.7"))
}
