// Package mfa holds what second factors need beside the token package:
// the server key that encrypts factor secrets at rest (Keyring), time-based
// one-time passwords and recovery codes. Each challenge of a second factor
// (a pending sign-in, a step-up, an enrolment) is a single-use token of
// package token; this package keeps the secrets those checks need.
package mfa
