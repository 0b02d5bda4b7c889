package providers

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/latchauth/latch/oauth"
)

// AppleConfig holds Sign in with Apple's credentials.
type AppleConfig struct {
	// ClientID is the Services ID ("com.example.web").
	ClientID string
	// ClientSecret is a client secret made beforehand (a JWT signed with
	// the key below, valid up to six months). Leave it empty to have one
	// made for each code exchange from TeamID, KeyID and PrivateKey.
	ClientSecret string
	// TeamID is the Apple Developer team id; KeyID the id of the Sign in
	// with Apple key; PrivateKey that key's .p8 file (PEM, PKCS #8, P-256).
	TeamID     string
	KeyID      string
	PrivateKey []byte
}

// AppleIssuer is the issuer of Apple's ID tokens and the audience of the
// client secret.
const AppleIssuer = "https://appleid.apple.com"

// Apple is Sign in with Apple. Apple posts the callback
// (response_mode=form_post, which its name and email scopes require); a
// Client's RelayFormPost turns that post into a GET that carries the flow
// cookies. The user comes from the verified ID token ("sub", "email",
// "email_verified" — a boolean or the string "true"), and the name from
// the "user" form field Apple posts on the first sign-in only.
func Apple(cfg AppleConfig) (*oauth.Provider, error) {
	if cfg.ClientID == "" {
		return nil, errors.New("providers: Apple: no ClientID (the Services ID)")
	}
	p := &oauth.Provider{
		ID: "apple", Name: "Apple", ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		Issuer:     AppleIssuer,
		AuthURL:    AppleIssuer + "/auth/authorize",
		TokenURL:   AppleIssuer + "/auth/token",
		AuthStyle:  oauth2.AuthStyleInParams,
		JWKSURL:    AppleIssuer + "/auth/keys",
		Scopes:     []string{"name", "email"},
		AuthParams: map[string]string{"response_mode": "form_post"},
		User:       appleUser,
	}
	if cfg.ClientSecret == "" {
		if cfg.TeamID == "" || cfg.KeyID == "" || len(cfg.PrivateKey) == 0 {
			return nil, errors.New("providers: Apple: want ClientSecret, or TeamID, KeyID and PrivateKey")
		}
		key, err := parseP8(cfg.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("providers: Apple: PrivateKey: %w", err)
		}
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
			(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", cfg.KeyID))
		if err != nil {
			return nil, fmt.Errorf("providers: Apple: %w", err)
		}
		p.ClientSecretFunc = func(now time.Time) (string, error) {
			return jwt.Signed(signer).Claims(jwt.Claims{
				Issuer: cfg.TeamID, Subject: cfg.ClientID, Audience: jwt.Audience{AppleIssuer},
				IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute)),
			}).Serialize()
		}
	}
	return p, nil
}

func parseP8(b []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an EC key")
	}
	return ec, nil
}

func appleUser(_ context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
	c := d.Claims
	u := oauth.ProviderUser{ID: str(c, "sub"), Email: str(c, "email"), EmailVerified: boolean(c, "email_verified"), Raw: c}
	if raw := d.Callback.Get("user"); raw != "" {
		var first struct {
			Name struct {
				FirstName string `json:"firstName"`
				LastName  string `json:"lastName"`
			} `json:"name"`
		}
		if json.Unmarshal([]byte(raw), &first) == nil {
			u.Name = strings.TrimSpace(first.Name.FirstName + " " + first.Name.LastName)
		}
	}
	return u, nil
}
