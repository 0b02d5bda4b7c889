package authapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/token"
)

// Passkeys (WebAuthn Level 3, with github.com/go-webauthn/webauthn): a
// signed-in user registers one after a step-up for "add-factor"; anyone
// signs in with one without a password (discoverable credentials, and the
// browser's autofill "conditional" UI on the sign-in page); a passkey is
// also a second factor, for step-up and for the second step of a sign-in.
//
// A passkey is a latch.FactorRecord of kind "passkey" whose ID is the
// base64url credential id, so that an assertion finds its passkey by the id
// the authenticator returns. Its Data (passkeyData, JSON) holds the public
// key, the signature counter and the flags: nothing secret.
//
// The user handle given to authenticators is 32 random bytes per user, never
// the email or the user id; it is kept in every passkey of the user (the
// first registration makes it, later ones reuse it), and a sign-in checks
// that the handle the authenticator returns is the passkey's.
//
// Challenges, each single use and valid passkeyChallengeLifetime:
//   - Registration: an IDTokens token (kind "passkey-registration", stored
//     hashed, taken atomically) bound to the session; its value is the
//     WebAuthn challenge itself, so the verify step needs no other id.
//   - Assertions (sign-in, step-up, second step): the user is not known
//     until the authenticator answers, and a token needs a user, so the
//     challenge is sealed state (purpose and expiry, AES-GCM with the
//     handler's keyring) that the options endpoint stores nowhere. The
//     assertion that answers it is accepted once: its digest is put in the
//     token store under the passkey's user (kind "passkey-assertion"), and
//     a second put of the same challenge fails atomically (ErrDuplicate).

// The security activity a passkey records.
const (
	evPasskeyAdded   = "passkey-added"
	evPasskeyRenamed = "passkey-renamed"
	evPasskeyRemoved = "passkey-removed"
)

// passkeyChallengeLifetime is how long a passkey challenge is valid.
const passkeyChallengeLifetime = 5 * time.Minute

// Token kinds of the passkey challenges.
const (
	passkeyRegistrationKind = "passkey-registration"
	passkeyAssertionKind    = "passkey-assertion"
)

// Purposes of an assertion challenge (POST /api/auth/passkey/sign-in/options
// {purpose}): "sign-in" answers /passkey/sign-in/verify; "factor" answers a
// step-up (method "passkey") or the second step of a sign-in.
const (
	passkeyPurposeSignIn = "sign-in"
	passkeyPurposeFactor = "factor"
)

// The passkey errors.
var (
	ErrPasskeysUnavailable   = newError(http.StatusNotFound, "PASSKEYS_UNAVAILABLE", "passkeys are not available here: the server's relying-party id is not a domain name (set Config.WebAuthnRPID)")
	ErrPasskeyInvalid        = newError(http.StatusBadRequest, "PASSKEY_INVALID", "the passkey response is malformed or does not verify")
	ErrPasskeyChallenge      = newError(http.StatusBadRequest, "PASSKEY_CHALLENGE_INVALID", "the passkey challenge is unknown, expired or already used: start again")
	ErrPasskeyUnknown        = newError(http.StatusBadRequest, "PASSKEY_UNKNOWN", "this passkey is not registered here")
	ErrPasskeyCounter        = newError(http.StatusBadRequest, "PASSKEY_COUNTER", "the authenticator's signature counter went backwards: this passkey may have been copied")
	ErrPasskeyExists         = newError(http.StatusConflict, "PASSKEY_EXISTS", "this passkey is registered already")
	ErrInvalidPasskeyName    = newError(http.StatusBadRequest, "INVALID_PASSKEY_NAME", "a passkey's name must have 1 to 64 characters, without control characters")
	ErrInvalidPasskeyPurpose = newError(http.StatusBadRequest, "INVALID_PURPOSE", `purpose must be "sign-in" or "factor"`)
)

