// Package sqlbind rewrites the '?' parameters of the SQL that the stores,
// the outbox and the throttle write once for every dialect into
// PostgreSQL's numbered form.
package sqlbind

import (
	"strconv"
	"strings"
)

// Numbered turns each '?' of q into $1, $2, … in order. The statements
// it serves hold no '?' inside a string literal or an identifier; a
// query that does must not go through it.
func Numbered(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
