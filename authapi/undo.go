package authapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/outbox"
	"github.com/latchauth/latch/token"
)

// The fields an undo link reverts. Each has its own token kind
// ("undo-email", ...), so that a new change of the email or the password
// voids the older undo links of that field with one DeleteUserTokens and
// leaves the others: an undo is void once the same field changes again.
// Undo links of sign-in methods are not voided by a later method change
// (each removes every method added since its own change, so the oldest
// one still removes everything an intruder added), and "end all sessions"
// links of new-device notices stand alone.
const (
	UndoEmail    = "email"    // the email changed: the notice goes to the old address
	UndoPassword = "password" // the password changed
	UndoMethod   = "method"   // a sign-in method (OAuth link, second factor, passkey) was added or removed
	UndoSessions = "sessions" // a sign-in from a new device: the undo ends every session
	// UndoLifetime is how long an undo link works, and how long the
	// address an email change left stays reserved for its account.
	UndoLifetime = 7 * 24 * time.Hour

	undoKindPrefix = "undo-"
	// reservedKind keeps, as a token record of the account (id: the
	// SHA-256 of the address), an address that an email change left while
	// its undo link lives: nobody else signs up with it or moves to it.
	reservedKind = "email-reserved"
)

// undoFields maps each field to the first character of its links' values,
// so that a link names its kind without a lookup per kind.
var undoFields = []struct {
	field  string
	prefix string
}{{UndoEmail, "e"}, {UndoPassword, "p"}, {UndoMethod, "m"}, {UndoSessions, "s"}}

// AccountChange describes a change to an account for NoticeWithUndo.
type AccountChange struct {
	// Field is UndoEmail, UndoPassword, UndoMethod or UndoSessions.
	Field string
	// Method names the sign-in method added or removed ("google",
	// "totp", "passkey"), for UndoMethod; Added tells which.
	Method string
	Added  bool
	// OldEmail and NewEmail are the addresses before and after an email
	// change (UndoEmail); OldVerified whether the old one was verified.
	OldEmail, NewEmail string
	OldVerified        bool
	// AddedKey is the key id ("google:123") of an OAuth method just
	// added: the undo removes it with every other key made since.
	AddedKey string
	// AddedFactor is the id of a second factor or passkey just added
	// (latch.FactorRecord.ID): the undo removes it with every other
	// factor created since the change.
	AddedFactor string
	// Device and IP describe a new device's sign-in (UndoSessions).
	Device, IP string
}

// undoData is what an undo link keeps beside its digest (never a secret):
// the change's field and time, the address to restore, and the keys the
// account had before the change (the undo removes every other one).
type undoData struct {
	Field        string   `json:"f"`
	At           int64    `json:"at"`
	PrevEmail    string   `json:"pe,omitempty"`
	PrevVerified bool     `json:"pv,omitempty"`
	Keys         []string `json:"k"`
	AddedFactor  string   `json:"af,omitempty"`
}

// newUndoTokens makes the undo link handlers, one kind per field.
func (h *Handler) newUndoTokens() error {
	h.undos = map[string]*token.IDTokens{}
	for _, f := range undoFields {
		prefix := f.prefix
		t, err := token.NewIDTokens(h.auth, undoKindPrefix+f.field, token.IDTokenOptions{
			ExpiresIn: UndoLifetime, Length: 44,
			Generate: func(n int) (string, error) {
				v, err := latch.RandomString(n-1, latch.AlphabetAlphanumeric)
				return prefix + v, err
			},
		})
		if err != nil {
			return fmt.Errorf("authapi: undo links: %w", err)
		}
		h.undos[f.field] = t
	}
	return nil
}

// undoTokensOf returns the handler of an undo link's value, or nil.
func (h *Handler) undoTokensOf(value string) (*token.IDTokens, string) {
	for _, f := range undoFields {
		if strings.HasPrefix(value, f.prefix) {
			return h.undos[f.field], f.field
		}
	}
	return nil, ""
}

// isUndoKind reports whether kind is that of undo links (or address
// reservations), which voidTokens leaves in place.
func isUndoKind(kind string) bool {
	return strings.HasPrefix(kind, undoKindPrefix) || kind == reservedKind
}

