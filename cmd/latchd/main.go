// Command latchd is Latch's server: the JSON API under /api/auth, the HTML
// pages and, in dev, a mail outbox.
//
//	latchd [serve] [flags]          serve (the default command)
//	latchd migrate [flags]          create or update the database tables
//	latchd user create --email E    create a user (password from --password or stdin)
//	latchd user list|show|disable|enable|delete   manage users (audited)
//	latchd user remove-factors E    remove a user's second factors (lost authenticator)
//	latchd tokens purge [flags]     delete expired sessions and tokens
//	latchd keys generate            print a new key for --secret-key
//	latchd keys rotate              seal every TOTP secret with the current key
//	latchd webhook secret           print a new secret for --webhook-secret
//
// With nothing configured it serves on :8080 with ./latch.db (SQLite,
// migrated on start) and the dev outbox. Every flag has a LATCH_*
// environment twin; latchd --help lists them.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/latchauth/latch/webhook"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// run executes one latchd command line and returns the exit code: 0 for
// success, 1 for a failure, 2 for a usage error. ctx ends on SIGTERM.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
		if cmd == "user" || cmd == "tokens" || cmd == "keys" || cmd == "webhook" {
			if len(args) == 0 || strings.HasPrefix(args[0], "-") {
				fmt.Fprintf(stderr, "latchd %s: missing subcommand; run latchd --help for the commands\n", cmd)
				return 2
			}
			cmd, args = cmd+" "+args[0], args[1:]
		}
	}
	var o options
	fs, err := newFlagSet("latchd "+cmd, &o, getenv, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "latchd:", err)
		return 2
	}
	var email, password string
	var passwordStdin, verified bool
	uc := userCmd{name: strings.TrimPrefix(cmd, "user ")}
	switch cmd {
	case "serve", "migrate", "tokens purge":
	case "user list":
		fs.StringVar(&uc.q, "q", "", "only users whose email address starts with this")
		fs.StringVar(&uc.cursor, "cursor", "", "the next page, as the previous one printed")
		fs.IntVar(&uc.limit, "limit", 50, "users per page (at most 100)")
		fs.BoolVar(&uc.json, "json", false, "print JSON")
	case "user show", "user disable", "user enable", "user delete":
		fs.BoolVar(&uc.json, "json", false, "print JSON")
		if cmd == "user show" {
			fs.StringVar(&uc.cursor, "cursor", "", "an older page of the activity, as the previous one printed")
		}
		if cmd == "user delete" {
			fs.BoolVar(&uc.yes, "yes", false, "really delete the user and everything of theirs")
		}
	case "keys generate", "keys rotate":
	case "user remove-factors":
	case "user create":
		fs.StringVar(&email, "email", "", "email address of the new user (required)")
		fs.StringVar(&password, "password", "", "password of the new user; without it, the first line of stdin")
		fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
		fs.BoolVar(&verified, "verified", false, "mark the email address verified")
	case "help":
		usage(stdout, fs)
		return 0
	case "webhook secret":
		// A new secret for --webhook-secret; nothing else is read.
		fmt.Fprintln(stdout, webhook.NewSecret())
		return 0
	default:
		fmt.Fprintf(stderr, "latchd: unknown command %q\n\n", cmd)
		usage(stderr, fs)
		return 2
	}
	fs.Usage = func() {} // the flag package prints the error; help is ours
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout, fs)
			return 0
		}
		fmt.Fprintln(stderr, "run latchd --help for the commands and flags")
		return 2
	}
	if strings.HasPrefix(cmd, "user ") && cmd != "user create" && cmd != "user list" && fs.NArg() > 0 {
		// The user (id or email) comes first or last: flags may follow it.
		uc.target = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			fmt.Fprintln(stderr, "run latchd --help for the commands and flags")
			return 2
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "latchd %s: unexpected arguments %q\n", cmd, fs.Args())
		return 2
	}
	if strings.HasPrefix(cmd, "user ") && cmd != "user create" && cmd != "user list" && uc.target == "" {
		fmt.Fprintf(stderr, "latchd %s: name the user: latchd %s USER_ID|EMAIL\n", cmd, cmd)
		return 2
	}
	if err := o.validate(); err != nil {
		fmt.Fprintln(stderr, "latchd:", err)
		return 2
	}
	log := newLogger(&o, stderr)
	switch cmd {
	case "serve":
		err = serve(ctx, &o, log, stdout)
	case "migrate":
		err = migrate(ctx, &o, log, stdout)
	case "tokens purge":
		err = purge(ctx, &o, log, stdout)
	case "keys generate":
		err = generateKey(stdout)
	case "keys rotate":
		err = rotateKeys(ctx, &o, log, stdout)
	case "user remove-factors":
		err = removeUserFactors(ctx, &o, log, stdout, uc.target)
	case "user create":
		if password == "" || passwordStdin {
			if password, err = readPassword(stdin); err != nil {
				break
			}
		}
		err = createUser(ctx, &o, log, stdout, email, password, verified)
	case "user list", "user show", "user disable", "user enable", "user delete":
		err = runUserCmd(ctx, &o, log, stdout, uc)
	}
	if err != nil {
		fmt.Fprintln(stderr, "latchd:", err)
		return 1
	}
	return 0
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `latchd: Latch's authentication server.

Usage:
  latchd [serve] [flags]            serve the API and the pages (default)
  latchd migrate [flags]            create or update the database tables
  latchd user create --email E [--password P | --password-stdin] [--verified] [flags]
                                    create a user; without --password, the
                                    password is the first line of stdin
  latchd user list [--q PREFIX] [--cursor C] [--limit N] [--json] [flags]
                                    list users, by email prefix
  latchd user show|disable|enable USER_ID|EMAIL [--json] [flags]
                                    show a user (keys, sessions, activity);
                                    disable (no sign-in, sessions end, open
                                    links void) or enable them again
  latchd user delete USER_ID|EMAIL --yes [--json] [flags]
                                    delete a user and everything of theirs
                                    (each user command is audited as
                                    cli:<os user>)
  latchd user remove-factors USER_ID|EMAIL [flags]
                                    remove the user's second factors and
                                    recovery codes (a lost authenticator),
                                    end their sessions and mail them
  latchd tokens purge [flags]       delete expired sessions and tokens
  latchd keys generate              print a new key for --secret-key
  latchd keys rotate [flags]        seal every TOTP secret again with the first
                                    key of --secret-key (then drop the old ones)
  latchd webhook secret             print a new secret for --webhook-secret

Flags (each has the environment twin shown; a flag wins over it):
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprint(w, oauthUsage())
}

// readPassword reads the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("reading the password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func newLogger(o *options, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		level = slog.LevelInfo
	}
	ho := &slog.HandlerOptions{Level: level}
	if o.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, ho))
	}
	return slog.New(slog.NewTextHandler(w, ho))
}
