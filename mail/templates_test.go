package mail

import (
	"strings"
	"testing"
	"time"
)

func TestTemplates(t *testing.T) {
	t.Parallel()
	tpl := Templates{AppName: "Acme", BaseURL: "https://auth.example.com/"}
	tests := []struct {
		name      string
		m         Message
		subject   string
		textHas   []string
		htmlHas   []string
		notInSubj string
	}{
		{
			name:      "verification code with link",
			m:         tpl.VerificationCode("ada@example.com", "12345678", "/api/auth/email-verification/tok123", 15*time.Minute),
			subject:   "Verify your email for Acme",
			textHas:   []string{"12345678", "https://auth.example.com/api/auth/email-verification/tok123", "15 minutes"},
			htmlHas:   []string{">12345678<", `href="https://auth.example.com/api/auth/email-verification/tok123"`, "15 minutes"},
			notInSubj: "12345678",
		},
		{
			name:      "verification code alone",
			m:         tpl.VerificationCode("ada@example.com", "87654321", "", 0),
			subject:   "Verify your email for Acme",
			textHas:   []string{"87654321"},
			htmlHas:   []string{">87654321<"},
			notInSubj: "87654321",
		},
		{
			name:      "password reset",
			m:         tpl.PasswordReset("ada@example.com", "/password-reset/resettok", time.Hour),
			subject:   "Reset your Acme password",
			textHas:   []string{"https://auth.example.com/password-reset/resettok", "1 hour"},
			htmlHas:   []string{`href="https://auth.example.com/password-reset/resettok"`, "1 hour"},
			notInSubj: "resettok",
		},
		{
			name:      "magic link, absolute",
			m:         tpl.MagicLink("ada@example.com", "https://other.example.com/m/magictok", 3*time.Minute),
			subject:   "Sign in to Acme",
			textHas:   []string{"https://other.example.com/m/magictok", "3 minutes"},
			htmlHas:   []string{`href="https://other.example.com/m/magictok"`},
			notInSubj: "magictok",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.m.Validate(); err != nil {
				t.Fatal(err)
			}
			if tt.m.To != "ada@example.com" || tt.m.Subject != tt.subject {
				t.Errorf("To %q Subject %q", tt.m.To, tt.m.Subject)
			}
			if strings.Contains(tt.m.Subject, tt.notInSubj) {
				t.Errorf("the subject carries a secret: %q", tt.m.Subject)
			}
			for _, s := range tt.textHas {
				if !strings.Contains(tt.m.Text, s) {
					t.Errorf("text part lacks %q:\n%s", s, tt.m.Text)
				}
			}
			for _, s := range tt.htmlHas {
				if !strings.Contains(tt.m.HTML, s) {
					t.Errorf("HTML part lacks %q:\n%s", s, tt.m.HTML)
				}
			}
			if !strings.HasPrefix(tt.m.HTML, "<!DOCTYPE html>") || strings.Contains(tt.m.HTML, "{{") || strings.Contains(tt.m.Text, "{{") {
				t.Errorf("badly rendered:\n%s\n%s", tt.m.Text, tt.m.HTML)
			}
			if strings.Contains(tt.m.Text, "<no value>") || strings.Contains(tt.m.HTML, "<no value>") {
				t.Error("a template field had no value")
			}
		})
	}
}

// TestTemplatesEscape: values are escaped in the HTML part, and a link with
// a scheme other than http(s) is not made clickable.
func TestTemplatesEscape(t *testing.T) {
	t.Parallel()
	tpl := Templates{AppName: `<script>alert(1)</script>`}
	m := tpl.VerificationCode("ada@example.com", `"><img src=x>`, "javascript:alert(1)", 0)
	for _, bad := range []string{"<script>", "<img", `href="javascript:`} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML part contains %q:\n%s", bad, m.HTML)
		}
	}
	if m.Subject != "Verify your email for <script>alert(1)</script>" {
		t.Errorf("Subject = %q", m.Subject)
	}
}

func TestTemplatesDefaults(t *testing.T) {
	t.Parallel()
	m := Templates{}.MagicLink("ada@example.com", "/magic/x", 0)
	if m.Subject != "Sign in to Latch" || !strings.Contains(m.Text, "/magic/x") || strings.Contains(m.Text, "expires") {
		t.Errorf("zero Templates: %q\n%s", m.Subject, m.Text)
	}
	links := []struct{ base, in, want string }{
		{"https://a.example.com", "/p/t", "https://a.example.com/p/t"},
		{"https://a.example.com/", "/p/t", "https://a.example.com/p/t"},
		{"https://a.example.com/auth", "/p/t", "https://a.example.com/auth/p/t"},
		{"https://a.example.com", "https://b.example.com/x", "https://b.example.com/x"},
		{"https://a.example.com", "//evil.example.com/x", "//evil.example.com/x"},
		{"", "/p/t", "/p/t"},
	}
	for _, l := range links {
		if got := (Templates{BaseURL: l.base}).Link(l.in); got != l.want {
			t.Errorf("Templates{BaseURL: %q}.Link(%q) = %q, want %q", l.base, l.in, got, l.want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, ""},
		{-time.Second, ""},
		{500 * time.Millisecond, "1 second"},
		{30 * time.Second, "30 seconds"},
		{time.Minute, "1 minute"},
		{90 * time.Second, "2 minutes"},
		{10*time.Minute - time.Millisecond, "10 minutes"}, // a token's lifetime read a moment after it was made
		{time.Hour - time.Millisecond, "1 hour"},
		{59 * time.Second, "59 seconds"},
		{3 * time.Minute, "3 minutes"},
		{15 * time.Minute, "15 minutes"},
		{time.Hour, "1 hour"},
		{24 * time.Hour, "24 hours"},
		{48 * time.Hour, "2 days"},
		{7 * 24 * time.Hour, "7 days"},
	}
	for _, tt := range tests {
		if got := humanDuration(tt.d); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
