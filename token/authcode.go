package token

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/latchauth/latch"
)

// AuthorizationCodeOptions configure AuthorizationCodes.
type AuthorizationCodeOptions struct {
	// ExpiresIn is how long a code stays valid. Default 2 minutes: the
	// code only travels from the browser to a program on the same machine.
	ExpiresIn time.Duration
	// Length is the number of characters of a code. Default 43 (about 256
	// bits from a-zA-Z0-9).
	Length int
	// Storage is Hashed (the default), Plain or CustomHash.
	Storage Storage
}

// AuthorizationCodes are the single-use codes of the OAuth 2.0
// authorization code flow with PKCE (RFC 7636) for native and command-line
// apps (RFC 8252): the server, where the user is signed in, issues a code
// bound to the user, to the app's S256 code challenge and to its loopback
// redirect URI; the app exchanges it, with the code verifier and the same
// redirect URI, for a session of its own. It is safe for concurrent use.
type AuthorizationCodes struct {
	h      handler
	length int
}

// NewAuthorizationCodes returns the handler of authorization codes named
// name. A second handler with the same name on the same Auth is an error.
func NewAuthorizationCodes(auth *latch.Auth, name string, opts AuthorizationCodeOptions) (*AuthorizationCodes, error) {
	c := config{ctor: "NewAuthorizationCodes", opts: "AuthorizationCodeOptions", name: name}
	if opts.ExpiresIn == 0 {
		opts.ExpiresIn = 2 * time.Minute
	}
	h, err := newHandler(auth, c, opts.ExpiresIn, opts.Storage)
	if err != nil {
		return nil, err
	}
	length, err := checkLength(c, opts.Storage, opts.Length, 43)
	if err != nil {
		return nil, err
	}
	a := &AuthorizationCodes{h: h, length: length}
	if err := h.register(c); err != nil {
		return nil, err
	}
	return a, nil
}

// Name returns the handler's name, the Kind of its codes.
func (a *AuthorizationCodes) Name() string { return a.h.kind }

// InvalidateAllUserTokens deletes the user's open codes, as every cleanup
// of an account does (a password reset, a claim of its mailbox). It
// succeeds whatever the user id.
func (a *AuthorizationCodes) InvalidateAllUserTokens(ctx context.Context, userID string) error {
	return a.h.invalidateAll(ctx, userID)
}

// codeBinding is what a code is bound to, kept with it in the store.
type codeBinding struct {
	Challenge   string `json:"c"`
	RedirectURI string `json:"r"`
}

// Issue creates a code for the user of the session, bound to that session,
// to the S256 code challenge (ValidCodeChallenge) and to the redirect URI.
// The session must be alive (only its ID is read); Exchange refuses the
// code once the session has ended, so signing out, a password reset or
// any cleanup that ends the user's sessions also voids the codes they
// issued. A dead or unknown session is latch.ErrInvalidSessionID; a
// malformed challenge or an empty redirect URI is latch.ErrInvalidRequest.
func (a *AuthorizationCodes) Issue(ctx context.Context, session latch.Session, challenge, redirectURI string) (Token, error) {
	const op = "issue"
	if !ValidCodeChallenge(challenge) {
		return Token{}, a.h.wrap(op, fmt.Errorf("the code challenge is not a base64url SHA-256 (43 characters): %w", latch.ErrInvalidRequest))
	}
	if redirectURI == "" || len(redirectURI) > MaxLength {
		return Token{}, a.h.wrap(op, fmt.Errorf("the redirect URI is empty or longer than %d bytes: %w", MaxLength, latch.ErrInvalidRequest))
	}
	live, err := a.h.auth.GetSessionByID(ctx, session.ID)
	if err != nil {
		return Token{}, a.h.wrap(op, err)
	}
	data, err := json.Marshal(codeBinding{Challenge: challenge, RedirectURI: redirectURI})
	if err != nil {
		return Token{}, a.h.wrap(op, err)
	}
	gen := func() (string, error) { return latch.RandomString(a.length, latch.AlphabetAlphanumeric) }
	return a.h.put(ctx, op, live.UserID, live.ID, gen, func(string) ([]byte, error) { return data, nil })
}

// Exchange consumes the code and returns it (with the SessionID of the
// session it was issued from) when the verifier matches its
// challenge (base64url(SHA-256(verifier)), compared in constant time) and
// the redirect URI is the one it was issued for. The code is used up
// whatever the outcome, so a wrong verifier cannot be followed by a right
// one. An unknown or used code, a wrong verifier or redirect URI, or a
// code whose session has ended since is ErrInvalidToken; an expired code
// is ErrExpiredToken.
func (a *AuthorizationCodes) Exchange(ctx context.Context, value, verifier, redirectURI string) (Token, error) {
	const op = "exchange"
	rec, expired, err := a.h.take(ctx, op, value, "")
	if err != nil {
		return Token{}, err
	}
	if expired {
		return Token{}, a.h.wrap(op, ErrExpiredToken)
	}
	var b codeBinding
	if err := json.Unmarshal(rec.Data, &b); err != nil || b.Challenge == "" {
		return Token{}, a.h.wrap(op, ErrInvalidToken)
	}
	challengeOK := ValidCodeVerifier(verifier) &&
		subtle.ConstantTimeCompare([]byte(CodeChallengeS256(verifier)), []byte(b.Challenge)) == 1
	redirectOK := subtle.ConstantTimeCompare([]byte(redirectURI), []byte(b.RedirectURI)) == 1
	if !challengeOK || !redirectOK || rec.SessionID == "" {
		return Token{}, a.h.wrap(op, ErrInvalidToken)
	}
	s, err := a.h.auth.GetSessionByID(ctx, rec.SessionID)
	switch {
	case errors.Is(err, latch.ErrInvalidSessionID):
		return Token{}, a.h.wrap(op, ErrInvalidToken)
	case err != nil:
		return Token{}, a.h.wrap(op, err)
	case s.UserID != rec.UserID:
		return Token{}, a.h.wrap(op, ErrInvalidToken)
	}
	return Token{Kind: a.h.kind, UserID: rec.UserID, ExpiresAt: msTime(rec.Expires), SessionID: s.ID, value: value}, nil
}

// CodeChallengeS256 returns the S256 code challenge of a verifier:
// base64url(SHA-256(verifier)) without padding (RFC 7636 §4.2).
func CodeChallengeS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// ValidCodeVerifier reports whether v is a PKCE code verifier: 43 to 128
// characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1).
func ValidCodeVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// ValidCodeChallenge reports whether c can be an S256 code challenge: the
// unpadded base64url of 32 bytes, 43 characters.
func ValidCodeChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	return err == nil && len(b) == sha256.Size
}
