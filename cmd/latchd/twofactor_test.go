package main

import (
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/store/sqlite"
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
	// Dev on a database server: a key per database URL in the config
	// directory, reused by the next start; none without a home (authapi
	// then makes a key for the process).
	config := filepath.Join(dir, ".config")
	env := func(vars ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(vars); i += 2 {
				if vars[i] == k {
					return vars[i+1]
				}
			}
			return ""
		}
	}
	pg := options{env: "dev", databaseURL: "postgres://root:pw@127.0.0.1:5432/test", getenv: env("XDG_CONFIG_HOME", config)}
	p1, err := pg.keyring(log)
	if err != nil || p1 == nil {
		t.Fatalf("dev on postgres: %v, %v", p1, err)
	}
	files, _ := filepath.Glob(filepath.Join(config, "latch", "dev-secret-key-*"))
	if len(files) != 1 || strings.Contains(files[0], "pw") {
		t.Fatalf("dev key files for postgres: %q", files)
	}
	if fi, err := os.Stat(files[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("dev key file for postgres: %v %v", fi, err)
	}
	if p2, err := pg.keyring(log); err != nil || p2.Current() != p1.Current() {
		t.Fatalf("dev key for postgres not reused: %v %v", p2, err)
	}
	// $HOME/.config when XDG_CONFIG_HOME is unset: the same file.
	if p3, err := (&options{env: "dev", databaseURL: pg.databaseURL, getenv: env("HOME", dir)}).keyring(log); err != nil || p3.Current() != p1.Current() {
		t.Fatalf("dev key for postgres through HOME: %v %v", p3, err)
	}
	other := options{env: "dev", databaseURL: "mysql://root@tcp(127.0.0.1:3306)/test", getenv: pg.getenv}
	if o1, err := other.keyring(log); err != nil || o1 == nil {
		t.Fatalf("dev on mysql: %v %v", o1, err)
	} else if sealed, _ := p1.Seal([]byte("secret"), nil); func() bool { _, err := o1.Open(sealed, nil); return err == nil }() {
		t.Fatal("two databases share one dev key")
	}
	if k, err := (&options{env: "dev", databaseURL: "postgres://x", getenv: env()}).keyring(log); err != nil || k != nil {
		t.Fatalf("dev on postgres without a home: %v, %v", k, err)
	}
}

