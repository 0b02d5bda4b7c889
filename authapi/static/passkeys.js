// passkeys.js: the WebAuthn calls of the sign-in and account pages. It
// asks the JSON API for options, calls navigator.credentials and posts the
// answer back as JSON; the server checks everything. Served same-origin
// under the pages' Content-Security-Policy (script-src 'self').
"use strict";
(() => {
  const enc = (buf) => {
    const bytes = new Uint8Array(buf);
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const dec = (s) => {
    const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    return Uint8Array.from(b, (c) => c.charCodeAt(0));
  };

  async function call(method, path, body) {
    const r = await fetch(path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let json = null;
    try { json = await r.json(); } catch (e) { /* 204 */ }
    if (!r.ok) {
      const err = new Error((json && json.error && json.error.message) || ("request failed: " + r.status));
      err.code = json && json.error && json.error.code;
      throw err;
    }
    return json;
  }

  function requestOptions(o) {
    const p = o.publicKey;
    return Object.assign({}, p, {
      challenge: dec(p.challenge),
      allowCredentials: (p.allowCredentials || []).map((c) => Object.assign({}, c, { id: dec(c.id) })),
    });
  }

  function creationOptions(o) {
    const p = o.publicKey;
    return Object.assign({}, p, {
      challenge: dec(p.challenge),
      user: Object.assign({}, p.user, { id: dec(p.user.id) }),
      excludeCredentials: (p.excludeCredentials || []).map((c) => Object.assign({}, c, { id: dec(c.id) })),
    });
  }

  function assertionJSON(c) {
    const r = c.response;
    return {
      id: c.id, rawId: enc(c.rawId), type: c.type, authenticatorAttachment: c.authenticatorAttachment || undefined,
      response: {
        clientDataJSON: enc(r.clientDataJSON), authenticatorData: enc(r.authenticatorData),
        signature: enc(r.signature), userHandle: r.userHandle ? enc(r.userHandle) : undefined,
      },
      clientExtensionResults: c.getClientExtensionResults(),
    };
  }

  function attestationJSON(c) {
    const r = c.response;
    return {
      id: c.id, rawId: enc(c.rawId), type: c.type, authenticatorAttachment: c.authenticatorAttachment || undefined,
      response: {
        clientDataJSON: enc(r.clientDataJSON), attestationObject: enc(r.attestationObject),
        transports: r.getTransports ? r.getTransports() : [],
      },
      clientExtensionResults: c.getClientExtensionResults(),
    };
  }

  // An assertion for a purpose ("sign-in" or "factor").
  async function assert(purpose, extra) {
    const o = await call("POST", "/api/auth/passkey/sign-in/options", { purpose });
    const c = await navigator.credentials.get(Object.assign({ publicKey: requestOptions(o) }, extra || {}));
    return assertionJSON(c);
  }

  function showError(el, err) {
    if (!el) return;
    if (err && err.name === "AbortError") return;
    el.textContent = err && err.name === "NotAllowedError"
      ? "The passkey request was cancelled or timed out."
      : (err && err.message) || String(err);
    el.hidden = false;
  }

  // A same-site path to land on after signing in.
  function landing() {
    const next = document.querySelector('form[action="/sign-in"] [name="next"]');
    const v = next && next.value;
    if (v && v.startsWith("/") && !v.startsWith("//") && !v.startsWith("/\\")) return v;
    return "/account?m=signed-in";
  }

  async function finishSignIn(cred) {
    const r = await call("POST", "/api/auth/passkey/sign-in/verify", { credential: cred });
    if (r && r.twoFactorRequired) {
      location.assign("/two-factor");
      return;
    }
    location.assign(landing());
  }

  function signInPage() {
    const button = document.getElementById("passkey-sign-in");
    if (!button) return;
    const error = document.getElementById("passkey-error");
    if (!window.PublicKeyCredential) {
      button.hidden = true;
      return;
    }
    let conditional = null;
    // The browser's autofill offers passkeys in the email field
    // (autocomplete="username webauthn").
    (async () => {
      if (!PublicKeyCredential.isConditionalMediationAvailable || !(await PublicKeyCredential.isConditionalMediationAvailable())) return;
      const ctl = new AbortController();
      conditional = ctl;
      try {
        const cred = await assert("sign-in", { mediation: "conditional", signal: ctl.signal });
        await finishSignIn(cred);
      } catch (e) {
        if (conditional === ctl) showError(error, e);
      }
    })();
    button.addEventListener("click", async (ev) => {
      ev.preventDefault();
      if (conditional) {
        const c = conditional;
        conditional = null;
        c.abort();
      }
      button.disabled = true;
      try {
        await finishSignIn(await assert("sign-in"));
      } catch (e) {
        showError(error, e);
      } finally {
        button.disabled = false;
      }
    });
  }

  function accountPage() {
    const section = document.getElementById("passkeys");
    if (!section) return;
    const list = section.querySelector("ul.passkeys");
    const error = document.getElementById("passkey-error");
    const password = document.getElementById("passkey-password");
    const code = document.getElementById("passkey-code");
    let count = 0;

    const fail = (e) => {
      if (e && e.code === "FACTOR_REQUIRED" && code) code.closest("label").hidden = false;
      showError(error, e);
    };
    const ok = (msg) => {
      error.hidden = true;
      const status = document.getElementById("passkey-status");
      status.textContent = msg;
    };

    // A step-up token for the action: with a passkey when the user has
    // one, else with the code or the password typed in the section.
    async function stepUp(action) {
      if (count > 0) {
        const assertion = await assert("factor");
        return (await call("POST", "/api/auth/step-up", { action, method: "passkey", assertion })).stepUpToken;
      }
      if (code && code.value) {
        return (await call("POST", "/api/auth/step-up", { action, method: "totp", code: code.value })).stepUpToken;
      }
      return (await call("POST", "/api/auth/step-up", { action, method: "password", password: password.value })).stepUpToken;
    }

    function row(p) {
      const li = document.createElement("li");
      li.dataset.id = p.id;
      const name = document.createElement("input");
      name.value = p.name;
      name.maxLength = 64;
      name.setAttribute("aria-label", "Name of the passkey");
      const rename = document.createElement("button");
      rename.type = "button";
      rename.className = "small secondary";
      rename.textContent = "Rename";
      rename.dataset.action = "rename";
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "small danger";
      remove.textContent = "Remove";
      remove.dataset.action = "remove";
      const info = document.createElement("span");
      info.className = "hint";
      info.textContent = (p.synced ? "synced" : "this device only") +
        " · added " + new Date(p.createdAt).toLocaleDateString() +
        (p.lastUsedAt ? " · last used " + new Date(p.lastUsedAt).toLocaleString() : " · never used");
      rename.addEventListener("click", async () => {
        try {
          await call("PATCH", "/api/auth/passkeys/" + encodeURIComponent(p.id), { name: name.value });
          ok("Passkey renamed.");
          await load();
        } catch (e) { fail(e); }
      });
      remove.addEventListener("click", async () => {
        try {
          const stepUpToken = await stepUp("remove-factor");
          await call("DELETE", "/api/auth/passkeys/" + encodeURIComponent(p.id), { stepUpToken });
          ok("Passkey removed.");
          await load();
        } catch (e) { fail(e); }
      });
      li.append(name, " ", rename, " ", remove, " ", info);
      return li;
    }

    async function load() {
      const r = await call("GET", "/api/auth/passkeys");
      count = r.passkeys.length;
      list.replaceChildren(...r.passkeys.map(row));
      section.querySelector(".passkey-none").hidden = count > 0;
      // The password only steps up a user without a second factor.
      password.closest("label").hidden = count > 0;
    }

    document.getElementById("passkey-add").addEventListener("click", async (ev) => {
      ev.preventDefault();
      try {
        const stepUpToken = await stepUp("add-factor");
        const o = await call("POST", "/api/auth/passkey/register/options", { stepUpToken });
        const c = await navigator.credentials.create({ publicKey: creationOptions(o) });
        const nameField = document.getElementById("passkey-name");
        await call("POST", "/api/auth/passkey/register/verify", { credential: attestationJSON(c), name: nameField.value });
        nameField.value = "";
        password.value = "";
        ok("Passkey added.");
        await load();
      } catch (e) { fail(e); }
    });
    load().catch(fail);
  }

  const start = () => { signInPage(); accountPage(); };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
