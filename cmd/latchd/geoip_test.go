package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestGeoIPDBFlag: --geoip-db is read at start; a file that cannot be
// opened stops latchd with an error naming the flag, not a server that
// silently shows no locations.
func TestGeoIPDBFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, _, stderr := runCmd(t, dir, "", "serve", "--addr", "127.0.0.1:0", "--geoip-db", filepath.Join(dir, "missing.mmdb"))
	if code == 0 || !strings.Contains(stderr, "--geoip-db") {
		t.Fatalf("latchd with a missing --geoip-db: exit %d, stderr %q; want a failure naming the flag", code, stderr)
	}
}
