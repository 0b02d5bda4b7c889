package mail

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func TestNewSMTP(t *testing.T) {
	t.Parallel()
	good := []struct {
		url      string
		host     string
		port     int
		user     string
		pass     string
		implicit bool
		policy   string
	}{
		{"smtp://mail.example.com", "mail.example.com", 587, "", "", false, "TLSMandatory"},
		{"smtp://u:p@mail.example.com:2525", "mail.example.com", 2525, "u", "p", false, "TLSMandatory"},
		{"smtp://u%40x.com:p%3Aw%2Fd@mail.example.com?starttls=opportunistic", "mail.example.com", 587, "u@x.com", "p:w/d", false, "TLSOpportunistic"},
		{"smtp://localhost:1025?starttls=none", "localhost", 1025, "", "", false, "NoTLS"},
		{"SMTP://localhost:1025/?starttls=false", "localhost", 1025, "", "", false, "NoTLS"},
		{"smtps://u:p@mail.example.com", "mail.example.com", 465, "u", "p", true, "TLSMandatory"},
		{"smtp://[::1]:25", "::1", 25, "", "", false, "TLSMandatory"},
	}
	for _, tt := range good {
		s, err := NewSMTP(tt.url, "Latch <no-reply@example.com>")
		if err != nil {
			t.Errorf("NewSMTP(%q): %v", tt.url, err)
			continue
		}
		if s.host != tt.host || s.port != tt.port || s.user != tt.user || s.pass != tt.pass || s.implicit != tt.implicit || s.starttls.String() != tt.policy {
			t.Errorf("NewSMTP(%q) = host %q port %d user %q pass %q implicit %v policy %v", tt.url, s.host, s.port, s.user, s.pass, s.implicit, s.starttls)
		}
		if strings.Contains(s.String(), "@") {
			t.Errorf("String() = %q shows the credentials", s.String())
		}
	}

	bad := []struct{ url, from string }{
		{"http://mail.example.com", "a@example.com"},
		{"smtp://", "a@example.com"},
		{"smtp://mail.example.com:0", "a@example.com"},
		{"smtp://mail.example.com:70000", "a@example.com"},
		{"smtp://mail.example.com/path", "a@example.com"},
		{"smtp://mail.example.com?starttls=maybe", "a@example.com"},
		{"smtp://mail.example.com?tls=none", "a@example.com"},
		{"smtp://mail.example.com?starttls=none&starttls=none", "a@example.com"},
		{"smtps://mail.example.com?starttls=none", "a@example.com"},
		{"smtp://user:s3cret@mail.example.com:bad", "a@example.com"},
		{"smtp://user:s3cret@mail example.com", "a@example.com"},
		{"smtp://mail.example.com", ""},
		{"smtp://mail.example.com", "not an address"},
		{"smtp://mail.example.com", "a@example.com\r\nBcc: victim@example.com"},
	}
	for _, tt := range bad {
		_, err := NewSMTP(tt.url, tt.from)
		if err == nil {
			t.Errorf("NewSMTP(%q, %q): no error", tt.url, tt.from)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("NewSMTP(%q) error %q shows the password", tt.url, err)
		}
	}
}

// smtpServer is a real SMTP server on loopback (emersion/go-smtp) that
// keeps what it receives.
type smtpServer struct {
	addr string
	user string // when set, AUTH PLAIN with user/pass is required
	pass string

	mu       sync.Mutex
	received []received
}

type received struct {
	from   string
	to     []string
	data   []byte
	authed bool
	tls    bool
}

type smtpSession struct {
	srv *smtpServer
	tls bool
	cur received
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.user || pass != s.srv.pass {
			return errors.New("bad credentials")
		}
		s.cur.authed = true
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.user != "" && !s.cur.authed {
		return smtp.ErrAuthRequired
	}
	s.cur.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data, s.cur.tls = b, s.tls
	s.srv.mu.Lock()
	s.srv.received = append(s.srv.received, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.cur = received{authed: s.cur.authed} }
func (s *smtpSession) Logout() error { return nil }

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.received...)
}

// startSMTP starts a server on 127.0.0.1. mode is "plain" (no TLS at all),
// "starttls" (offers STARTTLS) or "implicit" (TLS from the first byte).
func startSMTP(t *testing.T, mode, user, pass string, cert tls.Certificate) *smtpServer {
	t.Helper()
	srv := &smtpServer{user: user, pass: pass}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &smtpSession{srv: srv, tls: isTLS}, nil
	})
	s := smtp.NewServer(be)
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = log.New(io.Discard, "", 0) // it logs after tests end too
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	switch mode {
	case "starttls":
		s.TLSConfig = tlsConfig
	case "implicit":
		l = tls.NewListener(l, tlsConfig)
	}
	srv.addr = l.Addr().String()
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { s.Close() })
	return srv
}

// selfSigned makes a certificate for 127.0.0.1 and the pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "latch test SMTP"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// parsed is a received mail taken apart: headers and each body part,
// decoded.
type parsed struct {
	to, from, subject string
	parts             map[string]string // media type → decoded content
}

func parseReceived(t *testing.T, data []byte) parsed {
	t.Helper()
	msg, err := netmail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("reading the received mail: %v\n%s", err, data)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	p := parsed{to: msg.Header.Get("To"), from: msg.Header.Get("From"), subject: subject, parts: map[string]string{}}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if mt != "multipart/alternative" {
		body, _ := io.ReadAll(msg.Body)
		p.parts[mt] = string(body)
		return p
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		b, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		p.parts[pt] = string(b)
	}
	return p
}

