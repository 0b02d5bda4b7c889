package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/admin"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/throttle"
)

// adminListenAddr is --admin-addr with a bare ":PORT" put on loopback.
func adminListenAddr(addr string) (host, full string, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("--admin-addr %q: %v", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return host, net.JoinHostPort(host, port), nil
}

// checkAdmin validates the --admin-* settings: a loopback address unless
// --admin-allow-remote, and a strong token from exactly one source.
func (o *options) checkAdmin() error {
	if o.adminAddr == "" {
		if o.adminToken != "" || o.adminTokenFile != "" {
			return errors.New("--admin-token and --admin-token-file need --admin-addr")
		}
		return nil
	}
	host, _, err := adminListenAddr(o.adminAddr)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) && !o.adminRemote {
		return fmt.Errorf("--admin-addr %q is not a loopback address: the admin API is meant for this machine; add --admin-allow-remote to serve it beyond (with TLS in front)", o.adminAddr)
	}
	_, err = o.adminTokenValue()
	return err
}

// adminTokenValue reads the admin token from --admin-token or the first
// line of --admin-token-file and checks its strength.
func (o *options) adminTokenValue() (string, error) {
	tok := o.adminToken
	switch {
	case o.adminToken != "" && o.adminTokenFile != "":
		return "", errors.New("--admin-token and --admin-token-file: give one")
	case o.adminTokenFile != "":
		f, err := os.Open(o.adminTokenFile)
		if err != nil {
			return "", fmt.Errorf("--admin-token-file: %w", err)
		}
		defer f.Close()
		line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("--admin-token-file: %w", err)
		}
		tok = strings.TrimSpace(line)
	case tok == "":
		return "", errors.New("--admin-addr needs --admin-token-file or --admin-token")
	}
	if err := admin.CheckToken(tok); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	return tok, nil
}

// startAdmin serves the admin API on --admin-addr until stop is called.
// The auth API's handler api mails its support links and removes second
// factors, through the same mail queue as the public listener. Failed
// authentications are counted in throttles (Redis or the database, so
// that every instance sees them), or per process when it is nil.
func startAdmin(o *options, auth *latch.Auth, api *authapi.Handler, throttles throttle.Store, log *slog.Logger) (url string, stop func(), err error) {
	tok, err := o.adminTokenValue()
	if err != nil {
		return "", nil, err
	}
	h, err := admin.New(admin.Config{
		Auth: auth, Tokens: []admin.Token{{Name: "admin", Value: tok}}, Mailer: api, FactorRemover: api,
		ThrottleStore: throttles, Logger: log,
	})
	if err != nil {
		return "", nil, err
	}
	_, addr, err := adminListenAddr(o.adminAddr)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("--admin-addr: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/api/admin/", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// userCmd holds the flags of latchd user list|show|disable|enable|delete.
type userCmd struct {
	name   string // "list", "show", ...
	target string // the user id or email address (not for list)
	q      string
	cursor string
	limit  int
	json   bool
	yes    bool
}

// cliWho is the audit name of the shell's user: "cli:<os user>".
func cliWho(getenv func(string) string) string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	if n := getenv("USER"); n != "" {
		return "cli:" + n
	}
	return "cli:unknown"
}

// runUserCmd runs one of the user commands on the configured database,
// audited like the admin API.
func runUserCmd(ctx context.Context, o *options, log *slog.Logger, stdout io.Writer, c userCmd) error {
	b, err := openBackend(ctx, o, log)
	if err != nil {
		return err
	}
	defer b.Close()
	a := b.auth
	who := cliWho(o.getenv)
	audit := func(action, userID, detail string) {
		admin.Audit(ctx, a, log, admin.Entry{Who: who, Action: action, UserID: userID, Detail: detail})
	}
	if c.name == "list" {
		page, err := admin.List(ctx, a, c.q, c.cursor, c.limit)
		if err != nil {
			return fmt.Errorf("user list: %w", err)
		}
		audit("list", "", c.q)
		if c.json {
			return writeJSON(stdout, page)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tVERIFIED\tDISABLED\tCREATED")
		for _, u := range page.Users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.ID, orDash(u.Email), yesNo(u.EmailVerified), yesNo(u.Disabled), when(u.CreatedAt))
		}
		tw.Flush()
		if page.Next != "" {
			fmt.Fprintf(stdout, "more: latchd user list --cursor %s\n", page.Next)
		}
		return nil
	}
	id, err := resolveUser(ctx, a, c.target)
	if err != nil {
		return fmt.Errorf("user %s: %w", c.name, err)
	}
	var u latch.User
	switch c.name {
	case "show":
		d, err := admin.Detail(ctx, a, id, c.cursor)
		if err != nil {
			return fmt.Errorf("user show: %w", err)
		}
		audit("show", id, "")
		if c.json {
			return writeJSON(stdout, d)
		}
		printDetail(stdout, d)
		return nil
	case "disable":
		u, err = a.DisableUser(ctx, id)
	case "enable":
		u, err = a.EnableUser(ctx, id)
	case "delete":
		if !c.yes {
			return errors.New("user delete: add --yes to delete the user and everything of theirs")
		}
		err = a.DeleteUser(ctx, id)
	}
	if err != nil {
		return fmt.Errorf("user %s: %w", c.name, err)
	}
	audit(c.name, id, "")
	if c.json {
		if c.name == "delete" {
			return writeJSON(stdout, map[string]string{"deleted": id})
		}
		return writeJSON(stdout, map[string]admin.UserSummary{"user": admin.Summarize(u)})
	}
	fmt.Fprintf(stdout, "%sd user %s\n", c.name, id)
	return nil
}