// passkeyData is a passkey's credential as stored in FactorRecord.Data.
type passkeyData struct {
	PublicKey         []byte   `json:"publicKey"` // COSE key, as the library keeps it
	SignCount         uint32   `json:"signCount"`
	AAGUID            []byte   `json:"aaguid,omitempty"`
	Transports        []string `json:"transports,omitempty"`
	BackupEligible    bool     `json:"backupEligible"`
	BackupState       bool     `json:"backupState"`
	UserVerified      bool     `json:"userVerified"`
	UserHandle        []byte   `json:"userHandle"`
	AttestationType   string   `json:"attestationType,omitempty"`
	AttestationFormat string   `json:"attestationFormat,omitempty"`
}

// passkeyState is the handler's WebAuthn relying party.
type passkeyState struct {
	wa *webauthn.WebAuthn // nil: passkeys are off
	// keys seals assertion challenges: Config.Keyring, or a key of this
	// process when none is given (then challenges do not cross instances).
	keys *mfa.Keyring
	regs *token.IDTokens
}

// initPasskeys sets up the relying party: the RP id is Config.WebAuthnRPID,
// else the base URL's host; the origins are the base URL's and
// Config.WebAuthnOrigins. WebAuthn refuses IP addresses as RP ids: with an
// IP base URL and no WebAuthnRPID, passkeys are off (PASSKEYS_UNAVAILABLE).
func (h *Handler) initPasskeys(cfg Config) error {
	base, _ := url.Parse(h.baseURL)
	rpID := strings.ToLower(cfg.WebAuthnRPID)
	if rpID == "" {
		rpID = strings.ToLower(base.Hostname())
		if net.ParseIP(rpID) != nil {
			return nil
		}
	} else if net.ParseIP(rpID) != nil || protocol.ValidateRPID(rpID) != nil {
		return fmt.Errorf("authapi: Config.WebAuthnRPID %q: want a domain name", cfg.WebAuthnRPID)
	}
	if protocol.ValidateRPID(rpID) != nil {
		return nil
	}
	origins := []string{base.Scheme + "://" + base.Host}
	for _, o := range cfg.WebAuthnOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("authapi: Config.WebAuthnOrigins %q: want an origin such as https://app.example.com", o)
		}
		origins = append(origins, u.Scheme+"://"+u.Host)
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          rpID,
		RPDisplayName: rpID,
		RPOrigins:     origins,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationPreferred,
		},
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: passkeyChallengeLifetime, TimeoutUVD: passkeyChallengeLifetime},
			Registration: webauthn.TimeoutConfig{Timeout: passkeyChallengeLifetime, TimeoutUVD: passkeyChallengeLifetime},
		},
	})
	if err != nil {
		return fmt.Errorf("authapi: WebAuthn relying party: %w", err)
	}
	keys := h.keyring
	if keys == nil {
		k, err := mfa.GenerateKey()
		if err == nil {
			keys, err = mfa.ParseKeyring(k)
		}
		if err != nil {
			return fmt.Errorf("authapi: passkey challenge key: %w", err)
		}
	}
	regs, err := token.NewIDTokens(h.auth, passkeyRegistrationKind, token.IDTokenOptions{ExpiresIn: passkeyChallengeLifetime})
	if err != nil {
		return kindClash("passkey registrations", err)
	}
	if err := h.auth.RegisterTokenKind(passkeyAssertionKind); err != nil {
		return fmt.Errorf("authapi: passkey assertions: %w", err)
	}
	h.passkeys = passkeyState{wa: wa, keys: keys, regs: regs}
	h.registerFactor(latch.FactorPasskey, secondFactor{has: func(_ context.Context, _ string, fs []latch.FactorRecord) (bool, error) {
		return hasKind(fs, latch.FactorPasskey), nil
	}, verify: h.verifyPasskeyFactor})
	return nil
}

func (h *Handler) passkeysOn() error {
	if h.passkeys.wa == nil || !h.auth.HasFactors() {
		return ErrPasskeysUnavailable
	}
	return nil
}

