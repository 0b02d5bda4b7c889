package mail

import "time"

var stepUpCodeMail = parseMail("step-up-code")

// stepUpActions say the step-up actions in words.
var stepUpActions = map[string]string{
	"change-password": "change your password",
	"change-email":    "change your email address",
	"delete-account":  "delete your account",
	"add-factor":      "add a second factor",
	"remove-factor":   "remove a second factor",
	"recovery-codes":  "make new recovery codes",
}

// StepUpCode is the mail with the code that confirms a sensitive action
// (the "email-code" step-up of an account without a password). action
// is the step-up action's name ("delete-account"); the mail says it in
// words, so that a code asked by someone else is recognised as such.
func (t Templates) StepUpCode(to, code, action string, expiresIn time.Duration) Message {
	what := stepUpActions[action]
	if what == "" {
		what = "confirm a change to your account"
	}
	return t.render(stepUpCodeMail, to, "Your "+t.appName()+" confirmation code", mailData{
		Code: code, Action: what, ExpiresIn: humanDuration(expiresIn),
	})
}
