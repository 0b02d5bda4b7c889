package mail_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/latchauth/latch/mail"
)

// In development the Outbox keeps the mails; in production NewSMTP sends
// them. Templates renders what Latch sends.
func Example() {
	tpl := mail.Templates{AppName: "Acme", BaseURL: "https://auth.example.com"}
	outbox := &mail.Outbox{Logger: slog.New(slog.DiscardHandler)}

	var mailer mail.Mailer = outbox // or mail.NewSMTP("smtps://user:pass@smtp.example.com", "Acme <no-reply@example.com>")
	m := tpl.PasswordReset("ada@example.com", "/password-reset/abc123", 30*time.Minute)
	if err := mailer.Send(context.Background(), m); err != nil {
		fmt.Println(err)
		return
	}
	sent := outbox.Messages()[0]
	fmt.Println(sent.To)
	fmt.Println(sent.Subject)
	fmt.Print(sent.Text)
	// Output:
	// ada@example.com
	// Reset your Acme password
	// Reset your Acme password
	//
	// Someone, hopefully you, asked to reset the password of your Acme account. Choose a new one here:
	//
	//     https://auth.example.com/password-reset/abc123
	//
	// The link works once and expires in 30 minutes.
	//
	// If you did not ask for this, ignore this mail: your password stays as it is.
}
