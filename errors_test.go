package latch

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

func TestUnavailable(t *testing.T) {
	driverOwn := errors.New("driver: connection gone")
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"not found", ErrNotFound, false},
		{"duplicate", fmt.Errorf("create: %w", ErrDuplicate), false},
		{"cancelled", context.Canceled, false},
		{"other", errors.New("syntax error at or near"), false},
		{"deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), true},
		{"eof", io.EOF, true},
		{"unexpected eof", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"closed", net.ErrClosed, true},
		{"bad conn", driver.ErrBadConn, true},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, true},
		{"reset", os.NewSyscallError("read", syscall.ECONNRESET), true},
		{"broken pipe", fmt.Errorf("write: %w", syscall.EPIPE), true},
		{"dns", &net.DNSError{Err: "no such host", Name: "db"}, true},
		{"driver's own", fmt.Errorf("query: %w", driverOwn), true},
		{"marked", fmt.Errorf("x: %w", ErrStoreUnavailable), true},
	} {
		got := Unavailable(tc.err, func(err error) bool { return errors.Is(err, driverOwn) })
		if is := errors.Is(got, ErrStoreUnavailable); is != tc.want {
			t.Errorf("%s: Unavailable(%v) matches ErrStoreUnavailable = %v, want %v", tc.name, tc.err, is, tc.want)
		}
		if tc.err != nil && !errors.Is(got, tc.err) {
			t.Errorf("%s: Unavailable(%v) = %v, which no longer wraps the error", tc.name, tc.err, got)
		}
		if tc.err == nil && got != nil {
			t.Errorf("Unavailable(nil) = %v", got)
		}
	}
}