// passkeyRoutes adds the passkey endpoints.
func (h *Handler) passkeyRoutes(a func(string, methods)) {
	a("/api/auth/passkey/register/options", methods{"POST": h.passkeyRegisterOptions})
	a("/api/auth/passkey/register/verify", methods{"POST": h.passkeyRegisterVerify})
	a("/api/auth/passkey/sign-in/options", methods{"POST": h.passkeySignInOptions})
	a("/api/auth/passkey/sign-in/verify", methods{"POST": h.passkeySignInVerify})
	a("/api/auth/passkeys", methods{"GET": h.listPasskeys})
	a("/api/auth/passkeys/{id}", methods{"PATCH": h.renamePasskey, "DELETE": h.deletePasskey})
}

// passkeyUser is a user as go-webauthn sees it.
type passkeyUser struct {
	handle []byte
	name   string
	creds  []webauthn.Credential
}

func (u passkeyUser) WebAuthnID() []byte                         { return u.handle }
func (u passkeyUser) WebAuthnName() string                       { return u.name }
func (u passkeyUser) WebAuthnDisplayName() string                { return u.name }
func (u passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func (d passkeyData) credential(id []byte) webauthn.Credential {
	c := webauthn.Credential{
		ID: id, PublicKey: d.PublicKey, AttestationType: d.AttestationType, AttestationFormat: d.AttestationFormat,
		Flags:         webauthn.CredentialFlags{UserPresent: true, UserVerified: d.UserVerified, BackupEligible: d.BackupEligible, BackupState: d.BackupState},
		Authenticator: webauthn.Authenticator{AAGUID: d.AAGUID, SignCount: d.SignCount},
	}
	for _, t := range d.Transports {
		c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
	}
	return c
}

// userPasskeys returns the user's passkeys with their decoded data.
func (h *Handler) userPasskeys(ctx context.Context, userID string) ([]latch.FactorRecord, []passkeyData, error) {
	fs, err := h.auth.ListFactors(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	var recs []latch.FactorRecord
	var data []passkeyData
	for _, f := range fs {
		if f.Kind != latch.FactorPasskey {
			continue
		}
		var d passkeyData
		if err := json.Unmarshal(f.Data, &d); err != nil {
			return nil, nil, fmt.Errorf("authapi: passkey %s: stored data: %w", f.ID, err)
		}
		recs, data = append(recs, f), append(data, d)
	}
	return recs, data, nil
}

// ---- registration ----

type passkeyRegOptionsRequest struct {
	StepUpToken string `json:"stepUpToken"`
}

// passkeyRegistration is kept with a registration challenge.
type passkeyRegistration struct {
	SessionID string `json:"sid"`
	Handle    []byte `json:"handle"`
}

// passkeyRegisterOptions answers the creation options for a new passkey of
// the signed-in user, after a step-up for "add-factor".
func (h *Handler) passkeyRegisterOptions(w http.ResponseWriter, r *http.Request) error {
	if err := h.passkeysOn(); err != nil {
		return err
	}
	var req passkeyRegOptionsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	if err := h.takeStepUp(r.Context(), s, ActionAddFactor, req.StepUpToken); err != nil {
		return err
	}
	recs, data, err := h.userPasskeys(r.Context(), s.UserID)
	if err != nil {
		return err
	}
	user := passkeyUser{name: s.User.Attributes.String(attrEmail)}
	if user.name == "" {
		user.name = s.UserID
	}
	if len(data) > 0 {
		user.handle = data[0].UserHandle
	} else if user.handle, err = randomBytes(32); err != nil {
		return err
	}
	var exclude []protocol.CredentialDescriptor
	for i, f := range recs {
		id, err := base64.RawURLEncoding.DecodeString(f.ID)
		if err != nil {
			continue
		}
		c := data[i].credential(id)
		exclude = append(exclude, c.Descriptor())
	}
	binding, err := json.Marshal(passkeyRegistration{SessionID: s.ID, Handle: user.handle})
	if err != nil {
		return err
	}
	tok, err := h.passkeys.regs.IssueWithData(r.Context(), s.UserID, binding)
	if err != nil {
		return err
	}
	// The token's value is the challenge: the verify step finds the token
	// by the challenge the browser signed.
	creation, _, err := h.passkeys.wa.BeginRegistration(user,
		webauthn.WithExclusions(exclude),
		func(o *protocol.PublicKeyCredentialCreationOptions) error {
			o.Challenge = []byte(tok.String())
			return nil
		})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, creation)
	return nil
}

type passkeyVerifyRequest struct {
	Credential json.RawMessage `json:"credential"`
	Name       string          `json:"name,omitempty"`
}

// passkeyJSON is a passkey as the API shows it.
type passkeyJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	// Synced: the passkey may be copied to the user's other devices
	// (backup eligible); otherwise it is bound to one authenticator.
	Synced     bool     `json:"synced"`
	Transports []string `json:"transports,omitempty"`
}

