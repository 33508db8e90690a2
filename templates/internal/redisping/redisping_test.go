package redisping

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeRedis listens on 127.0.0.1:0 and reads one command per connection. To an
// exact RESP PING it answers reply (an empty reply: it never answers, until the
// client hangs up); to anything else, an error reply.
func fakeRedis(t *testing.T, reply string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // the listener was closed
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, len(ping))
				if _, err := io.ReadFull(conn, buf); err != nil {
					return
				}
				switch {
				case string(buf) != ping:
					_, _ = io.WriteString(conn, "-ERR fake redis: not a RESP PING\r\n")
				case reply == "":
					_, _ = io.Copy(io.Discard, conn) // hold the connection open, silent
				default:
					_, _ = io.WriteString(conn, reply)
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// closedPort returns an address on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestPingPong(t *testing.T) {
	if err := Ping(context.Background(), fakeRedis(t, "+PONG\r\n")); err != nil {
		t.Fatalf("Ping = %v, want nil", err)
	}
}

func TestPingFailures(t *testing.T) {
	tests := []struct {
		name    string
		addr    string
		wantErr string
	}{
		{"nothing listening", closedPort(t), "connect"},
		{"wrong reply", fakeRedis(t, "+OK\r\n"), `"+OK"`},
		{"error reply", fakeRedis(t, "-NOAUTH Authentication required.\r\n"), "NOAUTH"},
		{"no reply before the deadline", fakeRedis(t, ""), "timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := Ping(ctx, tc.addr)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Ping = %v, want an error mentioning %q", err, tc.wantErr)
			}
			if elapsed := time.Since(start); elapsed > time.Second {
				t.Errorf("Ping took %v: the deadline was not honoured", elapsed)
			}
		})
	}
}

func TestPingStopsWhenCancelled(t *testing.T) {
	addr := fakeRedis(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	if err := Ping(ctx, addr); err == nil {
		t.Fatal("Ping = nil, want an error after cancel")
	}
	if elapsed := time.Since(start); elapsed >= MaxWait {
		t.Errorf("Ping took %v: cancel did not end it", elapsed)
	}
}
