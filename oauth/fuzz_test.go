package oauth_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/latchauth/latch/oauth"
)

// FuzzSafeNext holds SafeNext, which keeps the page to return to after a
// sign-in, to its promise: it returns "" or its input unchanged, and what
// it keeps stays on this site both as net/url resolves it and as a
// browser's URL parser reads it (C0 controls and spaces trimmed, tabs and
// newlines dropped, '\' read as '/').
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{
		"/account", "/account?tab=sessions#x", "", "account", "//evil.example", "/\\evil.example",
		"/\t/evil.example", " /x", "/x\x00", "https://evil.example/", "/%2F%2Fevil.example", "/..//evil.example",
		"/@evil.example", "/x:y", "javascript:alert(1)", "/\u2028/evil.example", "/\xff", "/" + strings.Repeat("a", 2048),
	} {
		f.Add(s)
	}
	base, _ := url.Parse("https://site.example/api/auth/oauth/github/callback")
	f.Fuzz(func(t *testing.T, next string) {
		got := oauth.SafeNext(next)
		if got == "" {
			return
		}
		if got != next {
			t.Fatalf("SafeNext(%q) = %q, neither the input nor empty", next, got)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("SafeNext kept %q, which does not parse: %v", got, err)
		}
		if abs := base.ResolveReference(u); abs.Scheme != base.Scheme || abs.Host != base.Host {
			t.Fatalf("SafeNext kept %q, which resolves to %s", got, abs)
		}
		b := strings.TrimFunc(got, func(r rune) bool { return r <= ' ' })
		b = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(b)
		if !strings.HasPrefix(b, "/") || strings.HasPrefix(b, "//") {
			t.Fatalf("SafeNext kept %q, which a browser reads as another site", got)
		}
	})
}
