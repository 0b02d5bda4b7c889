// Package luciajs runs lucia.mjs, the Node helper beside it that drives the
// real Lucia v2 (lucia@2.7.7 and its official adapters) against a
// database, for the tests that prove Latch and Lucia share one database:
// store/lucia2's and latchd's.
package luciajs

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/testenv"
)

// dir is this package's directory, where lucia.mjs and its package.json are.
func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

var setup struct {
	once sync.Once
	skip string // why the helper cannot run, or ""
}

// Need makes sure node can run the helper, installing its pinned packages
// with npm ci when node_modules is missing. Without node or npm the test is
// skipped, or fails when LATCH_TEST_REQUIRE_SERVICES=1.
func Need(t testing.TB) {
	t.Helper()
	setup.once.Do(func() {
		for _, tool := range []string{"node", "npm"} {
			if _, err := exec.LookPath(tool); err != nil {
				setup.skip = tool + " is not installed: " + err.Error()
				return
			}
		}
		native := filepath.Join(dir(), "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node")
		if _, err := os.Stat(native); err == nil {
			return
		}
		// better-sqlite3 has no prebuilt binary for every platform (or no
		// way to download one): its install script then compiles it with
		// node-gyp, which takes a minute or two.
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir()
		out, err := cmd.CombinedOutput()
		if err != nil {
			setup.skip = "npm ci in internal/luciajs failed: " + err.Error() + "\n" + lastLines(string(out), 30)
			return
		}
		if _, err := os.Stat(native); err != nil {
			setup.skip = "npm ci did not build better-sqlite3: " + err.Error() + "\n" + lastLines(string(out), 30)
		}
	})
	if setup.skip != "" {
		if testenv.Required() {
			t.Fatalf("the Lucia round trip needs node and npm (LATCH_TEST_REQUIRE_SERVICES=1): %s", setup.skip)
		}
		t.Skipf("skipping the Lucia round trip: %s; set LATCH_TEST_REQUIRE_SERVICES=1 to fail instead", setup.skip)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Request is what the helper is asked: the database (see lucia.mjs), the
// names of Lucia's tables, the user attributes the application reads as
// Boolean(x) (as a Lucia app on SQLite reads its integer email_verified),
// and the commands.
type Request struct {
	DB       map[string]any    `json:"db"`
	Tables   map[string]string `json:"tables"`
	Booleans []string          `json:"booleans,omitempty"`
	Commands []map[string]any  `json:"commands"`
}

// Result is one command's result from the helper.
type Result struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	UserID                string         `json:"userId"`
	SessionID             string         `json:"sessionId"`
	User                  map[string]any `json:"user"`
	State                 string         `json:"state"`
	Fresh                 bool           `json:"fresh"`
	ActivePeriodExpiresAt int64          `json:"activePeriodExpiresAt"`
	IdlePeriodExpiresAt   int64          `json:"idlePeriodExpiresAt"`
	ProviderID            string         `json:"providerId"`
	ProviderUserID        string         `json:"providerUserId"`
	PasswordDefined       bool           `json:"passwordDefined"`
}

// Run runs the request's commands through the real Lucia v2 and returns
// one result per command; it fails the test when node fails.
func Run(t testing.TB, req Request) []Result {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatalf("encoding the request: %v", err)
	}
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(c, "node", "lucia.mjs")
	cmd.Dir = dir()
	cmd.Stdin = bytes.NewReader(body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node lucia.mjs: %v\n%s", err, stderr.String())
	}
	var resp struct{ Results []Result }
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
		t.Fatalf("node lucia.mjs: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if len(resp.Results) != len(req.Commands) {
		t.Fatalf("node lucia.mjs: %d results for %d commands", len(resp.Results), len(req.Commands))
	}
	return resp.Results
}