func toPasskeyJSON(f latch.FactorRecord, d passkeyData) passkeyJSON {
	out := passkeyJSON{ID: f.ID, Name: f.Name, CreatedAt: time.UnixMilli(f.CreatedAt).UTC(), Synced: d.BackupEligible, Transports: d.Transports}
	if f.LastUsedAt > 0 {
		t := time.UnixMilli(f.LastUsedAt).UTC()
		out.LastUsedAt = &t
	}
	return out
}

// passkeyRegisterVerify checks the authenticator's answer to a
// registration challenge and stores the new passkey.
func (h *Handler) passkeyRegisterVerify(w http.ResponseWriter, r *http.Request) error {
	if err := h.passkeysOn(); err != nil {
		return err
	}
	var req passkeyVerifyRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	name, err := passkeyName(req.Name, true)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(req.Credential)
	if err != nil {
		h.debug(r.Context(), "passkey registration unparsable", "err", err)
		return ErrPasskeyInvalid
	}
	challenge, err := base64.RawURLEncoding.DecodeString(parsed.Response.CollectedClientData.Challenge)
	if err != nil || len(challenge) == 0 || len(challenge) > token.MaxLength {
		return ErrPasskeyChallenge
	}
	tok, raw, err := h.passkeys.regs.ValidateWithData(r.Context(), string(challenge))
	if errors.Is(err, token.ErrInvalidToken) || errors.Is(err, token.ErrExpiredToken) {
		return ErrPasskeyChallenge
	}
	if err != nil {
		return err
	}
	var reg passkeyRegistration
	if json.Unmarshal(raw, &reg) != nil || tok.UserID != s.UserID || subtle.ConstantTimeCompare([]byte(reg.SessionID), []byte(s.ID)) != 1 {
		return ErrPasskeyChallenge
	}
	recs, data, err := h.userPasskeys(r.Context(), s.UserID)
	if err != nil {
		return err
	}
	if len(data) > 0 && !bytes.Equal(data[0].UserHandle, reg.Handle) {
		// Another registration finished first with a new handle: this
		// one's authenticator holds a handle the user no longer has.
		return ErrPasskeyChallenge
	}
	user := passkeyUser{handle: reg.Handle}
	for i, f := range recs {
		if id, err := base64.RawURLEncoding.DecodeString(f.ID); err == nil {
			user.creds = append(user.creds, data[i].credential(id))
		}
	}
	session := webauthn.SessionData{
		Challenge: parsed.Response.CollectedClientData.Challenge, RelyingPartyID: h.passkeys.wa.Config.RPID,
		UserID: reg.Handle, UserVerification: protocol.VerificationPreferred, CredParams: webauthn.CredentialParametersDefault(),
	}
	cred, err := h.passkeys.wa.CreateCredential(user, session, parsed)
	if err != nil {
		h.debug(r.Context(), "passkey registration refused", "err", err)
		return ErrPasskeyInvalid
	}
	d := passkeyData{
		PublicKey: cred.PublicKey, SignCount: cred.Authenticator.SignCount, AAGUID: cred.Authenticator.AAGUID,
		BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState, UserVerified: cred.Flags.UserVerified,
		UserHandle: reg.Handle, AttestationType: cred.AttestationType, AttestationFormat: cred.AttestationFormat,
	}
	for _, t := range cred.Transport {
		d.Transports = append(d.Transports, string(t))
	}
	if name == "" {
		name = aaguidName(d.AAGUID)
	}
	blob, err := json.Marshal(d)
	if err != nil {
		return err
	}
	// The passkey, its undo link and the notice commit together.
	var (
		f      latch.FactorRecord
		issued string
	)
	err = h.auth.InTx(r.Context(), func(ctx context.Context) error {
		var err error
		f, err = h.auth.CreateFactor(ctx, latch.FactorRecord{
			ID: base64.RawURLEncoding.EncodeToString(cred.ID), UserID: s.UserID, Kind: latch.FactorPasskey, Name: name, Data: blob,
		})
		if err != nil {
			return err
		}
		issued, err = h.undoNoticeInTx(ctx, s.User, AccountChange{Field: UndoMethod, Method: "passkey", Added: true, AddedFactor: f.ID})
		return err
	})
	if errors.Is(err, latch.ErrDuplicate) {
		return ErrPasskeyExists
	}
	if err != nil {
		return err
	}
	h.record(r, s.UserID, evPasskeyAdded, f.Name)
	h.noticeQueued(r.Context(), s.UserID, issued)
	writeJSON(w, http.StatusOK, map[string]any{"passkey": toPasskeyJSON(f, d)})
	return nil
}

