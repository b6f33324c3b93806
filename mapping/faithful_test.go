package mapping

import (
	"encoding/json"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// subjects are, per collection, the item fields that name what the whole
// item is about (reviewed against GROUP-IB-API.md's item shapes): the C2's
// families and operator, the report's actor, the IOC group's families. A
// relationship may link anything of an item to them; nothing else of the
// item may be paired across list elements.
var subjects = map[string][]string{
	"ioc/common": {"malwareList"}, "ioc/primary": {"malwareList"},
	"malware/cnc": {"malwareList", "threatActor"}, "malware/config": {"malware"},
	"malware/signature": {"malware"}, "malware/yara": {"malware"},
	"apt/threat": {"threatActor"}, "hi/threat": {"threatActor"},
	"attacks/ddos": {"malware", "threatActor"}, "attacks/deface": {"threatActor"},
	"attacks/phishing_group": {"brand", "threatActor"}, "attacks/phishing_kit": {"targetBrand", "threatActors"},
	"compromised/masked_card": {"malware", "threatActor"}, "compromised/mule": {"malware", "threatActor"},
	"compromised/access": {"malware", "threatActor"}, "compromised/spd": {"malware", "threatActor"},
	"compromised/breached": {"taName"},
}

// simulated caches simulatedResults: three tests read the same mapping.
var simulated struct {
	once    sync.Once
	results map[string][]mappedItem
}

// simulatedResults maps every simulated item of every collection (with
// field drift) once and keeps the results with their explanations.
func simulatedResults(t *testing.T) map[string][]mappedItem {
	t.Helper()
	simulated.once.Do(func() { simulated.results = mapSimulated(t) })
	require.NotEmpty(t, simulated.results, "mapping the simulated items failed")
	return simulated.results
}

func mapSimulated(t *testing.T) map[string][]mappedItem {
	e, err := Load("../mappings.yaml", Options{Now: testNow})
	require.NoError(t, err)
	sim := gibsim.New(gibsim.Config{Seed: 7, Items: 120, Drift: 0.3,
		Now: func() time.Time { return time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) }})
	sim.Advance(30)
	out := map[string][]mappedItem{}
	for _, c := range e.Collections() {
		for _, raw := range sim.Items(c) {
			res, err := e.MapItem(c, raw, true)
			require.NoError(t, err, "%s: %s", c, raw)
			var item any
			require.NoError(t, json.Unmarshal(raw, &item))
			mi := mappedItem{item: item, res: res, objs: map[string]map[string]any{}, why: map[string]Explanation{}}
			for _, o := range res.Objects {
				var m map[string]any
				require.NoError(t, json.Unmarshal(o, &m))
				mi.objs[m["id"].(string)] = m
			}
			for _, x := range res.Explanations {
				mi.why[x.ID] = x
			}
			out[c] = append(out[c], mi)
		}
	}
	return out
}

type mappedItem struct {
	item any
	res  Result
	objs map[string]map[string]any
	why  map[string]Explanation
}

// No relationship without a field that states it: every SRO's two ends
// come from one element of the item, from an explicit relationship list
// entry naming both, or one end is the item itself or what it is about.
func TestEveryRelationshipIsStatedByTheItem(t *testing.T) {
	results := simulatedResults(t)
	checked := map[string]int{}
	for c, items := range results {
		for _, mi := range items {
			for _, o := range mi.objs {
				if o["type"] != "relationship" {
					continue
				}
				src, tgt := mi.why[o["source_ref"].(string)], mi.why[o["target_ref"].(string)]
				require.NotEmpty(t, src.ID, "%s: source of %s explained", c, o["id"])
				ok, how := stated(c, mi.item, src.Origins, tgt.Origins)
				assert.True(t, ok, "%s: %s %s %s\n  source from %v\n  target from %v\n  item %v", c, o["source_ref"],
					o["relationship_type"], o["target_ref"], src.Origins, tgt.Origins, mi.item)
				checked[how]++
			}
		}
	}
	t.Logf("relationships by what states them: %v", checked)
	for _, how := range []string{"element", "list", "subject", "item"} {
		assert.Positive(t, checked[how], "the simulated items exercise relationships stated by the %s", how)
	}
}

// stated decides, from the item alone, whether some pair of origins of the
// two ends is linked by what the item says.
func stated(collection string, item any, src, tgt []string) (bool, string) {
	for _, a := range src {
		for _, b := range tgt {
			switch {
			case a == b:
				return true, "value" // an indicator and the observable it is based on
			case a == "" || b == "":
				return true, "item"
			case isSubject(collection, a) || isSubject(collection, b):
				return true, "subject"
			case sameElement(a, b):
				return true, "element"
			case inOneListEntry(item, a, b):
				return true, "list"
			}
		}
	}
	return false, ""
}

func isSubject(collection, at string) bool {
	first := strings.Split(strings.TrimPrefix(at, "/"), "/")[0]
	for _, s := range subjects[collection] {
		if strings.EqualFold(s, first) {
			return true
		}
	}
	return false
}

// sameElement: both values lie within one element of a list of the item
// (/indicators/3/...), not merely in the same item.
func sameElement(a, b string) bool {
	pa, pb := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 1; i < len(pa) && i < len(pb) && pa[i] == pb[i]; i++ {
		if _, err := strconv.Atoi(pa[i]); err == nil {
			return true
		}
	}
	return false
}