// voidTokens deletes every open single-use token of the user, of every
// kind registered on the Auth (reset and magic links, verification codes
// and links, one-time tokens, CLI codes, email-change links, and the kinds
// of any other token handler), except undo links, which must outlive the
// change they undo. This is the one way authapi voids a user's tokens.
// With ctx from InTx it joins the transaction on a SQL store.
func (h *Handler) voidTokens(ctx context.Context, userID string) error {
	ts := h.auth.TokenStore()
	if ts == nil {
		return nil
	}
	for _, kind := range h.auth.TokenKinds() {
		// Undo links outlive the change they undo; recovery codes and
		// TOTP step markers (factorTokenKinds) go with their factor.
		if isUndoKind(kind) || slices.Contains(factorTokenKinds, kind) {
			continue
		}
		if err := ts.DeleteUserTokens(ctx, userID, kind); err != nil {
			return fmt.Errorf("voiding %s tokens: %w", kind, err)
		}
	}
	return nil
}

// voidUndos voids the user's undo links of a field that changes again
// (UndoEmail, UndoPassword); call it in the change's transaction.
func (h *Handler) voidUndos(ctx context.Context, userID, field string) error {
	if t := h.undos[field]; t != nil {
		return t.InvalidateAllUserTokens(ctx, userID)
	}
	return nil
}

// NoticeWithUndo mails the notice of a change to the account (to the old
// address for an email change, else to the account's address), carrying a
// single-use undo link valid UndoLifetime (POST /api/auth/undo, page
// /undo/{token}). The mail goes through the outbox. An account without an
// address gets no notice and no link.
//
// Call it in the change's latch.Auth.InTx, after the change's writes, with
// the transaction's context: on a SQL store whose outbox is Config.Queue
// (the store's Outbox method), the change, its undo link and its notice
// then commit together or not at all, and a process killed after the
// commit still mails the notice. Called on its own, it runs in a
// transaction of its own. Call NotifyQueue after the commit: a wake-up
// inside the transaction can come before the mail is visible to the
// workers. The flows of email and password changes also call voidUndos in
// their transaction.
func (h *Handler) NoticeWithUndo(ctx context.Context, u latch.User, c AccountChange) error {
	var issued string
	err := h.auth.InTx(ctx, func(ctx context.Context) error {
		var err error
		issued, err = h.queueUndoNotice(ctx, u, c)
		return err
	})
	if err != nil {
		return err
	}
	h.noticeQueued(ctx, u.ID, issued)
	return nil
}

// queueUndoNotice issues the undo link of a change and queues its notice
// (see NoticeWithUndo), in the transaction ctx carries. It returns the
// name of the token kind issued, "" when the account has no address, for
// the activity record that noticeQueued writes after the commit.
func (h *Handler) queueUndoNotice(ctx context.Context, u latch.User, c AccountChange) (string, error) {
	to := u.Attributes.String(attrEmail)
	if c.Field == UndoEmail {
		to = c.OldEmail
	}
	t := h.undos[c.Field]
	if to == "" || t == nil {
		return "", nil
	}
	keys, err := h.auth.GetAllUserKeys(ctx, u.ID)
	if err != nil {
		return "", fmt.Errorf("undo link: %w", err)
	}
	d := undoData{Field: c.Field, At: h.auth.Now().UnixMilli(), Keys: []string{}, AddedFactor: c.AddedFactor}
	for _, k := range keys {
		if id := latch.KeyID(k.ProviderID, k.ProviderUserID); id != c.AddedKey {
			d.Keys = append(d.Keys, id)
		}
	}
	if c.Field == UndoEmail {
		d.PrevEmail, d.PrevVerified = c.OldEmail, c.OldVerified
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("undo link: %w", err)
	}
	tok, err := t.IssueWithData(ctx, u.ID, raw)
	if err != nil {
		return "", fmt.Errorf("undo link: %w", err)
	}
	if err := h.queueMail(ctx, "", h.changeNotice(to, c, "/undo/"+tok.String(), tok.ExpiresAt.Sub(h.auth.Now()))); err != nil {
		return "", err
	}
	return t.Name(), nil
}

// undoNoticeInTx is queueUndoNotice as the last step of a change's InTx:
// see noticeErr for what a failure does.
func (h *Handler) undoNoticeInTx(ctx context.Context, u latch.User, c AccountChange) (string, error) {
	issued, err := h.queueUndoNotice(ctx, u, c)
	return issued, h.noticeErr(ctx, err)
}

