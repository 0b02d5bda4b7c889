package main

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

func TestDebugAddr(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:6060", true},
		{"127.0.0.1:0", true},
		{"[::1]:6060", true},
		{"localhost:6060", true},
		{":6060", false},
		{"0.0.0.0:6060", false},
		{"192.0.2.1:6060", false},
		{"example.com:6060", false},
		{"127.0.0.1", false},
	} {
		if err := checkDebugAddr(tc.addr); (err == nil) != tc.ok {
			t.Errorf("checkDebugAddr(%q) = %v, want ok %v", tc.addr, err, tc.ok)
		}
	}
	// Off by default: no flag, no listener.
	var o options
	fs, err := newFlagSet("latchd", &o, func(string) string { return "" }, nil)
	if err != nil || fs.Parse(nil) != nil || o.debugAddr != "" {
		t.Fatalf("default --debug-addr = %q (%v), want off", o.debugAddr, err)
	}

	rec := httptest.NewRecorder()
	debugVars(rec, httptest.NewRequest("GET", "/debug/vars?gc=1", nil))
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["goroutines"].(float64); !ok {
		t.Errorf("debug vars without goroutines: %s", rec.Body)
	}
	if ms, _ := got["memstats"].(map[string]any); ms["HeapAlloc"] == nil {
		t.Errorf("debug vars without memstats.HeapAlloc: %s", rec.Body)
	}
	if _, leaked := got["cmdline"]; leaked {
		t.Error("debug vars show the command line")
	}
}
