package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/latchauth/latch/admin"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/mfa"
)

// The server key that seals second-factor secrets (TOTP) at rest:
// --secret-key (LATCH_SECRET_KEY) or --secret-key-file, a comma-separated
// list of "id:base64" keys, the current one first (mfa.ParseKeyring). In
// prod latchd serves only with one. In dev without one, a key is made on
// first start and kept in a file (mode 0600) beside the SQLite database,
// or, for a database server, in the user's config directory under a name
// made from the database URL, so that enrolled authenticators survive a
// restart and dev instances on one machine and database share the key.

// devKeyFile is where dev keeps its key for a SQLite database at dbPath.
func devKeyFile(dbPath string) string { return dbPath + ".secret-key" }

// devServerKeyFile is where dev keeps its key for the database server at
// databaseURL: $XDG_CONFIG_HOME/latch (else $HOME/.config/latch), in a
// file named by a hash of the URL (which may hold a password). "" when
// neither variable is set.
func (o *options) devServerKeyFile() string {
	if o.getenv == nil {
		return ""
	}
	dir := o.getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := o.getenv("HOME")
		if home == "" {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	sum := sha256.Sum256([]byte(o.databaseURL))
	return filepath.Join(dir, "latch", "dev-secret-key-"+hex.EncodeToString(sum[:8]))
}

// keyring returns the configured keyring; nil (authapi then makes one for
// the process and says so) only in dev on a database server when neither
// $XDG_CONFIG_HOME nor $HOME is set.
func (o *options) keyring(log *slog.Logger) (*mfa.Keyring, error) {
	spec := strings.TrimSpace(o.secretKey)
	if spec == "" && o.secretKeyFile != "" {
		b, err := os.ReadFile(o.secretKeyFile)
		if err != nil {
			return nil, fmt.Errorf("--secret-key-file: %w", err)
		}
		spec = strings.TrimSpace(string(b))
	}
	if spec != "" {
		k, err := mfa.ParseKeyring(spec)
		if err != nil {
			return nil, fmt.Errorf("--secret-key: %w", err)
		}
		return k, nil
	}
	if o.env != "dev" {
		return nil, errors.New("--env prod needs --secret-key or --secret-key-file (LATCH_SECRET_KEY): the key that encrypts second-factor secrets; make one with: latchd keys generate")
	}
	var file string
	if path, ok := strings.CutPrefix(o.databaseURL, "sqlite:"); ok {
		file = devKeyFile(strings.TrimPrefix(path, "//"))
	} else if file = o.devServerKeyFile(); file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		b, err = makeDevKey(file, log)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the dev secret key: %w", err)
	}
	k, err := mfa.ParseKeyring(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("the dev secret key in %s: %w", file, err)
	}
	return k, nil
}

// makeDevKey writes a new key to file, or, when another instance started
// at the same moment wrote one first, returns that one. The key is written
// whole to a file of its own and then linked into place, so nobody ever
// reads a key file still being written.
func makeDevKey(file string, log *slog.Logger) ([]byte, error) {
	key, err := mfa.GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), filepath.Base(file)+".*.tmp")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(key + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	switch err := os.Link(tmp.Name(), file); {
	case err == nil:
		log.Info("dev: made a secret key for second-factor secrets", "file", file)
		return []byte(key), nil
	case errors.Is(err, os.ErrExist):
		return os.ReadFile(file)
	default:
		return nil, err
	}
}

// generateKey prints a new key entry for --secret-key.
func generateKey(stdout io.Writer) error {
	k, err := mfa.GenerateKey()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, k)
	return nil
}

// rotateKeys seals every TOTP secret again with the current key of
// --secret-key, so that the older keys can be dropped from it.
func rotateKeys(ctx context.Context, o *options, log *slog.Logger, stdout io.Writer) error {
	kr, err := o.keyring(log)
	if err != nil {
		return err
	}
	if kr == nil {
		return errors.New("keys rotate: no --secret-key (LATCH_SECRET_KEY) to rotate to")
	}
	b, err := openBackend(ctx, o, log)
	if err != nil {
		return err
	}
	defer b.Close()
	n, err := authapi.ResealFactors(ctx, b.auth, kr)
	if err != nil {
		return fmt.Errorf("keys rotate: %w (%d sealed again before it)", err, n)
	}
	fmt.Fprintf(stdout, "sealed %d second-factor secrets again with key %s; every secret is now under it\n", n, kr.Current())
	return nil
}

// removeUserFactors removes every second factor of the user, named by id
// or email (authapi.Handler.RemoveFactors): it ends the user's sessions and
// mails them a notice (queued in the database, sent before the command
// returns, as by the server).
func removeUserFactors(ctx context.Context, o *options, log *slog.Logger, stdout io.Writer, target string) error {
	if strings.Contains(target, "@") {
		norm, err := authapi.NormalizeEmail(target)
		if err != nil {
			return fmt.Errorf("user remove-factors: %w", err)
		}
		target = norm
	}
	b, err := openBackend(ctx, o, log)
	if err != nil {
		return err
	}
	defer b.Close()
	userID, err := resolveUser(ctx, b.auth, target)
	if err != nil {
		return fmt.Errorf("user remove-factors: %w", err)
	}
	kr, err := o.keyring(log)
	if err != nil {
		return err
	}
	var mailer mail.Mailer
	if o.smtpURL != "" {
		if mailer, err = mail.NewSMTP(o.smtpURL, o.mailFrom); err != nil {
			return fmt.Errorf("--smtp-url: %w", err)
		}
	}
	base := o.baseURL
	if base == "" {
		base = "http://localhost:8080"
	}
	h, err := authapi.New(authapi.Config{
		Auth: b.auth, BaseURL: base, Mailer: mailer, Dev: o.env == "dev", Logger: log, Keyring: kr,
		MailTemplates: mail.Templates{AppName: o.appName}, Queue: b.outbox,
	})
	if err != nil {
		return err
	}
	n, err := h.RemoveFactors(ctx, userID)
	cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if cerr := h.Close(cctx); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("user remove-factors: %w", err)
	}
	// Audited as the admin API's DELETE users/{id}/factors and the other
	// user commands are: who, action, user; an admin.remove-factors event.
	admin.Audit(ctx, b.auth, log, admin.Entry{Who: cliWho(o.getenv), Action: "remove-factors", UserID: userID, Detail: strconv.Itoa(n) + " removed"})
	if n == 0 {
		fmt.Fprintf(stdout, "user %s has no second factor: nothing changed\n", userID)
		return nil
	}
	what := "second factors"
	if n == 1 {
		what = "second factor"
	}
	fmt.Fprintf(stdout, "removed %d %s of user %s, ended its sessions and mailed a notice\n", n, what, userID)
	return nil
}
