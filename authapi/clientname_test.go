package authapi

import (
	"net/url"
	"testing"
)

// Look-alike client names are refused on the CLI consent page; honest
// names in any one script pass.
func TestCLIClientNameLookAlikes(t *testing.T) {
	for name, refuse := range map[string]bool{
		"GitHub CLI":           false,
		"Test <b>CLI</b>":      false,
		"Outil de déploiement": false,
		"デプロイ ツール":             false,
		"Утилита":              false,
		"ＧｉｔＨｕｂ ＣＬＩ":           true, // fullwidth
		"𝐆𝐢𝐭𝐇𝐮𝐛 CLI":           true, // mathematical bold
		"Gіthub CLI":           true, // Cyrillic і among Latin letters
		"GitHub\u200bCLI":      true, // zero-width space
		"GitHub\u202eILC":      true, // right-to-left override
		"ﬁle sync":             true, // ligature
	} {
		v := url.Values{
			"redirect_uri": {"http://127.0.0.1:8123/cb"}, "state": {"st4te"}, "code_challenge_method": {"S256"},
			"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "client_name": {name},
		}
		_, msg := readCLIRequest(v)
		if refuse != (msg != "") {
			t.Errorf("%q: message %q, want refused %v", name, msg, refuse)
		}
	}
}
