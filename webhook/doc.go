// Package webhook delivers latch.Events to HTTP endpoints as the Standard
// Webhooks specification (https://www.standardwebhooks.com) says: a POST
// of a JSON body {"type","timestamp","data"} with the headers
// webhook-id (the event's id, the same on every retry), webhook-timestamp
// (Unix seconds of the attempt) and webhook-signature ("v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body" under each secret, separated
// by spaces, so that during a rotation both the old and the new secret
// sign). Secrets are written "whsec_" and base64.
//
// A Dispatcher queues one outbox job per event and endpoint
// (Dispatcher.Record, set as latch.Config.RecordEvent, so the job is
// written in the transaction of the change on a SQL store), and delivers
// them from an outbox.Runner (Dispatcher.Deliver, the handler of JobKind):
// at least once, with the Runner's retries, back-off and dead letters; a
// 2xx answer is a delivery, anything else is retried. Each endpoint has
// its own jobs, so a slow or failing endpoint holds up no other.
package webhook
