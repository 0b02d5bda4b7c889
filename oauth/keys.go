package oauth

import (
	"context"
	"errors"
	"fmt"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// macKeySize is the shortest key each MAC algorithm takes (RFC 7518
// 3.2: a key as long as the hash output), by algorithm.
var macKeySize = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

func isMAC(alg string) bool {
	_, ok := macKeySize[alg]
	return ok
}

// secretKeySet checks ID tokens signed with a MAC keyed with the client
// secret, which go-oidc's key sets do not do (they hold public keys), and
// leaves the others to the provider's JWKS. go-oidc's verifier has already
// refused any algorithm the provider does not list before it calls
// VerifySignature, and still checks the claims after; only the signature
// is checked here, by go-jose, so nothing of JWS is done by hand.
type secretKeySet struct {
	secret []byte
	jwks   oidc.KeySet // nil when the provider publishes none
}

var signatureAlgs = []jose.SignatureAlgorithm{
	jose.HS256, jose.HS384, jose.HS512,
	jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512,
	jose.PS256, jose.PS384, jose.PS512, jose.EdDSA,
}

// VerifySignature implements oidc.KeySet.
func (k *secretKeySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(raw, signatureAlgs) // an ID token is a compact JWS
	if err != nil {
		return nil, fmt.Errorf("parsing the ID token: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("the ID token does not have exactly one signature")
	}
	alg := jws.Signatures[0].Header.Algorithm
	if !isMAC(alg) {
		if k.jwks == nil {
			return nil, fmt.Errorf("no key for an ID token signed with %s", alg)
		}
		return k.jwks.VerifySignature(ctx, raw)
	}
	payload, err := jws.Verify(k.secret)
	if err != nil {
		return nil, fmt.Errorf("the ID token's %s signature does not verify: %w", alg, err)
	}
	return payload, nil
}
