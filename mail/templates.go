package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates
var templateFS embed.FS

// Templates renders the mails Latch sends, each with a text and an HTML
// part. Links may be given absolute, or as a path ("/password-reset/…",
// already escaped) that is put after BaseURL. The zero value works, with
// the name "Latch" and paths left as they are.
//
// Subjects carry the application's name and nothing secret: codes and
// links are only in the bodies (an Outbox logs subjects).
type Templates struct {
	// AppName names the service in subjects and bodies. Default "Latch".
	AppName string
	// BaseURL is the absolute URL that paths are put after, without a
	// trailing slash: "https://auth.example.com".
	BaseURL string
}

// VerificationCode is the mail that confirms an address with a numeric
// code; when link is not "", the mail also offers a link that verifies in
// one click. expiresIn, when not 0, is said in the mail.
func (t Templates) VerificationCode(to, code, link string, expiresIn time.Duration) Message {
	return t.render(verificationMail, to, "Verify your email for "+t.appName(), mailData{
		Code: code, Link: t.Link(link), Action: "Verify my email", ExpiresIn: humanDuration(expiresIn),
	})
}

// PasswordReset is the mail with the link to the page where a new password
// is chosen.
func (t Templates) PasswordReset(to, link string, expiresIn time.Duration) Message {
	return t.render(passwordResetMail, to, "Reset your "+t.appName()+" password", mailData{
		Link: t.Link(link), Action: "Choose a new password", ExpiresIn: humanDuration(expiresIn),
	})
}

// MagicLink is the mail with a link that signs in without a password.
func (t Templates) MagicLink(to, link string, expiresIn time.Duration) Message {
	return t.render(magicLinkMail, to, "Sign in to "+t.appName(), mailData{
		Link: t.Link(link), Action: "Sign in", ExpiresIn: humanDuration(expiresIn),
	})
}

// ifNotYou ends the notices of account changes.
const ifNotYou = "If this was not you, reset your password now and check the sign-in methods of your account."

// PasswordChanged tells the account's owner that the password was changed
// and every other session signed out.
func (t Templates) PasswordChanged(to string) Message {
	return t.render(noticeMail, to, "Your "+t.appName()+" password was changed", mailData{
		Heading:    "Your password was changed",
		Paragraphs: []string{"The password of your " + t.appName() + " account was just changed, and every other session was signed out."},
		Footer:     ifNotYou,
	})
}

// AccountDeleted says goodbye to the owner of an account that was deleted.
func (t Templates) AccountDeleted(to string) Message {
	return t.render(noticeMail, to, "Your "+t.appName()+" account was deleted", mailData{
		Heading: "Your account was deleted",
		Paragraphs: []string{
			"Your " + t.appName() + " account and everything kept for it were deleted, as asked from a signed-in session with the account's password.",
			"Goodbye, and thank you for having used " + t.appName() + ".",
		},
	})
}

// SignInMethodRemoved tells the account's owner that a sign-in method
// (provider names an OAuth provider or "email") was unlinked.
func (t Templates) SignInMethodRemoved(to, provider string) Message {
	return t.render(noticeMail, to, "A sign-in method was removed from your "+t.appName()+" account", mailData{
		Heading:    "A sign-in method was removed",
		Paragraphs: []string{"Signing in to your " + t.appName() + " account with " + provider + " was just turned off."},
		Footer:     ifNotYou,
	})
}

// EmailChange is the mail to a new address with the link that confirms it
// as the account's address.
func (t Templates) EmailChange(to, link string, expiresIn time.Duration) Message {
	return t.render(noticeMail, to, "Confirm your new email for "+t.appName(), mailData{
		Heading:    "Confirm your new email address",
		Paragraphs: []string{"Someone, hopefully you, asked to use this address for a " + t.appName() + " account. Confirm it here:"},
		Link:       t.Link(link), Action: "Confirm my new address", ExpiresIn: humanDuration(expiresIn),
		Footer: "If you did not ask for this, ignore this mail: nothing changes.",
	})
}

// EmailChanged tells the old address of an account that its email is now
// newEmail.
func (t Templates) EmailChanged(to, newEmail string) Message {
	return t.render(noticeMail, to, "The email of your "+t.appName()+" account was changed", mailData{
		Heading:    "Your email address was changed",
		Paragraphs: []string{"Your " + t.appName() + " account now uses the address " + newEmail + ": mail about it goes there from now on."},
		Footer:     ifNotYou,
	})
}

