package authapi_test

import (
	"strings"
	"testing"

	"github.com/latchauth/latch/authapi"
)

func TestNormalizeEmail(t *testing.T) {
	ok := []struct{ in, want string }{
		{"ada@example.com", "ada@example.com"},
		{"  Ada.Lovelace+tag@Example.COM\t", "ada.lovelace+tag@example.com"},
		{"o'brien@example.ie", "o'brien@example.ie"},
		{"E\u0301LODIE@EXA\u0308MPLE.COM", "élodie@exämple.com"}, // NFD in, NFC out
		{"élodie@xn--exmple-cua.com", "élodie@exämple.com"},      // punycode domain decoded
		{"пользователь@пример.рф", "пользователь@пример.рф"},     // one script: Cyrillic
		{"δοκιμή@παράδειγμα.δοκιμή", "δοκιμή@παράδειγμα.δοκιμή"},
		{"ΣΊΣΥΦΟΣ@example.com", "σίσυφοσ@example.com"}, // simple lower case, no final-sigma rule
		{"用户@例子.广告", "用户@例子.广告"},
		{"テスト太郎abc@example.jp", "テスト太郎abc@example.jp"}, // Latin + Han + Katakana: allowed
		{"user@sub.example.co.uk", "user@sub.example.co.uk"},
	}
	for _, tc := range ok {
		got, err := authapi.NormalizeEmail(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	bad := []struct{ name, in string }{
		{"empty", ""},
		{"spaces", "   "},
		{"no at", "example.com"},
		{"no local", "@example.com"},
		{"no domain", "ada@"},
		{"single label", "ada@localhost"},
		{"IP literal", "ada@[127.0.0.1]"},
		{"numeric TLD", "ada@127.0.0.1"},
		{"two ats", "a@b@example.com"},
		{"quoted local", `"ada lovelace"@example.com`},
		{"leading dot", ".ada@example.com"},
		{"double dot", "a..da@example.com"},
		{"space", "a da@example.com"},
		{"underscore domain", "ada@ex_ample.com"},
		{"mixed Latin and Cyrillic", "p\u0430ypal@example.com"},
		{"mixed in domain", "ada@p\u0430ypal.com"},
		{"mixed Latin and Greek", "\u03bfscar@example.com"},
		{"fullwidth", "\uff41\uff44\uff41@example.com"},
		{"ligature", "\ufb01le@example.com"},
		{"zero width space", "a\u200bda@example.com"},
		{"zero width joiner", "a\u200dda@example.com"},
		{"bidi override", "ada\u202e@example.com"},
		{"control", "ada\x01@example.com"},
		{"NUL", "ada\x00@example.com"},
		{"invalid UTF-8", "ada\xff@example.com"},
		{"local over 64", strings.Repeat("a", 65) + "@example.com"},
		{"over 254", "a@" + strings.Repeat("b", 250) + ".com"},
	}
	for _, tc := range bad {
		if got, err := authapi.NormalizeEmail(tc.in); err == nil {
			t.Errorf("%s: NormalizeEmail(%q) = %q, want an error", tc.name, tc.in, got)
		}
	}
}