// ---- assertions: sign-in and factor ----

type passkeyOptionsRequest struct {
	Purpose string `json:"purpose,omitempty"`
}

// passkeyChallenge is the sealed state of an assertion challenge.
type passkeyChallenge struct {
	Purpose string `json:"p"`
	Expires int64  `json:"e"` // ms
}

const passkeyChallengeAD = "latch passkey assertion challenge"

// passkeySignInOptions answers request options with a fresh challenge for
// a discoverable-credential assertion (no allowCredentials).
func (h *Handler) passkeySignInOptions(w http.ResponseWriter, r *http.Request) error {
	if err := h.passkeysOn(); err != nil {
		return err
	}
	var req passkeyOptionsRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
	}
	switch req.Purpose {
	case "":
		req.Purpose = passkeyPurposeSignIn
	case passkeyPurposeSignIn, passkeyPurposeFactor:
	default:
		return ErrInvalidPasskeyPurpose
	}
	plain, err := json.Marshal(passkeyChallenge{Purpose: req.Purpose, Expires: h.auth.Now().Add(passkeyChallengeLifetime).UnixMilli()})
	if err != nil {
		return err
	}
	sealed, err := h.passkeys.keys.Seal(plain, []byte(passkeyChallengeAD))
	if err != nil {
		return err
	}
	assertion, _, err := h.passkeys.wa.BeginDiscoverableLogin(webauthn.WithChallenge(sealed), webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, assertion)
	return nil
}

// passkeyAssertion is a verified assertion.
type passkeyAssertion struct {
	factor latch.FactorRecord
	amr    []string
}

