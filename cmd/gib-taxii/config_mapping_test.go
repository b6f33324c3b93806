package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A config naming what the mapping cannot deliver is refused at start-up,
// by key, with what to write instead: once, "types: [indicators]" started
// without a word and left Sentinel's collection with markings only.
func TestConfigRefusesWhatTheMappingCannotMake(t *testing.T) {
	engine, err := loadMappings("")
	require.NoError(t, err)
	cases := map[string]struct {
		sources, types, groupib string
		want                    []string
	}{
		"valid": {sources: "[ioc/common]", types: "[indicator, relationship, malware]", groupib: "ioc/common"},
		"type typo": {sources: "[ioc/common]", types: "[indicators, identity]", groupib: "ioc/common",
			want: []string{"taxii.api_roots[0].collections[0].types", `"indicators" is not a STIX type the mapping makes`, `did you mean "indicator"?`}},
		"collection typo": {sources: "[ioc/comon]", types: "[indicator]", groupib: "ioc/comon",
			want: []string{"groupib.collections[ioc/comon]", `did you mean "ioc/common"?`}},
		"import-only collection, unknown type": {sources: "[]", types: "[indicatr]", groupib: "",
			want: []string{"taxii.api_roots[0].collections[0].types", `"indicatr" is not a STIX 2.1 object type`, `did you mean "indicator"?`}},
		"import-only collection, any STIX type": {sources: "[]", types: "[sighting, x-acme-thing]", groupib: ""},
		"source typo": {sources: "[ioc/comon]", types: "[indicator]", groupib: "ioc/common",
			want: []string{"taxii.api_roots[0].collections[0].sources", `"ioc/comon" is not an enabled collection`, `did you mean "ioc/common"?`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			raw := fmt.Sprintf(`
taxii:
  api_roots:
    - path: gib
      title: Group-IB
      collections:
        - {alias: feed, title: Feed, sources: %s, types: %s}
groupib:
  username: u
  api_key: k
  collections: {%s}
`, tc.sources, tc.types, map[bool]string{true: tc.groupib + ": {}", false: ""}[tc.groupib != ""])
			cfg, err := parseConfig([]byte(raw), noEnv)
			if err == nil {
				err = cfg.checkMapping(engine)
			}
			if len(tc.want) == 0 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// serve and ingest refuse such a config before they touch the store.
func TestServeRefusesATypeTypoBeforeOpeningTheStore(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store.db")
	path := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf(`
storage: {path: %q}
taxii:
  listen: 127.0.0.1:0
  api_roots:
    - path: gib
      title: Group-IB
      collections:
        - {alias: feed, title: Feed, sources: [ioc/common], types: [indicators]}
groupib: {username: u, api_key: k, collections: {ioc/common: {}}}
ops: {listen: "off"}
`, store)), 0o600))
	for _, cmd := range [][]string{{"serve", "--config", path}, {"ingest", "--config", path, "--once"}} {
		e, _, _ := testEnv("")
		err := run(context.Background(), e, cmd)
		require.Error(t, err, cmd[0])
		assert.Contains(t, err.Error(), `did you mean "indicator"?`, cmd[0])
		_, statErr := os.Stat(store)
		assert.True(t, os.IsNotExist(statErr), "%s: the store was not created", cmd[0])
	}
}
