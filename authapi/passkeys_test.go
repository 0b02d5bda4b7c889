package authapi_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/store/memory"
	"github.com/latchauth/latch/throttle"
)

// softAuthenticator is a WebAuthn authenticator in Go for the API tests:
// a P-256 key, a signature counter, and the flags it sets. (The browser
// test uses Chromium's own virtual authenticator.)
type softAuthenticator struct {
	t      testing.TB
	key    *ecdsa.PrivateKey
	id     []byte
	handle []byte
	count  uint32
	rpID   string
	origin string
	uv     bool // user verified
	synced bool // backup eligible and backed up
}

func newSoftAuthenticator(t testing.TB, base string) *softAuthenticator {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	host := strings.TrimPrefix(base, "http://")
	host = host[:strings.LastIndexByte(host, ':')]
	return &softAuthenticator{t: t, key: key, id: id, rpID: host, origin: base, uv: true}
}

var b64 = base64.RawURLEncoding

func (a *softAuthenticator) flags(attested bool) byte {
	f := byte(0x01) // UP
	if a.uv {
		f |= 0x04
	}
	if a.synced {
		f |= 0x08 | 0x10
	}
	if attested {
		f |= 0x40
	}
	return f
}

func (a *softAuthenticator) authData(attested bool) []byte {
	rp := sha256.Sum256([]byte(a.rpID))
	out := append(rp[:], a.flags(attested))
	out = binary.BigEndian.AppendUint32(out, a.count)
	if attested {
		pub, err := a.key.PublicKey.ECDH()
		if err != nil {
			a.t.Fatal(err)
		}
		xy := pub.Bytes()[1:]
		cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: xy[:32], -3: xy[32:]})
		if err != nil {
			a.t.Fatal(err)
		}
		out = append(out, make([]byte, 16)...) // AAGUID
		out = binary.BigEndian.AppendUint16(out, uint16(len(a.id)))
		out = append(append(out, a.id...), cose...)
	}
	return out
}

func (a *softAuthenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.origin, "crossOrigin": false})
	return b
}

// create answers creation options (the register/options response).
func (a *softAuthenticator) create(opts *response) json.RawMessage {
	a.t.Helper()
	h, err := b64.DecodeString(opts.str("publicKey", "user", "id"))
	if err != nil {
		a.t.Fatalf("user.id: %v", err)
	}
	a.handle = h
	att, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(true)})
	if err != nil {
		a.t.Fatal(err)
	}
	cd := a.clientData("webauthn.create", opts.str("publicKey", "challenge"))
	return mustJSON(a.t, map[string]any{
		"id": b64.EncodeToString(a.id), "rawId": b64.EncodeToString(a.id), "type": "public-key",
		"response":               map[string]any{"clientDataJSON": b64.EncodeToString(cd), "attestationObject": b64.EncodeToString(att), "transports": []string{"internal"}},
		"clientExtensionResults": map[string]any{},
	})
}

// get answers request options (the sign-in/options response).
func (a *softAuthenticator) get(opts *response) json.RawMessage {
	a.t.Helper()
	return a.getChallenge(opts.str("publicKey", "challenge"))
}

func (a *softAuthenticator) getChallenge(challenge string) json.RawMessage {
	a.count++
	ad := a.authData(false)
	cd := a.clientData("webauthn.get", challenge)
	cdh := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte(nil), ad...), cdh[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		a.t.Fatal(err)
	}
	return mustJSON(a.t, map[string]any{
		"id": b64.EncodeToString(a.id), "rawId": b64.EncodeToString(a.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(ad),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(a.handle),
		},
		"clientExtensionResults": map[string]any{},
	})
}

