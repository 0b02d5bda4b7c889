package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// migrationFiles are the schema's versions, "NNNN_name.sql", applied in
// order of NNNN. A released file is never edited; a change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations sorted by version.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	seen := map[int]string{}
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: want NNNN_name.sql", base)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s have the same version", prev, base)
		}
		seen[v] = base
		text, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: strings.TrimSuffix(base, ".sql"), sql: string(text)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrateLockKey is the pg_advisory_xact_lock key that serializes Migrate
// across processes: the bytes of "latchmig" as a bigint.
const migrateLockKey int64 = 0x6c617463686d6967

// The version table, in the schema the connection's search_path selects.
const (
	createMigrationsTable = `CREATE TABLE IF NOT EXISTS latch_schema_migrations (
		version    INTEGER     NOT NULL PRIMARY KEY,
		name       TEXT        NOT NULL,
		applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
	)`
	appliedMigrations = "SELECT version FROM latch_schema_migrations"
	recordMigration   = "INSERT INTO latch_schema_migrations (version, name) VALUES ($1, $2)"
)

// Migrate brings the schema up to date: it applies, in order, each
// embedded migration that the latch_schema_migrations table does not
// record, and records it. Everything happens in one transaction that first
// takes a transaction-scoped advisory lock, so that Migrate is idempotent
// and safe to run on every start from several processes at once: the
// others wait for the first, then find nothing left to do. PostgreSQL's DDL
// is transactional, so a failed migration leaves the schema as it was.
// Versions recorded in the database that this build does not know (a newer
// Latch migrated it) are left alone. The tables go in the first schema of
// the connection's search_path.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer tx.Rollback(ctx) // after Commit, a no-op
	if err := migrate(ctx, tx, ms); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

func migrate(ctx context.Context, tx pgx.Tx, ms []migration) error {
	// Taken before anything is read or created: two CREATE TABLE IF NOT
	// EXISTS of one table at once can still fail on PostgreSQL's catalog.
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLockKey); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, createMigrationsTable); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, appliedMigrations)
	if err != nil {
		return err
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return err
	}
	done := make(map[int]bool, len(applied))
	for _, v := range applied {
		done[v] = true
	}
	for _, m := range ms {
		if done[m.version] {
			continue
		}
		// No arguments: pgx sends the file with the simple protocol, which
		// runs several statements in one go.
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, recordMigration, m.version, m.name); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
	}
	return nil
}
