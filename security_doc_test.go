package latch_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestSecurityDoc keeps SECURITY.md honest: the checklist is what users weigh
// Latch by, and a row that names a renamed or deleted test, or a package the
// test is not in, claims a proof that `go test -run` would silently skip
// ("no tests to run" passes). It also keeps the row ids one scheme, so a
// cross-reference ("row SE-4") names one row.
func TestSecurityDoc(t *testing.T) {
	text, err := os.ReadFile("SECURITY.md")
	if err != nil {
		t.Fatalf("read SECURITY.md: %v", err)
	}
	rows, err := parseSecurityRows(string(text))
	if err != nil {
		t.Fatalf("parse SECURITY.md: %v", err)
	}
	if len(rows) < 100 {
		t.Fatalf("parsed %d rows from SECURITY.md; the table format changed under this test", len(rows))
	}
	type loaded struct {
		p   *goPackage
		err error
	}
	pkgs := map[string]loaded{} // each package parsed once, its error kept too
	load := func(path string) (*goPackage, error) {
		if l, ok := pkgs[path]; ok {
			return l.p, l.err
		}
		p, err := loadGoPackage(path)
		pkgs[path] = loaded{p, err}
		return p, err
	}
	for _, problem := range checkSecurityRows(rows, load) {
		t.Error(problem)
	}
	for _, problem := range checkRowReferences(string(text), rows) {
		t.Error(problem)
	}
	for _, problem := range checkGoTestCommands(string(text), load) {
		t.Error(problem)
	}
}

// securityRow is one requirement of the checklist.
type securityRow struct {
	line    int
	section string // the ### heading above the table
	id      string
	tests   string // the last column: the tests that prove the row
}

// The checklist's tables begin with this header; any other table is left alone.
const securityTableHeader = "| # | Requirement | Source | Latch | Test |"

func parseSecurityRows(text string) ([]securityRow, error) {
	var rows []securityRow
	section, inTable := "", false
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "### "):
			section, inTable = strings.TrimPrefix(line, "### "), false
		case line == securityTableHeader:
			inTable = true
		case !strings.HasPrefix(line, "|"):
			inTable = false
		case inTable && strings.HasPrefix(line, "|---"):
		case inTable:
			cells := splitTableRow(line)
			if len(cells) != 5 {
				return nil, fmt.Errorf("line %d: %d cells, want 5 (an unescaped | outside code?)", i+1, len(cells))
			}
			rows = append(rows, securityRow{line: i + 1, section: section, id: cells[0], tests: cells[4]})
		}
	}
	return rows, nil
}

// splitTableRow splits a Markdown table row on the pipes outside code spans.
func splitTableRow(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	var cells []string
	var cell strings.Builder
	inCode := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '`':
			inCode = !inCode
		case c == '\\' && i+1 < len(line) && line[i+1] == '|':
			cell.WriteByte('|')
			i++
			continue
		case c == '|' && !inCode:
			cells = append(cells, strings.TrimSpace(cell.String()))
			cell.Reset()
			continue
		}
		cell.WriteByte(c)
	}
	return append(cells, strings.TrimSpace(cell.String()))
}

// Row ids are a topic prefix and a number: PW-1, SE-12.
var rowIDPattern = regexp.MustCompile(`^([A-Z]{2})-([1-9][0-9]*)$`)