// noticeErr is what a change's InTx does with the failure to queue the
// notice of the change. In a transaction (Auth.Atomic) it fails the
// change, which rolls back with the notice's undo link: no change commits
// without the mail that lets the owner undo it, and the request answers
// 503 (the enqueue's error is latch.ErrStoreUnavailable). Without one
// (memory store, split setup) the change is written already and nothing
// could take it back: answering an error would only hide a change that
// was made, so the failure is logged and the change stands.
func (h *Handler) noticeErr(ctx context.Context, err error) error {
	if err == nil || h.auth.Atomic() {
		return err
	}
	h.log.ErrorContext(ctx, "notice of a change not queued", "err", err)
	return nil
}

// noticeQueued finishes, after the commit, a notice queued in a change's
// transaction: it wakes the outbox workers (the wake-up that Enqueue gave
// inside the transaction may have come before the row was visible to
// them) and records the undo link issued, if any, in the user's activity,
// off the transaction like every activity record (a record must not fail
// the change it records).
func (h *Handler) noticeQueued(ctx context.Context, userID, issued string) {
	h.runner.Notify()
	if issued != "" {
		h.recordAs(ctx, userID, evTokenIssued, issued, "", "")
	}
}

// noticeWithUndo is NoticeWithUndo for a notice that tells of no change of
// its own (a sign-in from a new device): its link and its mail commit
// together, and a failure to queue them is logged, not returned.
func (h *Handler) noticeWithUndo(ctx context.Context, u latch.User, c AccountChange) {
	if err := h.NoticeWithUndo(ctx, u, c); err != nil {
		h.log.ErrorContext(ctx, "notice with undo link not queued", "field", c.Field, "err", err)
	}
}

// reservedID is the stored id of an address's reservation.
func reservedID(email string) string {
	sum := sha256.Sum256([]byte(email))
	return hex.EncodeToString(sum[:])
}

// reserveEmail keeps the address for the user until the undo links of the
// change that left it have expired.
func (h *Handler) reserveEmail(ctx context.Context, userID, email string) error {
	ts := h.auth.TokenStore()
	if ts == nil || email == "" {
		return nil
	}
	id := reservedID(email)
	if err := ts.DeleteToken(ctx, reservedKind, id); err != nil {
		return err
	}
	return ts.PutToken(ctx, latch.TokenRecord{ID: id, Kind: reservedKind, UserID: userID,
		Expires: h.auth.Now().Add(UndoLifetime).UnixMilli()})
}

