//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNewcomerFollowsTheREADME does what a new engineer does with the
// README: the commands of "Running it" as written (in a scratch directory,
// with the edits the README asks for in config.yaml), then the README's
// curl example against the running server, and taxii2client-style paging
// by next. When a README command stops working, this fails.
func TestNewcomerFollowsTheREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	cmds := readmeBlock(t, string(readme), "## Running it")
	require.Len(t, cmds, 5)
	dir := t.TempDir()
	bin := buildBinary(t)
	require.Equal(t, "go build -o gib-taxii ./cmd/gib-taxii", cmds[0])
	copyFile(t, bin, filepath.Join(dir, "gib-taxii"), 0o755)
	copyFile(t, "../../config.example.yaml", filepath.Join(dir, "config.example.yaml"), 0o600)
	copyFile(t, writeBundle(t, indicator(0), indicator(1), indicator(2)), filepath.Join(dir, "bundle.json"), 0o600)

	hash := strings.TrimSpace(shell(t, dir, cmds[1]))
	require.True(t, strings.HasPrefix(hash, "$2a$"), "hash-password: %s", hash)
	shell(t, dir, cmds[2])
	simURL := startSimProcess(t, bin)
	editConfig(t, filepath.Join(dir, "config.yaml"), hash, dir, simURL)
	assert.Contains(t, shell(t, dir, cmds[3]), "3 added")

	base := startShell(t, dir, cmds[4])
	curl := regexp.MustCompile(`curl -g [^\x60\n]*`).FindString(string(readme))
	require.NotEmpty(t, curl, "the README's curl example")
	body := runCurl(t, curl, base, "sentinel", "a long password")
	var env struct {
		Objects []json.RawMessage
		More    bool
		Next    string
	}
	require.NoError(t, json.Unmarshal(body, &env), string(body))
	assert.Len(t, env.Objects, 3, "the three imported indicators")
	assert.Equal(t, 3, pageThrough(t, base+"/gib/collections/indicators/objects/?limit=1"), "paging by next")
}

// readmeBlock returns the commands of the first code block after heading.
func readmeBlock(t *testing.T, readme, heading string) []string {
	_, rest, ok := strings.Cut(readme, heading)
	require.True(t, ok, heading)
	_, rest, _ = strings.Cut(rest, "```sh\n")
	block, _, _ := strings.Cut(rest, "```")
	var cmds []string
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		cmd, _, _ := strings.Cut(line, "  #") // the comments at the end
		cmds = append(cmds, strings.TrimSpace(cmd))
	}
	return cmds
}

// editConfig makes the edits "Running it" asks for: storage, URL, users
// (the password just hashed), and, for this test, loopback ports and the
// simulator instead of Group-IB.
func editConfig(t *testing.T, path, hash, dir, simURL string) {
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	s := strings.NewReplacer(
		exampleHash, hash,
		"/var/lib/gib-taxii/gib-taxii.db", filepath.Join(dir, "gib-taxii.db"),
		"/var/backups/gib-taxii", filepath.Join(dir, "backups"),
		"listen: 127.0.0.1:8080", "listen: 127.0.0.1:0",
		"listen: 127.0.0.1:9180", "listen: 127.0.0.1:0",
		"https://tap.group-ib.com/api/v2/", simURL,
		"rate_limit: 1 ", "rate_limit: 100 ",
	).Replace(string(raw))
	require.NoError(t, os.WriteFile(path, []byte(s), 0o600))
}

func shell(t *testing.T, dir, cmd string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.Dir, c.Env = dir, childEnv()
	out, err := c.CombinedOutput()
	require.NoError(t, err, "%s: %s", cmd, out)
	return string(out)
}

// startShell runs a serving command and returns its TAXII base URL.
func startShell(t *testing.T, dir, cmd string) string {
	ctx, cancel := context.WithCancel(context.Background())
	c := exec.CommandContext(ctx, "sh", "-c", "exec "+cmd)
	c.Dir, c.Env = dir, childEnv()
	c.WaitDelay = 5 * time.Second
	stderr, err := c.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, c.Start())
	t.Cleanup(func() { cancel(); _ = c.Wait() })
	addr := regexp.MustCompile(`"taxii server listening","addr":"([^"]+)"`)
	lines := bufio.NewScanner(stderr)
	found := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if m := addr.FindStringSubmatch(lines.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case a := <-found:
		return "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not say where it listens", cmd)
	}
	return ""
}

// runCurl runs the README's curl command against base, with real
// credentials: with curl when the machine has it, else as curl would.
func runCurl(t *testing.T, cmd, base, user, password string) []byte {
	cmd = strings.NewReplacer("https://taxii.example.com", base, "analyst:PASSWORD", "'"+user+":"+password+"'").Replace(cmd)
	if _, err := exec.LookPath("curl"); err == nil {
		return []byte(shell(t, t.TempDir(), strings.Replace(cmd, "curl ", "curl -sS --fail ", 1)))
	}
	u := regexp.MustCompile(`'(http[^']+)'`).FindStringSubmatch(cmd)[1]
	return getAs(t, u, user, password)
}

func getAs(t *testing.T, u, user, password string) []byte {
	status, _, body := getRaw(t, u, user, password)
	require.Equal(t, http.StatusOK, status, string(body))
	return body
}

// pageThrough follows next as taxii2client's as_pages does and counts
// the objects.
func pageThrough(t *testing.T, first string) int {
	n, u := 0, first
	for range 100 {
		var env struct {
			Objects []json.RawMessage
			More    bool
			Next    string
		}
		require.NoError(t, json.Unmarshal(getAs(t, u, "sentinel", "a long password"), &env))
		n += len(env.Objects)
		if !env.More {
			return n
		}
		u = first + "&next=" + env.Next
	}
	t.Fatal("paging did not end")
	return n
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	raw, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, raw, mode))
}
