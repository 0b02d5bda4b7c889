package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// peakRSS is a process's peak resident set size (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// TestPeakMemory measures latchd's peak memory under 200 parallel
// sign-ups, then 200 parallel sign-ins and sign-up probes of taken
// addresses, each request from its own client address (127.0.0.0/8 is
// all loopback; latchd trusts no proxy). With hashing bounded (the
// default) the peak must stay under 300 MB; the figure is printed. It
// runs only with LATCH_MEASURE_RSS=1 (Linux):
//
//	LATCH_MEASURE_RSS=1 go test -count=1 -v -run TestPeakMemory ./cmd/latchd
func TestPeakMemory(t *testing.T) {
	if os.Getenv("LATCH_MEASURE_RSS") != "1" {
		t.Skip("set LATCH_MEASURE_RSS=1 to measure latchd's peak memory under 200 parallel sign-ups and sign-ins")
	}
	run := func(name string) int64 {
		s := start(t, t.TempDir(), "LATCH_HASH_WAIT=10m", "LATCH_LOG_LEVEL=error")
		const n = 200
		clients := make([]*http.Client, n)
		for i := range clients {
			clients[i] = from(fmt.Sprintf("127.1.%d.%d", i/250, i%250+1))
		}
		email := func(i int) string { return fmt.Sprintf("mem%d@example.com", i) }
		const password = "memory password"
		burst := func(what string, do func(i int) (int, int)) {
			var (
				wg  sync.WaitGroup
				mu  sync.Mutex
				got = map[int]int{}
			)
			for i := range n {
				wg.Go(func() {
					st, want := do(i)
					mu.Lock()
					defer mu.Unlock()
					got[st]++
					if st != want {
						t.Errorf("%s %d: %d, want %d", what, i, st, want)
					}
				})
			}
			wg.Wait()
			t.Logf("%s: %s: statuses %v", name, what, got)
		}
		burst("200 sign-ups", func(i int) (int, int) {
			st, _ := call(t, clients[i], "POST", s.url+"/api/auth/sign-up", map[string]string{"email": email(i), "password": password})
			return st, 201
		})
		burst("100 sign-ins, 50 wrong passwords, 50 probes of taken addresses", func(i int) (int, int) {
			switch i % 4 {
			case 0, 1:
				st, _ := call(t, clients[i], "POST", s.url+"/api/auth/sign-in", map[string]string{"email": email(i), "password": password})
				return st, 200
			case 2:
				st, _ := call(t, clients[i], "POST", s.url+"/api/auth/sign-in", map[string]string{"email": email(i), "password": "wrong password"})
				return st, 401
			}
			st, _ := call(t, clients[i], "POST", s.url+"/api/auth/sign-up", map[string]string{"email": email(i - 1), "password": password})
			return st, 409
		})
		peak := peakRSS(t, s.cmd.Process.Pid)
		s.stop(t)
		return peak
	}
	bounded := run("bounded")
	fmt.Printf("latchd peak RSS, 200 parallel sign-ups then 200 sign-ins/probes, hashing bounded (default): %.0f MB\n", float64(bounded)/(1<<20))
	if bounded >= 300<<20 {
		t.Errorf("peak RSS %d MB, want under 300 MB", bounded>>20)
	}
}
