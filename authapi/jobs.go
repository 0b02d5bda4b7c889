package authapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/outbox"
	"github.com/latchauth/latch/token"
)

// The kinds of outbox jobs the handler queues. A request whose answer
// must not tell whether an address has an account (reset, magic link)
// queues the request itself; its worker does the lookup and the token and
// queues the mail, so the request's work and timing are the same either
// way. Every mail is its own job, so that a retry after an SMTP failure
// sends the same mail (same token, same Message-ID) instead of a new one.
const (
	jobMail          = "mail"
	jobPasswordReset = "password-reset-request"
	jobMagicLink     = "magic-link-request"
	jobVerification  = "verification-request"
	jobEmailChange   = "email-change-request"
	jobSignInFailed  = "sign-in-failed" // security activity, see recordFailedSignIn
)

type mailRequestJob struct {
	Email  string `json:"email"`
	Query  string `json:"query,omitempty"`  // magic link: ?callbackURL=…
	UserID string `json:"userId,omitempty"` // verification
	// The requester, for the user's security activity.
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
}

// enqueue writes a job to the durable queue and wakes the workers. The
// request answers only after this returned nil.
func (h *Handler) enqueue(ctx context.Context, id, kind string, payload any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("authapi: queueing %s: %w", kind, err)
	}
	err = h.queue.Enqueue(ctx, outbox.Job{ID: id, Kind: kind, Payload: body, RunAt: h.auth.Now()})
	if errors.Is(err, outbox.ErrDuplicate) {
		return nil // a retried job queued this already
	}
	if err != nil {
		return fmt.Errorf("authapi: queueing %s: %w: %w", kind, latch.ErrStoreUnavailable, err)
	}
	h.runner.Notify()
	return nil
}

// queueMail queues m as the mail of the job parent (a request job, or ""
// for a new one): the mail's job id and Message-ID derive from it, so a
// parent that runs again queues nothing twice.
func (h *Handler) queueMail(ctx context.Context, parent string, m mail.Message) error {
	id := outbox.NewID()
	if parent != "" {
		id = parent + ".mail"
	}
	m.MessageID = strings.ToLower(id) + "@" + h.messageIDHost()
	return h.enqueue(ctx, id, jobMail, m)
}

// messageIDHost is the right side of Message-IDs: the host of BaseURL.
func (h *Handler) messageIDHost() string {
	host := strings.TrimPrefix(strings.TrimPrefix(h.baseURL, "https://"), "http://")
	if i := strings.IndexAny(host, ":/"); i >= 0 {
		host = host[:i]
	}
	host = strings.Trim(host, "[]")
	if host == "" {
		return "latch"
	}
	return host
}

// jobHandlers are the workers' handlers of the kinds above.
func (h *Handler) jobHandlers() map[string]outbox.Handler {
	return map[string]outbox.Handler{
		jobMail:          h.sendMailJob,
		jobPasswordReset: h.passwordResetJob,
		jobMagicLink:     h.magicLinkJob,
		jobVerification:  h.verificationJob,
		jobEmailChange:   h.emailChangeJob,
		jobSignInFailed:  h.failedSignInJob,
	}
}

func decodeJob(j outbox.Job, v any) error {
	if err := json.Unmarshal(j.Payload, v); err != nil {
		return outbox.Permanent(fmt.Errorf("payload: %w", err))
	}
	return nil
}

func (h *Handler) sendMailJob(ctx context.Context, j outbox.Job) error {
	var m mail.Message
	if err := decodeJob(j, &m); err != nil {
		return err
	}
	err := h.mailer.Send(ctx, m)
	if errors.Is(err, mail.ErrInvalidMessage) {
		return outbox.Permanent(err)
	}
	return err
}