// EmailInUse is sent to an address that already has an account when
// someone asks to move another account to it: the requester is not told.
func (t Templates) EmailInUse(to string) Message {
	return t.render(noticeMail, to, "Someone tried to use your address on "+t.appName(), mailData{
		Heading: "Someone tried to use your address",
		Paragraphs: []string{
			"Someone asked to move another " + t.appName() + " account to this address. It already has an account, yours, so nothing was changed.",
		},
		Footer: "If this was you, sign in with this address instead. Otherwise you can ignore this mail.",
	})
}

// Notice is the content of a notice about a change to an account. When
// UndoLink is set the mail carries it as its button, labelled UndoAction:
// a single-use link that reverts the change, valid for UndoExpiresIn.
type Notice struct {
	Subject       string
	Heading       string
	Paragraphs    []string
	UndoLink      string
	UndoAction    string
	UndoExpiresIn time.Duration
	Footer        string
}

// ChangeNotice renders n, in text and HTML, as a mail to to.
func (t Templates) ChangeNotice(to string, n Notice) Message {
	d := mailData{Heading: n.Heading, Paragraphs: n.Paragraphs, Footer: n.Footer}
	if n.UndoLink != "" {
		d.Link, d.Action, d.ExpiresIn = t.Link(n.UndoLink), n.UndoAction, humanDuration(n.UndoExpiresIn)
	}
	return t.render(noticeMail, to, n.Subject, d)
}

// AppNameOrDefault is the application's name as mails show it ("Latch"
// when AppName is unset).
func (t Templates) AppNameOrDefault() string { return t.appName() }

// Link returns link as it appears in a mail: a path starting with "/" is
// put after BaseURL; anything else is returned as it is.
func (t Templates) Link(link string) string {
	if strings.HasPrefix(link, "/") && !strings.HasPrefix(link, "//") && t.BaseURL != "" {
		return strings.TrimRight(t.BaseURL, "/") + link
	}
	return link
}

func (t Templates) appName() string {
	if t.AppName == "" {
		return "Latch"
	}
	return t.AppName
}

type mailData struct {
	AppName   string
	Subject   string
	Code      string
	Link      string
	Action    string // the button's label
	ExpiresIn string
	// Heading, Paragraphs and Footer are the text of a notice mail.
	Heading    string
	Paragraphs []string
	Footer     string
}

type mailTemplate struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// The templates are embedded and fixed; a broken one fails every test.
var (
	verificationMail  = parseMail("verification")
	passwordResetMail = parseMail("password-reset")
	magicLinkMail     = parseMail("magic-link")
	noticeMail        = parseMail("notice")
)

func parseMail(name string) mailTemplate {
	return mailTemplate{
		text: texttemplate.Must(texttemplate.New(name+".txt").Option("missingkey=error").ParseFS(templateFS, "templates/"+name+".txt")),
		html: htmltemplate.Must(htmltemplate.New("layout").ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")),
	}
}

func (t Templates) render(tmpl mailTemplate, to, subject string, d mailData) Message {
	d.AppName, d.Subject = t.appName(), subject
	m := Message{To: to, Subject: subject}
	var b bytes.Buffer
	if err := tmpl.text.Execute(&b, d); err == nil {
		m.Text = b.String()
	} else { // only strings go in: cannot happen, but never send a half mail
		m.Text = fmt.Sprintf("%s\n\n%s %s\n", subject, d.Code, d.Link)
	}
	b.Reset()
	if err := tmpl.html.ExecuteTemplate(&b, "layout", d); err == nil {
		m.HTML = b.String()
	}
	return m
}

// humanDuration says d in the largest whole unit: "15 minutes", "1 hour",
// "24 hours", "7 days", "30 seconds"; other lengths in whole minutes. It
// rounds up (to the second below a minute, else to the minute): the
// lifetime of a token made a moment ago, 9m59.9s, reads "10 minutes", as
// it was set, not "9 minutes".
func humanDuration(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	if d > time.Minute {
		d = (d + time.Minute - 1).Truncate(time.Minute)
	} else {
		d = (d + time.Second - 1).Truncate(time.Second)
	}
	unit := func(n int64, name string) string {
		if n == 1 {
			return "1 " + name
		}
		return fmt.Sprintf("%d %ss", n, name)
	}
	switch {
	case d%(24*time.Hour) == 0 && d >= 48*time.Hour:
		return unit(int64(d/(24*time.Hour)), "day")
	case d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	case d < time.Minute:
		return unit(max(int64(d/time.Second), 1), "second")
	default:
		return unit(int64(d/time.Minute), "minute")
	}
}
