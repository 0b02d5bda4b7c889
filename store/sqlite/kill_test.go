package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/sqlite"
)

// killWriterEnv names the database file a child process of
// TestSurvivesKill writes to until it is killed.
const killWriterEnv = "LATCH_TEST_SQLITE_KILL_WRITER"

// TestSurvivesKill runs this test binary again as a child that writes to a
// SQLite file (WAL mode, as the store opens it) in a loop: users with
// their keys, sessions, tokens taken and put, all in transactions. The
// parent sends it SIGKILL mid-write, then opens the file: PRAGMA
// integrity_check says "ok", every user the child reported as written is
// there with its key, and the store still works.
func TestSurvivesKill(t *testing.T) {
	if path := os.Getenv(killWriterEnv); path != "" {
		writeUntilKilled(path)
		return
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "latch.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSurvivesKill$")
	cmd.Env = append(os.Environ(), killWriterEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	// The child prints the id of each user once its transaction committed.
	// Kill it after a few hundred, while it is writing the next ones.
	var committed []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		committed = append(committed, sc.Text())
		if len(committed) == 300 {
			break
		}
	}
	if len(committed) < 300 {
		t.Fatalf("the writer stopped after %d users: %v", len(committed), sc.Err())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check after the kill: %q %v", check, err)
	}
	db.Close()

	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate after the kill: %v", err)
	}
	for _, id := range committed {
		if _, err := s.GetUser(ctx, id); err != nil {
			t.Fatalf("user %s, committed before the kill: %v", id, err)
		}
		if _, err := s.GetKey(ctx, "email:"+id); err != nil {
			t.Fatalf("key of user %s, committed before the kill: %v", id, err)
		}
	}
	auth, err := latch.New(latch.Config{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	pw := "after the kill"
	u, err := auth.CreateUser(ctx, latch.CreateUserOptions{Key: &latch.KeyOptions{ProviderID: "email", ProviderUserID: "after@example.com", Password: &pw}})
	if err != nil {
		t.Fatalf("CreateUser after the kill: %v", err)
	}
	sess, err := auth.CreateSession(ctx, latch.CreateSessionOptions{UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.ValidateSession(ctx, sess.Token); err != nil {
		t.Fatalf("ValidateSession after the kill: %v", err)
	}
	if _, err := auth.UseKey(ctx, "email", "after@example.com", &pw); err != nil {
		t.Fatalf("UseKey after the kill: %v", err)
	}
	t.Logf("killed after %d committed users; integrity ok, all present", len(committed))
}

// writeUntilKilled is the child of TestSurvivesKill: it writes until the
// parent kills it, printing each user's id once it is committed.
func writeUntilKilled(path string) {
	ctx := context.Background()
	s, err := sqlite.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := s.Migrate(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hash := "not a real hash"
	for i := 0; ; i++ {
		id := fmt.Sprintf("user%08d", i)
		err := s.InTx(ctx, func(ctx context.Context) error {
			if err := s.CreateUser(ctx, latch.UserRecord{ID: id, Attributes: latch.Attributes{"email": id + "@example.com", "n": int64(i)}},
				&latch.KeyRecord{ID: "email:" + id, UserID: id, HashedPassword: &hash}); err != nil {
				return err
			}
			for j := range 3 {
				if err := s.CreateSession(ctx, latch.SessionRecord{ID: fmt.Sprintf("%s-s%d", id, j), UserID: id, ActiveExpires: 1 << 40, IdleExpires: 1 << 41}); err != nil {
					return err
				}
			}
			if err := s.PutToken(ctx, latch.TokenRecord{ID: id + "-t", Kind: "kill", UserID: id, Expires: 1 << 40}); err != nil {
				return err
			}
			if i > 0 {
				prev := fmt.Sprintf("user%08d", i-1)
				if _, err := s.TakeToken(ctx, "kill", prev+"-t", ""); err != nil {
					return err
				}
				return s.DeleteSessionsByUser(ctx, prev)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			os.Exit(1)
		}
		fmt.Println(id)
	}
}