// checkAssertion verifies an assertion made for the purpose, by a passkey
// of wantUser when it is not "", and consumes its challenge. It never
// returns a 500 for bad input: every refusal is an *Error with a 400.
func (h *Handler) checkAssertion(r *http.Request, raw []byte, purpose, wantUser string) (passkeyAssertion, error) {
	ctx := r.Context()
	parsed, err := protocol.ParseCredentialRequestResponseBytes(raw)
	if err != nil {
		h.debug(ctx, "passkey assertion unparsable", "err", err)
		return passkeyAssertion{}, ErrPasskeyInvalid
	}
	challenge, err := base64.RawURLEncoding.DecodeString(parsed.Response.CollectedClientData.Challenge)
	if err != nil || len(challenge) > 1024 {
		return passkeyAssertion{}, ErrPasskeyChallenge
	}
	plain, err := h.passkeys.keys.Open(challenge, []byte(passkeyChallengeAD))
	var ch passkeyChallenge
	if err != nil || json.Unmarshal(plain, &ch) != nil || ch.Purpose != purpose || h.auth.Now().UnixMilli() >= ch.Expires {
		return passkeyAssertion{}, ErrPasskeyChallenge
	}
	id := base64.RawURLEncoding.EncodeToString(parsed.RawID)
	f, err := h.auth.GetFactor(ctx, id)
	if errors.Is(err, latch.ErrNotFound) || (err == nil && (f.Kind != latch.FactorPasskey || (wantUser != "" && f.UserID != wantUser))) {
		return passkeyAssertion{}, ErrPasskeyUnknown
	}
	if err != nil {
		return passkeyAssertion{}, err
	}
	var d passkeyData
	if err := json.Unmarshal(f.Data, &d); err != nil {
		return passkeyAssertion{}, fmt.Errorf("authapi: passkey %s: stored data: %w", f.ID, err)
	}
	if len(parsed.Response.UserHandle) == 0 || subtle.ConstantTimeCompare(parsed.Response.UserHandle, d.UserHandle) != 1 {
		return passkeyAssertion{}, ErrPasskeyUnknown
	}
	user := passkeyUser{handle: d.UserHandle, creds: []webauthn.Credential{d.credential(parsed.RawID)}}
	session := webauthn.SessionData{
		Challenge: parsed.Response.CollectedClientData.Challenge, RelyingPartyID: h.passkeys.wa.Config.RPID,
		UserVerification: protocol.VerificationPreferred,
	}
	_, cred, err := h.passkeys.wa.ValidatePasskeyLogin(func([]byte, []byte) (webauthn.User, error) { return user, nil }, session, parsed)
	if err != nil {
		h.debug(ctx, "passkey assertion refused", "passkey", f.ID, "err", err)
		return passkeyAssertion{}, ErrPasskeyInvalid
	}
	// One use per challenge, across instances: the store refuses a second
	// record of the same digest.
	count := parsed.Response.AuthenticatorData.Counter
	digest := sha256.Sum256(challenge)
	err = h.auth.TokenStore().PutToken(ctx, latch.TokenRecord{
		Kind: passkeyAssertionKind, ID: hex.EncodeToString(digest[:]), UserID: f.UserID, Expires: ch.Expires,
	})
	if errors.Is(err, latch.ErrDuplicate) {
		h.log.WarnContext(ctx, "passkey assertion replayed: refused", "user", f.UserID, "passkey", f.ID)
		return passkeyAssertion{}, ErrPasskeyChallenge
	}
	if err != nil {
		return passkeyAssertion{}, err
	}
	// The signature counter: an authenticator that keeps one must report
	// more than last time; a synced passkey always reports 0.
	if count != 0 && count <= d.SignCount {
		h.log.WarnContext(ctx, "passkey signature counter went backwards: refused (the passkey may be cloned)",
			"user", f.UserID, "passkey", f.ID, "stored", d.SignCount, "got", count)
		return passkeyAssertion{}, ErrPasskeyCounter
	}
	if count > d.SignCount {
		d.SignCount = count
	}
	d.BackupState = cred.Flags.BackupState
	d.UserVerified = d.UserVerified || cred.Flags.UserVerified
	if f.Data, err = json.Marshal(d); err != nil {
		return passkeyAssertion{}, err
	}
	f.LastUsedAt = h.auth.Now().UnixMilli()
	if err := h.auth.UpdateFactor(ctx, f); err != nil {
		return passkeyAssertion{}, err
	}
	// RFC 8176: a synced passkey is a software-secured key, a device-bound
	// one a hardware-secured key; with user verification it is two
	// factors in one.
	amr := []string{"hwk"}
	if d.BackupEligible {
		amr = []string{"swk"}
	}
	if parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		amr = append(amr, "user", "mfa")
	}
	return passkeyAssertion{factor: f, amr: amr}, nil
}

