package authapi

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// errInvalidEmail is returned by NormalizeEmail for an address Latch refuses.
var errInvalidEmail = errors.New("invalid email address")

// NormalizeEmail returns the canonical form of an email address, the form
// stored in the "email" attribute and in the key "email:<address>", or an
// error when the address is refused.
//
// Canonical form: surrounding space trimmed, Unicode NFC, lower case, the
// domain in its Unicode form (a punycode "xn--" label is decoded, so both
// spellings of one domain make one key).
//
// Look-alikes: two addresses that differ only by look-alike characters
// (Latin "a" and Cyrillic "а") are different mailboxes, and a verification
// mail proves control of one; the risk is in showing one for the other. So
// NormalizeEmail refuses what makes an address look like another:
// compatibility characters that NFKC would change (fullwidth letters,
// ligatures), invisible and control characters (zero-width joiners, bidi
// controls), and a local part or domain label that mixes scripts beyond
// the combinations UTS #39 calls highly restrictive (Latin with Cyrillic is
// refused; Latin with Han and Kana is not). An address written wholly in
// another script is accepted as the distinct mailbox it is.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 254 || !utf8.ValidString(s) {
		return "", errInvalidEmail
	}
	s = norm.NFC.String(strings.ToLower(norm.NFC.String(s)))
	if norm.NFKC.String(s) != s {
		return "", errInvalidEmail
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", errInvalidEmail
	}
	local, domain := s[:at], s[at+1:]
	if !validLocalPart(local) {
		return "", errInvalidEmail
	}
	domain, ok := canonicalDomain(domain)
	if !ok {
		return "", errInvalidEmail
	}
	out := local + "@" + domain
	if len(out) > 254 {
		return "", errInvalidEmail
	}
	return out, nil
}

// validLocalPart accepts a dot-atom (RFC 5322) extended with Unicode letters,
// marks and digits (RFC 6531); quoted local parts are refused.
func validLocalPart(local string) bool {
	if len(local) > 64 || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for _, r := range local {
		switch {
		case r < utf8.RuneSelf:
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", r)) {
				return false
			}
		case !unicode.In(r, unicode.L, unicode.M, unicode.N):
			return false
		}
	}
	return singleScript(local)
}

// canonicalDomain checks a domain by IDNA's lookup rules (UTS #46 with
// STD3 host names and the bidi rules) and returns its Unicode form.
func canonicalDomain(domain string) (string, bool) {
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil || len(ascii) > 253 || !strings.Contains(ascii, ".") {
		return "", false
	}
	uni, err := idna.Lookup.ToUnicode(ascii)
	if err != nil {
		return "", false
	}
	labels := strings.Split(uni, ".")
	for _, l := range labels {
		if l == "" || !singleScript(l) {
			return "", false
		}
	}
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "0123456789") == "" { // an IP address, not a domain
		return "", false
	}
	return uni, true
}

// The script combinations UTS #39 allows in a highly restrictive string
// besides a single script.
var scriptSets = [][]*unicode.RangeTable{
	{unicode.Latin, unicode.Han, unicode.Hiragana, unicode.Katakana},
	{unicode.Latin, unicode.Han, unicode.Bopomofo},
	{unicode.Latin, unicode.Han, unicode.Hangul},
}

// singleScript reports whether the letters of s (Common and Inherited
// characters aside) come from one script or an allowed combination.
func singleScript(s string) bool {
	var seen []*unicode.RangeTable
	for _, r := range s {
		if r < utf8.RuneSelf {
			if r >= 'a' && r <= 'z' {
				seen = addScript(seen, unicode.Latin)
			}
			continue
		}
		sc := scriptOf(r)
		if sc == nil {
			continue
		}
		seen = addScript(seen, sc)
	}
	if len(seen) <= 1 {
		return true
	}
	for _, set := range scriptSets {
		if subset(seen, set) {
			return true
		}
	}
	return false
}

func addScript(seen []*unicode.RangeTable, sc *unicode.RangeTable) []*unicode.RangeTable {
	for _, s := range seen {
		if s == sc {
			return seen
		}
	}
	return append(seen, sc)
}

func subset(a, b []*unicode.RangeTable) bool {
	for _, x := range a {
		found := false
		for _, y := range b {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// scriptOf returns the script table of r, or nil for Common, Inherited and
// unknown characters.
func scriptOf(r rune) *unicode.RangeTable {
	if unicode.In(r, unicode.Common, unicode.Inherited) {
		return nil
	}
	for _, t := range unicode.Scripts {
		if unicode.Is(t, r) {
			return t
		}
	}
	return nil
}
