package openapitest

import (
	"bytes"
	"io"
	"net/http"
)

// maxRecorded bounds what the Handler keeps of a body; the API refuses
// bodies over 64 KiB, and tests that send more get a 413 whose request is
// not checked.
const maxRecorded = 4 << 20

// Handler serves next and checks every exchange; report is called with
// each problem (t.Errorf in tests: it may be called from the server's
// goroutines).
func (c *Checker) Handler(next http.Handler, report func(problem string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Checked(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		// The request body is recorded as the handler reads it, not read
		// ahead: a test may stream a body the server refuses half-way.
		reqBody := &limitedBuffer{}
		orig := r.Clone(r.Context())
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.TeeReader(r.Body, reqBody), r.Body}
		}
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		if rec.header == nil {
			rec.header = w.Header().Clone()
		}
		res := &http.Response{StatusCode: rec.status, Header: rec.header}
		for _, p := range c.Check(orig, reqBody.Bytes(), res, rec.body.Bytes()) {
			report(p)
		}
	})
}

// recorder passes the answer on and keeps its status, headers and body.
type recorder struct {
	http.ResponseWriter
	status int
	header http.Header
	body   limitedBuffer
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.header = w.ResponseWriter.Header().Clone()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// limitedBuffer keeps the first maxRecorded bytes written to it.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxRecorded - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// Transport sends requests through next (http.DefaultTransport when nil)
// and checks every exchange, for tests that talk to a server in another
// process; report is called with each problem.
func (c *Checker) Transport(next http.RoundTripper, report func(problem string)) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper{c, next, report}
}

type roundTripper struct {
	c      *Checker
	next   http.RoundTripper
	report func(string)
}

func (t roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if !Checked(req.URL.Path) {
		return t.next.RoundTrip(req)
	}
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	res, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resBody, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(resBody))
	for _, p := range t.c.Check(req, reqBody, res, resBody) {
		t.report(p)
	}
	return res, nil
}