// passkeySignInVerify signs in with a passkey's assertion.
func (h *Handler) passkeySignInVerify(w http.ResponseWriter, r *http.Request) error {
	if err := h.passkeysOn(); err != nil {
		return err
	}
	var req passkeyVerifyRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	ipKey := "sign-in:ip:" + h.clientIP(r)
	wait, err := h.ipLimit.Attempt(r.Context(), ipKey)
	if err != nil {
		return err
	}
	if wait > 0 {
		return ErrTooManyRequests.withRetry(wait)
	}
	a, err := h.checkAssertion(r, req.Credential, passkeyPurposeSignIn, "")
	if err != nil {
		return err
	}
	h.refund(r.Context(), h.ipLimit, ipKey)
	// With user verification the passkey is two factors (amr has "mfa");
	// without, it is one, and the user's other factors (TOTP, say) follow
	// in the second step. A user whose only factors are passkeys gets an
	// AAL 1 session: asking for a passkey again would prove nothing more.
	var (
		s latch.Session
		p *pendingSignIn
	)
	others, err := h.userFactors(r.Context(), a.factor.UserID)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(others, func(m string) bool { return m != latch.FactorPasskey }) || slices.Contains(a.amr, amrMFA) {
		s, p, err = h.signInOrSecondFactor(w, r, a.factor.UserID, a.amr)
	} else {
		s, err = h.auth.CreateSession(r.Context(), latch.CreateSessionOptions{UserID: a.factor.UserID, Attributes: h.sessionDetails(r), AMR: a.amr})
		if err == nil {
			h.sessionStarted(w, r, s)
		}
	}
	if err != nil {
		return err
	}
	if p == nil {
		h.record(r, s.UserID, evSignIn, "passkey")
	}
	writeSignIn(w, r, http.StatusOK, s, p)
	return nil
}

// verifyPasskeyFactor checks a passkey as a second factor (step-up method
// "passkey", or the second step of a sign-in): p.Assertion answers a
// challenge from POST /api/auth/passkey/sign-in/options {"purpose":"factor"}
// and must come from one of the user's passkeys.
func (h *Handler) verifyPasskeyFactor(r *http.Request, userID string, p factorProof) ([]string, error) {
	if len(p.Assertion) == 0 {
		return nil, ErrPasskeyInvalid
	}
	// An assertion cannot be guessed, but a wrong proof counts per IP as
	// every other factor's does (given back on success).
	ipKey := "sign-in:ip:" + h.clientIP(r)
	wait, err := h.ipLimit.Attempt(r.Context(), ipKey)
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		return nil, ErrTooManyRequests.withRetry(wait)
	}
	a, err := h.checkAssertion(r, p.Assertion, passkeyPurposeFactor, userID)
	if err != nil {
		return nil, err
	}
	h.refund(r.Context(), h.ipLimit, ipKey)
	return a.amr, nil
}

// ---- list, rename, delete ----

