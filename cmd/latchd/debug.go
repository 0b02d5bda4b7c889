package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"time"
)

// debugVars answers GET /debug/vars in expvar's format with what a soak
// test or an operator watches for leaks: the number of goroutines and the
// runtime's memory statistics. With ?gc=1 it collects garbage first, so
// that heap figures taken at two times compare. It leaves out expvar's
// "cmdline", which would show the flags (and any secret in them).
func debugVars(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("gc") == "1" {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(struct {
		Goroutines int               `json:"goroutines"`
		MemStats   *runtime.MemStats `json:"memstats"`
	}{runtime.NumGoroutine(), &ms})
}

// checkDebugAddr refuses a --debug-addr that is not on loopback: the
// listener has no authentication.
func checkDebugAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--debug-addr %q: %v", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--debug-addr %q: want a loopback address such as 127.0.0.1:6060 (the debug listener has no authentication)", addr)
	}
	return nil
}

// startDebug serves /debug/vars on addr until the returned stop is called.
func startDebug(addr string, log *slog.Logger) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("--debug-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/vars", debugVars)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/debug/vars", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
