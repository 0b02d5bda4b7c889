package authapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/outbox"
)

// ErrEmailUnchanged answers a request to change the email to the address
// the account already has.
var ErrEmailUnchanged = newError(http.StatusBadRequest, "EMAIL_UNCHANGED", "this is already the account's address")

type changeEmailRequest struct {
	NewEmail    string `json:"newEmail"`
	Password    string `json:"password"`
	StepUpToken string `json:"stepUpToken"`
}

func (h *Handler) changeEmailAPI(w http.ResponseWriter, r *http.Request) error {
	var req changeEmailRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.requestEmailChange(r, req.NewEmail, req.Password, req.StepUpToken); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, messageJSON{Message: "A mail with a confirmation link is on its way to the new address."})
	return nil
}

// requestEmailChange checks the password of the signed-in user (under the
// sign-in throttle) and counts a mail request per IP and per user, then
// queues the rest off the request path, so that neither the answer nor its
// timing tells whether the new address has an account: if it has none,
// the address gets a confirmation link (older links of the user are
// voided); if it has, it gets a "someone tried to use your address" mail.
func (h *Handler) requestEmailChange(r *http.Request, rawEmail, pw, stepUp string) error {
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	email, err := NormalizeEmail(rawEmail)
	if err != nil {
		return ErrInvalidEmail
	}
	if email == s.User.Attributes.String(attrEmail) {
		return ErrEmailUnchanged
	}
	if err := h.confirmAction(r, s, ActionChangeEmail, pw, stepUp); err != nil {
		return err
	}
	if err := h.checkThrottle(r.Context(), h.mailLimit, "user:"+s.UserID); err != nil {
		return err
	}
	if err := h.countMailRequest(r, "ip:"+h.clientIP(r)); err != nil {
		return err
	}
	h.fail(r.Context(), h.mailLimit, "user:"+s.UserID)
	uid := s.UserID
	return h.enqueue(r.Context(), outbox.NewID(), jobEmailChange, mailRequestJob{Email: email, UserID: uid, IP: h.clientIP(r), UserAgent: r.UserAgent()})
}

type tokenRequest struct {
	Token string `json:"token"`
}

type userBody struct {
	User userJSON `json:"user"`
}

func (h *Handler) confirmEmailChangeAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	var req tokenRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	u, err := h.confirmEmailChange(r, req.Token)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userBody{User: toUserJSON(u)})
	return nil
}

