package mysql

import (
	"reflect"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	src := "-- a comment; with a semicolon\n" +
		"CREATE TABLE a (x INT); # another; comment\n" +
		"/* block; comment */ INSERT INTO a VALUES ('x;y', \"it\\\"s;\", 'don''t;');\n" +
		"SELECT `odd;name` FROM a WHERE b = 1--1\n" +
		";;  \n-- trailing\n"
	got, err := splitStatements(src)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"CREATE TABLE a (x INT)",
		"INSERT INTO a VALUES ('x;y', \"it\\\"s;\", 'don''t;')",
		"SELECT `odd;name` FROM a WHERE b = 1--1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("splitStatements =\n%q\nwant\n%q", got, want)
	}
	for _, bad := range []string{"SELECT 'x", "SELECT /* x", "SELECT `x"} {
		if _, err := splitStatements(bad); err == nil {
			t.Errorf("splitStatements(%q) succeeded, want an error", bad)
		}
	}
}

func TestEmbeddedMigrations(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].version != 1 || ms[0].name != "0001_init" {
		t.Fatalf("migrations = %+v, want 0001_init first", ms)
	}
	if n := len(ms[0].statements); n != 5 {
		t.Errorf("0001_init has %d statements, want 5 (one CREATE TABLE per table)", n)
	}
	for i, m := range ms {
		if m.version != i+1 {
			t.Errorf("migration %s has version %d, want %d (no gaps)", m.name, m.version, i+1)
		}
	}
}
