package authapi

import (
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// lookAlikeScripts are the scripts whose letters pass for Latin ones
// ("Gіthub" with a Cyrillic і).
var lookAlikeScripts = []*unicode.RangeTable{unicode.Cyrillic, unicode.Greek, unicode.Armenian, unicode.Cherokee}

// checkClientName says what is wrong with the name an app gives itself on
// the CLI consent page, or "": a name that passes for another one there
// could lure a user into approving the wrong app. A name must be in NFKC
// form (no fullwidth "ＧｉｔＨｕｂ", mathematical "𝐆𝐢𝐭𝐇𝐮𝐛", ligatures or
// other compatibility look-alikes), without format characters (zero-width
// joiners, bidi overrides), and must not mix Latin letters with letters of
// a script that imitates them.
func checkClientName(name string) string {
	const msg = "client_name must not use look-alike characters (fullwidth, styled, invisible or mixed-script letters)"
	if !norm.NFKC.IsNormalString(name) {
		return msg
	}
	latin, imitator := false, false
	for _, r := range name {
		switch {
		case unicode.Is(unicode.Cf, r):
			return msg
		case unicode.Is(unicode.Latin, r):
			latin = true
		case unicode.In(r, lookAlikeScripts...):
			imitator = true
		}
	}
	if latin && imitator {
		return msg
	}
	return ""
}