func (h *Handler) listPasskeys(w http.ResponseWriter, r *http.Request) error {
	if err := h.passkeysOn(); err != nil {
		return err
	}
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	recs, data, err := h.userPasskeys(r.Context(), s.UserID)
	if err != nil {
		return err
	}
	out := make([]passkeyJSON, 0, len(recs))
	for i, f := range recs {
		out = append(out, toPasskeyJSON(f, data[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"passkeys": out})
	return nil
}

// ownPasskey returns the signed-in user's passkey of the path's id, or
// ErrNotFound (another user's passkey is not found either).
func (h *Handler) ownPasskey(r *http.Request) (latch.Session, latch.FactorRecord, error) {
	s, err := currentSession(r)
	if err != nil {
		return latch.Session{}, latch.FactorRecord{}, err
	}
	f, err := h.auth.GetFactor(r.Context(), r.PathValue("id"))
	if errors.Is(err, latch.ErrNotFound) || (err == nil && (f.UserID != s.UserID || f.Kind != latch.FactorPasskey)) {
		return s, latch.FactorRecord{}, ErrNotFound
	}
	return s, f, err
}

func (h *Handler) renamePasskey(w http.ResponseWriter, r *http.Request) error {
	if err := h.passkeysOn(); err != nil {
		return err
	}
	var req struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	name, err := passkeyName(req.Name, false)
	if err != nil {
		return err
	}
	s, f, err := h.ownPasskey(r)
	if err != nil {
		return err
	}
	f.Name = name
	if err := h.auth.UpdateFactor(r.Context(), f); err != nil {
		return err
	}
	var d passkeyData
	_ = json.Unmarshal(f.Data, &d)
	h.record(r, s.UserID, evPasskeyRenamed, f.Name)
	writeJSON(w, http.StatusOK, map[string]any{"passkey": toPasskeyJSON(f, d)})
	return nil
}

// deletePasskey removes a passkey: the "remove-factor" action, which takes
// a step-up token.
func (h *Handler) deletePasskey(w http.ResponseWriter, r *http.Request) error {
	if err := h.passkeysOn(); err != nil {
		return err
	}
	var req struct {
		StepUpToken string `json:"stepUpToken"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, f, err := h.ownPasskey(r)
	if err != nil {
		return err
	}
	if err := h.takeStepUp(r.Context(), s, ActionRemoveFactor, req.StepUpToken); err != nil {
		return err
	}
	var issued string
	err = h.auth.InTx(r.Context(), func(ctx context.Context) error {
		if err := h.auth.DeleteFactor(ctx, f.ID); err != nil {
			return err
		}
		var err error
		issued, err = h.undoNoticeInTx(ctx, s.User, AccountChange{Field: UndoMethod, Method: "passkey"})
		return err
	})
	if err != nil {
		return err
	}
	h.record(r, s.UserID, evPasskeyRemoved, f.Name)
	h.noticeQueued(r.Context(), s.UserID, issued)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// passkeyName checks a passkey's name: 1 to 64 characters without control
// or format characters ("" is allowed when optional).
func passkeyName(name string, optional bool) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" && optional {
		return "", nil
	}
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > latch.MaxFactorNameLength ||
		strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) {
		return "", ErrInvalidPasskeyName
	}
	return name, nil
}

// knownAAGUIDs names the passkey providers most people have, for the
// default name of a new passkey.
var knownAAGUIDs = map[string]string{
	"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": "Google Password Manager",
	"fbfc3007-154e-4ecc-8c0b-6e020557d7bd": "iCloud Keychain",
	"08987058-cadc-4b81-b6e1-30de50dcbe96": "Windows Hello",
	"bada5566-a7aa-401f-bd96-45619a55120d": "1Password",
	"d548826e-79b4-db40-a3d8-11116f7e8349": "Bitwarden",
}

func aaguidName(aaguid []byte) string {
	if len(aaguid) == 16 {
		h := hex.EncodeToString(aaguid)
		if n, ok := knownAAGUIDs[h[0:8]+"-"+h[8:12]+"-"+h[12:16]+"-"+h[16:20]+"-"+h[20:32]]; ok {
			return n
		}
	}
	return "Passkey"
}

func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return b, nil
}

//go:embed static/passkeys.js
var passkeysJS []byte

// passkeysJS serves the script of the passkey buttons.
func (h *Handler) passkeysJS(w http.ResponseWriter, r *http.Request) {
	setRoute(r)
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(passkeysJS)
}
