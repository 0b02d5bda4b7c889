// Package lucia2 is a Latch store that reads and writes an existing Lucia v2
// database as it is, on SQLite (modernc.org/sqlite), PostgreSQL (pgx) and
// MySQL or MariaDB (go-sql-driver/mysql). Use it with latch.ProfileLucia2,
// which keeps session ids plain and hashes new passwords in Lucia's "s2:"
// scrypt format, so that a Lucia application and Latch can share one
// database, or Latch can take over from Lucia without a migration.
//
//	s, err := lucia2.Open(ctx, lucia2.Postgres, "postgres://app@db/app", lucia2.Options{})
//	if err != nil { … }
//	defer s.Close()
//	if err := s.Migrate(ctx); err != nil { … } // Latch's token tables only
//	auth, err := latch.New(latch.Config{Store: s, Profile: latch.ProfileLucia2})
//
// # Tables
//
// Lucia's three tables are used with the columns Lucia's adapters read and
// write (names from Options, Lucia's documented names by default):
//
//	auth_user    (id, <one column per user attribute>)
//	user_key     (id, user_id, hashed_password)
//	user_session (id, user_id, active_expires, idle_expires, <one column per session attribute>)
//
// Open reads the user and session tables' columns and refuses tables that
// lack Lucia's own. The store never creates, alters or drops Lucia's tables.
// Migrate creates only Latch's own tables beside them, latch_token,
// latch_token_attempt, latch_factor (second factors and passkeys,
// latch.FactorStore) and latch_user_disabled (the users an administrator
// disabled: latch.DisabledAttribute reads and writes it, as if it were a
// column), each with a foreign key to the user table (ON DELETE CASCADE,
// so that Lucia's own deleteUser still works). On SQLite they go
// into the user table's database (a qualified name names an attached one);
// elsewhere into the connection's current schema or database.
//
// Like Lucia's adapters, the store deletes a user's sessions and keys before
// the user: Lucia's documented foreign keys have no ON DELETE CASCADE.
//
// # Attributes
//
// Every column of the user and session tables other than Lucia's own is an
// attribute, named as the column. Its Go type, as read, follows the
// column's SQL type:
//
//	text, char, varchar, …                  string
//	integer, bigint, smallint, …            int64
//	boolean (tinyint(1) on MySQL)           bool
//	real, double, float                     float64 (integers are accepted on write)
//	timestamp, timestamptz, datetime, date  time.Time, in UTC
//	anything else                           read as a string; written as given
//
// What each Go type may be written into (TestTypeMatrix checks every cell
// on every dialect; "—" is refused):
//
//	Go type \ column  integer      bigint        boolean  tinyint(1)  text          timestamp
//	string            —            —             —        —           as is         —
//	int64 (any int)   as is        as is         —        —           —             —
//	bool              0 / 1        0 / 1         as is    as is       —             —
//	float64           —            —             —        —           —             —
//	time.Time         —            Unix ms       —        —           ISO 8601      as is
//
// integer is an integer column narrower than 64 bits (PostgreSQL's
// smallint and integer, MySQL's TINYINT, INT, …); bigint one of 64 bits
// (BIGINT; every SQLite INTEGER, whatever its declared width). tinyint(1)
// is MySQL's BOOLEAN. SQLite stores every boolean as an integer: there a
// column declared BOOL… is a boolean column (it reads as bool) and one
// declared TINYINT(1) a bigint. A float64 goes only into real, double or
// float columns. An integer out of its column's range is refused by the
// database, as the schema's fault.
//
// So a bool goes into an integer column as 0 or 1, as SQLite apps and
// Lucia's SQLite guide (email_verified INTEGER) keep it, and what a
// JavaScript app reads with Boolean(x) is what Latch wrote. Read back, an
// integer column gives int64, which latch.Attributes.Bool reads as a bool
// (0 false, other values true); on SQLite, the text 'true' or 'false' an
// application stored in an INTEGER column reads as a bool. A time goes
// into a 64-bit integer column as Unix milliseconds (JavaScript's
// Date.getTime) and into a text column as JavaScript's Date.toISOString
// writes it (millisecond precision, UTC); latch.Attributes.Time reads both
// back as a time.
//
// On SQLite, whose types are only declared, the declared type decides as
// SQLite's affinity rules do ("BOOL…" before "…INT…"); a time column holds
// RFC 3339 text in UTC as this store writes it (the text SQLite's date
// functions and JavaScript's Date read), and integers in a time column are
// read as Unix milliseconds, as JavaScript's Date.getTime writes them. Times
// keep the precision of their column: microseconds on PostgreSQL, the
// column's fractional digits on MySQL (none for a plain DATETIME).
//
// A server that writes attributes of its own choosing calls
// CheckUserAttribute at start for each of them, and reads UserColumn's
// MaxLength (and KeyIDMaxLength) to refuse over-long input as its client's
// error before writing.
//
// Writing an attribute that has no column, or a value of a type its column
// cannot hold, is refused with an error matching latch.ErrInvalidAttributes
// and latch.ErrStoreSchema that names the attribute (and, for a missing
// column, the table and its attribute columns; for a type, the column, its
// type and the types that would do); nothing is written. A value the
// database refuses (longer than its VARCHAR, out of the column's range, a
// NOT NULL column left empty) matches latch.ErrStoreSchema too. A value taken in a UNIQUE attribute column is refused the same
// way, and a NOT NULL attribute column left without a value (and without a
// default) too.
//
// A column whose name is not a valid attribute name (latch's rules: letters,
// digits and '_', not starting with a digit) is read under its name but
// cannot be written through Latch.
//
// NULL: an attribute whose column is NULL is absent from the attributes
// read, and writing nil stores NULL. So nil and absent are one state in this
// store: a user created without "email" and one whose "email" was set to
// nil both read back without "email". Attributes.String and friends return
// their zero value either way.
//
// The encoded size of a user's or session's attributes stays limited to
// latch.MaxAttributesSize, as in the other stores: an update whose merged
// result would be larger is refused and rolled back.
//
// # Ids
//
// Ids are compared as the columns' collations do, which Lucia's documented
// tables leave to the database's default. On PostgreSQL and SQLite that is
// byte for byte. On MySQL and MariaDB, lookups, updates and deletes by id
// compare byte for byte whatever the collation (an extra binary comparison
// beside the indexed one), but a case-insensitive or PAD SPACE collation still
// refuses, as a duplicate, a new id that it considers equal to a stored one
// ("a@x" and "A@x", or "a@x" and "a@x "). Lucia's MySQL schema declares user
// ids as VARCHAR(15), the length of Lucia's and Latch's generated ids.
//
// # Dialects
//
// SQLite: the database file must exist. Open uses one writer connection
// (writes queue in Go rather than fail with SQLITE_BUSY) and a pool of
// read-only ones, with foreign keys enforced and a busy timeout of 10 s for
// other processes (a Lucia application) writing the same file. It leaves the
// journal mode as the file has it: set PRAGMA journal_mode=WAL on the file
// once, if wanted, for reads that do not wait for writes.
//
// PostgreSQL: the DSN is a pgx connection string or URL; table names are
// resolved through its search_path, or qualified as "schema.table".
//
// MySQL/MariaDB: the DSN is a go-sql-driver DSN. Open sets parseTime, the
// UTC time zone for the session (TIMESTAMP columns), clientFoundRows,
// interpolateParams, utf8mb4 and strict mode for its own connections.
//
// The store implements latch.Store, latch.SessionUserGetter and
// latch.Transactor, and is safe for concurrent use.
package lucia2
