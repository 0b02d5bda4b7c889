package mail

import "strconv"

// The notices of second factors.

// TwoFactorEnabled tells the account's owner that an authenticator app
// was added as a second factor.
func (t Templates) TwoFactorEnabled(to string) Message {
	return t.render(noticeMail, to, "Two-factor authentication was turned on for your "+t.appName()+" account", mailData{
		Heading:    "Two-factor authentication is on",
		Paragraphs: []string{"An authenticator app was just added to your " + t.appName() + " account: signing in now takes a code from it (or a recovery code) after the password."},
		Footer:     ifNotYou,
	})
}

// TwoFactorDisabled tells the account's owner that the authenticator app
// was removed.
func (t Templates) TwoFactorDisabled(to string) Message {
	return t.render(noticeMail, to, "Two-factor authentication was turned off for your "+t.appName()+" account", mailData{
		Heading:    "Two-factor authentication is off",
		Paragraphs: []string{"The authenticator app of your " + t.appName() + " account was just removed, with its recovery codes."},
		Footer:     ifNotYou,
	})
}

// TwoFactorRemovedByAdmin tells the account's owner that an administrator
// removed every second factor of the account and signed out every session.
func (t Templates) TwoFactorRemovedByAdmin(to string) Message {
	return t.render(noticeMail, to, "The second factors of your "+t.appName()+" account were removed", mailData{
		Heading: "Your second factors were removed",
		Paragraphs: []string{
			"An administrator of " + t.appName() + " removed every second factor of your account (authenticator app, passkeys, recovery codes) and signed out every session, as asked when a factor is lost.",
			"You can sign in with your password and set up two-factor authentication again from your account page.",
		},
		Footer: "If you did not ask for this, contact the administrators and reset your password now.",
	})
}

// RecoveryCodeUsed tells the account's owner that a recovery code was
// used, and how many are left.
func (t Templates) RecoveryCodeUsed(to string, left int) Message {
	n := strconv.Itoa(left) + " recovery codes are left"
	if left == 1 {
		n = "1 recovery code is left"
	}
	return t.render(noticeMail, to, "A recovery code of your "+t.appName()+" account was used", mailData{
		Heading: "A recovery code was used",
		Paragraphs: []string{
			"One of the recovery codes of your " + t.appName() + " account was just used in place of a code from your authenticator app. " + n + ".",
			"If your authenticator app is lost, make new recovery codes or set it up again from your account page.",
		},
		Footer: ifNotYou,
	})
}
