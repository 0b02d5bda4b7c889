// Package openapitest checks HTTP exchanges against Latch's OpenAPI
// document (authapi/openapi.json), for tests: the API tests of authapi and
// cmd/latchd pass every request they make and every answer they get
// through a Checker, so that an undocumented path, method, status, error
// code or field fails the test that met it, with a message that says what
// to add to the document and where.
//
// Requests are checked only when the server accepted them (2xx): tests
// send bad input on purpose, and the server's 4xx is then the documented
// answer. Every answer is checked: its status must be listed for the
// operation, an error's code must be in the listed codes, and the body
// must match the response's schema.
package openapitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
)

// File names the document in messages.
const File = "authapi/openapi.json"

// Checker checks exchanges against one OpenAPI document. It is safe for
// concurrent use.
type Checker struct {
	mu    sync.Mutex // the validator is not documented as safe for concurrent use
	v     validator.Validator
	doc   document
	paths []pathPattern
	admin bool // the document has /api/admin paths
}

// document is the part of the OpenAPI document the Checker reads itself.
type document struct {
	// Pending lists path prefixes of endpoints whose authors have not
	// documented them yet ("x-latch-not-yet-documented"): their exchanges
	// are not checked. Remove a prefix once its paths are in the document.
	Pending    []string                              `json:"x-latch-not-yet-documented"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Responses map[string]response `json:"responses"`
	} `json:"components"`
}

type operation struct {
	Responses map[string]response `json:"responses"`
}

type response struct {
	Ref     string                   `json:"$ref"`
	Content map[string]mediaTypeBody `json:"content"`
}

type mediaTypeBody struct {
	Schema struct {
		AllOf []struct {
			Properties struct {
				Error struct {
					Properties struct {
						Code struct {
							Enum []string `json:"enum"`
						} `json:"code"`
					} `json:"properties"`
				} `json:"error"`
			} `json:"properties"`
		} `json:"allOf"`
	} `json:"schema"`
}

// pathPattern is one documented path, split in segments; a segment "{x}"
// matches any non-empty segment.
type pathPattern struct {
	path     string
	segments []string
	literals int
}

// New parses the document (OpenAPI 3.1, JSON), checks it against the
// OpenAPI schema and returns a Checker.
func New(spec []byte) (*Checker, error) {
	d, err := libopenapi.NewDocument(spec)
	if err != nil {
		return nil, fmt.Errorf("openapitest: %s: %w", File, err)
	}
	v, errs := validator.NewValidator(d, config.WithURLEncodedBodyValidation())
	if len(errs) > 0 {
		return nil, fmt.Errorf("openapitest: %s: %v", File, errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		return nil, fmt.Errorf("openapitest: %s is not a valid OpenAPI document:\n%s", File, describe(verrs))
	}
	c := &Checker{v: v}
	if err := json.Unmarshal(spec, &c.doc); err != nil {
		return nil, fmt.Errorf("openapitest: %s: %w", File, err)
	}
	for p := range c.doc.Paths {
		c.admin = c.admin || strings.HasPrefix(p, "/api/admin/")
		pp := pathPattern{path: p, segments: strings.Split(p, "/")}
		for _, s := range pp.segments {
			if !strings.HasPrefix(s, "{") {
				pp.literals++
			}
		}
		c.paths = append(c.paths, pp)
	}
	// Most literal segments first: /magic-link/verify before /magic-link/{token}.
	sort.Slice(c.paths, func(i, j int) bool {
		if c.paths[i].literals != c.paths[j].literals {
			return c.paths[i].literals > c.paths[j].literals
		}
		return c.paths[i].path < c.paths[j].path
	})
	return c, nil
}

// Paths returns the documented paths and, for each, its methods (upper
// case) and the x-latch-served-by of its path item ("" for authapi).
func (c *Checker) Paths() map[string]PathInfo {
	out := make(map[string]PathInfo, len(c.doc.Paths))
	for p, item := range c.doc.Paths {
		var info PathInfo
		for k, raw := range item {
			switch {
			case k == "x-latch-served-by":
				_ = json.Unmarshal(raw, &info.ServedBy)
			case isMethod(k):
				info.Methods = append(info.Methods, strings.ToUpper(k))
			}
		}
		sort.Strings(info.Methods)
		out[p] = info
	}
	return out
}

// Pending tells whether the path is under a prefix the document lists in
// "x-latch-not-yet-documented": not checked until its paths are written.
func (c *Checker) Pending(path string) bool {
	for _, p := range c.doc.Pending {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// PathInfo describes one documented path.
type PathInfo struct {
	Methods  []string
	ServedBy string // "" (authapi), "latchd", or another server's name
}

func isMethod(k string) bool {
	switch k {
	case "get", "put", "post", "delete", "options", "head", "patch", "trace":
		return true
	}
	return false
}

// Checked tells whether an exchange on this path is one the document
// covers: the JSON API under /api/ and latchd's health probes. Pages are
// not part of it.
func Checked(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/readyz"
}

// Check returns the problems of one exchange, each a sentence that says
// what does not match and what to add to the document. reqBody and
// resBody are the bodies as sent (the request's and the response's own
// Body are not read).
func (c *Checker) Check(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) []string {
	if !Checked(req.URL.Path) {
		return nil
	}
	// The admin API is checked once the document has its paths: its
	// author adds them after this checker landed.
	if strings.HasPrefix(req.URL.Path, "/api/admin/") && !c.admin || c.Pending(req.URL.Path) {
		return nil
	}
	// A CORS preflight is answered by the CORS layer for every API path.
	if req.Method == http.MethodOptions && req.Header.Get("Access-Control-Request-Method") != "" {
		return nil
	}
	where := fmt.Sprintf("%s %s answered %d", req.Method, req.URL.Path, res.StatusCode)
	// net/http's ServeMux redirects a path with "." or ".." segments or
	// doubled slashes to its clean form before any route sees it.
	if clean := cleanPath(req.URL.Path); clean != req.URL.Path {
		switch res.StatusCode {
		case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			return nil
		}
	}
	errCode := errorCode(res, resBody)
	// 404 NOT_FOUND under /api/admin/ is the admin API's catch-all, or
	// latchd's public listener, which does not serve the admin paths
	// ("x-latch-served-by": "latchd-admin"); a missing user is
	// USER_NOT_FOUND.
	if strings.HasPrefix(req.URL.Path, "/api/admin/") && res.StatusCode == http.StatusNotFound && errCode == "NOT_FOUND" {
		return nil
	}
	path, ok := c.match(req.URL.EscapedPath())
	if !ok {
		// The catch-all answers every other API path; before any route,
		// the auth API's Origin check refuses an unsafe request from a
		// browser of another site, whatever its path.
		if res.StatusCode == http.StatusNotFound && errCode == "NOT_FOUND" || adminCatchAll(req.URL.Path, res.StatusCode, errCode) ||
			originRefused(req, res.StatusCode, errCode) {
			return nil
		}
		return []string{fmt.Sprintf("%s (%s): the path is not documented: add %q (with {name} for its variable segments) to \"paths\" in %s, "+
			"with its %s operation and every response it can send", where, short(resBody), req.URL.Path, File, strings.ToLower(req.Method))}
	}
	method := strings.ToLower(req.Method)
	if method == "head" {
		method = "get"
	}
	raw, ok := c.doc.Paths[path][method]
	if !ok {
		if res.StatusCode == http.StatusMethodNotAllowed && errCode == "METHOD_NOT_ALLOWED" ||
			adminCatchAll(req.URL.Path, res.StatusCode, errCode) || originRefused(req, res.StatusCode, errCode) {
			return nil
		}
		return []string{fmt.Sprintf("%s (%s): the method is not documented: add \"%s\" under \"paths\".%q in %s, with every response it can send",
			where, short(resBody), method, path, File)}
	}
	var op operation
	if err := json.Unmarshal(raw, &op); err != nil {
		return []string{fmt.Sprintf("%s: paths.%q.%s in %s: %v", where, path, method, File, err)}
	}
	at := fmt.Sprintf("\"paths\".%q.%s.responses", path, method)
	status := strconv.Itoa(res.StatusCode)
	resp, ok := op.Responses[status]
	if !ok {
		return []string{fmt.Sprintf("%s (%s): status %s is not documented: add \"%s\" to %s in %s%s",
			where, short(resBody), status, status, at, File, codeHint(errCode))}
	}
	if errCode != "" {
		at := at + "." + strconv.Quote(status)
		if name, ok := strings.CutPrefix(resp.Ref, "#/components/responses/"); ok {
			shared := "\"components\".\"responses\"." + strconv.Quote(name)
			if codes := enumOf(c.doc.Components.Responses[name]); codes != nil && !slices.Contains(codes, errCode) {
				return []string{fmt.Sprintf("%s with error code %s, which is not listed: %s in %s refers to the shared response %s (%s): "+
					"replace that $ref with the operation's own response listing %s and %s, as the other operations' own responses do",
					where, errCode, at, File, shared, strings.Join(codes, ", "), strings.Join(codes, ", "), errCode)}
			}
		} else if codes := enumOf(resp); codes != nil && !slices.Contains(codes, errCode) {
			return []string{fmt.Sprintf("%s with error code %s, which is not listed: add %q to the code enum of %s in %s (listed: %s) and to its description",
				where, errCode, errCode, at, File, strings.Join(codes, ", "))}
		}
	}
	var problems []string
	hreq := cloneRequest(req, reqBody)
	hres := &http.Response{StatusCode: res.StatusCode, Header: res.Header, Body: io.NopCloser(bytes.NewReader(resBody)), Request: hreq}
	if req.Method == http.MethodHead {
		return nil // no body to check; the status is documented
	}
	c.mu.Lock()
	okRes, resErrs := c.v.ValidateHttpResponse(hreq, hres)
	var okReq bool
	var reqErrs []*verrors.ValidationError
	if res.StatusCode < 300 {
		okReq, reqErrs = c.v.ValidateHttpRequest(cloneRequest(req, reqBody))
	} else {
		okReq = true
	}
	c.mu.Unlock()
	if !okRes {
		problems = append(problems, fmt.Sprintf("%s: the answer does not match %s.%q in %s (fix the document, or the code if the code is wrong):\n%s\nbody: %s",
			where, at, status, File, describe(resErrs), short(resBody)))
	}
	if !okReq {
		problems = append(problems, fmt.Sprintf("%s: the server accepted a request that does not match \"paths\".%q.%s in %s (document what it accepts, or make it refuse):\n%s\nrequest body: %s",
			where, path, method, File, describe(reqErrs), short(reqBody)))
	}
	return problems
}

// adminCatchAll tells whether an answer to an admin path or method that
// is not documented is the admin API's catch-all: it authenticates before
// it answers 404 NOT_FOUND (a wrong method included), so that a caller
// without a token learns nothing of its routes.
func adminCatchAll(path string, status int, code string) bool {
	if !strings.HasPrefix(path, "/api/admin/") {
		return false
	}
	return status == http.StatusUnauthorized && code == "ADMIN_UNAUTHORIZED" ||
		status == http.StatusTooManyRequests && code == "TOO_MANY_REQUESTS"
}

// originRefused reports an answer of the auth API's Origin check, which
// runs before routing: 403 INVALID_ORIGIN to an unsafe method, on a path
// or with a method no route has.
func originRefused(req *http.Request, status int, code string) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return strings.HasPrefix(req.URL.Path, "/api/auth/") && status == http.StatusForbidden && code == "INVALID_ORIGIN"
}

// cleanPath is the path as ServeMux cleans it (a trailing slash kept).
func cleanPath(p string) string {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// match finds the documented path of an (escaped) request path.
func (c *Checker) match(escaped string) (string, bool) {
	segs := strings.Split(escaped, "/")
next:
	for _, p := range c.paths {
		if len(p.segments) != len(segs) {
			continue
		}
		for i, s := range p.segments {
			if strings.HasPrefix(s, "{") {
				if segs[i] == "" {
					continue next
				}
			} else if s != segs[i] {
				continue next
			}
		}
		return p.path, true
	}
	return "", false
}

func enumOf(r response) []string {
	for ct, mt := range r.Content {
		if !strings.HasPrefix(ct, "application/json") {
			continue
		}
		for _, a := range mt.Schema.AllOf {
			if e := a.Properties.Error.Properties.Code.Enum; e != nil {
				return e
			}
		}
	}
	return nil
}

// errorCode is the code of an error answer, or "".
func errorCode(res *http.Response, body []byte) string {
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		return ""
	}
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.Error.Code
}

func codeHint(code string) string {
	if code == "" {
		return ""
	}
	return fmt.Sprintf(" (an error: use the Error schema with %q in its code enum, as the other responses do)", code)
}

func cloneRequest(req *http.Request, body []byte) *http.Request {
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return r
}

func short(b []byte) string {
	const max = 300
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	if len(b) == 0 {
		return "no body"
	}
	return strings.TrimSpace(string(b))
}

func describe(errs []*verrors.ValidationError) string {
	var sb strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&sb, "  - %s: %s", e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&sb, "\n      %s (field %s; schema %s)", f.Reason, f.FieldPath, f.KeywordLocation)
		}
		if e.HowToFix != "" {
			fmt.Fprintf(&sb, "\n      (%s)", e.HowToFix)
		}
		sb.WriteByte('\n')
	}
	return strings.TrimRight(sb.String(), "\n")
}
