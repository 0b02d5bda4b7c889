package main

// The "limit" side: the SQL and Redis commands that Latch's stores send for
// each operation, sent here straight through the same driver (on the same
// pool where the store exposes it, else on a pool configured like the
// store's), with results scanned into plain Go values and nothing else.
// Decoding attributes, hashing tokens, generating ids and mapping errors
// are Latch's work and count against it. The statement texts mirror the
// stores' own; the bulk loaders write rows as the stores would.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"
)

// pageReader is a SQL database that can tell how many pages it has read
// from outside its own buffer cache: the growth section reports it per
// operation, as the evidence of a working set outgrowing the cache.
type pageReader interface {
	pageReads(ctx context.Context) (int64, error)
}

// sessionRow and tokenRow are rows for the bulk loaders.
type sessionRow struct {
	id, userID   string
	active, idle int64
	attrs        []byte
}

type tokenRow struct {
	kind, id, userID string
	expires          int64
}

// sqlDirect is one SQL database reached through its driver.
type sqlDirect interface {
	// getSessionAndUser is the validation join.
	getSessionAndUser(ctx context.Context, sessionID string) error
	getUser(ctx context.Context, userID string) error
	insertSession(ctx context.Context, r sessionRow) error
	putToken(ctx context.Context, r tokenRow) error
	// takeToken reads and deletes a token as the store does.
	takeToken(ctx context.Context, kind, id string) error
	// getKey returns the key's password hash ("" without one).
	getKey(ctx context.Context, keyID string) (string, error)
	bulkSessions(ctx context.Context, rows []sessionRow) error
	bulkTokens(ctx context.Context, rows []tokenRow) error
	// settle lets the server finish the work a bulk load leaves behind
	// (checkpoints, flushing, statistics) before anything is measured.
	settle(ctx context.Context) error
	close()
}

// Statement texts shared by the dialects ('?' placeholders; PostgreSQL's
// get $n from pgPlaceholders).
const (
	qSessionAndUser = "SELECT s.user_id, s.active_expires, s.idle_expires, s.attributes, u.attributes" +
		" FROM latch_session AS s JOIN latch_user AS u ON u.id = s.user_id WHERE s.id = ?"
	qGetUser       = "SELECT attributes FROM latch_user WHERE id = ?"
	qInsertSession = "INSERT INTO latch_session (id, user_id, active_expires, idle_expires, attributes) VALUES (?, ?, ?, ?, ?)"
	qGetKey        = "SELECT user_id, hashed_password FROM latch_key WHERE id = ?"
)

// pgPlaceholders numbers the '?' of q as $1, $2, ...
func pgPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Pragmas of store/sqlite's two pools, so that the direct pools behave
// like the store's.
const (
	sqliteWriterParams = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	sqliteReaderParams = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=query_only(1)"
)

// sqliteDirect is a reader pool and a one-connection writer on the store's
// file, configured as store/sqlite configures its own.
type sqliteDirect struct {
	reader, writer                           *sql.DB
	join, user, key                          *sql.Stmt
	insSession, putTok, takeTok, insTokenRaw *sql.Stmt
}

func openSQLiteDirect(ctx context.Context, path string) (*sqliteDirect, error) {
	d := &sqliteDirect{}
	var err error
	if d.writer, err = sql.Open("sqlite", path+"?"+sqliteWriterParams); err != nil {
		return nil, err
	}
	d.writer.SetMaxOpenConns(1)
	d.writer.SetMaxIdleConns(1)
	if d.reader, err = sql.Open("sqlite", path+"?"+sqliteReaderParams); err != nil {
		d.writer.Close()
		return nil, err
	}
	n := min(max(runtime.GOMAXPROCS(0), 4), 16)
	d.reader.SetMaxOpenConns(n)
	d.reader.SetMaxIdleConns(n)
	prep := []struct {
		db   *sql.DB
		p    **sql.Stmt
		text string
	}{
		{d.reader, &d.join, qSessionAndUser},
		{d.reader, &d.user, qGetUser},
		{d.reader, &d.key, qGetKey},
		{d.writer, &d.insSession, qInsertSession},
		// The store's own texts for tokens.
		{d.writer, &d.putTok, `INSERT INTO latch_token (kind, id, user_id, expires, session_id, data)
			VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?7 THEN ifnull(?6, X'') END)`},
		{d.writer, &d.takeTok, `DELETE FROM latch_token WHERE kind = ?1 AND id = ?2 AND (?3 = '' OR user_id = ?3)
			RETURNING kind, id, user_id, expires, session_id, data, data IS NOT NULL`},
		{d.writer, &d.insTokenRaw, "INSERT INTO latch_token (kind, id, user_id, expires, session_id) VALUES (?, ?, ?, ?, '')"},
	}
	for _, p := range prep {
		st, err := p.db.PrepareContext(ctx, p.text)
		if err != nil {
			d.close()
			return nil, fmt.Errorf("preparing %q: %w", firstWords(p.text), err)
		}
		*p.p = st
	}
	return d, nil
}