func checkSecurityRows(rows []securityRow, load func(string) (*goPackage, error)) []string {
	var problems []string
	seen := map[string]int{}
	prefixSection := map[string]string{}
	next := map[string]int{} // per section: the number the next row should carry
	for _, r := range rows {
		if first, dup := seen[r.id]; dup {
			problems = append(problems, fmt.Sprintf("SECURITY.md:%d: row id %q already used on line %d", r.line, r.id, first))
		}
		seen[r.id] = r.line
		m := rowIDPattern.FindStringSubmatch(r.id)
		if m == nil {
			problems = append(problems, fmt.Sprintf("SECURITY.md:%d: row id %q is not a topic prefix and a number (PW-1)", r.line, r.id))
		} else {
			if s, ok := prefixSection[m[1]]; ok && s != r.section {
				problems = append(problems, fmt.Sprintf("SECURITY.md:%d: row %s: prefix %s belongs to section %q", r.line, r.id, m[1], s))
			}
			prefixSection[m[1]] = r.section
			n, _ := strconv.Atoi(m[2])
			if want := next[r.section] + 1; n != want {
				problems = append(problems, fmt.Sprintf("SECURITY.md:%d: row %s: want number %d here (rows of a section run 1, 2, 3…)", r.line, r.id, want))
			}
			next[r.section] = n
		}
		refs, bad := parseTestCell(r.tests)
		for _, b := range bad {
			problems = append(problems, fmt.Sprintf("SECURITY.md:%d: row %s: %s", r.line, r.id, b))
		}
		for _, ref := range refs {
			p, err := load(ref.pkg)
			if err != nil {
				problems = append(problems, fmt.Sprintf("SECURITY.md:%d: row %s: package %s: %v", r.line, r.id, ref.pkg, err))
				continue
			}
			if msg := p.check(ref.name); msg != "" {
				problems = append(problems, fmt.Sprintf("SECURITY.md:%d: row %s: %s (%s): %s", r.line, r.id, ref.name, ref.pkg, msg))
			}
		}
	}
	return problems
}

// testRef is one name in a row's Test column and the package it is in.
type testRef struct{ name, pkg string }

// Names the Test column can hold: a test, fuzz target or benchmark (with
// subtests after a slash), an exported suite function such as
// storetest.RunFaults, or a storetest subtest such as `concurrent-take`;
// besides them, a repository file or a go test command.
var (
	testFuncPattern  = regexp.MustCompile(`^(Test|Fuzz|Benchmark)[A-Z0-9_][A-Za-z0-9_]*(/[^/\s]+)*$`)
	suiteFuncPattern = regexp.MustCompile(`^[A-Z][A-Za-z0-9_]*$`)
	subtestPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*$`)
	// A script that proves a row, such as .ci/static.sh: it must exist.
	repoFilePattern = regexp.MustCompile(`^\.?[A-Za-z0-9_.-]*(/[A-Za-z0-9_.-]+)*\.(sh|go|json)$`)
)

// parseTestCell reads the convention of the Test column: names in code spans,
// then the package (or packages) in parentheses, which covers every name
// since the previous package: "`TestA`, `TestB` (authapi), `TestC`
// (cmd/latchd: how)". Parentheses that do not begin with a package path are
// remarks; code spans inside them are not names.
func parseTestCell(cell string) (refs []testRef, bad []string) {
	var pending []string
	for i := 0; i < len(cell); i++ {
		switch cell[i] {
		case '`':
			end := strings.IndexByte(cell[i+1:], '`')
			if end < 0 {
				return refs, append(bad, "unclosed code span in the Test column")
			}
			span := cell[i+1 : i+1+end]
			i += end + 1
			switch {
			case testFuncPattern.MatchString(span), suiteFuncPattern.MatchString(span), subtestPattern.MatchString(span):
				pending = append(pending, span)
			case strings.Contains(span, "go test"):
				// checked by checkGoTestCommands: it names its own package
			case repoFilePattern.MatchString(span):
				if _, err := os.Stat(filepath.FromSlash(span)); err != nil {
					bad = append(bad, fmt.Sprintf("file %s: %v", span, err))
				}
			default:
				bad = append(bad, fmt.Sprintf("%q in the Test column is neither a test name nor a go test command", span))
			}
		case '(':
			end := closingParen(cell, i)
			if end < 0 {
				return refs, append(bad, "unbalanced parenthesis in the Test column")
			}
			pkgs := parenPackages(cell[i+1 : end])
			i = end
			if len(pkgs) == 0 || len(pending) == 0 {
				continue
			}
			for _, name := range pending {
				for _, p := range pkgs {
					refs = append(refs, testRef{name: name, pkg: p})
				}
			}
			pending = nil
		}
	}
	for _, name := range pending {
		bad = append(bad, fmt.Sprintf("%s has no package in parentheses after it", name))
	}
	return refs, bad
}