func mustJSON(t testing.TB, v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// passkeyUser signs up on e and returns its bearer client.
func passkeyUser(t testing.TB, e *env, email string) *client {
	c := e.api()
	r := c.do("POST", "/api/auth/sign-up", map[string]string{"email": email, "password": "correct horse battery"}).want(t, http.StatusCreated, "")
	c.bearer = r.str("token")
	return c
}

// stepUp returns a step-up token for the action, with the password.
func stepUpPassword(t testing.TB, c *client, action string) string {
	return c.do("POST", "/api/auth/step-up", map[string]string{"action": action, "method": "password", "password": "correct horse battery"}).want(t, http.StatusOK, "").str("stepUpToken")
}

// registerSoft registers a's passkey for c's user and returns its id.
func registerSoft(t testing.TB, c *client, a *softAuthenticator, stepUpToken string) string {
	opts := c.do("POST", "/api/auth/passkey/register/options", map[string]string{"stepUpToken": stepUpToken}).want(t, http.StatusOK, "")
	r := c.do("POST", "/api/auth/passkey/register/verify", map[string]any{"credential": a.create(opts)}).want(t, http.StatusOK, "")
	return r.str("passkey", "id")
}

func signInOptions(t testing.TB, c *client, purpose string) *response {
	return c.do("POST", "/api/auth/passkey/sign-in/options", map[string]string{"purpose": purpose}).want(t, http.StatusOK, "")
}

// TestPasskeyAPI walks the JSON API with a software authenticator:
// registration after a step-up, options as WebAuthn wants them, sign-in
// with and without user verification, replay, counter, expiry, a second
// passkey stepped up with the first, rename and delete.
func TestPasskeyAPI(t *testing.T) {
	forEachFactorStoreWith(t, onLocalhost, testPasskeyAPI)
}

func testPasskeyAPI(t *testing.T, e *env) {
	base := localhostURL(e)
	ctx := context.Background()
	c := passkeyUser(t, e, "pk-api@example.com")
	a := newSoftAuthenticator(t, base)

	c.do("POST", "/api/auth/passkey/register/options", map[string]string{}).want(t, http.StatusForbidden, "STEP_UP_REQUIRED")
	opts := c.do("POST", "/api/auth/passkey/register/options", map[string]string{"stepUpToken": stepUpPassword(t, c, authapi.ActionAddFactor)}).want(t, http.StatusOK, "")
	sel := opts.val("publicKey", "authenticatorSelection").(map[string]any)
	if sel["residentKey"] != "required" || sel["userVerification"] != "preferred" || opts.str("publicKey", "rp", "id") != "localhost" {
		t.Fatalf("creation options: %s", opts.raw)
	}
	if h, _ := b64.DecodeString(opts.str("publicKey", "user", "id")); len(h) != 32 || strings.Contains(string(opts.raw), `"id":"pk-api@`) {
		t.Fatalf("user handle must be 32 random bytes, not the email: %s", opts.raw)
	}
	r := c.do("POST", "/api/auth/passkey/register/verify", map[string]any{"credential": a.create(opts), "name": "My key"}).want(t, http.StatusOK, "")
	id := r.str("passkey", "id")
	if id != b64.EncodeToString(a.id) || r.str("passkey", "name") != "My key" {
		t.Fatalf("registered: %s", r.raw)
	}
	// The same registration again: its challenge is used up.
	c.do("POST", "/api/auth/passkey/register/verify", map[string]any{"credential": a.create(opts)}).want(t, http.StatusBadRequest, "PASSKEY_CHALLENGE_INVALID")

	// Sign in with user verification: a multi-factor session.
	anon := e.api()
	o := signInOptions(t, anon, "sign-in")
	if o.val("publicKey", "allowCredentials") != nil {
		t.Fatalf("discoverable sign-in options list credentials: %s", o.raw)
	}
	cred := a.get(o)
	r = anon.do("POST", "/api/auth/passkey/sign-in/verify", map[string]any{"credential": cred}).want(t, http.StatusOK, "")
	s, err := e.auth.ValidateSession(ctx, r.str("token"))
	if err != nil || s.AAL != 2 || strings.Join(s.AMR, " ") != "hwk user mfa" {
		t.Fatalf("UV sign-in: AAL %d AMR %v %v", s.AAL, s.AMR, err)
	}
	anon.do("POST", "/api/auth/passkey/sign-in/verify", map[string]any{"credential": cred}).want(t, http.StatusBadRequest, "PASSKEY_CHALLENGE_INVALID")

	// Without user verification: one factor.
	a.uv = false
	r = anon.do("POST", "/api/auth/passkey/sign-in/verify", map[string]any{"credential": a.get(signInOptions(t, anon, ""))}).want(t, http.StatusOK, "")
	if s, _ := e.auth.ValidateSession(ctx, r.str("token")); s.AAL != 1 || strings.Join(s.AMR, " ") != "hwk" {
		t.Fatalf("sign-in without UV: AAL %d AMR %v", s.AAL, s.AMR)
	}
	a.uv = true

	// The counter: backwards is refused; 0 (a synced passkey) is accepted.
	stored := a.count
	a.count = 0 // the next assertion reports 1
	anon.do("POST", "/api/auth/passkey/sign-in/verify", map[string]any{"credential": a.get(signInOptions(t, anon, ""))}).want(t, http.StatusBadRequest, "PASSKEY_COUNTER")
	a.count = ^uint32(0) // wraps to 0
	anon.do("POST", "/api/auth/passkey/sign-in/verify", map[string]any{"credential": a.get(signInOptions(t, anon, ""))}).want(t, http.StatusOK, "")
	a.count = stored

	// A challenge expires after 5 minutes; a factor challenge does not
	// sign in; another handle or an unknown credential is refused.
	o = signInOptions(t, anon, "sign-in")
	e.clock.Advance(5 * time.Minute)
	anon.do("POST", "/api/auth/passkey/sign-in/verify", map[string]any{"credential": a.get(o)}).want(t, http.StatusBadRequest, "PASSKEY_CHALLENGE_INVALID")
	anon.do("POST", "/api/auth/passkey/sign-in/verify", map[string]any{"credential": a.get(signInOptions(t, anon, "factor"))}).want(t, http.StatusBadRequest, "PASSKEY_CHALLENGE_INVALID")
	handle := a.handle
	a.handle = []byte("someone else's handle")
	anon.do("POST", "/api/auth/passkey/sign-in/verify", map[string]any{"credential": a.get(signInOptions(t, anon, ""))}).want(t, http.StatusBadRequest, "PASSKEY_UNKNOWN")
	a.handle = handle
	stranger := newSoftAuthenticator(t, base)
	stranger.handle = handle
	anon.do("POST", "/api/auth/passkey/sign-in/verify", map[string]any{"credential": stranger.get(signInOptions(t, anon, ""))}).want(t, http.StatusBadRequest, "PASSKEY_UNKNOWN")

	// A user with a passkey steps up with it, not with the password.
	c.do("POST", "/api/auth/step-up", map[string]string{"action": authapi.ActionAddFactor, "method": "password", "password": "correct horse battery"}).want(t, http.StatusForbidden, "FACTOR_REQUIRED")
	c.do("POST", "/api/auth/step-up", map[string]any{"action": authapi.ActionAddFactor, "method": "passkey", "assertion": a.get(signInOptions(t, anon, "sign-in"))}).want(t, http.StatusBadRequest, "PASSKEY_CHALLENGE_INVALID")
	tok := c.do("POST", "/api/auth/step-up", map[string]any{"action": authapi.ActionAddFactor, "method": "passkey", "assertion": a.get(signInOptions(t, anon, "factor"))}).want(t, http.StatusOK, "").str("stepUpToken")
	opts = c.do("POST", "/api/auth/passkey/register/options", map[string]string{"stepUpToken": tok}).want(t, http.StatusOK, "")
	if opts.str("publicKey", "user", "id") != b64.EncodeToString(handle) || !strings.Contains(string(opts.raw), id) {
		t.Fatalf("second registration: same handle, first passkey excluded: %s", opts.raw)
	}
	b2 := newSoftAuthenticator(t, base)
	b2.synced = true
	r = c.do("POST", "/api/auth/passkey/register/verify", map[string]any{"credential": b2.create(opts)}).want(t, http.StatusOK, "")
	id2 := r.str("passkey", "id")
	if r.str("passkey", "name") != "Passkey" || r.val("passkey", "synced") != true {
		t.Fatalf("second passkey: %s", r.raw)
	}
	r = anon.do("POST", "/api/auth/passkey/sign-in/verify", map[string]any{"credential": b2.get(signInOptions(t, anon, ""))}).want(t, http.StatusOK, "")
	if s, _ := e.auth.ValidateSession(ctx, r.str("token")); strings.Join(s.AMR, " ") != "swk user mfa" {
		t.Fatalf("synced passkey AMR %v", s.AMR)
	}
	// Another user's passkey cannot step up this user.
	other := passkeyUser(t, e, "pk-other@example.com")
	oa := newSoftAuthenticator(t, base)
	registerSoft(t, other, oa, stepUpPassword(t, other, authapi.ActionAddFactor))
	c.do("POST", "/api/auth/step-up", map[string]any{"action": authapi.ActionRemoveFactor, "method": "passkey", "assertion": oa.get(signInOptions(t, anon, "factor"))}).want(t, http.StatusBadRequest, "PASSKEY_UNKNOWN")

	// List, rename, delete.
	r = c.do("GET", "/api/auth/passkeys", nil).want(t, http.StatusOK, "")
	if n := len(r.val("passkeys").([]any)); n != 2 {
		t.Fatalf("%d passkeys listed: %s", n, r.raw)
	}
	c.do("PATCH", "/api/auth/passkeys/"+id, map[string]string{"name": "Renamed"}).want(t, http.StatusOK, "")
	c.do("PATCH", "/api/auth/passkeys/"+id, map[string]string{"name": ""}).want(t, http.StatusBadRequest, "INVALID_PASSKEY_NAME")
	c.do("PATCH", "/api/auth/passkeys/"+id, map[string]string{"name": strings.Repeat("x", 65)}).want(t, http.StatusBadRequest, "INVALID_PASSKEY_NAME")
	other.do("PATCH", "/api/auth/passkeys/"+id, map[string]string{"name": "mine"}).want(t, http.StatusNotFound, "NOT_FOUND")
	if f, _ := e.auth.GetFactor(ctx, id); f.Name != "Renamed" {
		t.Fatalf("name %q", f.Name)
	}
	c.do("DELETE", "/api/auth/passkeys/"+id2, map[string]string{}).want(t, http.StatusForbidden, "STEP_UP_REQUIRED")
	rm := c.do("POST", "/api/auth/step-up", map[string]any{"action": authapi.ActionRemoveFactor, "method": "passkey", "assertion": a.get(signInOptions(t, anon, "factor"))}).want(t, http.StatusOK, "").str("stepUpToken")
	other.do("DELETE", "/api/auth/passkeys/"+id2, map[string]string{"stepUpToken": rm}).want(t, http.StatusNotFound, "NOT_FOUND")
	c.do("DELETE", "/api/auth/passkeys/"+id2, map[string]string{"stepUpToken": rm}).want(t, http.StatusNoContent, "")
	if _, err := e.auth.GetFactor(ctx, id2); err == nil {
		t.Fatal("the deleted passkey is still stored")
	}
	anon.do("POST", "/api/auth/passkey/sign-in/verify", map[string]any{"credential": b2.get(signInOptions(t, anon, ""))}).want(t, http.StatusBadRequest, "PASSKEY_UNKNOWN")
}

// TestPasskeyBadInput: malformed WebAuthn JSON, wrong lengths, CBOR
// garbage and unknown ids get a 400 with a code, never a 500.
func TestPasskeyBadInput(t *testing.T) {
	e, base := newPasskeyEnv(t)
	c := passkeyUser(t, e, "pk-bad@example.com")
	a := newSoftAuthenticator(t, base)
	registerSoft(t, c, a, stepUpPassword(t, c, authapi.ActionAddFactor))
	good := string(a.get(signInOptions(t, e.api(), "")))
	garbage := b64.EncodeToString([]byte{0xff, 0xa1, 0x00, 0x9f})
	cases := map[string]string{
		"not JSON":              `{"credential": nope}`,
		"no credential":         `{}`,
		"credential a string":   `{"credential": "x"}`,
		"empty object":          `{"credential": {}}`,
		"bad base64":            strings.Replace(good, `"signature":"`, `"signature":"!!!`, 1),
		"CBOR garbage authData": strings.Replace(good, `"authenticatorData":"`, `"authenticatorData":"`+garbage, 1),
		"short authData":        `{"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA"}}}`,
		"clientData not JSON":   `{"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"` + garbage + `","authenticatorData":"AA","signature":"AA"}}}`,
		"unknown challenge":     string(a.getChallenge(b64.EncodeToString([]byte("0123456789abcdef0123")))),
		"huge id":               `{"credential":{"id":"` + strings.Repeat("A", 4000) + `","rawId":"` + strings.Repeat("A", 4000) + `","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA"}}}`,
	}
	for name, body := range cases {
		for _, path := range []string{"/api/auth/passkey/sign-in/verify", "/api/auth/passkey/register/verify"} {
			r := c.do("POST", path, body)
			if r.status != http.StatusBadRequest || r.code() == "" {
				t.Errorf("%s to %s: %d %s", name, path, r.status, r.raw)
			}
		}
		r := c.do("POST", "/api/auth/step-up", `{"action":"remove-factor","method":"passkey","assertion":`+strings.TrimPrefix(strings.TrimSuffix(body, "}"), `{"credential":`)+`}`)
		if r.status >= 500 {
			t.Errorf("%s as a step-up: %d %s", name, r.status, r.raw)
		}
	}
	c.do("POST", "/api/auth/passkey/sign-in/options", `{"purpose":"admin"}`).want(t, http.StatusBadRequest, "INVALID_PURPOSE")
	c.do("PATCH", "/api/auth/passkeys/"+strings.Repeat("A", 300), map[string]string{"name": "x"}).want(t, http.StatusNotFound, "NOT_FOUND")
	c.do("DELETE", "/api/auth/passkeys/nope", map[string]string{}).want(t, http.StatusNotFound, "NOT_FOUND")
}

// TestPasskeysOff: with an IP base URL and no WebAuthnRPID, passkeys are
// off; an IP given as WebAuthnRPID is a configuration error.
func TestPasskeysOff(t *testing.T) {
	e := newEnv(t, memory.New(), nil)
	e.api().do("POST", "/api/auth/passkey/sign-in/options", map[string]string{}).want(t, http.StatusNotFound, "PASSKEYS_UNAVAILABLE")
	auth, err := latch.New(latch.Config{Store: memory.New(), Env: latch.EnvDev})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := authapi.New(authapi.Config{Auth: auth, BaseURL: "http://127.0.0.1:1", Dev: true, WebAuthnRPID: "127.0.0.1"}); err == nil || !strings.Contains(err.Error(), "WebAuthnRPID") {
		t.Fatalf("New with an IP RP id: %v", err)
	}
}

// FuzzPasskeyVerify feeds bodies to the endpoints that parse WebAuthn
// responses: none may answer 5xx.
func FuzzPasskeyVerify(f *testing.F) {
	// The fuzz target may not log through f: the handler's logger is
	// discarded, and the IP throttle never bites.
	ipLimit, err := throttle.New(nil, throttle.Options{Free: 1 << 30})
	if err != nil {
		f.Fatal(err)
	}
	var base string
	e := newEnv(f, memory.New(), func(c *authapi.Config) {
		c.BaseURL = strings.Replace(c.BaseURL, "127.0.0.1", "localhost", 1)
		c.Logger, c.IPThrottle, base = slog.New(slog.DiscardHandler), ipLimit, c.BaseURL
	})
	e.outbox.Logger = slog.New(slog.DiscardHandler)
	c := passkeyUser(f, e, "pk-fuzz@example.com")
	a := newSoftAuthenticator(f, base)
	registerSoft(f, c, a, stepUpPassword(f, c, authapi.ActionAddFactor))
	f.Add(0, []byte(`{"credential":`+string(a.get(signInOptions(f, e.api(), "")))+`}`))
	f.Add(1, []byte(`{"credential":`+string(a.get(signInOptions(f, e.api(), "")))+`}`))
	f.Add(2, []byte(`{"action":"remove-factor","method":"passkey","assertion":`+string(a.get(signInOptions(f, e.api(), "factor")))+`}`))
	f.Add(0, []byte(`{"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA"}}}`))
	paths := []string{"/api/auth/passkey/sign-in/verify", "/api/auth/passkey/register/verify", "/api/auth/step-up"}
	f.Fuzz(func(t *testing.T, which int, body []byte) {
		path := paths[(which%len(paths)+len(paths))%len(paths)]
		req, err := http.NewRequest("POST", e.srv.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+c.bearer)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("%s: %d %s", path, res.StatusCode, raw)
		}
	})
}