func (d *sqliteDirect) close() {
	for _, st := range []*sql.Stmt{d.join, d.user, d.key, d.insSession, d.putTok, d.takeTok, d.insTokenRaw} {
		if st != nil {
			st.Close()
		}
	}
	d.reader.Close()
	d.writer.Close()
}

// detached is ctx without its cancellation, for the point reads on the
// reader pool, as store/sqlite runs them: with a cancelable context,
// database/sql and the driver each start a goroutine per query to watch it.
func detached(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return context.WithoutCancel(ctx), nil
}

func (d *sqliteDirect) getSessionAndUser(ctx context.Context, id string) error {
	var (
		userID         string
		active, idle   int64
		sattrs, uattrs string
	)
	ctx, err := detached(ctx)
	if err != nil {
		return err
	}
	return d.join.QueryRowContext(ctx, id).Scan(&userID, &active, &idle, &sattrs, &uattrs)
}

func (d *sqliteDirect) getUser(ctx context.Context, userID string) error {
	var attrs string
	ctx, err := detached(ctx)
	if err != nil {
		return err
	}
	return d.user.QueryRowContext(ctx, userID).Scan(&attrs)
}

func (d *sqliteDirect) insertSession(ctx context.Context, r sessionRow) error {
	_, err := d.insSession.ExecContext(ctx, r.id, r.userID, r.active, r.idle, string(r.attrs))
	return err
}

func (d *sqliteDirect) putToken(ctx context.Context, r tokenRow) error {
	_, err := d.putTok.ExecContext(ctx, r.kind, r.id, r.userID, r.expires, "", nil, false)
	return err
}

func (d *sqliteDirect) takeToken(ctx context.Context, kind, id string) error {
	var (
		k, tid, userID, sessionID string
		expires                   int64
		data                      []byte
		hasData                   bool
	)
	return d.takeTok.QueryRowContext(ctx, kind, id, "").Scan(&k, &tid, &userID, &expires, &sessionID, &data, &hasData)
}

func (d *sqliteDirect) getKey(ctx context.Context, keyID string) (string, error) {
	var (
		userID string
		hash   sql.NullString
	)
	ctx, err := detached(ctx)
	if err != nil {
		return "", err
	}
	err = d.key.QueryRowContext(ctx, keyID).Scan(&userID, &hash)
	return hash.String, err
}

// sqliteBatch is the number of rows per transaction of the bulk loaders.
const sqliteBatch = 20000

func (d *sqliteDirect) bulkSessions(ctx context.Context, rows []sessionRow) error {
	return d.batches(ctx, len(rows), func(tx *sql.Tx, i int) error {
		r := rows[i]
		_, err := tx.StmtContext(ctx, d.insSession).ExecContext(ctx, r.id, r.userID, r.active, r.idle, string(r.attrs))
		return err
	})
}

func (d *sqliteDirect) bulkTokens(ctx context.Context, rows []tokenRow) error {
	return d.batches(ctx, len(rows), func(tx *sql.Tx, i int) error {
		r := rows[i]
		_, err := tx.StmtContext(ctx, d.insTokenRaw).ExecContext(ctx, r.kind, r.id, r.userID, r.expires)
		return err
	})
}

