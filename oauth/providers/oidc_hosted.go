package providers

import (
	"strings"

	"github.com/latchauth/latch/oauth"
)

// Auth0 is the OpenID Connect sign-in of an Auth0 tenant, by discovery
// from https://<domain>/ (Auth0's issuer ends with a slash).
func Auth0(domain, clientID, clientSecret string) *oauth.Provider {
	return OIDC("auth0", "Auth0", "https://"+hostOf(domain)+"/", clientID, clientSecret)
}

// Cognito is the OpenID Connect sign-in of an Amazon Cognito user pool, by
// discovery from https://cognito-idp.<region>.amazonaws.com/<user pool id>.
func Cognito(region, userPoolID, clientID, clientSecret string) *oauth.Provider {
	return OIDC("cognito", "Amazon Cognito", "https://cognito-idp."+region+".amazonaws.com/"+userPoolID, clientID, clientSecret)
}

// Keycloak is the OpenID Connect sign-in of a Keycloak realm, by discovery
// from <baseURL>/realms/<realm>.
func Keycloak(baseURL, realm, clientID, clientSecret string) *oauth.Provider {
	return OIDC("keycloak", "Keycloak", strings.TrimRight(baseURL, "/")+"/realms/"+realm, clientID, clientSecret)
}

// hostOf accepts "tenant.eu.auth0.com" or "https://tenant.eu.auth0.com/".
func hostOf(domain string) string {
	d := strings.TrimPrefix(strings.TrimPrefix(domain, "https://"), "http://")
	return strings.TrimRight(d, "/")
}