// closingParen returns the index of the parenthesis closing the one at open,
// skipping code spans, or -1.
func closingParen(s string, open int) int {
	depth, inCode := 0, false
	for i := open; i < len(s); i++ {
		switch {
		case s[i] == '`':
			inCode = !inCode
		case inCode:
		case s[i] == '(':
			depth++
		case s[i] == ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

var packagePathPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*(/[a-z][a-z0-9_-]*)*$`)

// parenPackages returns the packages a parenthesis begins with: the
// comma-separated paths before its first colon or semicolon, up to the first that is not
// a package directory ("authapi, injected clock" → authapi). "latch" is the
// root package.
func parenPackages(content string) []string {
	head := content
	if i := strings.IndexAny(head, ":;"); i >= 0 {
		head = head[:i]
	}
	var pkgs []string
	for _, part := range strings.Split(head, ",") {
		part = strings.TrimSpace(part)
		if !packagePathPattern.MatchString(part) {
			break
		}
		if part != "latch" {
			if fi, err := os.Stat(filepath.FromSlash(part)); err != nil || !fi.IsDir() {
				break
			}
		}
		pkgs = append(pkgs, part)
	}
	return pkgs
}

// goPackage is what the check needs of one package directory.
type goPackage struct {
	tests   map[string]bool // top-level Test, Fuzz and Benchmark functions
	funcs   map[string]bool // every top-level function
	strings map[string]bool // every string literal, where subtest names live
}

func loadGoPackage(path string) (*goPackage, error) {
	dir := "."
	if path != "latch" {
		dir = filepath.FromSlash(path)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no Go files in %s", dir)
	}
	p := &goPackage{tests: map[string]bool{}, funcs: map[string]bool{}, strings: map[string]bool{}}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parse: %w", err)
		}
		isTest := strings.HasSuffix(name, "_test.go")
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil {
				continue
			}
			p.funcs[fn.Name.Name] = true
			if isTest && testFuncPattern.MatchString(fn.Name.Name) {
				p.tests[fn.Name.Name] = true
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					p.strings[s] = true
				}
			}
			return true
		})
	}
	return p, nil
}

// check says what is wrong with a name from the Test column, or "".
func (p *goPackage) check(name string) string {
	segments := strings.Split(name, "/")
	if testFuncPattern.MatchString(name) {
		if !p.tests[segments[0]] {
			return "no such test function in the package's _test.go files"
		}
		segments = segments[1:]
	} else if suiteFuncPattern.MatchString(name) {
		if !p.funcs[name] {
			return "no such function in the package"
		}
		return ""
	}
	if len(segments) == 0 || p.strings[strings.Join(segments, "/")] {
		return "" // a subtest named with a slash, as storetest's "id/expiry"
	}
	for _, s := range segments {
		if s != "*" && !p.strings[s] {
			return fmt.Sprintf("no subtest %q: the name is no string literal of the package", s)
		}
	}
	return ""
}

// Cross-references in the prose and the rows ("row SE-4", "as AC-2") must
// name a row that exists.
var rowRefPattern = regexp.MustCompile(`\b[A-Z]{2}-[0-9]+\b`)

func checkRowReferences(text string, rows []securityRow) []string {
	ids := map[string]bool{}
	for _, r := range rows {
		ids[r.id] = true
	}
	var problems []string
	for i, line := range strings.Split(text, "\n") {
		cells := splitTableRow(strings.TrimSpace(line))
		if strings.HasPrefix(strings.TrimSpace(line), "|") && len(cells) > 1 {
			line = strings.Join(cells[1:], " | ") // not the row's own id
		}
		for _, ref := range rowRefPattern.FindAllString(line, -1) {
			if !ids[ref] {
				problems = append(problems, fmt.Sprintf("SECURITY.md:%d: refers to row %s, which does not exist", i+1, ref))
			}
		}
	}
	return problems
}

// A go test command in the checklist (a figure's recipe) must select
// something: `-run` or `-bench` patterns that match no function run nothing
// and still print ok.
var goTestCommandPattern = regexp.MustCompile("`([^`]*go test [^`]*)`")

func checkGoTestCommands(text string, load func(string) (*goPackage, error)) []string {
	var problems []string
	for i, line := range strings.Split(text, "\n") {
		for _, m := range goTestCommandPattern.FindAllStringSubmatch(line, -1) {
			if strings.Contains(m[1], "<") {
				continue // a template such as go test -run <name> ./<package>
			}
			if msg := checkGoTestCommand(m[1], load); msg != "" {
				problems = append(problems, fmt.Sprintf("SECURITY.md:%d: `%s`: %s", i+1, m[1], msg))
			}
		}
	}
	return problems
}

func checkGoTestCommand(cmd string, load func(string) (*goPackage, error)) string {
	fields := strings.Fields(cmd[strings.Index(cmd, "go test ")+len("go test "):])
	var run, bench string
	var pkgPaths []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		switch {
		case (f == "-run" || f == "-bench") && i+1 < len(fields):
			v := strings.Trim(fields[i+1], `'"`)
			if f == "-run" {
				run = v
			} else {
				bench = v
			}
			i++
		case f == ".":
			pkgPaths = append(pkgPaths, "latch")
		case strings.HasPrefix(f, "./"):
			p := strings.TrimSuffix(strings.TrimPrefix(f, "./"), "/")
			if strings.Contains(p, "...") {
				return "" // a whole tree: nothing named to check
			}
			pkgPaths = append(pkgPaths, p)
		}
	}
	if len(pkgPaths) == 0 {
		return "names no package (./path)"
	}
	for _, path := range pkgPaths {
		p, err := load(path)
		if err != nil {
			return fmt.Sprintf("package %s: %v", path, err)
		}
		for _, sel := range []struct{ pattern, kind string }{{run, "Test"}, {bench, "Benchmark"}} {
			if sel.pattern == "" || sel.pattern == "^$" {
				continue
			}
			top, _, _ := strings.Cut(sel.pattern, "/")
			re, err := regexp.Compile(top)
			if err != nil {
				return fmt.Sprintf("pattern %q: %v", sel.pattern, err)
			}
			found := false
			for name := range p.tests {
				if (strings.HasPrefix(name, sel.kind) || sel.kind == "Test" && strings.HasPrefix(name, "Fuzz")) && re.MatchString(name) {
					found = true
					break
				}
			}
			if !found {
				return fmt.Sprintf("%q selects no %s function in %s", sel.pattern, sel.kind, path)
			}
		}
	}
	return ""
}

