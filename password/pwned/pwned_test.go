package pwned_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/password/pwned"
)

// fakeAPI is the range API on loopback: it knows a few breached passwords
// and pads every answer with zero-count lines, as the real one does with
// Add-Padding.
type fakeAPI struct {
	mu       sync.Mutex
	paths    []string
	padding  []string // Add-Padding headers seen
	breached map[string]int
	status   int    // answer with this status when not 0
	body     string // answer with this body when not ""
}

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.paths = append(f.paths, r.URL.Path)
	f.padding = append(f.padding, r.Header.Get("Add-Padding"))
	f.mu.Unlock()
	if f.status != 0 {
		w.WriteHeader(f.status)
		return
	}
	if f.body != "" {
		fmt.Fprint(w, f.body)
		return
	}
	prefix, ok := strings.CutPrefix(r.URL.Path, "/range/")
	if !ok || len(prefix) != 5 {
		http.NotFound(w, r)
		return
	}
	var b strings.Builder
	for i := range 50 { // padding: hashes that are nobody's, count 0
		fmt.Fprintf(&b, "%035X:0\r\n", i)
	}
	for pw, n := range f.breached {
		if h := sha1Hex(pw); h[:5] == prefix {
			fmt.Fprintf(&b, "%s:%d\r\n", h[5:], n)
		}
	}
	fmt.Fprint(w, b.String())
}

func newChecker(t *testing.T, f *fakeAPI, opts pwned.Options) *pwned.Checker {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := pwned.New(srv.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBreached(t *testing.T) {
	f := &fakeAPI{breached: map[string]int{"password": 9545824, "rare one": 2}}
	c := newChecker(t, f, pwned.Options{})
	ctx := context.Background()
	for pw, want := range map[string]int{"password": 9545824, "rare one": 2, "correct horse battery staple 1f9": 0} {
		n, err := c.Count(ctx, pw)
		if err != nil || n != want {
			t.Errorf("Count(%q) = %d, %v; want %d", pw, n, err, want)
		}
		b, err := c.Breached(ctx, pw)
		if err != nil || b != (want > 0) {
			t.Errorf("Breached(%q) = %v, %v", pw, b, err)
		}
	}
	// Only five characters of the SHA-1 leave the process, with padding asked.
	for i, p := range f.paths {
		if len(p) != len("/range/")+5 || f.padding[i] != "true" {
			t.Errorf("request %d: path %q, Add-Padding %q", i, p, f.padding[i])
		}
	}
}

func TestMinCount(t *testing.T) {
	c := newChecker(t, &fakeAPI{breached: map[string]int{"rare one": 2, "common": 500}}, pwned.Options{MinCount: 10})
	for pw, want := range map[string]bool{"rare one": false, "common": true} {
		if b, err := c.Breached(context.Background(), pw); err != nil || b != want {
			t.Errorf("Breached(%q) with MinCount 10 = %v, %v; want %v", pw, b, err, want)
		}
	}
}

func TestUnavailable(t *testing.T) {
	ctx := context.Background()
	for name, f := range map[string]*fakeAPI{
		"500":       {status: http.StatusInternalServerError},
		"429":       {status: http.StatusTooManyRequests},
		"not lines": {body: "<html>maintenance</html>\n"},
		"bad count": {body: strings.Repeat("0", 35) + ":many\n"},
	} {
		c := newChecker(t, f, pwned.Options{})
		if _, err := c.Breached(ctx, "password"); !errors.Is(err, pwned.ErrUnavailable) {
			t.Errorf("%s: err %v, want ErrUnavailable", name, err)
		}
	}

	// A server that does not answer in time.
	stall := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-stall }))
	defer srv.Close()
	defer close(stall)
	c, err := pwned.New(srv.URL, pwned.Options{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Breached(ctx, "password"); !errors.Is(err, pwned.ErrUnavailable) {
		t.Errorf("stalled server: err %v, want ErrUnavailable", err)
	}
	// Nothing listens.
	c, _ = pwned.New("http://127.0.0.1:1", pwned.Options{})
	if _, err := c.Breached(ctx, "password"); !errors.Is(err, pwned.ErrUnavailable) {
		t.Errorf("closed port: err %v, want ErrUnavailable", err)
	}
}

func TestNewRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"", "api.pwnedpasswords.com", "ftp://x", "http://"} {
		if _, err := pwned.New(u, pwned.Options{}); err == nil {
			t.Errorf("New(%q): no error", u)
		}
	}
}
