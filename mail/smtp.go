package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// DefaultSMTPTimeout bounds one Send when its context has no earlier
// deadline.
const DefaultSMTPTimeout = 30 * time.Second

// SMTP is a Mailer that sends through an SMTP server, one connection per
// mail, with a text and an HTML part. It is safe for concurrent use; set
// its fields before the first Send.
type SMTP struct {
	// TLSConfig is used for STARTTLS and smtps, e.g. to trust a private CA.
	// Default: the system roots; ServerName is the URL's host when empty.
	TLSConfig *tls.Config
	// Timeout bounds one Send when ctx has no earlier deadline.
	// Default DefaultSMTPTimeout.
	Timeout time.Duration

	host     string
	port     int
	user     string
	pass     string
	hasAuth  bool
	implicit bool // smtps: TLS from the first byte
	starttls gomail.TLSPolicy
	from     string
}

var _ Mailer = (*SMTP)(nil)

// NewSMTP returns an SMTP mailer for a server URL and a sender address
// ("no-reply@example.com" or "Example <no-reply@example.com>").
//
// The URL is smtp://[user:password@]host[:port][?starttls=…] or
// smtps://[user:password@]host[:port]. smtp uses port 587 by default and
// STARTTLS as its starttls parameter says: "mandatory" (the default: fail
// when the server does not offer it), "opportunistic" (use it when
// offered) or "none" (for a local test server). smtps uses port 465 by
// default and TLS from the start. User and password, URL-encoded, are sent
// only over TLS (or to localhost), with the best mechanism the server
// offers. Errors never contain the password.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // url.Error repeats the URL, password included
			err = ue.Err
		}
		return nil, fmt.Errorf("mail: SMTP URL: %v", err)
	}
	s := &SMTP{host: u.Hostname(), starttls: gomail.TLSMandatory}
	switch u.Scheme {
	case "smtp":
		s.port = gomail.DefaultPortTLS
	case "smtps":
		s.port, s.implicit = gomail.DefaultPortSSL, true
	default:
		return nil, fmt.Errorf("mail: SMTP URL: scheme %q: want smtp or smtps", u.Scheme)
	}
	if s.host == "" {
		return nil, errors.New("mail: SMTP URL: no host")
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, errors.New("mail: SMTP URL: want no path or fragment")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("mail: SMTP URL: port %q: want 1 to 65535", p)
		}
		s.port = n
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		s.hasAuth = s.user != ""
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, errors.New("mail: SMTP URL: malformed query")
	}
	for k, v := range q {
		if k != "starttls" || len(v) != 1 {
			return nil, fmt.Errorf("mail: SMTP URL: unknown or repeated parameter %q (want starttls once)", k)
		}
		if s.implicit {
			return nil, errors.New("mail: SMTP URL: starttls has no meaning with smtps")
		}
		switch strings.ToLower(v[0]) {
		case "mandatory", "true", "":
			s.starttls = gomail.TLSMandatory
		case "opportunistic":
			s.starttls = gomail.TLSOpportunistic
		case "none", "false":
			s.starttls = gomail.NoTLS
		default:
			return nil, fmt.Errorf("mail: SMTP URL: starttls=%q: want mandatory, opportunistic or none", v[0])
		}
	}
	if from == "" {
		return nil, errors.New("mail: SMTP sender address is empty")
	}
	if strings.ContainsAny(from, "\r\n") {
		return nil, errors.New("mail: SMTP sender address contains a line break")
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("mail: SMTP sender address %q: %v", from, err)
	}
	s.from = from
	return s, nil
}

// String describes the server without its credentials, for logs.
func (s *SMTP) String() string {
	scheme := "smtp"
	if s.implicit {
		scheme = "smtps"
	}
	return fmt.Sprintf("%s://%s", scheme, net.JoinHostPort(s.host, strconv.Itoa(s.port)))
}

// Send delivers m through the server. It returns when the server accepted
// the mail, or with an error when ctx ends first (the connection is closed
// at once).
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultSMTPTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()

	msg, err := s.message(m)
	if err != nil {
		return err
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		tlsConfig = s.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = s.host
	}
	policy := s.starttls
	if s.implicit {
		policy = gomail.NoTLS // TLS is already on the connection (see dial)
	}
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		// A backstop only: ctx ends first and closes the connection (see
		// dialer), so that the error says why.
		gomail.WithTimeout(time.Until(deadline) + time.Second),
		gomail.WithTLSPolicy(policy),
		gomail.WithTLSConfig(tlsConfig),
		gomail.WithDialContextFunc(s.dialer(ctx, tlsConfig)),
	}
	if s.hasAuth {
		// PLAIN and LOGIN refuse to run without TLS (except to localhost):
		// a password is never sent in the clear.
		opts = append(opts,
			gomail.WithUsername(s.user), gomail.WithPassword(s.pass),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
	}
	client, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("mail: smtp: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if cerr := ctx.Err(); cerr != nil || !time.Now().Before(deadline) {
			if cerr == nil {
				cerr = context.DeadlineExceeded
			}
			return fmt.Errorf("mail: smtp: sending to %s: %w (%v)", s, cerr, err)
		}
		return fmt.Errorf("mail: smtp: sending to %s: %w", s, err)
	}
	return nil
}

// dialer opens the TCP (and for smtps the TLS) connection and ties it to
// ctx: when ctx ends, the connection is closed, which ends any read or
// write in progress. go-mail only bounds the dial by its context.
func (s *SMTP) dialer(ctx context.Context, tlsConfig *tls.Config) gomail.DialContextFunc {
	return func(dialCtx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(dialCtx, network, addr)
		if err != nil {
			return nil, err
		}
		context.AfterFunc(ctx, func() { conn.Close() })
		if !s.implicit {
			return conn, nil
		}
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(dialCtx); err != nil {
			conn.Close()
			return nil, err
		}
		return tc, nil
	}
}

func (s *SMTP) message(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return nil, fmt.Errorf("mail: smtp: sender: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("%w: recipient: %v", ErrInvalidMessage, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	} else {
		msg.SetMessageID()
	}
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	default:
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}