func (h *Handler) passwordResetJob(ctx context.Context, j outbox.Job) error {
	var req mailRequestJob
	if err := decodeJob(j, &req); err != nil {
		return err
	}
	u, ok, err := h.userByEmail(ctx, req.Email)
	if !ok {
		return err
	}
	if u.Disabled() { // no link that could not sign in
		return nil
	}
	tok, err := h.resets.Issue(ctx, u.ID)
	if errors.Is(err, token.ErrTooManyRequests) {
		h.log.InfoContext(ctx, "password reset not sent: too many requests for the user", "user", u.ID)
		return nil
	}
	if err != nil {
		return err
	}
	h.recordAs(ctx, u.ID, evTokenIssued, h.resets.Name(), req.IP, req.UserAgent)
	return h.queueMail(ctx, j.ID, h.mails.PasswordReset(req.Email, h.resetLink(tok.String()), tok.ExpiresAt.Sub(h.auth.Now())))
}

func (h *Handler) magicLinkJob(ctx context.Context, j outbox.Job) error {
	var req mailRequestJob
	if err := decodeJob(j, &req); err != nil {
		return err
	}
	u, ok, err := h.userByEmail(ctx, req.Email)
	if !ok {
		return err
	}
	if u.Disabled() {
		return nil
	}
	// Per user too, as reset links are, so that requests from many
	// addresses cannot flood one mailbox.
	if wait, err := h.mailLimit.Attempt(ctx, "magic-link:user:"+u.ID); err != nil || wait > 0 {
		h.log.InfoContext(ctx, "magic link not sent: too many requests for the user", "user", u.ID, "err", err)
		return nil
	}
	tok, err := h.magic.Issue(ctx, u.ID)
	if err != nil {
		return err
	}
	h.recordAs(ctx, u.ID, evTokenIssued, h.magic.Name(), req.IP, req.UserAgent)
	return h.queueMail(ctx, j.ID, h.mails.MagicLink(req.Email, h.magicLinkTarget(tok.String(), req.Query), tok.ExpiresAt.Sub(h.auth.Now())))
}

func (h *Handler) verificationJob(ctx context.Context, j outbox.Job) error {
	var req mailRequestJob
	if err := decodeJob(j, &req); err != nil {
		return err
	}
	code, err := h.codes.Issue(ctx, req.UserID)
	if errors.Is(err, latch.ErrInvalidUserID) {
		return nil // the user was deleted since
	}
	if err != nil {
		return err
	}
	link, err := h.links.Issue(ctx, req.UserID)
	if err != nil {
		return err
	}
	h.recordAs(ctx, req.UserID, evTokenIssued, h.codes.Name()+" "+h.links.Name(), req.IP, req.UserAgent)
	return h.queueMail(ctx, j.ID, h.mails.VerificationCode(req.Email, code.String(), "/api/auth/email-verification/"+link.String(), code.ExpiresAt.Sub(h.auth.Now())))
}

// emailChangeJob mails the new address a confirmation link, or, when the
// address has an account already, a notice saying so (the request's
// answer is the same either way).
func (h *Handler) emailChangeJob(ctx context.Context, j outbox.Job) error {
	var req mailRequestJob
	if err := decodeJob(j, &req); err != nil {
		return err
	}
	if _, taken, err := h.userByEmail(ctx, req.Email); err != nil {
		return err
	} else if taken {
		return h.queueMail(ctx, j.ID, h.mails.EmailInUse(req.Email))
	}
	if reserved, err := h.emailReserved(ctx, req.Email, req.UserID); err != nil {
		return err
	} else if reserved { // another account left it and may take it back
		return h.queueMail(ctx, j.ID, h.mails.EmailInUse(req.Email))
	}
	if err := h.emailChg.InvalidateAllUserTokens(ctx, req.UserID); err != nil {
		return err
	}
	tok, err := h.emailChg.IssueWithData(ctx, req.UserID, []byte(req.Email))
	if err != nil {
		return err
	}
	h.recordAs(ctx, req.UserID, evTokenIssued, h.emailChg.Name(), req.IP, req.UserAgent)
	return h.queueMail(ctx, j.ID, h.mails.EmailChange(req.Email, "/email-change/"+tok.String(), tok.ExpiresAt.Sub(h.auth.Now())))
}