func (d *sqliteDirect) batches(ctx context.Context, n int, insert func(tx *sql.Tx, i int) error) (err error) {
	// A large page cache for the load alone, on this connection alone.
	if _, err := d.writer.ExecContext(ctx, "PRAGMA cache_size = -262144"); err != nil {
		return err
	}
	defer func() {
		if _, rerr := d.writer.ExecContext(ctx, "PRAGMA cache_size = -2000"); err == nil {
			err = rerr
		}
	}()
	for from := 0; from < n; from += sqliteBatch {
		tx, err := d.writer.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for i := from; i < min(from+sqliteBatch, n); i++ {
			if err := insert(tx, i); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// settle checkpoints the WAL into the database file. It does not run
// ANALYZE: Latch never does, and on this SQLite build the statistics it
// writes make every lookup with a new key re-prepare its statement.
func (d *sqliteDirect) settle(ctx context.Context) error {
	_, err := d.writer.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// pgDirect sends the store's statements on the store's own pool.
type pgDirect struct {
	pool *pgxpool.Pool
}

var (
	pgSessionAndUser = pgPlaceholders(qSessionAndUser)
	pgGetUser        = pgPlaceholders(qGetUser)
	pgInsertSession  = pgPlaceholders(qInsertSession)
	pgGetKey         = pgPlaceholders(qGetKey)
)

const (
	pgInsertToken = "INSERT INTO latch_token (kind, id, user_id, expires, session_id, data) VALUES ($1, $2, $3, $4, $5, $6)"
	pgTakeToken   = "DELETE FROM latch_token WHERE kind = $1 AND id = $2 RETURNING kind, id, user_id, expires, session_id, data"
)

func (d *pgDirect) close() {}

func (d *pgDirect) getSessionAndUser(ctx context.Context, id string) error {
	var (
		userID         string
		active, idle   int64
		sattrs, uattrs []byte
	)
	return d.pool.QueryRow(ctx, pgSessionAndUser, id).Scan(&userID, &active, &idle, &sattrs, &uattrs)
}

func (d *pgDirect) getUser(ctx context.Context, userID string) error {
	var attrs []byte
	return d.pool.QueryRow(ctx, pgGetUser, userID).Scan(&attrs)
}

func (d *pgDirect) insertSession(ctx context.Context, r sessionRow) error {
	_, err := d.pool.Exec(ctx, pgInsertSession, r.id, r.userID, r.active, r.idle, string(r.attrs))
	return err
}

func (d *pgDirect) putToken(ctx context.Context, r tokenRow) error {
	_, err := d.pool.Exec(ctx, pgInsertToken, r.kind, r.id, r.userID, r.expires, "", []byte(nil))
	return err
}

func (d *pgDirect) takeToken(ctx context.Context, kind, id string) error {
	var (
		k, tid, userID, sessionID string
		expires                   int64
		data                      []byte
	)
	return d.pool.QueryRow(ctx, pgTakeToken, kind, id).Scan(&k, &tid, &userID, &expires, &sessionID, &data)
}

func (d *pgDirect) getKey(ctx context.Context, keyID string) (string, error) {
	var (
		userID string
		hash   *string
	)
	if err := d.pool.QueryRow(ctx, pgGetKey, keyID).Scan(&userID, &hash); err != nil {
		return "", err
	}
	if hash == nil {
		return "", nil
	}
	return *hash, nil
}

func (d *pgDirect) bulkSessions(ctx context.Context, rows []sessionRow) error {
	_, err := d.pool.CopyFrom(ctx, pgx.Identifier{"latch_session"},
		[]string{"id", "user_id", "active_expires", "idle_expires", "attributes"},
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := rows[i]
			return []any{r.id, r.userID, r.active, r.idle, string(r.attrs)}, nil
		}))
	return err
}

func (d *pgDirect) bulkTokens(ctx context.Context, rows []tokenRow) error {
	_, err := d.pool.CopyFrom(ctx, pgx.Identifier{"latch_token"},
		[]string{"kind", "id", "user_id", "expires", "session_id"},
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := rows[i]
			return []any{r.kind, r.id, r.userID, r.expires, ""}, nil
		}))
	return err
}

// settle does what autovacuum would do after the load, then writes the
// dirty buffers out, so that the measurement does not share the disk
// with the checkpointer.
func (d *pgDirect) settle(ctx context.Context) error {
	if _, err := d.pool.Exec(ctx, "VACUUM ANALYZE latch_session, latch_token"); err != nil {
		return err
	}
	_, err := d.pool.Exec(ctx, "CHECKPOINT")
	return err
}

