package authapi

import (
	"net"
	"net/http"
)

// newDeviceLookback is how many of the user's latest events a sign-in is
// compared with to tell whether its device is new.
const newDeviceLookback = 100

// recordSignIn records a successful sign-in (method: "password",
// "magic-link", "oauth:google", "totp", ...) in the user's activity and,
// when neither the device (browser and system, DescribeUserAgent) nor the
// network (the /24 of an IPv4 address, the /48 of an IPv6 one) of the
// request was seen together in the user's recent sign-ins, mails the
// account's address a notice with an "end all sessions" link. Every way
// in calls it once the session exists. A user with no recorded sign-in
// yet gets no notice, and without an activity store there is nothing to
// compare with.
func (h *Handler) recordSignIn(r *http.Request, userID, method string) {
	if h.newDevice(r, userID) {
		if u, err := h.auth.GetUser(r.Context(), userID); err == nil {
			h.noticeWithUndo(r.Context(), u, AccountChange{Field: UndoSessions,
				Device: DescribeUserAgent(r.UserAgent()), IP: h.clientIP(r)})
		}
	}
	h.record(r, userID, evSignIn, method)
}

// newDevice reports whether the request's device and network are absent
// from the user's recent sign-ins and sign-ups (see recordSignIn).
func (h *Handler) newDevice(r *http.Request, userID string) bool {
	if !h.auth.HasActivity() {
		return false
	}
	evs, _, err := h.auth.ListActivity(r.Context(), userID, "", newDeviceLookback)
	if err != nil {
		h.log.WarnContext(r.Context(), "new-device check skipped", "err", err)
		return false
	}
	device, network := DescribeUserAgent(r.UserAgent()), ipRange(h.clientIP(r))
	known := false
	for _, e := range evs {
		if e.Type != evSignIn && e.Type != evSignUp {
			continue
		}
		known = true
		if DescribeUserAgent(e.UserAgent) == device && ipRange(e.IP) == network {
			return false
		}
	}
	return known
}

// ipRange is the network an address belongs to for the new-device check:
// its /24 (IPv4) or /48 (IPv6); the text itself when it is no address.
func ipRange(ip string) string {
	a := net.ParseIP(ip)
	switch {
	case a == nil:
		return ip
	case a.To4() != nil:
		return a.Mask(net.CIDRMask(24, 32)).String() + "/24"
	default:
		return a.Mask(net.CIDRMask(48, 128)).String() + "/48"
	}
}
