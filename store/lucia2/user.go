package lucia2

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/latchauth/latch"
)

// CreateUser stores the user and, when key is not nil, its first key, in
// one transaction. A taken user id or key id is latch.ErrDuplicate; an
// attribute without a column, or a value taken in a UNIQUE attribute
// column, is latch.ErrInvalidAttributes.
func (s *Store) CreateUser(ctx context.Context, user latch.UserRecord, key *latch.KeyRecord) error {
	const op = "create user"
	cols, vals, err := s.encode(s.users, user.Attributes)
	if err != nil {
		return s.wrap(op, err)
	}
	insert := s.insertSQL(s.users, []string{"id"}, cols)
	userArgs := args([]any{user.ID}, vals)
	var userFailed bool
	insertUser := func(q querier) error {
		userFailed = false
		if _, err := q.ExecContext(ctx, insert, userArgs...); err != nil {
			userFailed = true
			return err
		}
		return nil
	}
	if key == nil {
		err = s.single(ctx, insertUser)
	} else {
		createKey := s.q.createKey
		err = s.atomic(ctx, func(q querier) error {
			if err := insertUser(q); err != nil {
				return err
			}
			_, err := q.ExecContext(ctx, createKey, key.ID, key.UserID, nullString(key.HashedPassword))
			return err
		})
	}
	if err == nil {
		return nil
	}
	if userFailed && s.classify(err) == classUnique {
		// The id is taken, or a value in a UNIQUE attribute column (an
		// email, say): tell them apart.
		if _, gerr := s.GetUser(ctx, user.ID); errors.Is(gerr, latch.ErrNotFound) {
			return fmt.Errorf("lucia2: %s: %w: a value is already taken in a UNIQUE column of the user table %s (%w)",
				op, latch.ErrInvalidAttributes, s.users.name, err)
		}
	}
	return s.wrap(op, err)
}

// GetUser returns the user, or latch.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, userID string) (latch.UserRecord, error) {
	u, err := s.getUser(ctx, userID)
	if err != nil {
		return latch.UserRecord{}, s.wrap("get user", err)
	}
	return u, nil
}

func (s *Store) getUser(ctx context.Context, userID string) (latch.UserRecord, error) {
	var (
		id  string
		dis sql.NullInt64
	)
	dest, vals := scanTargets(len(s.users.attrs))
	if err := s.readRow(ctx, s.q.getUserFull, args(s.idArgs(userID))...).Scan(append(append([]any{&id}, dest...), &dis)...); err != nil {
		return latch.UserRecord{}, err
	}
	if id != userID {
		return latch.UserRecord{}, sql.ErrNoRows
	}
	attrs, err := decode(s.users, vals)
	if err != nil {
		return latch.UserRecord{}, err
	}
	return latch.UserRecord{ID: id, Attributes: withDisabled(attrs, dis)}, nil
}

// UpdateUserAttributes writes the patch's attributes into their columns in
// one transaction (nil stores NULL), then checks that the user's merged
// attributes stay within latch.MaxAttributesSize. latch.ErrNotFound when
// the user does not exist; latch.ErrInvalidAttributes, with nothing
// written, for an attribute without a column or a value of the wrong type.
//
// latch.DisabledAttribute has no column: it is kept in DisabledTable,
// written in the same transaction as the rest of the patch.
func (s *Store) UpdateUserAttributes(ctx context.Context, userID string, patch latch.Attributes) error {
	const op = "update user attributes"
	v, ok := patch[latch.DisabledAttribute]
	if !ok {
		return s.updateAttributes(ctx, op, s.users, userID, patch, s.q.getUser, 1)
	}
	rest := make(latch.Attributes, len(patch))
	for k, x := range patch {
		if k != latch.DisabledAttribute {
			rest[k] = x
		}
	}
	return s.InTx(ctx, func(ctx context.Context) error {
		// With nothing else to write, this checks that the user exists.
		if err := s.updateAttributes(ctx, op, s.users, userID, rest, s.q.getUser, 1); err != nil {
			return err
		}
		return s.wrap(op, s.setDisabled(ctx, userID, v))
	})
}