// pageReads is the blocks of this schema's tables and indexes read from
// outside shared_buffers (the OS cache or the disk). PostgreSQL publishes
// a backend's counts when its transaction ends, at most once a second, so
// a reading taken right after a measurement may lag by that much.
func (d *pgDirect) pageReads(ctx context.Context) (int64, error) {
	var n int64
	err := d.pool.QueryRow(ctx, `SELECT coalesce(sum(heap_blks_read + coalesce(idx_blks_read, 0)), 0)::bigint
		FROM pg_statio_user_tables WHERE schemaname = current_schema()`).Scan(&n)
	return n, err
}

// mysqlDirect prepares the store's statements on the store's own pool.
type mysqlDirect struct {
	db                                        *sql.DB
	join, user, key, insSession, putTok, lock *sql.Stmt
	del                                       *sql.Stmt
}

const (
	myPutToken  = "INSERT INTO latch_token (kind, id, user_id, expires, session_id, data) VALUES (?, ?, ?, ?, ?, ?)"
	myLockToken = "SELECT user_id, expires, session_id, data FROM latch_token WHERE kind = ? AND id = ? FOR UPDATE"
	myDelToken  = "DELETE FROM latch_token WHERE kind = ? AND id = ?"
)

func openMySQLDirect(ctx context.Context, db *sql.DB) (*mysqlDirect, error) {
	d := &mysqlDirect{db: db}
	for _, p := range []struct {
		p    **sql.Stmt
		text string
	}{
		{&d.join, qSessionAndUser}, {&d.user, qGetUser}, {&d.key, qGetKey},
		{&d.insSession, qInsertSession}, {&d.putTok, myPutToken},
		{&d.lock, myLockToken}, {&d.del, myDelToken},
	} {
		st, err := db.PrepareContext(ctx, p.text)
		if err != nil {
			d.close()
			return nil, fmt.Errorf("preparing %q: %w", firstWords(p.text), err)
		}
		*p.p = st
	}
	return d, nil
}

func (d *mysqlDirect) close() {
	for _, st := range []*sql.Stmt{d.join, d.user, d.key, d.insSession, d.putTok, d.lock, d.del} {
		if st != nil {
			st.Close()
		}
	}
}

func (d *mysqlDirect) getSessionAndUser(ctx context.Context, id string) error {
	var (
		userID         string
		active, idle   int64
		sattrs, uattrs []byte
	)
	return d.join.QueryRowContext(ctx, id).Scan(&userID, &active, &idle, &sattrs, &uattrs)
}

func (d *mysqlDirect) getUser(ctx context.Context, userID string) error {
	var attrs []byte
	return d.user.QueryRowContext(ctx, userID).Scan(&attrs)
}

func (d *mysqlDirect) insertSession(ctx context.Context, r sessionRow) error {
	_, err := d.insSession.ExecContext(ctx, r.id, r.userID, r.active, r.idle, r.attrs)
	return err
}

func (d *mysqlDirect) putToken(ctx context.Context, r tokenRow) error {
	_, err := d.putTok.ExecContext(ctx, r.kind, r.id, r.userID, r.expires, "", []byte(nil))
	return err
}

// takeToken is the store's transaction: lock the row, read it, delete it.
func (d *mysqlDirect) takeToken(ctx context.Context, kind, id string) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var (
		userID, sessionID string
		expires           int64
		data              []byte
	)
	if err := tx.StmtContext(ctx, d.lock).QueryRowContext(ctx, kind, id).Scan(&userID, &expires, &sessionID, &data); err != nil {
		return err
	}
	if _, err := tx.StmtContext(ctx, d.del).ExecContext(ctx, kind, id); err != nil {
		return err
	}
	return tx.Commit()
}

func (d *mysqlDirect) getKey(ctx context.Context, keyID string) (string, error) {
	var (
		userID string
		hash   sql.NullString
	)
	err := d.key.QueryRowContext(ctx, keyID).Scan(&userID, &hash)
	return hash.String, err
}

// mysqlBatch is the number of rows per multi-row INSERT.
const mysqlBatch = 500

func (d *mysqlDirect) bulkSessions(ctx context.Context, rows []sessionRow) error {
	return d.multiInsert(ctx, "INSERT INTO latch_session (id, user_id, active_expires, idle_expires, attributes) VALUES ", "(?,?,?,?,?)",
		len(rows), func(i int) []any {
			r := rows[i]
			return []any{r.id, r.userID, r.active, r.idle, r.attrs}
		})
}

