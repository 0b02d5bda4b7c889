package authapi

import (
	"context"
	"net/http"
	"net/url"
	"sort"

	"github.com/latchauth/latch"
)

// ErrLastSignInMethod refuses to unlink the account's last way in.
var ErrLastSignInMethod = newError(http.StatusConflict, "LAST_SIGN_IN_METHOD", "this is the account's last way to sign in: add another first")

// ErrMethodNotLinked answers an unlink of a provider the account has no key of.
var ErrMethodNotLinked = newError(http.StatusNotFound, "METHOD_NOT_LINKED", "the account has no sign-in with this provider")

// linkedJSON is a sign-in method as GET /api/auth/accounts shows it: the
// provider and the account's id there (for "email", the address), and
// whether it has a password. Never a hash or a token.
type linkedJSON struct {
	Provider  string `json:"provider"`
	AccountID string `json:"accountId"`
	Password  bool   `json:"password"`
}

type linkedListJSON struct {
	Accounts []linkedJSON `json:"accounts"`
}

// linkedMethods returns the user's keys as the API shows them, sorted by
// provider then account id.
func (h *Handler) linkedMethods(ctx context.Context, userID string) ([]linkedJSON, error) {
	keys, err := h.auth.GetAllUserKeys(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]linkedJSON, 0, len(keys))
	for _, k := range keys {
		out = append(out, linkedJSON{Provider: k.ProviderID, AccountID: k.ProviderUserID, Password: k.PasswordDefined})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Provider != out[j].Provider {
			return out[i].Provider < out[j].Provider
		}
		return out[i].AccountID < out[j].AccountID
	})
	return out, nil
}

func (h *Handler) listAccountsAPI(w http.ResponseWriter, r *http.Request) error {
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	list, err := h.linkedMethods(r.Context(), s.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, linkedListJSON{Accounts: list})
	return nil
}

func (h *Handler) unlinkAccountAPI(w http.ResponseWriter, r *http.Request) error {
	var req confirmRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.unlinkAccount(r, r.PathValue("provider"), req.Password, req.StepUpToken); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// unlinkAccount removes the signed-in user's keys of one provider. It is
// confirmed by confirmAction for ActionRemoveFactor: the account's
// password (checked under the sign-in throttle) or a step-up token (a
// factor, or a mailed code for an account without a password), since a
// session alone, maybe borrowed, must not be able to change how the
// account is entered. The last way in is never removed (ErrLastSignInMethod). In the same
// transaction every open token of the user is voided and the notice to
// the account's address, with its undo link, is queued (see noticeErr).
func (h *Handler) unlinkAccount(r *http.Request, provider, pw, stepUp string) error {
	s, err := currentSession(r)
	if err != nil {
		return err
	}
	if provider == "" || len(provider) > latch.MaxIDLength {
		return ErrMethodNotLinked
	}
	// Before the password: an unlink that cannot succeed costs no attempt.
	if err := h.checkUnlink(r.Context(), s.UserID, provider); err != nil {
		return err
	}
	if err := h.confirmAction(r, s, ActionRemoveFactor, pw, stepUp); err != nil {
		return err
	}
	// One transaction of the users' store that locks the user's row
	// first (an empty attribute write: SELECT … FOR UPDATE on PostgreSQL
	// and MySQL, the single writer on SQLite), so that of two parallel
	// unlinks the second counts the keys the first left: together they
	// never remove the last way in. Tokens are voided in the same
	// transaction on a SQL store, right after it on a split setup.
	var issued string
	err = h.auth.InTx(r.Context(), func(ctx context.Context) error {
		if err := h.auth.InUserTx(ctx, func(ctx context.Context) error { return h.unlinkKeys(ctx, s.UserID, provider) }); err != nil {
			return err
		}
		if err := h.voidTokens(ctx, s.UserID); err != nil {
			return err
		}
		issued, err = h.undoNoticeInTx(ctx, s.User, AccountChange{Field: UndoMethod, Method: provider})
		return err
	})
	if err != nil {
		return err
	}
	h.record(r, s.UserID, evMethodUnlinked, provider)
	h.noticeQueued(r.Context(), s.UserID, issued)
	return nil
}

// unlinkKeys deletes the user's keys of the provider, under the lock of
// the user's row; run it in InUserTx.
func (h *Handler) unlinkKeys(ctx context.Context, userID, provider string) error {
	if _, err := h.auth.UpdateUserAttributes(ctx, userID, latch.Attributes{}); err != nil {
		return err
	}
	keys, err := h.auth.GetAllUserKeys(ctx, userID)
	if err != nil {
		return err
	}
	var gone []latch.Key
	for _, k := range keys {
		if k.ProviderID == provider {
			gone = append(gone, k)
		}
	}
	switch {
	case len(gone) == 0:
		return ErrMethodNotLinked
	case len(gone) == len(keys):
		return ErrLastSignInMethod
	}
	for _, k := range gone {
		if err := h.auth.DeleteKey(ctx, k.ProviderID, k.ProviderUserID); err != nil {
			return err
		}
	}
	return nil
}

// checkUnlink tells, without writing, whether unlinking the provider can
// succeed; the transaction checks again.
func (h *Handler) checkUnlink(ctx context.Context, userID, provider string) error {
	keys, err := h.auth.GetAllUserKeys(ctx, userID)
	if err != nil {
		return err
	}
	n := 0
	for _, k := range keys {
		if k.ProviderID == provider {
			n++
		}
	}
	switch {
	case n == 0:
		return ErrMethodNotLinked
	case n == len(keys):
		return ErrLastSignInMethod
	}
	return nil
}

func (h *Handler) unlinkAccountPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := signedIn(w, r); !ok {
		return nil
	}
	if err := h.unlinkAccount(r, r.PathValue("provider"), r.PostFormValue("password"), r.PostFormValue("step_up_token")); err != nil {
		e := apiError(err)
		if e.Status >= 500 {
			return err
		}
		http.Redirect(w, r, "/account?e="+url.QueryEscape(e.Code)+"#methods", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/account?m=method-removed#methods", http.StatusSeeOther)
	return nil
}