// TestRemoveFactorsCommand: latchd user remove-factors removes the user's
// factors and recovery codes and ends their sessions; an unknown address
// is an error; --help and keys generate work.
func TestRemoveFactorsCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, out, errOut := runCmd(t, dir, "", "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d %s %s", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, dir, "factor password 1\n", "user", "create", "--email", "rf@example.com"); code != 0 {
		t.Fatalf("user create: exit %d %s %s", code, out, errOut)
	}
	// Give the user a session, a recovery code and (where SQLite keeps
	// them) a factor, straight in the database.
	ctx := t.Context()
	s, err := sqlite.Open(filepath.Join(dir, "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := latch.New(latch.Config{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	key, err := auth.GetKey(ctx, "email", "rf@example.com")
	if err != nil {
		t.Fatal(err)
	}
	uid := key.UserID
	if _, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: uid}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutToken(ctx, latch.TokenRecord{ID: "code-hash", Kind: "recovery-code", UserID: uid, Expires: time.Now().Add(time.Hour).UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	if auth.HasFactors() {
		if _, err := auth.CreateFactor(ctx, latch.FactorRecord{ID: "totp_x", UserID: uid, Kind: latch.FactorTOTP, Data: []byte("sealed")}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	code, out, errOut := runCmd(t, dir, "", "user", "remove-factors", "RF@example.com")
	if code != 0 || !strings.Contains(out, "removed 1 second factor of user "+uid) || !strings.Contains(errOut, "action=remove-factors user="+uid) || !strings.Contains(errOut, "who=cli:") {
		t.Fatalf("remove-factors: exit %d\n%s\n%s", code, out, errOut)
	}
	// Once more: nothing is left to remove, and nothing changes.
	if code, out, errOut := runCmd(t, dir, "", "user", "remove-factors", "RF@example.com"); code != 0 || !strings.Contains(out, "has no second factor: nothing changed") {
		t.Fatalf("remove-factors again: exit %d\n%s\n%s", code, out, errOut)
	}
	s, err = sqlite.Open(filepath.Join(dir, "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	auth, _ = latch.New(latch.Config{Store: s})
	if ss, err := auth.GetAllUserSessions(ctx, uid); err != nil || len(ss) != 0 {
		t.Errorf("sessions left: %d, %v", len(ss), err)
	}
	if recs, err := s.ListTokens(ctx, uid, "recovery-code"); err != nil || len(recs) != 0 {
		t.Errorf("recovery codes left: %d, %v", len(recs), err)
	}
	if fs, err := auth.ListFactors(ctx, uid); err != nil || len(fs) != 0 {
		t.Errorf("factors left: %d, %v", len(fs), err)
	}
	if code, _, errOut := runCmd(t, dir, "", "user", "remove-factors", "nobody@example.com"); code != 1 || !strings.Contains(errOut, "no user has") {
		t.Errorf("unknown user: exit %d %s", code, errOut)
	}
	if code, out, _ := runCmd(t, dir, "", "keys", "generate"); code != 0 || !strings.Contains(out, ":") {
		t.Errorf("keys generate: exit %d %q", code, out)
	} else if _, err := mfa.ParseKeyring(strings.TrimSpace(out)); err != nil {
		t.Errorf("keys generate printed %q: %v", out, err)
	}
	if code, out, _ := runCmd(t, dir, "", "--help"); code != 0 || !strings.Contains(out, "remove-factors") || !strings.Contains(out, "LATCH_SECRET_KEY") {
		t.Errorf("--help does not mention remove-factors and LATCH_SECRET_KEY")
	}
}

// TestKeysRotate: after a new key is put in front of the old one, latchd
// keys rotate seals every TOTP secret with it, so that the new key alone
// opens them; a second run has nothing to do.
func TestKeysRotate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, out, errOut := runCmd(t, dir, "", "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d %s %s", code, out, errOut)
	}
	oldKey, _ := mfa.GenerateKey()
	newKey, _ := mfa.GenerateKey()
	oldRing, _ := mfa.ParseKeyring(oldKey)
	ctx := t.Context()
	s, err := sqlite.Open(filepath.Join(dir, "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := latch.New(latch.Config{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	var ids, users []string
	for i := range 3 {
		u, err := auth.CreateUser(ctx, latch.CreateUserOptions{})
		if err != nil {
			t.Fatal(err)
		}
		id := "totp_" + string(rune('a'+i))
		// The associated data authapi binds a factor's secret to.
		sealed, _ := oldRing.Seal([]byte("SECRET"+id), []byte("latch totp factor\x00"+u.ID+"\x00"+id))
		if _, err := auth.CreateFactor(ctx, latch.FactorRecord{ID: id, UserID: u.ID, Kind: latch.FactorTOTP, Data: sealed}); err != nil {
			t.Fatal(err)
		}
		ids, users = append(ids, id), append(users, u.ID)
	}
	s.Close()

	env := "LATCH_SECRET_KEY=" + newKey + "," + oldKey
	cmd := func() (int, string, string) {
		c := exec.Command(binary(t), "keys", "rotate")
		c.Dir = dir
		c.Env = append(os.Environ(), "LATCH_DATABASE_URL=sqlite:"+filepath.Join(dir, "latch.db"), env)
		var out, errOut strings.Builder
		c.Stdout, c.Stderr = &out, &errOut
		err := c.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return code, out.String(), errOut.String()
	}
	if code, out, errOut := cmd(); code != 0 || !strings.Contains(out, "sealed 3 ") {
		t.Fatalf("keys rotate: exit %d %s %s", code, out, errOut)
	}
	if code, out, errOut := cmd(); code != 0 || !strings.Contains(out, "sealed 0 ") {
		t.Fatalf("keys rotate again: exit %d %s %s", code, out, errOut)
	}
	s, err = sqlite.Open(filepath.Join(dir, "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	auth, _ = latch.New(latch.Config{Store: s})
	newRing, _ := mfa.ParseKeyring(newKey)
	for i, id := range ids {
		f, err := auth.GetFactor(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := newRing.Open(f.Data, []byte("latch totp factor\x00"+users[i]+"\x00"+id))
		if err != nil || string(got) != "SECRET"+id {
			t.Fatalf("factor %s after rotation: %q, %v", id, got, err)
		}
	}
}
