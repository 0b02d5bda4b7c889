// Latch's browser client: an ES module without dependencies, served by
// latchd at /api/auth/client.js.
//
//   import { signIn, getSession } from "https://auth.example.com/api/auth/client.js";
//
// The functions exported by name talk to the server the module was loaded
// from, with the session cookie (credentials: "include"). createClient
// makes a client for another server, or one that sends a bearer token
// instead of cookies (for programs outside a browser).

/**
 * @typedef {{id: string, email: string, emailVerified: boolean, name?: string, createdAt?: string}} User
 * @typedef {{id: string, activeExpires: string, idleExpires: string, fresh: boolean, current?: boolean}} Session
 * @typedef {{user: User, session: Session, token?: string}} SignedIn
 *   token: the session token, sent only to clients that are not browsers.
 * @typedef {{twoFactorRequired: true, methods: string[], pendingToken?: string}} TwoFactorRequired
 * @typedef {{
 *   baseURL?: string,
 *   token?: string,
 *   bearer?: boolean,
 *   fetch?: typeof fetch,
 * }} ClientOptions
 *   baseURL: where latchd is served (https://auth.example.com); default:
 *   the server this module came from. token: send "Authorization: Bearer
 *   <token>" and no cookies. bearer: bearer mode before there is a token;
 *   the token a sign-in answers with is kept and sent from then on.
 *   fetch: the fetch to use (default: globalThis.fetch).
 */

/**
 * An answer of the API that is not a success, or a request that got no
 * answer (code "NETWORK_ERROR", status 0: offline, or refused by the
 * browser because the page's origin is not trusted by the server).
 */
export class LatchError extends Error {
  /**
   * @param {string} code the API's error code, such as "INVALID_CREDENTIALS"
   * @param {number} status the HTTP status, 0 when there was no answer
   * @param {string} message
   * @param {number} [retryAfter] seconds to wait, on a 429 or 503
   * @param {unknown} [cause]
   */
  constructor(code, status, message, retryAfter, cause) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "LatchError";
    /** @type {string} */
    this.code = code;
    /** @type {number} */
    this.status = status;
    /** @type {number | undefined} */
    this.retryAfter = retryAfter;
  }
}

/**
 * Makes a client. Every method returns a promise that rejects with a
 * LatchError.
 * @param {ClientOptions} [options]
 */
export function createClient(options = {}) {
  const api = options.baseURL
    ? new URL("api/auth/", options.baseURL.replace(/\/*$/, "/"))
    : new URL(".", import.meta.url);
  const doFetch = options.fetch || ((...a) => globalThis.fetch(...a));
  let token = options.token;
  const bearer = options.bearer || token !== undefined;

  /**
   * @param {string} method
   * @param {string} path relative to /api/auth/
   * @param {object} [body]
   */
  async function call(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers["Authorization"] = "Bearer " + token;
    let res;
    try {
      res = await doFetch(new URL(path, api), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: bearer ? "omit" : "include",
      });
    } catch (e) {
      throw new LatchError("NETWORK_ERROR", 0, "no answer from " + api.origin + ": " + e, undefined, e);
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: a proxy's error page, reported below by status
    }
    if (!res.ok) {
      const err = (data && data.error) || {};
      const wait = Number(res.headers.get("Retry-After"));
      throw new LatchError(err.code || "HTTP_" + res.status, res.status, err.message || res.statusText,
        wait > 0 ? wait : undefined);
    }
    // A sign-in's answer carries the session's token (to programs only);
    // a one-time token's does not replace it.
    if (bearer && data && data.session && typeof data.token === "string") token = data.token;
    return data;
  }

  return {
    /** The bearer token in use, if any. */
    get token() {
      return token;
    },
    /**
     * Creates an account and signs in.
     * @param {{email: string, password: string, name?: string}} body
     * @returns {Promise<SignedIn>}
     */
    signUp: (body) => call("POST", "sign-up", body),
    /**
     * Signs in. A user with a second factor gets {twoFactorRequired, methods}
     * instead of a session, as the server answers it.
     * @param {{email: string, password: string}} body
     * @returns {Promise<SignedIn | TwoFactorRequired>}
     */
    signIn: (body) => call("POST", "sign-in", body),
    /**
     * Ends the current session.
     * @returns {Promise<void>}
     */
    async signOut() {
      await call("POST", "sign-out");
      if (bearer) token = undefined;
    },
    /**
     * The current session and its user, or null when not signed in.
     * @returns {Promise<{user: User, session: Session} | null>}
     */
    async getSession() {
      try {
        return await call("GET", "session");
      } catch (e) {
        if (e instanceof LatchError && e.status === 401) return null;
        throw e;
      }
    },
    /**
     * The user's sessions, the current one marked.
     * @returns {Promise<{sessions: Session[]}>}
     */
    listSessions: () => call("GET", "sessions"),
    /**
     * Ends one of the user's sessions.
     * @param {string} id a session id from listSessions
     * @returns {Promise<void>}
     */
    revokeSession: (id) => call("DELETE", "sessions/" + encodeURIComponent(id)),
    /**
     * Mails a sign-in link, if the address has an account (the answer is
     * the same either way).
     * @param {{email: string}} body
     * @returns {Promise<void>}
     */
    requestMagicLink: (body) => call("POST", "magic-link", body),
    /**
     * Mails a password reset link, if the address has an account (the
     * answer is the same either way).
     * @param {{email: string}} body
     * @returns {Promise<void>}
     */
    requestPasswordReset: (body) => call("POST", "password-reset", body),
    twoFactor: {
      /**
       * Finishes a sign-in that answered {twoFactorRequired}: a browser's
       * pending sign-in is in its cookie; a program passes the answer's
       * pendingToken.
       * @param {{method: string, code: string, pendingToken?: string}} body
       * @returns {Promise<SignedIn>}
       */
      verify: (body) => call("POST", "two-factor/verify", body),
    },
    oneTimeToken: {
      /**
       * A short-lived single-use token bound to the current session, to
       * hand the session to another site or program.
       * @returns {Promise<{token: string}>}
       */
      generate: () => call("GET", "one-time-token/generate"),
      /**
       * Uses a one-time token: the session it was bound to.
       * @param {{token: string}} body
       * @returns {Promise<SignedIn>}
       */
      verify: (body) => call("POST", "one-time-token/verify", body),
    },
  };
}

const client = createClient();

/** Creates an account and signs in, with the cookie of this module's server. */
export const signUp = client.signUp;
/** Signs in; see createClient. */
export const signIn = client.signIn;
/** Ends the current session. */
export const signOut = client.signOut;
/** The current session and its user, or null. */
export const getSession = client.getSession;
/** The user's sessions. */
export const listSessions = client.listSessions;
/** Ends one of the user's sessions. */
export const revokeSession = client.revokeSession;
/** Mails a sign-in link. */
export const requestMagicLink = client.requestMagicLink;
/** Mails a password reset link. */
export const requestPasswordReset = client.requestPasswordReset;
/** One-time tokens: generate and verify. */
export const oneTimeToken = client.oneTimeToken;
/** Finishes a sign-in with a second factor (twoFactor.verify). */
export const twoFactor = client.twoFactor;
