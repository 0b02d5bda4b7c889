package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestCookieOptions(t *testing.T) {
	t.Parallel()
	base := options{env: "prod", schema: "", cookieName: "auto", cookiePath: "/", cookieSameSite: "lax"}
	ok := []struct {
		name     string
		change   func(*options)
		cookie   string
		previous []string
		sameSite http.SameSite
	}{
		{"prod: __Host-, reading the old name", func(*options) {}, "__Host-auth_session", []string{"auth_session"}, http.SameSiteLaxMode},
		{"prod with a domain: plain name, reading the __Host- one", func(o *options) { o.cookieDomain = "example.com" }, "auth_session", []string{"__Host-auth_session"}, http.SameSiteLaxMode},
		{"prod under lucia2: Lucia's name only", func(o *options) { o.schema = "lucia2" }, "auth_session", nil, http.SameSiteLaxMode},
		{"dev", func(o *options) { o.env = "dev" }, "auth_session", nil, http.SameSiteLaxMode},
		{"explicit name", func(o *options) { o.cookieName = "sid"; o.cookieSameSite = "Strict" }, "sid", nil, http.SameSiteStrictMode},
		{"none in prod", func(o *options) { o.cookieSameSite = "none" }, "__Host-auth_session", []string{"auth_session"}, http.SameSiteNoneMode},
		{"unset settings are the defaults", func(o *options) { o.cookieName, o.cookiePath, o.cookieSameSite = "", "", "" }, "__Host-auth_session", []string{"auth_session"}, http.SameSiteLaxMode},
	}
	for _, tt := range ok {
		o := base
		tt.change(&o)
		got, err := o.cookieOptions()
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got.CookieName != tt.cookie || !slices.Equal(got.PreviousCookieNames, tt.previous) || got.SameSite != tt.sameSite {
			t.Errorf("%s: name %q previous %q SameSite %v", tt.name, got.CookieName, got.PreviousCookieNames, got.SameSite)
		}
	}
	bad := []struct {
		change func(*options)
		want   string
	}{
		{func(o *options) { o.cookieSameSite = "none"; o.env = "dev" }, "--cookie-same-site none needs --env prod"},
		{func(o *options) { o.cookieSameSite = "sometimes" }, "--cookie-same-site"},
		{func(o *options) { o.cookiePath = "app" }, "--cookie-path"},
		{func(o *options) { o.cookieDomain = "https://example.com" }, "--cookie-domain"},
		{func(o *options) { o.cookieName = "__Host-sid"; o.schema = "lucia2" }, "lucia2"},
		{func(o *options) { o.cookieName = "__Host-sid"; o.cookieDomain = "example.com" }, "no --cookie-domain"},
		{func(o *options) { o.cookieName = "__Host-sid"; o.env = "dev" }, "--env prod"},
		{func(o *options) { o.cookieName = "bad name" }, "--cookie-name"},
	}
	for _, tt := range bad {
		o := base
		tt.change(&o)
		if _, err := o.cookieOptions(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want one with %q", o, err, tt.want)
		}
	}
}