func TestSMTPSend(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	tests := []struct {
		name, mode, url string
		auth, wantTLS   bool
	}{
		{"no TLS, no auth (local relay)", "plain", "smtp://%s?starttls=none", false, false},
		{"STARTTLS with auth", "starttls", "smtp://ada%%40example.com:p%%40ss%%20word@%s", true, true},
		{"opportunistic STARTTLS", "starttls", "smtp://%s?starttls=opportunistic", false, true},
		{"smtps with auth", "implicit", "smtps://ada%%40example.com:p%%40ss%%20word@%s", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			user, pass := "", ""
			if tt.auth {
				user, pass = "ada@example.com", "p@ss word"
			}
			srv := startSMTP(t, tt.mode, user, pass, cert)
			s, err := NewSMTP(fmt.Sprintf(tt.url, srv.addr), "Latch <no-reply@example.com>")
			if err != nil {
				t.Fatal(err)
			}
			s.TLSConfig = &tls.Config{RootCAs: pool}
			m := Templates{AppName: "Acme", BaseURL: "https://auth.example.com"}.
				PasswordReset("Bob <bob@example.com>", "/password-reset/tok=en&x", 30*time.Minute)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := s.Send(ctx, m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := srv.messages()
			if len(got) != 1 {
				t.Fatalf("server received %d mails, want 1", len(got))
			}
			r := got[0]
			if r.from != "no-reply@example.com" || len(r.to) != 1 || r.to[0] != "bob@example.com" {
				t.Errorf("envelope: from %q to %q", r.from, r.to)
			}
			if r.authed != tt.auth || r.tls != tt.wantTLS {
				t.Errorf("authenticated %v over TLS %v; want %v, %v", r.authed, r.tls, tt.auth, tt.wantTLS)
			}
			p := parseReceived(t, r.data)
			if !strings.Contains(p.to, "bob@example.com") || !strings.Contains(p.from, "no-reply@example.com") {
				t.Errorf("headers: To %q From %q", p.to, p.from)
			}
			if p.subject != m.Subject {
				t.Errorf("Subject %q, want %q", p.subject, m.Subject)
			}
			if len(p.parts) != 2 {
				t.Fatalf("parts %v, want text/plain and text/html", keys(p.parts))
			}
			if !strings.Contains(p.parts["text/plain"], "https://auth.example.com/password-reset/tok=en&x") {
				t.Errorf("text part lacks the link:\n%s", p.parts["text/plain"])
			}
			if !strings.Contains(p.parts["text/html"], `href="https://auth.example.com/password-reset/tok=en&amp;x"`) {
				t.Errorf("HTML part lacks the link:\n%s", p.parts["text/html"])
			}
		})
	}
}

func TestSMTPRefuses(t *testing.T) {
	t.Parallel()
	cert, _ := selfSigned(t)
	ctx := context.Background()
	m := Message{To: "bob@example.com", Subject: "hi", Text: "hello"}

	t.Run("mandatory STARTTLS not offered", func(t *testing.T) {
		t.Parallel()
		srv := startSMTP(t, "plain", "", "", cert)
		s, _ := NewSMTP("smtp://"+srv.addr, "a@example.com")
		if err := s.Send(ctx, m); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Fatalf("Send = %v, want a STARTTLS error", err)
		}
		if n := len(srv.messages()); n != 0 {
			t.Fatalf("server received %d mails", n)
		}
	})
	t.Run("no AUTH without TLS", func(t *testing.T) {
		t.Parallel()
		srv := startSMTP(t, "plain", "ada", "right", cert) // offers AUTH only over TLS
		s, _ := NewSMTP("smtp://ada:right@"+srv.addr+"?starttls=none", "a@example.com")
		if err := s.Send(ctx, m); err == nil {
			t.Fatal("Send with credentials over a connection without TLS: no error")
		}
		if n := len(srv.messages()); n != 0 {
			t.Fatalf("server received %d mails", n)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		t.Parallel()
		srv := startSMTP(t, "starttls", "", "", cert)
		s, _ := NewSMTP("smtp://"+srv.addr, "a@example.com")
		if err := s.Send(ctx, m); err == nil {
			t.Fatal("Send through a self-signed certificate that is not trusted: no error")
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		srv := startSMTP(t, "implicit", "ada", "right", cert)
		s, _ := NewSMTP("smtps://ada:wr0ng-s3cret@"+srv.addr, "a@example.com")
		s.TLSConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // test server
		err := s.Send(ctx, m)
		if err == nil {
			t.Fatal("Send with a wrong password: no error")
		}
		if strings.Contains(err.Error(), "wr0ng-s3cret") {
			t.Fatalf("error shows the password: %v", err)
		}
	})
	t.Run("invalid message", func(t *testing.T) {
		t.Parallel()
		s, _ := NewSMTP("smtp://127.0.0.1:1", "a@example.com")
		err := s.Send(ctx, Message{To: "a@example.com\r\nBcc: x@example.com", Subject: "x", Text: "x"})
		if !errors.Is(err, ErrInvalidMessage) {
			t.Fatalf("Send = %v, want ErrInvalidMessage", err)
		}
	})
}

// TestSMTPContext: a server that accepts the connection and then says
// nothing cannot hold Send past its context's deadline or cancellation.
func TestSMTPContext(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() }) // hold it open, silent
		}
	}()
	s, err := NewSMTP("smtp://"+l.Addr().String()+"?starttls=none", "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = time.Minute
	m := Message{To: "bob@example.com", Subject: "hi", Text: "hello"}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, m)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send past the deadline = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v after a 200ms deadline", d)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start = time.Now()
	err = s.Send(ctx, m)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send canceled = %v, want Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v after a cancellation at 200ms", d)
	}

	s.Timeout = 300 * time.Millisecond // no deadline on ctx: Timeout bounds it
	start = time.Now()
	if err := s.Send(context.Background(), m); err == nil {
		t.Error("Send to a silent server: no error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v with a 300ms Timeout", d)
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