// TestSecurityDocCatches feeds the checks a table with one mistake of each
// kind they exist for, so TestSecurityDoc passing means the checklist is
// clean, not that the checks see nothing.
func TestSecurityDocCatches(t *testing.T) {
	const doc = `### Passwords

| # | Requirement | Source | Latch | Test |
|---|---|---|---|---|
| PW-1 | fine | s | l | ` + "`TestRoundTrip` (password: two hashes differ), `TestSessionGeneration` (latch), `id/expiry`, `RunFaults` (store/storetest)" + ` |
| PW-2 | renamed test | s | l | ` + "`TestRoundTrips` (password)" + ` |
| PW-2 | same id | s | see row PW-9 | ` + "`TestTooLong` (password)" + ` |
| PW-4 | wrong package | s | l | ` + "`TestTooLong` (token)" + ` |
| PW-5 | no package | s | l | ` + "`TestTooLong` (two hashes differ)" + ` |
| 21.3 | old id | s | l | ` + "`no-such-subtest` (store/storetest), `.ci/no-such.sh`" + ` |
| PW-7 | command | s | l | ` + "`go test -run '^TestNoSuch$' ./password`" + ` |
`
	rows, err := parseSecurityRows(doc)
	if err != nil {
		t.Fatal(err)
	}
	load := func(path string) (*goPackage, error) { return loadGoPackage(path) }
	problems := append(checkSecurityRows(rows, load), checkRowReferences(doc, rows)...)
	problems = append(problems, checkGoTestCommands(doc, load)...)
	want := []string{
		"row PW-2: TestRoundTrips (password): no such test function",
		`row id "PW-2" already used`,
		"refers to row PW-9, which does not exist",
		"row PW-4: TestTooLong (token): no such test function",
		"row PW-5: TestTooLong has no package",
		`row id "21.3" is not a topic prefix`,
		`no-such-subtest (store/storetest): no subtest "no-such-subtest"`,
		"file .ci/no-such.sh",
		`"^TestNoSuch$" selects no Test function in password`,
	}
	all := strings.Join(problems, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("no problem reported containing %q; reported:\n%s", w, all)
		}
	}
	for _, p := range problems {
		if strings.Contains(p, "row PW-1:") {
			t.Errorf("a correct row reported: %s", p)
		}
	}
}
