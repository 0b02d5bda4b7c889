package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/attrcodec"
)

// Store is Latch's PostgreSQL store. It implements latch.Store,
// latch.SessionUserGetter, latch.Transactor, and latch.FactorStore and
// latch.FactorScanner through the SQL stores' shared code it embeds
// (factor.go). It is safe for concurrent use.
type Store struct {
	pool         *pgxpool.Pool
	owned        bool // Close closes pool: Open made it
	*factorStore      // CreateFactor, GetFactor, … (factor.go)
}

var (
	_ latch.Store             = (*Store)(nil)
	_ latch.SessionUserGetter = (*Store)(nil)
	_ latch.Transactor        = (*Store)(nil)
)

// Open connects a pool to the database at url (a postgres:// URL or a
// key=value connection string, with pgxpool's pool_* settings if wanted)
// and checks that the server answers. It does not create Latch's tables:
// call Migrate for that. Close releases the pool.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s := New(pool)
	s.owned = true
	return s, nil
}

// New returns a Store on a pool the caller made and keeps: Close does not
// close it. The pool's search_path selects the schema of the tables. Any
// pgx query mode works; the store's statements are constants, made for the
// default mode, which prepares each once per connection and caches it.
func New(pool *pgxpool.Pool) *Store {
	s := &Store{pool: pool}
	s.factorStore = s.newFactors()
	return s
}

// Close closes the pool when Open made it, waiting for the connections in
// use to be released; a Store from New leaves its pool to its owner.
func (s *Store) Close() {
	if s.owned {
		s.pool.Close()
	}
}

// Pool returns the store's connection pool, for administration and tests.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// querier is what the store's methods run their statements on: the pool,
// or the transaction of InTx that their context carries.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// db returns the transaction ctx carries, or the pool.
func (s *Store) db(ctx context.Context) querier {
	if tx := s.txFrom(ctx); tx != nil {
		return tx
	}
	return s.pool
}

// Savepoint statements around the writes that may fail inside a
// transaction of InTx (see insert).
const (
	savepoint           = "SAVEPOINT latch_write"
	releaseSavepoint    = "RELEASE SAVEPOINT latch_write"
	rollbackToSavepoint = "ROLLBACK TO SAVEPOINT latch_write; RELEASE SAVEPOINT latch_write"
)

// insert runs a write that may be refused (a taken id, a missing user):
// on the pool as it is; inside a transaction of InTx between a savepoint
// and its release, sent together in one round trip, so that a refused
// write is undone alone and the transaction goes on (PostgreSQL otherwise
// refuses every later statement of a transaction once one has failed).
func (s *Store) insert(ctx context.Context, sql string, args ...any) error {
	if s.txFrom(ctx) == nil {
		_, err := s.pool.Exec(ctx, sql, args...)
		return err
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	return s.batch(ctx, b, nil)
}

// batch sends the statements of b in one round trip, all or none: on the
// pool as one implicit transaction; inside a transaction of InTx between a
// savepoint and its release, rolled back to the savepoint when one fails
// so that the transaction stays usable. read, when not nil, reads the
// results of b's statements in order; whatever it leaves is read by Close.
func (s *Store) batch(ctx context.Context, b *pgx.Batch, read func(br pgx.BatchResults) error) error {
	tx := s.txFrom(ctx)
	if tx == nil {
		return finishBatch(s.pool.SendBatch(ctx, b), read)
	}
	guarded := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(b.QueuedQueries)+2)}
	guarded.Queue(savepoint)
	guarded.QueuedQueries = append(guarded.QueuedQueries, b.QueuedQueries...)
	guarded.Queue(releaseSavepoint)
	err := finishBatch(tx.SendBatch(ctx, guarded), func(br pgx.BatchResults) error {
		if _, err := br.Exec(); err != nil {
			return err
		}
		if read != nil {
			return read(br)
		}
		return nil
	})
	if err != nil && tx.Conn().PgConn().TxStatus() == 'E' {
		// A statement failed on the server. Best effort: when this fails
		// too (the connection is gone, say), the transaction is lost
		// anyway and its commit will say so.
		_, _ = tx.Exec(ctx, rollbackToSavepoint)
	}
	return err
}

// finishBatch reads br with read, closes it, and returns the first error.
func finishBatch(br pgx.BatchResults, read func(br pgx.BatchResults) error) error {
	var err error
	if read != nil {
		err = read(br)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// storable reports whether a TEXT column can hold s: PostgreSQL refuses
// invalid UTF-8 and NUL bytes. No stored id is otherwise, so a lookup of
// such an id finds nothing without asking the server (whose refusal would
// also abort the transaction of InTx the lookup ran in).
func storable(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// Error mapping.

// SQLSTATE codes mapped to Latch's errors.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// wrap names the operation and maps driver errors to Latch's: a taken key
// to latch.ErrDuplicate, a missing referenced user to latch.ErrNotFound, no
// rows to latch.ErrNotFound, a lost connection to latch.ErrStoreUnavailable.
// The driver's error stays wrapped too.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound(op)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeUniqueViolation:
			return fmt.Errorf("postgres: %s: %w: %w", op, latch.ErrDuplicate, err)
		case codeForeignKeyViolation:
			return fmt.Errorf("postgres: %s: %w: %w", op, latch.ErrNotFound, err)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, latch.Unavailable(err, connectionLost))
}

// connectionLost reports pgx's own outage errors (latch.ErrStoreUnavailable):
// a failed connect, a connection pgx closed, or a server that is shutting
// down or refusing connections (SQLSTATE class 08, 57P01-57P03).
func connectionLost(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.Is(err, pgconn.ErrConnClosed) || pgconn.Timeout(err) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	return false
}

// notFound is the error of an operation that found no row.
func notFound(op string) error {
	return fmt.Errorf("postgres: %s: %w", op, latch.ErrNotFound)
}

// attributes is a scan target that decodes an attributes column straight
// from the driver's buffer, without copying it into a string first.
type attributes struct{ a latch.Attributes }

// ScanBytes implements pgtype.BytesScanner.
func (d *attributes) ScanBytes(src []byte) error {
	a, err := attrcodec.Decode(string(src))
	if err != nil {
		return err
	}
	d.a = a
	return nil
}
