package mfa

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	qrcode "github.com/skip2/go-qrcode"
)

// Time-based one-time passwords (RFC 6238) as every authenticator app
// reads them: HMAC-SHA-1, 6 digits, 30-second steps. A code is accepted
// one step early or late (TOTPSkew), for clocks that drift and people who
// type slowly; the HOTP computation is github.com/pquerna/otp's.
const (
	TOTPPeriod = 30 * time.Second
	TOTPDigits = 6
	TOTPSkew   = 1
)

// totpOpts are the RFC 6238 parameters above, as pquerna/otp names them.
var totpOpts = totp.ValidateOpts{Period: uint(TOTPPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPKey is a new TOTP secret with what an authenticator app needs to
// take it.
type TOTPKey struct {
	// Secret is the shared secret in base32 without padding (20 random
	// bytes from crypto/rand), for typing in by hand.
	Secret string
	// URI is the otpauth:// URI that the QR code holds.
	URI string
}

// NewTOTPKey makes a new secret for account (the user's email) at issuer
// (the service's name, shown in the app).
func NewTOTPKey(issuer, account string) (TOTPKey, error) {
	k, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: account, Period: totpOpts.Period, SecretSize: 20,
		Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm, Rand: rand.Reader,
	})
	if err != nil {
		return TOTPKey{}, err
	}
	return TOTPKey{Secret: k.Secret(), URI: k.URL()}, nil
}

// ParseTOTPCode reads a code as typed: spaces and hyphens are dropped
// ("123 456"); what is left must be exactly TOTPDigits ASCII digits.
func ParseTOTPCode(s string) (string, bool) {
	if len(s) > 32 {
		return "", false
	}
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == ' ' || c == '-' || c == '\t':
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		default:
			return "", false
		}
	}
	if b.Len() != TOTPDigits {
		return "", false
	}
	return b.String(), true
}

// CheckTOTP reports whether code (as ParseTOTPCode returns it) is the
// secret's code at now, or one step before or after, and returns the time
// step (Unix time / 30 s) it belongs to. The caller records accepted steps
// to refuse a replay. Every candidate is computed and compared in constant
// time, so the answer takes as long whichever step matches.
func CheckTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	found := 0
	for i := -TOTPSkew; i <= TOTPSkew; i++ {
		t := now.Add(time.Duration(i) * TOTPPeriod)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && found == 0 {
			found = 1
			step = TOTPStep(t)
		}
	}
	return step, found == 1
}

// TOTPCode returns the secret's code at t (for tests and tools).
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts)
}

// TOTPStep returns the RFC 6238 time step t falls in.
func TOTPStep(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// QRDataURL returns a PNG QR code of text as a data: URL
// (data:image/png;base64,...), for an <img> that needs no other request.
func QRDataURL(text string) (string, error) {
	png, err := qrcode.Encode(text, qrcode.Medium, 256)
	if err != nil {
		return "", err
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		return "", errors.New("mfa: the QR encoder did not make a PNG")
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), nil
}
