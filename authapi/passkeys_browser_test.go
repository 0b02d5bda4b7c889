package authapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/authapi"
	"github.com/latchauth/latch/store/memory"
)

// newPasskeyEnv is newEnv on the memory store served as
// http://localhost:<port> (see onLocalhost), and that base URL.
func newPasskeyEnv(t testing.TB) (*env, string) {
	e := newEnv(t, memory.New(), onLocalhost)
	return e, localhostURL(e)
}

// onLocalhost serves a handler as http://localhost:<port>: WebAuthn
// refuses IP addresses as relying-party ids.
func onLocalhost(c *authapi.Config) {
	c.BaseURL = strings.Replace(c.BaseURL, "127.0.0.1", "localhost", 1)
}

// localhostURL is the base URL of e started with onLocalhost.
func localhostURL(e *env) string { return strings.Replace(e.srv.URL, "127.0.0.1", "localhost", 1) }

// virtualAuthenticator enables the WebAuthn domain of the browser's tab
// and adds a CTAP2 platform authenticator that keeps resident keys and
// verifies the user.
func (b *browserSession) virtualAuthenticator() cdpwebauthn.AuthenticatorID {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, cdpwebauthn.Enable, cdpwebauthn.EnableParams{}); err != nil {
		b.t.Fatalf("WebAuthn.enable: %v", err)
	}
	res, err := chromedp.Call(b.ctx, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{
		Options: &cdpwebauthn.VirtualAuthenticatorOptions{
			Protocol: cdpwebauthn.AuthenticatorProtocolCtap2, Transport: cdpwebauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		b.t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	return res.AuthenticatorID
}

// waitJS polls a JavaScript condition until it holds.
func (b *browserSession) waitJS(what, cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond)); err != nil {
		msg, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.getElementById("passkey-error") || {}).textContent || ""`))
		b.t.Fatalf("waiting for %s: %v; passkey error: %q", what, err, msg)
	}
}

// jsClick clicks the element from script.
func (b *browserSession) jsClick(sel string) {
	b.t.Helper()
	b.run("click "+sel, chromedp.Evaluate[chromedp.Void](`document.querySelector(`+strconv.Quote(sel)+`).click()`))
}

// assertionJS makes an assertion in the page, for a purpose, and returns
// the credential as the API takes it (what passkeys.js posts).
const assertionJS = `(async (purpose) => {
  const enc = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const dec = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));
  const o = await (await fetch("/api/auth/passkey/sign-in/options", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({purpose})})).json();
  const c = await navigator.credentials.get({publicKey: Object.assign({}, o.publicKey, {challenge: dec(o.publicKey.challenge)})});
  const r = c.response;
  return JSON.stringify({id: c.id, rawId: enc(c.rawId), type: c.type, response: {
    clientDataJSON: enc(r.clientDataJSON), authenticatorData: enc(r.authenticatorData),
    signature: enc(r.signature), userHandle: enc(r.userHandle)}, clientExtensionResults: {}});
})`

// assertion runs assertionJS in the page.
func (b *browserSession) assertion(purpose string) json.RawMessage {
	b.t.Helper()
	s := get(b, "passkey assertion", chromedp.Evaluate[string](assertionJS+`("`+purpose+`")`, chromedp.EvalAwaitPromise))
	return json.RawMessage(s)
}

// TestBrowserPasskeys: a person adds a passkey on the account page (the
// password steps up), renames it, signs out, signs in with the passkey
// alone, and removes it (the passkey itself steps up); a replayed
// assertion is refused; all in Chromium with a virtual authenticator.
func TestBrowserPasskeys(t *testing.T) {
	e, base := newPasskeyEnv(t)
	email, pw := "passkey-person@example.com", "correct horse battery"
	e.api().do("POST", "/api/auth/sign-up", map[string]string{"email": email, "password": pw}).want(t, http.StatusCreated, "")

	b := newBrowser(t, base)
	b.virtualAuthenticator()
	b.open("/sign-in")
	b.fill("form[action='/sign-in']", map[string]string{"email": email, "password": pw})
	b.submit("form[action='/sign-in'] button", "/account")
	b.waitJS("the passkey section", `document.querySelector("#passkeys .passkey-none") && !document.querySelector("#passkeys .passkey-none").hidden`)
	b.screenshot("account-no-passkey")

	// Add: the password steps up for add-factor.
	b.run("add a passkey",
		chromedp.SetValue(chromedp.CSS("#passkey-password"), pw),
		chromedp.Click(chromedp.CSS("#passkey-add"), chromedp.NodeVisible))
	b.waitJS("the new passkey", `document.querySelectorAll("ul.passkeys li").length === 1`)
	b.screenshot("account-passkey-added")
	users, err := e.auth.GetKey(context.Background(), "email", email)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := e.auth.ListFactors(context.Background(), users.UserID)
	if err != nil || len(fs) != 1 || fs[0].Kind != latch.FactorPasskey || fs[0].Name != "Passkey" {
		t.Fatalf("factors after adding: %+v, %v", fs, err)
	}

	// Rename.
	b.run("rename", chromedp.SetValue(chromedp.CSS("ul.passkeys li input"), "Test laptop"),
		chromedp.Click(chromedp.CSS(`ul.passkeys li button[data-action="rename"]`), chromedp.NodeVisible))
	b.waitJS("the rename", `document.getElementById("passkey-status").textContent === "Passkey renamed."`)
	if f, _ := e.auth.GetFactor(context.Background(), fs[0].ID); f.Name != "Test laptop" {
		t.Fatalf("name after rename: %q", f.Name)
	}

	// Sign out, then in with the passkey alone.
	b.submit("main form[action='/sign-out'] button", "/?m=signed-out")
	b.open("/sign-in")
	if ac := get(b, "autocomplete", chromedp.Evaluate[string](`document.querySelector('[name="email"]').autocomplete`)); !strings.Contains(ac, "webauthn") {
		t.Errorf("email field autocomplete %q: the conditional UI needs webauthn", ac)
	}
	// While the conditional (autofill) request is pending, headless
	// Chromium answers no input events or screenshots: click from script.
	b.jsClick("#passkey-sign-in")
	b.waitPath("/account?m=signed-in")
	b.screenshot("signed-in-with-passkey")
	if !strings.Contains(b.text("main"), email) {
		t.Fatal("the account page after a passkey sign-in does not show the user")
	}

	// A replayed assertion is refused: the first use signs in (with UV:
	// a multi-factor session), the second is refused.
	cred := b.assertion("sign-in")
	api := e.api()
	r := api.do("POST", "/api/auth/passkey/sign-in/verify", map[string]any{"credential": cred}).want(t, http.StatusOK, "")
	s, err := e.auth.ValidateSession(context.Background(), r.str("token"))
	if err != nil || s.AAL != 2 || !strings.Contains(strings.Join(s.AMR, " "), "hwk user mfa") {
		t.Fatalf("session of a UV passkey sign-in: AAL %d AMR %v, %v", s.AAL, s.AMR, err)
	}
	api.do("POST", "/api/auth/passkey/sign-in/verify", map[string]any{"credential": cred}).want(t, http.StatusBadRequest, "PASSKEY_CHALLENGE_INVALID")
	// A factor challenge does not sign in.
	api.do("POST", "/api/auth/passkey/sign-in/verify", map[string]any{"credential": b.assertion("factor")}).want(t, http.StatusBadRequest, "PASSKEY_CHALLENGE_INVALID")

	// Remove: the passkey steps up for remove-factor.
	b.open("/account")
	b.waitJS("the passkey list", `document.querySelectorAll("ul.passkeys li").length === 1`)
	b.run("remove", chromedp.Click(chromedp.CSS(`ul.passkeys li button[data-action="remove"]`), chromedp.NodeVisible))
	b.waitJS("the removal", `document.getElementById("passkey-status").textContent === "Passkey removed."`)
	b.screenshot("account-passkey-removed")
	if fs, _ := e.auth.ListFactors(context.Background(), users.UserID); len(fs) != 0 {
		t.Fatalf("factors after removing: %+v", fs)
	}
	// The passkey is gone: the authenticator still has it, the server not.
	b.submit("main form[action='/sign-out'] button", "/?m=signed-out")
	b.open("/sign-in")
	b.jsClick("#passkey-sign-in")
	b.waitJS("the error", `!document.getElementById("passkey-error").hidden`)
	if msg := b.text("#passkey-error"); !strings.Contains(msg, "not registered") {
		t.Errorf("error after signing in with a removed passkey: %q", msg)
	}
}
