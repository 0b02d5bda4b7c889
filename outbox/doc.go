// Package outbox is a durable queue of work to do after a request answers:
// mail to send, webhooks to call. A request writes a Job to a Queue before
// it answers; a Runner's workers claim the jobs that are due, run the
// handler of their kind, and mark them delivered, retry them later with
// exponential back-off and jitter, or set them aside as dead letters after
// MaxAttempts tries. Delivered jobs lose their payload at once and their
// row after Runner.KeepDelivered.
//
// Delivery is at least once: a worker that dies between doing a job and
// marking it delivered leaves the job claimed until its lease ends, then
// another worker does it again. Handlers therefore give each job a stable
// identity (a mail's Message-ID, a webhook's webhook-id is Job.ID) so that
// the receiver can tell a repeat.
//
// SQLQueue keeps the queue in a table of the SQL stores (latch_outbox,
// created by their migrations) through one implementation and a small
// Dialect: PostgreSQL and MariaDB claim with FOR UPDATE SKIP LOCKED, so
// several processes drain one queue and never claim the same job twice;
// SQLite has a single writer. MemoryQueue keeps the jobs in the process:
// it is for tests and the memory store, and loses everything on exit.
package outbox