// updateAttributes updates the row of t with the patch and reads it back
// with get (whose result has skip columns before the attributes), in one
// transaction.
func (s *Store) updateAttributes(ctx context.Context, op string, t *table, id string, patch latch.Attributes, get string, skip int) error {
	cols, vals, err := s.encode(t, patch)
	if err != nil {
		return s.wrap(op, err)
	}
	idArgs := s.idArgs(id)
	if !s.storable(idArgs) {
		return notFound(op)
	}
	if len(cols) == 0 {
		// Nothing to write: the row must exist all the same. In a
		// transaction of PostgreSQL or MySQL the read locks the row
		// (SELECT … FOR UPDATE), as the other stores' empty merge does:
		// callers serialise one user's changes with it (two parallel
		// unlinks must not remove the last two ways in).
		if s.d != dSQLite && s.txFrom(ctx) != nil {
			get += " FOR UPDATE"
		}
		var gotID string
		rest := make([]any, skip-1+len(t.attrs))
		for i := range rest {
			rest[i] = new(any)
		}
		err := s.readRow(ctx, get, idArgs...).Scan(append([]any{&gotID}, rest...)...)
		if err == nil && gotID != id {
			err = sql.ErrNoRows
		}
		return s.wrap(op, err)
	}
	update := s.updateSQL(t, cols)
	err = s.atomic(ctx, func(q querier) error {
		if _, err := q.ExecContext(ctx, update, args(vals, idArgs)...); err != nil {
			return err
		}
		// Read the row back: it tells whether the row exists (affected
		// rows would not where nothing changed), and its size.
		var gotID string
		rest, _ := scanTargets(skip - 1)
		dest, got := scanTargets(len(t.attrs))
		if err := q.QueryRowContext(ctx, get, idArgs...).Scan(append(append([]any{&gotID}, rest...), dest...)...); err != nil {
			return err
		}
		if gotID != id {
			return sql.ErrNoRows
		}
		attrs, err := decode(t, got)
		if err != nil {
			return err
		}
		if n := encodedSize(attrs); n > latch.MaxAttributesSize {
			return attrError("the %s's attributes would take %d bytes encoded, over the %d-byte limit", t.role, n, latch.MaxAttributesSize)
		}
		return nil
	})
	if err != nil {
		switch s.classify(err) {
		case classUnique:
			return fmt.Errorf("lucia2: %s: %w: a value is already taken in a UNIQUE column of the %s table %s (%w)",
				op, latch.ErrInvalidAttributes, t.role, t.name, err)
		case classTooLong, classBadValue:
			return schemaError{fmt.Errorf("lucia2: %s: %w: a value does not fit its column (%w)", op, latch.ErrInvalidAttributes, err)}
		}
	}
	return s.wrap(op, err)
}

// DeleteUser removes the user with its sessions and keys, in one
// transaction, as Lucia does (Lucia's tables have no ON DELETE CASCADE);
// Latch's tokens and attempt counters go with the user through their
// foreign keys. It succeeds whatever the input. A row of another table that
// still references the user makes it fail.
func (s *Store) DeleteUser(ctx context.Context, userID string) error {
	const op = "delete user"
	ids := s.idArgs(userID)
	if !s.storable(ids) {
		return nil
	}
	err := s.atomic(ctx, func(q querier) error {
		for _, stmt := range []string{s.q.deleteSessionsByUser, s.q.deleteKeysByUser, s.q.deleteUser} {
			if _, err := q.ExecContext(ctx, stmt, ids...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && s.classify(err) == classForeignKey {
		return fmt.Errorf("lucia2: %s: another table still references the user: %w", op, err)
	}
	return s.wrap(op, err)
}

func nullString(p *string) sql.NullString {
	if p == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *p, Valid: true}
}

func stringPtr(ns sql.NullString) *string {
	if !ns.Valid {
		return nil
	}
	return &ns.String
}