func (d *mysqlDirect) bulkTokens(ctx context.Context, rows []tokenRow) error {
	return d.multiInsert(ctx, "INSERT INTO latch_token (kind, id, user_id, expires, session_id) VALUES ", "(?,?,?,?,'')",
		len(rows), func(i int) []any {
			r := rows[i]
			return []any{r.kind, r.id, r.userID, r.expires}
		})
}

// multiInsert inserts n rows, mysqlBatch per statement and twenty
// statements per transaction.
func (d *mysqlDirect) multiInsert(ctx context.Context, head, tuple string, n int, args func(i int) []any) error {
	var tx *sql.Tx
	stmts := 0
	for from := 0; from < n; from += mysqlBatch {
		if tx == nil {
			var err error
			if tx, err = d.db.BeginTx(ctx, nil); err != nil {
				return err
			}
		}
		to := min(from+mysqlBatch, n)
		var q strings.Builder
		q.WriteString(head)
		vals := make([]any, 0, (to-from)*5)
		for i := from; i < to; i++ {
			if i > from {
				q.WriteByte(',')
			}
			q.WriteString(tuple)
			vals = append(vals, args(i)...)
		}
		if _, err := tx.ExecContext(ctx, q.String(), vals...); err != nil {
			tx.Rollback()
			return err
		}
		if stmts++; stmts%20 == 0 || to == n {
			if err := tx.Commit(); err != nil {
				return err
			}
			tx = nil
		}
	}
	return nil
}

// settle refreshes the statistics. (InnoDB flushes the pages the load
// dirtied lazily, whatever the wait: the server's dirty-page level is
// not ours to set.)
func (d *mysqlDirect) settle(ctx context.Context) error {
	rows, err := d.db.QueryContext(ctx, "ANALYZE TABLE latch_session, latch_token")
	if err != nil {
		return err
	}
	return rows.Close()
}

// pageReads is InnoDB's count of pages read from disk into the buffer
// pool, server-wide.
func (d *mysqlDirect) pageReads(ctx context.Context) (int64, error) {
	var (
		name string
		n    int64
	)
	err := d.db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_reads'").Scan(&name, &n)
	return n, err
}

// redisDirect is the Redis side: the store's key layout and, as Lua
// scripts of the benchmark's own, the same commands its scripts run.
type redisDirect struct {
	c      *goredis.Client
	prefix string
}

func (d *redisDirect) sessionKey(id string) string { return d.prefix + "session:" + id }
func (d *redisDirect) sessionIndexKey(userID string) string {
	return d.prefix + "user_sessions:" + userID
}
func (d *redisDirect) tokenKey(kind, id string) string {
	return d.prefix + "token:" + field(kind) + id
}
func (d *redisDirect) tokenIndexKey(userID, kind string) string {
	return d.prefix + "user_tokens:" + field(userID) + kind
}
func (d *redisDirect) tokenKindsKey(userID string) string {
	return d.prefix + "user_token_kinds:" + userID
}

// field length-prefixes a key part that another one follows.
func field(v string) string { return fmt.Sprint(len(v)) + ":" + v + ":" }

// The commands of the store's create-session, put-token and take-token
// scripts, for keys the caller names.
var (
	// KEYS: session, index. ARGV: id, user, active, idle, attrs, ttl.
	redisCreateSession = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'u', ARGV[2], 'a', ARGV[3], 'i', ARGV[4], 't', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('SADD', KEYS[2], ARGV[1])
local ttl = tonumber(ARGV[6])
local cur = redis.call('PTTL', KEYS[2])
if cur == -1 or (cur >= 0 and cur < ttl) then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
`)
	// KEYS: token, index, kinds. ARGV: id, kind, user, expires, ttl.
	redisPutToken = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'u', ARGV[3], 'e', ARGV[4])
local ttl = tonumber(ARGV[5])
redis.call('PEXPIRE', KEYS[1], ttl)
for k = 2, 3 do
  redis.call('SADD', KEYS[k], ARGV[k - 1])
  local cur = redis.call('PTTL', KEYS[k])
  if cur == -1 or (cur >= 0 and cur < ttl) then redis.call('PEXPIRE', KEYS[k], ttl) end
end
return 1
`)
	// KEYS: token, index, kinds. ARGV: id, kind.
	redisTakeToken = goredis.NewScript(`
local f = redis.call('HMGET', KEYS[1], 'u', 'e', 's', 'd')
if not f[1] then return false end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('SCARD', KEYS[2]) == 0 then redis.call('SREM', KEYS[3], ARGV[2]) end
return f
`)
)

