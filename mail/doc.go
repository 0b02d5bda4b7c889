// Package mail sends the mails of sign-up, password reset and magic links.
//
// A Mailer sends one Message. SMTP sends through a real server, configured
// by a URL (smtp://user:pass@host:587); Outbox is for development: it keeps
// the mails in memory, lists them as JSON, and logs one line per mail (who
// and what, never the body, which carries codes and links). Templates
// renders the mails Latch sends, with a text and an HTML part.
package mail
