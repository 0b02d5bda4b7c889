package providers

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/latchauth/latch/oauth"
)

// MicrosoftConsumersTenant is the tenant id of personal Microsoft accounts.
const MicrosoftConsumersTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"

var guid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Microsoft is Microsoft Entra ID's OpenID Connect sign-in (v2.0
// endpoints). tenant is a tenant id or domain for one organization, or
// "common" (the default when empty: any organization and personal
// accounts), "organizations" or "consumers". For those three the ID
// token's issuer must be the one of the tenant its "tid" claim names.
//
// The user is the ID token's "sub" (stable for this application), "name"
// and "email". Entra does not verify "email" by itself: the address counts
// as verified only when the token says the domain owner vouches for it
// ("xms_edov": true) or lists it in "verified_primary_email" — both
// optional claims to enable in the app registration.
func Microsoft(tenant, clientID, clientSecret string) *oauth.Provider {
	if tenant == "" {
		tenant = "common"
	}
	base := "https://login.microsoftonline.com/" + tenant
	p := &oauth.Provider{
		ID: "microsoft", Name: "Microsoft", ClientID: clientID, ClientSecret: clientSecret,
		Issuer:   base + "/v2.0",
		AuthURL:  base + "/oauth2/v2.0/authorize",
		TokenURL: base + "/oauth2/v2.0/token",
		JWKSURL:  base + "/discovery/v2.0/keys",
		Scopes:   []string{"openid", "profile", "email"},
		User:     microsoftUser,
	}
	switch strings.ToLower(tenant) {
	case "common", "organizations", "consumers":
		kind := strings.ToLower(tenant)
		p.IssuerMatches = func(iss string, claims map[string]any) bool {
			tid := str(claims, "tid")
			switch {
			case !guid.MatchString(tid):
				return false
			case kind == "consumers" && tid != MicrosoftConsumersTenant,
				kind == "organizations" && tid == MicrosoftConsumersTenant:
				return false
			}
			return iss == "https://login.microsoftonline.com/"+tid+"/v2.0"
		}
	}
	return p
}

func microsoftUser(_ context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
	c := d.Claims
	u := oauth.ProviderUser{ID: str(c, "sub"), Email: str(c, "email"), Name: str(c, "name"), Raw: c}
	if u.Email != "" {
		u.EmailVerified = boolean(c, "xms_edov") || str(c, "xms_edov") == "1"
		if list, ok := oauth.Value(c, "verified_primary_email").([]any); ok && slices.ContainsFunc(list, func(v any) bool {
			s, _ := v.(string)
			return strings.EqualFold(s, u.Email)
		}) {
			u.EmailVerified = true
		}
	}
	return u, nil
}
