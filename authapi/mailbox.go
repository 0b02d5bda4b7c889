package authapi

import (
	"context"

	"github.com/latchauth/latch"
)

// endSignIns ends every session of the user and voids every open token
// (voidTokens), so that nothing issued before still lets anyone in.
func (h *Handler) endSignIns(ctx context.Context, userID string) error {
	if err := h.auth.InvalidateAllUserSessions(ctx, userID); err != nil {
		return err
	}
	return h.voidTokens(ctx, userID)
}

// claimMailbox gives the account to whoever just proved control of its
// address (a magic link, a password reset, a provider's verified email)
// and is not known to be its creator: whoever controls the mailbox owns
// the account. When the address was not verified yet, every password set
// before is removed (someone may have signed up with another's address
// and a password of their own, and kept the session: account
// pre-hijacking); in every case each session ends and every open sign-in
// token is voided; then the address is marked verified. It returns the
// user as it is afterwards.
//
// A reset passes the id of the key whose password it replaces and the
// step that sets it: that key's password is left to the step, which runs
// after every session and token has ended and before the address is
// marked verified; so that on stores without a transaction an
// interruption leaves the old password (never none) on an address still
// unverified, which the next proof claims again.
//
// Run it in latch.Auth.InTx with the rest of the step. Without a
// transaction the writes are ordered so that an interruption leaves the
// address unverified, and the next proof claims the account again.
func (h *Handler) claimMailbox(ctx context.Context, u latch.User, replacing string, setPassword func(context.Context) error) (latch.User, error) {
	if err := h.dropOtherPasswords(ctx, u, replacing); err != nil {
		return latch.User{}, err
	}
	if err := h.endSignIns(ctx, u.ID); err != nil {
		return latch.User{}, err
	}
	if setPassword != nil {
		if err := setPassword(ctx); err != nil {
			return latch.User{}, err
		}
	}
	if u.Attributes.Bool(attrEmailVerified) {
		return u, nil
	}
	u, err := h.auth.UpdateUserAttributes(ctx, u.ID, latch.Attributes{attrEmailVerified: true})
	if err != nil {
		return latch.User{}, err
	}
	return u, h.auth.RaiseEvent(ctx, latch.Event{Type: latch.EventUserEmailVerified, UserID: u.ID})
}

// dropOtherPasswords removes, when the user's address is not verified yet,
// the password of every key but replacing, and every second factor (see
// claimMailbox).
func (h *Handler) dropOtherPasswords(ctx context.Context, u latch.User, replacing string) error {
	if u.Attributes.Bool(attrEmailVerified) {
		return nil
	}
	keys, err := h.auth.GetAllUserKeys(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if !k.PasswordDefined || k.ID() == replacing {
			continue
		}
		if _, err := h.auth.UpdateKeyPassword(ctx, k.ProviderID, k.ProviderUserID, nil); err != nil {
			return err
		}
	}
	// Second factors set up before the address was proven go too: an
	// account pre-hijacker's authenticator must not lock the owner out.
	return h.removeFactors(ctx, u.ID)
}
