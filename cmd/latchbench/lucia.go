package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// luciaJob is what the Node peer (bench/lucia/bench.mjs) is asked to do:
// read its JSON from its first argument.
type luciaJob struct {
	SQLite         string `json:"sqlite,omitempty"`         // the file Latch's sqlite store uses
	PostgresURL    string `json:"postgresUrl,omitempty"`    // the server Latch's postgres store uses
	PostgresSchema string `json:"postgresSchema,omitempty"` // and its schema
	DurationMS     int64  `json:"durationMs"`
	N              int    `json:"n"`
	WarmupMS       int64  `json:"warmupMs"`
	Users          int    `json:"users"`
	PasswordUsers  int    `json:"passwordUsers"`
	Password       string `json:"password"`
	Hash           bool   `json:"hash"`
	HashDurationMS int64  `json:"hashDurationMs"`
	HashN          int    `json:"hashN"`
}

// luciaResult is one measured operation of the peer.
type luciaResult struct {
	Store     string  `json:"store"` // sqlite, postgres, or cpu (hashing)
	Op        string  `json:"op"`
	Ops       int64   `json:"ops"`
	Seconds   float64 `json:"seconds"`
	OpsPerSec float64 `json:"opsPerSec"`
	Note      string  `json:"note,omitempty"`
	Error     string  `json:"error,omitempty"`
}

// luciaOutput is the peer's report, the last line of its standard output.
type luciaOutput struct {
	Node    string            `json:"node"`
	Lucia   string            `json:"lucia"`
	Results []luciaResult     `json:"results"`
	Errors  map[string]string `json:"errors"` // per store: why it was not measured
}

// luciaPeer finds node and the installed peer, or says why not.
func luciaPeer(cfg *config) (node, dir string, err error) {
	dir = cfg.luciaDir
	if _, err := os.Stat(filepath.Join(dir, "bench.mjs")); err != nil {
		return "", "", fmt.Errorf("no Lucia peer at %s", dir)
	}
	node, err = exec.LookPath(cfg.node)
	if err != nil {
		return "", "", fmt.Errorf("%s not found in PATH", cfg.node)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "lucia", "package.json")); err != nil {
		return "", "", fmt.Errorf("%s/node_modules is not installed: run npm ci in %s", filepath.Base(dir), dir)
	}
	return node, dir, nil
}

// runLucia runs the peer and returns its report.
func runLucia(ctx context.Context, cfg *config, job luciaJob) (*luciaOutput, error) {
	node, dir, err := luciaPeer(cfg)
	if err != nil {
		return nil, err
	}
	arg, err := json.Marshal(job)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "bench.mjs", string(arg))
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(&stderr, prefixWriter(cfg.log, "lucia: "))
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("node bench.mjs: %v: %s", err, lastLine(stderr.String()))
	}
	out := &luciaOutput{}
	if err := json.Unmarshal([]byte(lastLine(stdout.String())), out); err != nil {
		return nil, fmt.Errorf("reading the peer's report: %w", err)
	}
	return out, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// prefixWriter writes each line to w behind prefix.
type lineWriter struct {
	w      io.Writer
	prefix string
	buf    []byte
}

func prefixWriter(w io.Writer, prefix string) io.Writer { return &lineWriter{w: w, prefix: prefix} }

func (l *lineWriter) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		if _, err := fmt.Fprintf(l.w, "%s%s\n", l.prefix, l.buf[:i]); err != nil {
			return 0, err
		}
		l.buf = l.buf[i+1:]
	}
	return len(p), nil
}

// find returns the peer's result for (store, op).
func (o *luciaOutput) find(store, op string) (luciaResult, bool) {
	if o == nil {
		return luciaResult{}, false
	}
	for _, r := range o.Results {
		if r.Store == store && r.Op == op {
			return r, true
		}
	}
	return luciaResult{}, false
}
