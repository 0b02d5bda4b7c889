package providers

import (
	"context"

	"github.com/latchauth/latch/oauth"
)

// Kakao is Kakao Login. The user is read from
// GET https://kapi.kakao.com/v2/user/me ({"id": 123, "kakao_account":
// {"email", "is_email_valid", "is_email_verified", "profile":
// {"nickname", "profile_image_url"}}}); the address is verified when it
// is both valid and verified.
func Kakao(clientID, clientSecret string) *oauth.Provider {
	return &oauth.Provider{
		ID: "kakao", Name: "Kakao", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL:     "https://kauth.kakao.com/oauth/authorize",
		TokenURL:    "https://kauth.kakao.com/oauth/token",
		UserInfoURL: "https://kapi.kakao.com/v2/user/me",
		Scopes:      []string{"profile_nickname", "profile_image", "account_email"},
		User: func(_ context.Context, d *oauth.UserData) (oauth.ProviderUser, error) {
			p := d.Profile
			return oauth.ProviderUser{
				ID: str(p, "id"), Email: str(p, "kakao_account", "email"),
				EmailVerified: boolean(p, "kakao_account", "is_email_valid") && boolean(p, "kakao_account", "is_email_verified"),
				Name:          str(p, "kakao_account", "profile", "nickname"), AvatarURL: str(p, "kakao_account", "profile", "profile_image_url"),
				Raw: p,
			}, nil
		},
	}
}
