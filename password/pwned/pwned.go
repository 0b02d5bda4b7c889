// Package pwned checks passwords against a list of passwords known from
// data breaches (NIST SP 800-63B §5.1.1.2), through the Pwned Passwords
// range API: only the first five hexadecimal characters of the password's
// SHA-1 leave the process, and the answer lists every breached hash with
// that prefix (k-anonymity), padded so that its size tells nothing either.
//
//	c := pwned.New(pwned.DefaultURL, pwned.Options{})
//	breached, err := c.Breached(ctx, "P@ssw0rd") // true
//
// The API's address is a setting, so a mirror of the list run next to the
// service (the range API's files are published for download) answers
// instead, and tests use a fake on loopback.
package pwned

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultURL is the public Pwned Passwords API.
const DefaultURL = "https://api.pwnedpasswords.com"

// Options tune a Checker. Zero values get the defaults.
type Options struct {
	// Client makes the requests. Default: an http.Client with Timeout.
	Client *http.Client
	// Timeout bounds one check when Client is nil. Default 3 s.
	Timeout time.Duration
	// MinCount is how many times a password must appear in breaches to
	// count as breached. Default 1: any appearance.
	MinCount int
	// UserAgent is sent with each request. Default "latch-pwned".
	UserAgent string
}

// Checker checks passwords against the range API at one address. It is
// safe for concurrent use.
type Checker struct {
	base      string
	client    *http.Client
	minCount  int
	userAgent string
}

// ErrUnavailable is returned, wrapped, when the API cannot be asked or
// answers with something other than a range list.
var ErrUnavailable = errors.New("pwned: the password list cannot be checked")

// New returns a Checker for the range API at baseURL (DefaultURL, or a
// mirror: GET baseURL/range/XXXXX must answer the range list).
func New(baseURL string, opts Options) (*Checker, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("pwned: URL %q: want an absolute http(s) URL", baseURL)
	}
	c := &Checker{base: strings.TrimRight(baseURL, "/"), client: opts.Client, minCount: opts.MinCount, userAgent: opts.UserAgent}
	if c.client == nil {
		t := opts.Timeout
		if t <= 0 {
			t = 3 * time.Second
		}
		c.client = &http.Client{Timeout: t}
	}
	if c.minCount < 1 {
		c.minCount = 1
	}
	if c.userAgent == "" {
		c.userAgent = "latch-pwned"
	}
	return c, nil
}

// Count returns how many times the password appears in the list (0: not
// at all). Errors match ErrUnavailable.
func (c *Checker) Count(ctx context.Context, password string) (int, error) {
	sum := sha1.Sum([]byte(password))
	digest := strings.ToUpper(hex.EncodeToString(sum[:]))
	prefix, suffix := digest[:5], digest[5:]
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/range/"+prefix, nil)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("User-Agent", c.userAgent)
	res, err := c.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%w: the API answered %s", ErrUnavailable, res.Status)
	}
	// A range holds a few thousand lines of 35 hex characters, a colon and
	// a count: 1 MiB is far more than any.
	sc := bufio.NewScanner(io.LimitReader(res.Body, 1<<20))
	lines := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		hash, count, ok := strings.Cut(line, ":")
		n, err := strconv.Atoi(count)
		if !ok || len(hash) != 35 || err != nil || n < 0 {
			return 0, fmt.Errorf("%w: line %d of the answer is not HASH:COUNT", ErrUnavailable, lines+1)
		}
		lines++
		// Padding lines carry a count of 0.
		if strings.EqualFold(hash, suffix) {
			return n, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("%w: reading the answer: %v", ErrUnavailable, err)
	}
	return 0, nil
}

// Breached reports whether the password appears in the list at least
// Options.MinCount times.
func (c *Checker) Breached(ctx context.Context, password string) (bool, error) {
	n, err := c.Count(ctx, password)
	if err != nil {
		return false, err
	}
	return n >= c.minCount, nil
}
