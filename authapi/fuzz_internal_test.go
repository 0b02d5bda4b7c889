package authapi

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// browserPath reports whether a browser resolving ref (a Location or a
// link's href) against a page of this site stays on this site, following
// the WHATWG URL parser rather than net/url: leading and trailing C0
// controls and spaces are dropped, tabs and newlines removed anywhere,
// '\' read as '/' (http and https are special schemes), and a reference
// that then starts with "//" or a scheme names another host.
func browserPath(ref string) bool {
	ref = strings.TrimFunc(ref, func(r rune) bool { return r <= 0x20 })
	ref = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(ref)
	if i := strings.IndexAny(ref, "?#"); i >= 0 {
		ref = ref[:i] // the query and fragment cannot change the host
	}
	return strings.HasPrefix(ref, "/") && !strings.HasPrefix(ref, "//")
}

// FuzzLocalPath holds the redirect-target check to its promise: what it
// returns is its default or the input unchanged, and then a path on this
// site, as net/url resolves it, as a browser reads it, and as the
// Location that http.Redirect writes from it.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{
		"/account", "/account?m=signed-in", "/a/../b", "/?next=//evil.example", "/#//evil.example",
		"", "account", "//evil.example", "///evil.example", `/\evil.example`, `\/evil.example`, "/\t/evil.example",
		"/\n/evil.example", " //evil.example", "\x00//evil.example", "https://evil.example", "/%2F/evil.example",
		"/%5Cevil.example", "/..//evil.example", "/./\\evil.example", "/.//evil.example", "/a/..//evil.example",
		"/@evil.example", "/:@evil.example", "/x:y", "javascript:alert(1)", "/\x0b/evil.example", "/\u3000/x",
		"/%09/evil.example", "/ /evil.example",
	} {
		f.Add(s)
	}
	const def = "/default"
	base, _ := url.Parse("https://site.example/dir/page")
	f.Fuzz(func(t *testing.T, p string) {
		got := localPath(p, def)
		if got != def && got != p {
			t.Fatalf("localPath(%q) = %q, neither the input nor the default", p, got)
		}
		if got == def {
			return
		}
		if !browserPath(got) {
			t.Fatalf("localPath(%q) kept it, but a browser leaves the site with it", p)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("localPath(%q) kept an unparsable reference: %v", p, err)
		}
		if abs := base.ResolveReference(u); abs.Scheme != base.Scheme || abs.Host != base.Host {
			t.Fatalf("localPath(%q) kept it, but it resolves to %s", p, abs)
		}

		// The redirect the handlers write from it.
		rec := httptest.NewRecorder()
		http.Redirect(rec, httptest.NewRequest("GET", base.String(), nil), got, http.StatusSeeOther)
		loc := rec.Header().Get("Location")
		lu, err := url.Parse(loc)
		if err != nil || !browserPath(loc) {
			t.Fatalf("localPath(%q) kept it, and http.Redirect wrote Location %q (%v), which leaves the site", p, loc, err)
		}
		if abs := base.ResolveReference(lu); abs.Host != base.Host {
			t.Fatalf("localPath(%q): Location %q resolves to %s", p, loc, abs)
		}
	})
}