// inOneListEntry: an entry of one of the item's explicit relationship
// lists names the Group-IB ids of the elements both values lie in.
func inOneListEntry(item any, a, b string) bool {
	m, _ := item.(map[string]any)
	ida, idb := enclosingIDs(item, a), enclosingIDs(item, b)
	for _, list := range []string{"indicatorMalwareRelationships", "indicatorRelationships"} {
		entries, _ := m[list].([]any)
		for _, e := range entries {
			entry, _ := e.(map[string]any)
			s, t := scalarString(entry["sourceId"]), scalarString(entry["targetId"])
			if ida[s] && idb[t] || ida[t] && idb[s] {
				return true
			}
		}
	}
	return false
}

// enclosingIDs are the ids of the objects along a JSON pointer.
func enclosingIDs(node any, at string) map[string]bool {
	ids := map[string]bool{}
	for _, k := range strings.Split(strings.TrimPrefix(at, "/"), "/") {
		switch n := node.(type) {
		case map[string]any:
			node = n[k]
		case []any:
			i, _ := strconv.Atoi(k)
			if i < len(n) {
				node = n[i]
			}
		}
		if m, ok := node.(map[string]any); ok && scalarString(m["id"]) != "" {
			ids[scalarString(m["id"])] = true
		}
	}
	return ids
}

// One object per actor and per family: across collections, with and
// without isAPT, padded names and items of every TLP, a name gives one id
// of one type.
func TestOneObjectPerActorAndFamily(t *testing.T) {
	results := simulatedResults(t)
	ids := map[string]map[string]bool{} // normalised name -> ids
	tlps := map[string]map[string]bool{}
	for c, items := range results {
		for _, mi := range items {
			tlp := ""
			for _, o := range mi.objs {
				if o["type"] == "relationship" {
					tlp = o["object_marking_refs"].([]any)[0].(string)
				}
			}
			for _, o := range mi.objs {
				typ := o["type"].(string)
				if typ != "intrusion-set" && typ != "threat-actor" && typ != "malware" {
					continue
				}
				name := o["name"].(string)
				assert.Equal(t, strings.TrimSpace(name), name, "%s: names are trimmed", c)
				key := map[bool]string{true: "actor", false: "malware"}[typ != "malware"] + "/" + strings.ToLower(name)
				if ids[key] == nil {
					ids[key], tlps[key] = map[string]bool{}, map[string]bool{}
				}
				ids[key][o["id"].(string)] = true
				tlps[key][tlp] = true
			}
		}
	}
	require.NotEmpty(t, ids)
	manyTLPs := 0
	for name, set := range ids {
		assert.Len(t, set, 1, "%s is one object", name)
		if len(tlps[name]) > 1 {
			manyTLPs++
		}
	}
	assert.Positive(t, manyTLPs, "some names are met in items of several TLPs")
}

// The filters hold for every indicator of every collection: no indicator
// of a reserved, private or documentation address or name, or of a value
// on the shipped benign lists (read here from mappings.yaml directly).
func TestNoIndicatorOfReservedOrBenignValues(t *testing.T) {
	raw, err := os.ReadFile("../mappings.yaml")
	require.NoError(t, err)
	var file struct {
		Filters struct {
			ReservedNetworks []string `yaml:"reserved_networks"`
			ReservedTLDs     []string `yaml:"reserved_tlds"`
			BenignIPs        []string `yaml:"benign_ips"`
			BenignDomains    []string `yaml:"benign_domains"`
		}
	}
	require.NoError(t, yaml.Unmarshal(raw, &file))
	require.NotEmpty(t, file.Filters.BenignDomains)
	results := simulatedResults(t)
	value := regexp.MustCompile(`^\[(ipv4-addr|ipv6-addr|domain-name|url|email-addr):value = '(.*)'\]$`)
	drops := map[string]int{}
	indicators := 0
	for c, items := range results {
		for _, mi := range items {
			for r, n := range mi.res.DropCounts() {
				drops[r] += n
			}
			for _, o := range mi.objs {
				if o["type"] != "indicator" || o["pattern_type"] != "stix" {
					continue
				}
				indicators++
				m := value.FindStringSubmatch(o["pattern"].(string))
				if m == nil {
					continue // file hashes
				}
				host := m[2]
				switch m[1] {
				case "url":
					host = strings.SplitN(strings.SplitN(host, "://", 2)[1], "/", 2)[0]
				case "email-addr":
					host = host[strings.IndexByte(host, '@')+1:]
				}
				if a, err := netip.ParseAddr(host); err == nil {
					assert.True(t, a.IsGlobalUnicast() && !a.IsPrivate(), "%s: %s", c, o["pattern"])
					for _, n := range append(file.Filters.ReservedNetworks, file.Filters.BenignIPs...) {
						p, err := netip.ParsePrefix(n)
						if err != nil {
							p = netip.PrefixFrom(netip.MustParseAddr(n), netip.MustParseAddr(n).BitLen())
						}
						assert.False(t, p.Contains(a), "%s: %s is in %s", c, o["pattern"], n)
					}
					continue
				}
				assert.NotContains(t, host, "[", "%s: defanged %s", c, host)
				tld := host[strings.LastIndexByte(host, '.')+1:]
				assert.NotContains(t, file.Filters.ReservedTLDs, tld, "%s: %s", c, o["pattern"])
				if m[1] == "domain-name" {
					for _, d := range file.Filters.BenignDomains {
						assert.False(t, host == d || strings.HasSuffix(host, "."+d), "%s: %s is benign", c, host)
					}
				}
			}
		}
	}
	assert.Greater(t, indicators, 1000)
	for _, r := range []string{DropReserved, DropBenign, DropInvalid} {
		assert.Positive(t, drops[r], "the simulated items carry %s values, and they are dropped", r)
	}
	t.Logf("%d indicators; dropped %v", indicators, drops)
}
