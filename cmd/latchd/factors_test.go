package main

import (
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testenv"
)

// TestBackendKeepsFactors: on every backend latchd runs on, the Auth it
// builds keeps second factors (the database's latch_factor table, also
// when Redis holds sessions and tokens), and deleting a user removes them.
func TestBackendKeepsFactors(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T) (opts options, userID string)
	}{
		{"sqlite", func(t *testing.T) (options, string) {
			return options{databaseURL: "sqlite:" + filepath.Join(t.TempDir(), "latch.db")}, ""
		}},
		{"postgres", func(t *testing.T) (options, string) {
			return options{databaseURL: testenv.Postgres(t)}, ""
		}},
		{"postgres+redis", func(t *testing.T) (options, string) {
			redisURL, prefix := testenv.Redis(t)
			return options{databaseURL: testenv.Postgres(t), redisURL: redisURL, redisPrefix: prefix}, ""
		}},
		{"mysql", func(t *testing.T) (options, string) {
			return options{databaseURL: mysqlURL(t, testenv.MySQL(t))}, ""
		}},
	}
	for _, dialect := range []string{"sqlite", "postgres", "mysql"} {
		cases = append(cases, struct {
			name  string
			setup func(t *testing.T) (opts options, userID string)
		}{"lucia2-" + dialect, func(t *testing.T) (options, string) {
			d := newLucia2DB(t, dialect, t.TempDir())
			for _, stmt := range lucia2DDL(dialect, true) {
				d.exec(t, stmt)
			}
			d.exec(t, "INSERT INTO auth_user (id, email, email_verified) VALUES (?, ?, ?)", luciaUserID, luciaEmail, true)
			return options{databaseURL: d.url, schema: string(latch.ProfileLucia2)}, luciaUserID
		}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o, userID := c.setup(t)
			o.env = string(latch.EnvDev)
			b, err := openBackend(t.Context(), &o, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if err := b.migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			a := b.auth
			if !a.HasFactors() {
				t.Fatal("the backend's Auth keeps no second factors")
			}
			ctx := t.Context()
			if userID == "" {
				u, err := a.CreateUser(ctx, latch.CreateUserOptions{})
				if err != nil {
					t.Fatal(err)
				}
				userID = u.ID
			}
			f, err := a.CreateFactor(ctx, latch.FactorRecord{ID: "totp-" + userID, UserID: userID, Kind: latch.FactorTOTP, Data: []byte("sealed")})
			if err != nil {
				t.Fatal(err)
			}
			if fs, err := a.ListFactors(ctx, userID); err != nil || len(fs) != 1 || fs[0].ID != f.ID || string(fs[0].Data) != "sealed" {
				t.Fatalf("ListFactors = %+v, %v; want the factor", fs, err)
			}
			if err := a.DeleteUser(ctx, userID); err != nil {
				t.Fatal(err)
			}
			if _, err := a.GetFactor(ctx, f.ID); !errors.Is(err, latch.ErrNotFound) {
				t.Errorf("GetFactor after DeleteUser: %v, want not found", err)
			}
		})
	}
}

// TestDevKeyringRace: instances started at once on a fresh dev database
// all come up with the one key that the first of them wrote (the others
// lose O_EXCL and read it).
func TestDevKeyringRace(t *testing.T) {
	for round := range 20 {
		db := filepath.Join(t.TempDir(), "latch.db")
		o := &options{env: "dev", databaseURL: "sqlite:" + db}
		var wg sync.WaitGroup
		ids := make([]string, 8)
		errs := make([]error, 8)
		for i := range ids {
			wg.Go(func() {
				k, err := o.keyring(slog.New(slog.DiscardHandler))
				errs[i] = err
				if k != nil {
					ids[i] = k.Current()
				}
			})
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] || ids[i] == "" {
				t.Fatalf("round %d: instance %d: key %q, error %v; instance 0 has %q", round, i, ids[i], errs[i], ids[0])
			}
		}
	}
}