// emailReserved reports whether the address is reserved for an account
// other than userID.
func (h *Handler) emailReserved(ctx context.Context, email, userID string) (bool, error) {
	ts := h.auth.TokenStore()
	if ts == nil || email == "" {
		return false, nil
	}
	rec, err := ts.GetToken(ctx, reservedKind, reservedID(email))
	if errors.Is(err, latch.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return rec.UserID != userID && h.auth.Now().UnixMilli() < rec.Expires, nil
}

// ErrUndoFailed answers an undo whose address cannot be restored because
// another account has it now (which the reservation prevents, unless it
// was made before this version).
var ErrUndoFailed = newError(http.StatusConflict, "UNDO_CONFLICT", "the previous address belongs to another account now")

// undoResult is what an undo did.
type undoResult struct {
	UserID string
	Field  string
	Email  string // the account's address afterwards
}

// undo takes an undo link and reverts: the previous address comes back
// (email attribute and email: key), every sign-in method added since the
// change is removed, the password is removed (the next sign-in goes
// through a password reset, mailed here to the restored address), every
// session ends and every open token is voided. An "end all sessions" link
// (UndoSessions) only ends the sessions and voids the tokens.
//
// On a SQL store this is one transaction. On a split setup (sessions and
// tokens in Redis) the link is taken first and the sessions and tokens
// ended, then one SQL transaction writes the account and raises the
// user's session generation (so no session made meanwhile survives), then
// sessions and tokens are ended again: a cut leaves the link used and
// either nothing or everything of the account reverted, never an
// old session beside the reverted account.
func (h *Handler) undo(ctx context.Context, value string) (undoResult, error) {
	t, field := h.undoTokensOf(value)
	if t == nil || len(value) > latch.MaxIDLength {
		return undoResult{}, ErrInvalidToken
	}
	var res undoResult
	err := h.auth.InTx(ctx, func(ctx context.Context) error {
		tok, raw, err := t.ValidateWithData(ctx, value)
		if err != nil {
			return err
		}
		var d undoData
		if err := json.Unmarshal(raw, &d); err != nil || d.Field != field {
			return ErrInvalidToken
		}
		res = undoResult{UserID: tok.UserID, Field: field}
		if !h.auth.Atomic() {
			if err := h.endAll(ctx, tok.UserID, d); err != nil {
				return err
			}
		}
		if err := h.auth.InUserTx(ctx, func(ctx context.Context) error {
			email, err := h.revert(ctx, tok.UserID, d)
			res.Email = email
			return err
		}); err != nil {
			return err
		}
		return h.endAll(ctx, tok.UserID, d)
	})
	if errors.Is(err, latch.ErrInvalidUserID) {
		return undoResult{}, ErrInvalidToken // the account was deleted since
	}
	return res, err
}

// revert writes the account's part of an undo (see undo); run it in
// InUserTx. It returns the account's address afterwards.
func (h *Handler) revert(ctx context.Context, userID string, d undoData) (string, error) {
	// An empty write locks the user's row (PostgreSQL, MySQL): undos and
	// unlinks of one account run one at a time.
	u, err := h.auth.UpdateUserAttributes(ctx, userID, latch.Attributes{})
	if err != nil {
		return "", err
	}
	email := u.Attributes.String(attrEmail)
	if d.Field == UndoSessions {
		return email, h.raiseGeneration(ctx, u)
	}
	if d.PrevEmail != "" && d.PrevEmail != email {
		if k, err := h.auth.GetKey(ctx, emailProvider, d.PrevEmail); err == nil && k.UserID != userID {
			return "", ErrUndoFailed
		} else if err != nil && !errors.Is(err, latch.ErrInvalidKeyID) {
			return "", err
		}
		if email != "" {
			if _, err := h.auth.MoveKey(ctx, emailProvider, email, d.PrevEmail); err != nil && !errors.Is(err, latch.ErrInvalidKeyID) {
				return "", err
			}
		}
		if u, err = h.auth.UpdateUserAttributes(ctx, userID, latch.Attributes{attrEmail: d.PrevEmail, attrEmailVerified: d.PrevVerified}); err != nil {
			return "", err
		}
		email = d.PrevEmail
	}
	keys, err := h.auth.GetAllUserKeys(ctx, userID)
	if err != nil {
		return "", err
	}
	for _, k := range keys {
		id := latch.KeyID(k.ProviderID, k.ProviderUserID)
		if k.ProviderID == emailProvider {
			if k.PasswordDefined {
				if _, err := h.auth.UpdateKeyPassword(ctx, k.ProviderID, k.ProviderUserID, nil); err != nil {
					return "", err
				}
			}
			continue
		}
		if !slices.Contains(d.Keys, id) {
			if err := h.auth.DeleteKey(ctx, k.ProviderID, k.ProviderUserID); err != nil {
				return "", err
			}
		}
	}
	// Second factors and passkeys made since the change (in its
	// millisecond too: when in doubt, a factor goes).
	factors, err := h.auth.ListFactors(ctx, userID)
	if err != nil {
		return "", err
	}
	removedTOTP := false
	for _, f := range factors {
		if f.CreatedAt >= d.At || f.ID == d.AddedFactor {
			if err := h.auth.DeleteFactor(ctx, f.ID); err != nil {
				return "", err
			}
			removedTOTP = removedTOTP || f.Kind == latch.FactorTOTP
		}
	}
	// Recovery codes are whoever saw them made: those of a TOTP factor
	// undone go with it (left behind, they would be the only second
	// factor the owner is asked for, held by the other party), and codes
	// made since the change go too, even beside a factor the owner had.
	if removedTOTP {
		if err := h.deleteFactorTokens(ctx, userID); err != nil {
			return "", err
		}
	} else if err := h.deleteRecoveryCodesSince(ctx, userID, d.At); err != nil {
		return "", err
	}
	return email, h.raiseGeneration(ctx, u)
}

// raiseGeneration ends every session of the user in the users' store, on
// a split setup (see latch.SessionGenerationAttribute); elsewhere the
// sessions are deleted in the same transaction.
func (h *Handler) raiseGeneration(ctx context.Context, u latch.User) error {
	if h.auth.Atomic() || h.auth.Profile() == latch.ProfileLucia2 {
		return nil
	}
	_, err := h.auth.UpdateUserAttributes(ctx, u.ID, latch.Attributes{
		latch.SessionGenerationAttribute: u.Attributes.Int(latch.SessionGenerationAttribute) + 1,
	})
	return err
}

// endAll ends the user's sessions, voids every open token, and voids the
// undo links that the undone change makes pointless: those of the same
// field and, when an email change is undone, every one of a later change
// (mailed to the address that is no longer the account's). Other undos
// keep the links of later changes: the owner who ends the sessions of a
// new device must still be able to undo what that device changed.
func (h *Handler) endAll(ctx context.Context, userID string, d undoData) error {
	if err := h.auth.InvalidateAllUserSessions(ctx, userID); err != nil {
		return err
	}
	if err := h.voidTokens(ctx, userID); err != nil {
		return err
	}
	ts := h.auth.TokenStore()
	for _, f := range undoFields {
		kind := undoKindPrefix + f.field
		recs, err := ts.ListTokens(ctx, userID, kind)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			var o undoData
			if json.Unmarshal(rec.Data, &o) != nil || f.field == d.Field || (d.Field == UndoEmail && o.At > d.At) {
				if err := ts.DeleteToken(ctx, kind, rec.ID); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// undoDone finishes an undo off its transaction: the activity record and,
// unless only sessions ended, a password reset mailed to the restored
// address.
func (h *Handler) undoDone(r *http.Request, res undoResult) {
	ctx := r.Context()
	h.record(r, res.UserID, evUndo, res.Field)
	h.record(r, res.UserID, evSessionEnded, "all (undo)")
	if res.Field == UndoSessions || res.Email == "" {
		return
	}
	job := mailRequestJob{Email: res.Email, IP: h.clientIP(r), UserAgent: r.UserAgent()}
	if err := h.enqueue(ctx, outbox.NewID(), jobPasswordReset, job); err != nil {
		h.log.ErrorContext(ctx, "undo: password reset mail not queued", "err", err)
	}
}

type undoJSON struct {
	Message string `json:"message"`
	// PasswordReset tells whether a link to set a new password was mailed.
	PasswordReset bool `json:"passwordReset"`
}

func undoMessage(res undoResult) undoJSON {
	if res.Field == UndoSessions {
		return undoJSON{Message: "Every session of the account has ended."}
	}
	return undoJSON{Message: "The change is undone and every session has ended. A link to set a new password is on its way to " + res.Email + ".", PasswordReset: res.Email != ""}
}

// undoAPI answers POST /api/auth/undo {token}.
func (h *Handler) undoAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	var req tokenRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	res, err := h.undo(r.Context(), req.Token)
	if err != nil {
		return err
	}
	h.undoDone(r, res)
	h.clearOwnCookie(w, r, res.UserID)
	writeJSON(w, http.StatusOK, undoMessage(res))
	return nil
}

// clearOwnCookie clears the session cookie when the request came with a
// session of the user whose sessions just ended.
func (h *Handler) clearOwnCookie(w http.ResponseWriter, r *http.Request, userID string) {
	if s, err := currentSession(r); err == nil && s.UserID == userID {
		h.sessions.ClearSessionCookie(w)
	}
}

// undoLinkPage is the page a mailed undo link opens: it changes nothing
// (mail scanners fetch links) and shows one button whose form POST, to
// the same path and Origin-checked, undoes.
func (h *Handler) undoLinkPage(w http.ResponseWriter, r *http.Request) error {
	setTokenPagePolicy(w)
	title := "Undo the change to your account"
	if _, field := h.undoTokensOf(r.PathValue("token")); field == UndoSessions {
		title = "Sign out everywhere"
	}
	h.render(w, r, http.StatusOK, "undo", pageData{Title: title, Token: r.PathValue("token")})
	return nil
}

func (h *Handler) undoLinkPost(w http.ResponseWriter, r *http.Request) error {
	setTokenPagePolicy(w)
	res, err := h.undo(r.Context(), r.PathValue("token"))
	if err != nil {
		if apiError(err).Status >= 500 {
			return err
		}
		return h.formError(w, r, "undo", pageData{Title: "Undo the change to your account"}, err)
	}
	h.undoDone(r, res)
	h.clearOwnCookie(w, r, res.UserID)
	h.render(w, r, http.StatusOK, "undo", pageData{Title: "Done", Flash: undoMessage(res).Message})
	return nil
}
