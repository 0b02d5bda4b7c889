package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every secret.
const SecretPrefix = "whsec_"

// NewSecret returns a new secret: "whsec_" and the base64 of 32 bytes
// from crypto/rand.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// ErrBadSecret is returned for a secret that is not "whsec_" and the
// base64 of 24 to 64 bytes.
var ErrBadSecret = errors.New("webhook: a secret is whsec_ followed by the base64 of 24 to 64 bytes")

// parseSecret returns the key bytes of a secret.
func parseSecret(s string) ([]byte, error) {
	b64, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, ErrBadSecret
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, ErrBadSecret
	}
	return key, nil
}

// Sign returns the webhook-signature header of a message: "v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body" under each secret, separated
// by spaces.
func Sign(secrets []string, id string, ts time.Time, body []byte) (string, error) {
	if len(secrets) == 0 {
		return "", errors.New("webhook: no secret to sign with")
	}
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := parseSecret(s)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, "v1,"+sign(key, id, ts, body))
	}
	return strings.Join(sigs, " "), nil
}

func sign(key []byte, id string, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// ErrBadSignature is returned by Verify for a message that no secret
// signed, or whose timestamp is outside the tolerance.
var ErrBadSignature = errors.New("webhook: no valid signature")

// Verify checks a received message for a Go receiver: one of the
// signatures in the webhook-signature header matches under one of the
// secrets, compared in constant time, and webhook-timestamp is within
// tolerance of now (5 minutes when tolerance is 0), which bounds replays.
// Receivers should also drop a webhook-id they have already processed.
func Verify(secrets []string, id, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = 5 * time.Minute
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrBadSignature
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return ErrBadSignature
	}
	for _, s := range secrets {
		key, err := parseSecret(s)
		if err != nil {
			return err
		}
		want := []byte(sign(key, id, ts, body))
		for _, got := range strings.Fields(signature) {
			v, sig, ok := strings.Cut(got, ",")
			if ok && v == "v1" && hmac.Equal([]byte(sig), want) {
				return nil
			}
		}
	}
	return ErrBadSignature
}

// Endpoint is a receiver of events.
type Endpoint struct {
	// URL receives the POSTs: https, or http to a loopback address
	// (unless Dispatcher.AllowHTTP).
	URL string
	// Secrets sign each message: one, or two during a rotation (the new
	// and the old; both signatures go in the header).
	Secrets []string
	// Events are the types sent; empty means all. "user.*" matches every
	// type that starts with "user.".
	Events []string
}

// wants reports whether the endpoint takes events of this type.
func (e Endpoint) wants(typ string) bool {
	if len(e.Events) == 0 {
		return true
	}
	for _, f := range e.Events {
		if f == typ || f == "*" || (strings.HasSuffix(f, ".*") && strings.HasPrefix(typ, strings.TrimSuffix(f, "*"))) {
			return true
		}
	}
	return false
}

// check validates the endpoint: its URL (see Endpoint.URL) and secrets.
func (e Endpoint) check(allowHTTP bool) error {
	u, err := url.Parse(e.URL)
	if err != nil || u.Host == "" || u.User != nil {
		return fmt.Errorf("webhook: endpoint %q: want an absolute URL without user info", Redact(e.URL))
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allowHTTP && !loopback(u.Hostname()) {
			return fmt.Errorf("webhook: endpoint %q: http only to a loopback address; use https", Redact(e.URL))
		}
	default:
		return fmt.Errorf("webhook: endpoint %q: want https (or http to loopback)", Redact(e.URL))
	}
	if len(e.Secrets) == 0 || len(e.Secrets) > 2 {
		return fmt.Errorf("webhook: endpoint %q: want one secret, or two during a rotation", Redact(e.URL))
	}
	for _, s := range e.Secrets {
		if _, err := parseSecret(s); err != nil {
			return fmt.Errorf("webhook: endpoint %q: %w", Redact(e.URL), err)
		}
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Redact returns the URL's scheme, host and path only: a query may carry a
// credential of the receiver's, which has no place in logs or errors.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}