var errNoRow = errors.New("no such row")

func (d *redisDirect) getSession(ctx context.Context, id string) error {
	f, err := d.c.HMGet(ctx, d.sessionKey(id), "u", "a", "i", "t").Result()
	if err != nil {
		return err
	}
	if f[0] == nil {
		return errNoRow
	}
	return nil
}

func (d *redisDirect) createSession(ctx context.Context, r sessionRow, ttl int64) error {
	n, err := redisCreateSession.Run(ctx, d.c, []string{d.sessionKey(r.id), d.sessionIndexKey(r.userID)},
		r.id, r.userID, r.active, r.idle, r.attrs, ttl).Int64()
	if err == nil && n == 0 {
		err = errors.New("session id taken")
	}
	return err
}

func (d *redisDirect) putToken(ctx context.Context, r tokenRow, ttl int64) error {
	n, err := redisPutToken.Run(ctx, d.c,
		[]string{d.tokenKey(r.kind, r.id), d.tokenIndexKey(r.userID, r.kind), d.tokenKindsKey(r.userID)},
		r.id, r.kind, r.userID, r.expires, ttl).Int64()
	if err == nil && n == 0 {
		err = errors.New("token id taken")
	}
	return err
}

func (d *redisDirect) takeToken(ctx context.Context, kind, id, userID string) error {
	return redisTakeToken.Run(ctx, d.c,
		[]string{d.tokenKey(kind, id), d.tokenIndexKey(userID, kind), d.tokenKindsKey(userID)},
		id, kind).Err()
}

// redisBatch is the number of records per pipeline of the bulk loaders.
const redisBatch = 2000

// bulkSessions writes sessions as the store lays them out: a hash with
// a time to live, and the id in its user's index.
func (d *redisDirect) bulkSessions(ctx context.Context, rows []sessionRow, ttl int64) error {
	users := map[string]bool{}
	for from := 0; from < len(rows); from += redisBatch {
		p := d.c.Pipeline()
		for _, r := range rows[from:min(from+redisBatch, len(rows))] {
			k := d.sessionKey(r.id)
			p.HSet(ctx, k, "u", r.userID, "a", r.active, "i", r.idle, "t", r.attrs)
			p.PExpire(ctx, k, msDuration(ttl))
			p.SAdd(ctx, d.sessionIndexKey(r.userID), r.id)
			users[r.userID] = true
		}
		if _, err := p.Exec(ctx); err != nil {
			return err
		}
	}
	p := d.c.Pipeline()
	for u := range users {
		p.PExpire(ctx, d.sessionIndexKey(u), msDuration(ttl))
	}
	_, err := p.Exec(ctx)
	return err
}

// bulkTokens writes tokens as the store lays them out: a hash with a time
// to live, the id in its (user, kind) index and the kind in the user's.
func (d *redisDirect) bulkTokens(ctx context.Context, rows []tokenRow, ttl int64) error {
	type uk struct{ user, kind string }
	idx := map[uk]bool{}
	for from := 0; from < len(rows); from += redisBatch {
		p := d.c.Pipeline()
		for _, r := range rows[from:min(from+redisBatch, len(rows))] {
			k := d.tokenKey(r.kind, r.id)
			p.HSet(ctx, k, "u", r.userID, "e", r.expires)
			p.PExpire(ctx, k, msDuration(ttl))
			p.SAdd(ctx, d.tokenIndexKey(r.userID, r.kind), r.id)
			idx[uk{r.userID, r.kind}] = true
		}
		if _, err := p.Exec(ctx); err != nil {
			return err
		}
	}
	p := d.c.Pipeline()
	for k := range idx {
		p.SAdd(ctx, d.tokenKindsKey(k.user), k.kind)
		p.PExpire(ctx, d.tokenIndexKey(k.user, k.kind), msDuration(ttl))
		p.PExpire(ctx, d.tokenKindsKey(k.user), msDuration(ttl))
	}
	_, err := p.Exec(ctx)
	return err
}

// firstWords shortens a statement for messages.
func firstWords(q string) string {
	f := strings.Fields(q)
	if len(f) > 4 {
		f = f[:4]
	}
	return strings.Join(f, " ")
}