// resolveUser takes a user id, or an email address (it holds an '@') to
// look up through its email key.
func resolveUser(ctx context.Context, a *latch.Auth, target string) (string, error) {
	if target == "" {
		return "", errors.New("name the user: its id or email address")
	}
	if strings.Contains(target, "@") {
		k, err := a.GetKey(ctx, latch.EmailProviderID, target)
		if errors.Is(err, latch.ErrInvalidKeyID) {
			return "", fmt.Errorf("no user has the address %q", target)
		}
		if err != nil {
			return "", err
		}
		return k.UserID, nil
	}
	if _, err := a.GetUser(ctx, target); err != nil {
		if errors.Is(err, latch.ErrInvalidUserID) {
			return "", fmt.Errorf("no user has the id %q", target)
		}
		return "", err
	}
	return target, nil
}

func printDetail(w io.Writer, d admin.UserDetail) {
	u := d.User
	fmt.Fprintf(w, "user      %s\nemail     %s (verified: %s)\n", u.ID, orDash(u.Email), yesNo(u.EmailVerified))
	if u.Name != "" {
		fmt.Fprintf(w, "name      %s\n", u.Name)
	}
	fmt.Fprintf(w, "created   %s\n", when(u.CreatedAt))
	if u.Disabled {
		fmt.Fprintf(w, "DISABLED  since %s\n", when(u.DisabledAt))
	}
	fmt.Fprintf(w, "\nkeys (%d)\n", len(d.Keys))
	for _, k := range d.Keys {
		pw := ""
		if k.PasswordDefined {
			pw = "  (password)"
		}
		fmt.Fprintf(w, "  %s:%s%s\n", k.ProviderID, k.ProviderUserID, pw)
	}
	if len(d.Factors) > 0 {
		fmt.Fprintf(w, "\nsecond factors and passkeys (%d)\n", len(d.Factors))
		for _, f := range d.Factors {
			fmt.Fprintf(w, "  %-8s %s  added %s\n", f.Kind, f.Name, f.CreatedAt.Format(time.RFC3339))
		}
	}
	fmt.Fprintf(w, "\nsessions (%d)\n", len(d.Sessions))
	for _, s := range d.Sessions {
		fmt.Fprintf(w, "  %s  until %s  %s %s\n", s.Handle, s.IdleExpires.Format(time.RFC3339), s.IP, s.UserAgent)
	}
	fmt.Fprintf(w, "\nactivity (newest first)\n")
	for _, e := range d.Activity.Events {
		fmt.Fprintf(w, "  %s  %-22s %-15s %s\n", e.At.Format(time.RFC3339), e.Type, orDash(e.IP), e.Detail)
	}
	if d.Activity.Next != "" {
		fmt.Fprintf(w, "  more: latchd user show %s --cursor %s\n", u.ID, d.Activity.Next)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
