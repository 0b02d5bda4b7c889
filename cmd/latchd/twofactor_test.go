package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchauth/latch/mfa"
)

// TestSecretKey: the keyring comes from --secret-key or its file; dev
// makes one beside the SQLite database (0600) and reuses it; prod has none
// without being given one.
func TestSecretKey(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	dev := options{env: "dev", databaseURL: "sqlite:" + filepath.Join(dir, "latch.db")}
	k1, err := dev.keyring(log)
	if err != nil || k1 == nil {
		t.Fatalf("dev: %v, %v", k1, err)
	}
	fi, err := os.Stat(filepath.Join(dir, "latch.db.secret-key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("dev key file: %v %v", fi, err)
	}
	k2, err := dev.keyring(log)
	if err != nil || k2.Current() != k1.Current() {
		t.Fatalf("dev key not reused: %v %v", k2, err)
	}
	sealed, _ := k1.Seal([]byte("secret"), nil)
	if _, err := k2.Open(sealed, nil); err != nil {
		t.Fatalf("the reused key does not open: %v", err)
	}

	if k, err := (&options{env: "prod", databaseURL: dev.databaseURL}).keyring(log); err == nil || k != nil || !strings.Contains(err.Error(), "--secret-key") {
		t.Fatalf("prod without a key: %v, %v", k, err)
	}
	key, _ := mfa.GenerateKey()
	old, _ := mfa.GenerateKey()
	k, err := (&options{env: "prod", secretKey: key + "," + old}).keyring(log)
	if err != nil || !strings.HasPrefix(key, k.Current()+":") {
		t.Fatalf("--secret-key: %v, %v", k, err)
	}
	file := filepath.Join(dir, "key")
	os.WriteFile(file, []byte(key+"\n"), 0o600)
	if k, err := (&options{env: "prod", secretKeyFile: file}).keyring(log); err != nil || !strings.HasPrefix(key, k.Current()+":") {
		t.Fatalf("--secret-key-file: %v, %v", k, err)
	}
	if _, err := (&options{env: "prod", secretKey: "k1:notbase64"}).keyring(log); err == nil {
		t.Fatal("a bad key was accepted")
	}
	// Dev on a server database: no file; authapi makes a key for the process.
	if k, err := (&options{env: "dev", databaseURL: "postgres://x"}).keyring(log); err != nil || k != nil {
		t.Fatalf("dev on postgres: %v, %v", k, err)
	}
}
