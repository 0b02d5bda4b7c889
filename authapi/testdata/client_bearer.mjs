// Bearer mode of client.js outside a browser (TestClientJSInNode): every
// function once, against the server at process.argv[2].
import { createClient, LatchError } from "./client.mjs";

const baseURL = process.argv[2];
const email = "node@example.com";
const password = "node password 1";
const out = {};
const c = createClient({ baseURL, bearer: true });
out.before = await c.getSession(); // null
const up = await c.signUp({ email, password });
out.keptToken = c.token === up.token && typeof up.token === "string";
out.session = (await c.getSession()).user.email;

const ott = await c.oneTimeToken.generate();
const handedOver = createClient({ baseURL, bearer: true });
out.oneTimeToken = (await handedOver.oneTimeToken.verify({ token: ott.token })).user.email;
out.handedOverSession = (await handedOver.getSession()).user.email;

await c.signOut();
out.tokenAfterSignOut = c.token ?? null;
out.oldTokenAfterSignOut = await createClient({ baseURL, token: up.token }).getSession();

try {
  await c.signIn({ email, password: "not the password" });
} catch (e) {
  out.wrong = { isLatchError: e instanceof LatchError, code: e.code, status: e.status };
}
await c.signIn({ email, password });
const phone = createClient({ baseURL, bearer: true });
await phone.signIn({ email, password });
const { sessions } = await c.listSessions();
out.sessions = sessions.length;
const other = sessions.find((s) => !s.current);
await c.revokeSession(other.id);
out.phoneAfterRevoke = await phone.getSession();

await c.requestPasswordReset({ email });
await c.requestMagicLink({ email });
try {
  await createClient({ baseURL: "http://127.0.0.1:1" }).getSession();
} catch (e) {
  out.unreachable = { code: e.code, status: e.status };
}
console.log(JSON.stringify(out));
