// The page of a single-page app on https://app.example.com, signing in
// against latchd on https://auth.example.com (README: "Use Latch from a
// browser app"; TestBrowserCrossOrigin runs it with its own origins).
import { signUp, signIn, signOut, getSession, LatchError } from "https://auth.example.com/api/auth/client.js";

export async function demo(email, password) {
  const { user } = await signUp({ email, password }); // the session cookie is set
  const current = await getSession(); // { user, session }, or null when signed out
  await signOut();
  const afterSignOut = await getSession(); // null
  let wrong;
  try {
    await signIn({ email, password: "not the password" });
  } catch (e) {
    if (!(e instanceof LatchError)) throw e;
    wrong = e.code; // "INVALID_CREDENTIALS"; e.status 401, e.message
  }
  const again = await signIn({ email, password });
  if (again.twoFactorRequired) {
    // a user with a second factor: ask for it (again.methods)
  }
  return {
    signedUp: user.email,
    session: current && current.user.email,
    afterSignOut,
    wrong,
    signedIn: again.user.email,
    sessionAgain: (await getSession()).user.email,
  };
}
