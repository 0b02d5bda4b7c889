package outbox

import (
	"context"
	"sort"
	"sync"
	"time"
)

// MemoryQueue is a Queue in the process's memory. It is not durable: a
// crash or a restart loses every job, so use it only in tests and with
// the memory store. The zero value is ready to use.
type MemoryQueue struct {
	mu   sync.Mutex
	jobs map[string]*memJob
	seq  int64
}

type memJob struct {
	job   Job
	state State
	seq   int64     // order of enqueueing, for ties of RunAt
	done  time.Time // when delivered or dead
}

var _ Queue = (*MemoryQueue)(nil)

// NewMemoryQueue returns an empty MemoryQueue.
func NewMemoryQueue() *MemoryQueue { return new(MemoryQueue) }

// Enqueue implements Queue.
func (q *MemoryQueue) Enqueue(_ context.Context, j Job) error {
	if err := validate(j); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.jobs == nil {
		q.jobs = map[string]*memJob{}
	}
	if _, dup := q.jobs[j.ID]; dup {
		return ErrDuplicate
	}
	q.seq++
	j.Attempts, j.LastError = 0, ""
	j.Payload = append([]byte(nil), j.Payload...)
	j.RunAt = ms(j.RunAt)
	q.jobs[j.ID] = &memJob{job: j, seq: q.seq}
	return nil
}

// Claim implements Queue.
func (q *MemoryQueue) Claim(_ context.Context, now time.Time, lease time.Duration, limit int) ([]Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var due []*memJob
	for _, m := range q.jobs {
		if m.state == Pending && !m.job.RunAt.After(now) {
			due = append(due, m)
		}
	}
	sort.Slice(due, func(i, k int) bool {
		if !due[i].job.RunAt.Equal(due[k].job.RunAt) {
			return due[i].job.RunAt.Before(due[k].job.RunAt)
		}
		return due[i].seq < due[k].seq
	})
	if len(due) > limit {
		due = due[:limit]
	}
	out := make([]Job, 0, len(due))
	for _, m := range due {
		m.job.Attempts++
		m.job.RunAt = ms(now.Add(lease))
		j := m.job
		j.Payload = append([]byte(nil), j.Payload...)
		out = append(out, j)
	}
	return out, nil
}

// Complete implements Queue.
func (q *MemoryQueue) Complete(_ context.Context, id string, now time.Time) error {
	return q.update(id, func(m *memJob) {
		m.state, m.done, m.job.Payload, m.job.LastError = Delivered, ms(now), nil, ""
	})
}

// Retry implements Queue.
func (q *MemoryQueue) Retry(_ context.Context, id string, runAt time.Time, lastError string) error {
	return q.update(id, func(m *memJob) {
		m.state, m.job.RunAt, m.job.LastError = Pending, ms(runAt), truncate(lastError)
	})
}

// Bury implements Queue.
func (q *MemoryQueue) Bury(_ context.Context, id string, now time.Time, lastError string) error {
	return q.update(id, func(m *memJob) {
		m.state, m.done, m.job.LastError = Dead, ms(now), truncate(lastError)
	})
}

func (q *MemoryQueue) update(id string, f func(*memJob)) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, ok := q.jobs[id]
	if !ok {
		return ErrNotFound
	}
	f(m)
	return nil
}

// Purge implements Queue.
func (q *MemoryQueue) Purge(_ context.Context, before time.Time) (int64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var n int64
	for id, m := range q.jobs {
		if m.state == Delivered && m.done.Before(ms(before)) {
			delete(q.jobs, id)
			n++
		}
	}
	return n, nil
}

// Stats implements Queue.
func (q *MemoryQueue) Stats(context.Context) (Stats, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var s Stats
	for _, m := range q.jobs {
		switch m.state {
		case Pending:
			s.Pending++
		case Delivered:
			s.Delivered++
		case Dead:
			s.Dead++
		}
	}
	return s, nil
}

// Get implements Queue.
func (q *MemoryQueue) Get(_ context.Context, id string) (Job, State, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, ok := q.jobs[id]
	if !ok {
		return Job{}, 0, ErrNotFound
	}
	j := m.job
	j.Payload = append([]byte(nil), j.Payload...)
	return j, m.state, nil
}

// ms truncates t to the milliseconds the SQL queues keep, in UTC.
func ms(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}