// confirmEmailChange consumes an email-change link and changes the
// user's address: it moves the user's email key to the new address
// (keeping its password), sets the email attribute and marks it verified
// (the link proved the mailbox), voids every open token of the user and
// the undo links of earlier email changes, and reserves the old address
// for the account while the new undo link lives. Sessions stay. A notice
// with an undo link goes to the old address, queued last in the same
// transaction (see noticeErr). If the new address got an
// account (or a reservation) meanwhile, nothing changes (USER_ALREADY_EXISTS).
//
// On a SQL store this is one transaction. On a split setup (tokens in
// Redis) the order is: take the link, reserve the old address, then one
// transaction of the users' store for the key and the attributes, then
// void the tokens: a cut leaves the old address (and a used link), never
// half a change.
func (h *Handler) confirmEmailChange(r *http.Request, value string) (latch.User, error) {
	if value == "" || len(value) > latch.MaxIDLength {
		return latch.User{}, ErrInvalidToken
	}
	var (
		u           latch.User
		oldEmail    string
		oldVerified bool
		issued      string
	)
	err := h.auth.InTx(r.Context(), func(ctx context.Context) error {
		tok, data, err := h.emailChg.ValidateWithData(ctx, value)
		if err != nil {
			return err
		}
		newEmail, err := NormalizeEmail(string(data))
		if err != nil {
			return ErrInvalidToken
		}
		cur, err := h.auth.GetUser(ctx, tok.UserID)
		if errors.Is(err, latch.ErrInvalidUserID) {
			return ErrInvalidToken // deleted since
		}
		if err != nil {
			return err
		}
		if reserved, err := h.emailReserved(ctx, newEmail, cur.ID); err != nil {
			return err
		} else if reserved {
			return latch.ErrDuplicateKeyID
		}
		oldEmail = cur.Attributes.String(attrEmail)
		if err := h.reserveEmail(ctx, cur.ID, oldEmail); err != nil {
			return err
		}
		err = h.auth.InUserTx(ctx, func(ctx context.Context) error {
			// An empty write locks the user's row: changes of one
			// account's address and methods run one at a time.
			cur, err := h.auth.UpdateUserAttributes(ctx, cur.ID, latch.Attributes{})
			if err != nil {
				return err
			}
			oldEmail, oldVerified = cur.Attributes.String(attrEmail), cur.Attributes.Bool(attrEmailVerified)
			if oldEmail != "" {
				_, err := h.auth.MoveKey(ctx, emailProvider, oldEmail, newEmail)
				if errors.Is(err, latch.ErrInvalidKeyID) { // no email key (unlinked): the address alone changes
					if _, kerr := h.auth.GetKey(ctx, emailProvider, newEmail); kerr == nil {
						return latch.ErrDuplicateKeyID
					}
				} else if err != nil {
					return err
				}
			}
			u, err = h.auth.UpdateUserAttributes(ctx, cur.ID, latch.Attributes{attrEmail: newEmail, attrEmailVerified: true})
			if err != nil {
				return err
			}
			return h.auth.RaiseEvent(ctx, latch.Event{Type: latch.EventUserEmailChanged, UserID: cur.ID})
		})
		if err != nil {
			return err
		}
		if err := h.voidTokens(ctx, cur.ID); err != nil {
			return err
		}
		if err := h.voidUndos(ctx, cur.ID, UndoEmail); err != nil {
			return err
		}
		if oldEmail == "" { // no address to tell
			return nil
		}
		issued, err = h.undoNoticeInTx(ctx, u, AccountChange{Field: UndoEmail, OldEmail: oldEmail, OldVerified: oldVerified, NewEmail: newEmail})
		return err
	})
	if err != nil {
		return latch.User{}, err
	}
	h.record(r, u.ID, evTokenUsed, h.emailChg.Name())
	h.record(r, u.ID, evEmailChange, "")
	h.noticeQueued(r.Context(), u.ID, issued)
	return u, nil
}

// emailChangeLinkPage is the page a mailed link opens: it changes nothing
// (mail scanners fetch links) and shows one button whose form POST, to the
// same path and Origin-checked, confirms. Its Referrer-Policy is
// strict-origin, not no-referrer: a Referer then carries the origin alone,
// never the token in the path, while the form's POST keeps a real Origin
// (under no-referrer, browsers send "Origin: null", which the check
// refuses).
func (h *Handler) emailChangeLinkPage(w http.ResponseWriter, r *http.Request) error {
	setTokenPagePolicy(w)
	h.render(w, r, http.StatusOK, "email-change", pageData{Title: "Confirm your new address", Token: r.PathValue("token")})
	return nil
}

func (h *Handler) emailChangeLinkPost(w http.ResponseWriter, r *http.Request) error {
	setTokenPagePolicy(w)
	u, err := h.confirmEmailChange(r, r.PathValue("token"))
	if err != nil {
		e := apiError(err)
		if e.Status >= 500 {
			return err
		}
		return h.formError(w, r, "email-change", pageData{Title: "Confirm your new address"}, err)
	}
	h.render(w, r, http.StatusOK, "email-change", pageData{Title: "Your address is changed", Email: u.Attributes.String(attrEmail),
		Flash: "Your account now uses " + u.Attributes.String(attrEmail) + "."})
	return nil
}

func (h *Handler) changeEmailPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := signedIn(w, r); !ok {
		return nil
	}
	if err := h.requestEmailChange(r, r.PostFormValue("new_email"), r.PostFormValue("password"), r.PostFormValue("step_up_token")); err != nil {
		e := apiError(err)
		if e.Status >= 500 {
			return err
		}
		http.Redirect(w, r, "/account?e="+e.Code+"#email", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/account?m=email-change-sent#email", http.StatusSeeOther)
	return nil
}
