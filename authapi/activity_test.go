package authapi_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/memory"
)

type activityPage struct {
	Events []struct {
		Type, IP, UserAgent, Detail string
		At                          time.Time
	}
	Next string
}

func readActivity(t *testing.T, c *client, cursor string) activityPage {
	t.Helper()
	r := c.do("GET", "/api/auth/activity?cursor="+cursor, nil).want(t, 200, "")
	var p activityPage
	if err := json.Unmarshal(r.raw, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestActivity: the flows record sign-up, a failed and a good sign-in,
// the reset link's issue and the reset, newest first, with IP and user
// agent and no token value; the record pages by cursor; a bad cursor is
// 400; another user sees only their own; events past the retention are
// hidden and purged.
func TestActivity(t *testing.T) {
	forEachAccountStore(t, func(t *testing.T, e *env) {
		ua := []string{"User-Agent", "ActivityTest/1.0"}
		const email = "act@example.com"
		_, su := e.signUp(email, pw)
		e.mailTo(email, "", 1) // the verification token is recorded at this time
		e.clock.Advance(time.Second)
		e.api().do("POST", "/api/auth/sign-in", map[string]string{"email": email, "password": "wrong password 1"}, ua...).want(t, 401, "INVALID_CREDENTIALS")
		// Recorded off the request path: wait for it before the clock moves.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			evs, _, err := e.auth.ListActivity(t.Context(), su.str("user", "id"), "", 10)
			if err == nil && len(evs) > 0 && evs[0].Type == "sign-in-failed" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("sign-in-failed not recorded: %v %v", evs, err)
			}
		}
		e.clock.Advance(time.Second)
		e.api().do("POST", "/api/auth/password-reset", map[string]string{"email": email}, ua...).want(t, http.StatusAccepted, "")
		link := linkIn(t, e.mailTo(email, "password", 1), "/password-reset/")
		e.clock.Advance(time.Second)
		b := e.api()
		b.bearer = b.do("POST", "/api/auth"+link, map[string]string{"password": "a new password"}, ua...).want(t, 200, "").str("token")
		e.clock.Advance(time.Second)
		b.do("GET", "/api/auth/activity", nil).want(t, 200, "")
		e.api().do("GET", "/api/auth/activity", nil).want(t, 401, "UNAUTHORIZED")

		var got []string
		for {
			p := readActivity(t, b, "")
			got = got[:0]
			verification := 0
			for _, ev := range p.Events {
				if ev.Type == "token-issued" && ev.Detail == "email-verification email-verification-link" {
					verification++ // the sign-up's, queued: its time is the job's
					continue
				}
				got = append(got, ev.Type+":"+ev.Detail)
				if ev.Type != "sign-up" && (ev.UserAgent != "ActivityTest/1.0" || ev.IP == "") {
					t.Errorf("%s without the request's IP and user agent: %+v", ev.Type, ev)
				}
				if strings.Contains(ev.Detail, strings.TrimPrefix(link, "/password-reset/")) {
					t.Fatalf("an event holds the token: %+v", ev)
				}
			}
			if strings.Contains(strings.Join(got, " "), "sign-in-failed") && verification == 1 { // recorded off the request path
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		// The reset's three events share its millisecond: their order is the
		// random order of their ids.
		sort.Strings(got[:3])
		want := "password-reset:link session-ended:all (password reset) token-used:password-reset token-issued:password-reset sign-in-failed:password sign-up:password"
		if strings.Join(got, " ") != want {
			t.Fatalf("activity %v, want %s", got, want)
		}

		// Pages of 20 by cursor, none lost or repeated.
		u, err := e.auth.GetSession(t.Context(), b.bearer)
		if err != nil {
			t.Fatal(err)
		}
		for range 30 {
			e.clock.Advance(time.Millisecond)
			if err := e.auth.RecordActivity(t.Context(), latch.ActivityEvent{UserID: u.UserID, Type: "sign-out"}); err != nil {
				t.Fatal(err)
			}
		}
		seen, cursor := 0, ""
		for pages := 0; ; pages++ {
			p := readActivity(t, b, cursor)
			for i := 1; i < len(p.Events); i++ {
				if p.Events[i].At.After(p.Events[i-1].At) {
					t.Fatalf("page %d not newest first", pages)
				}
			}
			seen += len(p.Events)
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		if seen != 37 {
			t.Errorf("paged through %d events, want 37", seen)
		}
		b.do("GET", "/api/auth/activity?cursor=bogus", nil).want(t, 400, "INVALID_CURSOR")

		other, _ := e.signUp("other@example.com", pw)
		e.mailTo("other@example.com", "", 1) // its verification token is recorded
		if p := readActivity(t, other, ""); len(p.Events) != 2 || p.Events[0].Type+p.Events[1].Type != "sign-uptoken-issued" && p.Events[0].Type+p.Events[1].Type != "token-issuedsign-up" {
			t.Errorf("another user's record: %+v", p.Events)
		}

		// Past the retention (90 days): hidden, then purged.
		e.clock.Advance(90*24*time.Hour + time.Hour)
		b.bearer = b.do("POST", "/api/auth/sign-in", map[string]string{"email": email, "password": "a new password"}).want(t, 200, "").str("token")
		if p := readActivity(t, b, ""); len(p.Events) != 1 || p.Events[0].Type != "sign-in" {
			t.Errorf("after 90 days, listed %+v; want only the new sign-in", p.Events)
		}
		n, err := e.auth.PurgeActivity(t.Context())
		if err != nil || n != 39 {
			t.Errorf("PurgeActivity = %d, %v; want 39", n, err)
		}
	})
}

// TestActivityOnAccountPage: /account lists the security activity, with
// the request's user agent, escaped.
func TestActivityOnAccountPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, memory.New(), nil)
	c := e.browser()
	c.do("POST", "/api/auth/sign-up", map[string]string{"email": "page@example.com", "password": pw}, "User-Agent", "<b>Agent</b>").want(t, 201, "")
	r := c.do("GET", "/account", nil).want(t, 200, "")
	body := string(r.raw)
	for _, want := range []string{`id="activity"`, `data-type="sign-up"`, "&lt;b&gt;Agent&lt;/b&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("/account lacks %s", want)
		}
	}
	if strings.Contains(body, "<b>Agent</b>") {
		t.Error("/account shows the user agent unescaped")
	}
}
