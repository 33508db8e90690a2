// Package redisping checks that a redis server answers: one PING in RESP over a
// plain TCP connection, with a deadline. No client library, so no module to
// download.
package redisping

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// MaxWait bounds one Ping even when the caller's context has no deadline.
const MaxWait = 2 * time.Second

// ping is PING as a RESP array of one bulk string; a healthy server answers +PONG.
const ping = "*1\r\n$4\r\nPING\r\n"

// Ping dials addr ("host:port"), sends PING and expects +PONG, all before ctx ends
// or MaxWait passes. A server that wants a password answers -NOAUTH, which is an
// error here: the service could not use it either.
func Ping(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, MaxWait)
	defer cancel()

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("redis %s: %w", addr, err)
	}
	defer conn.Close()

	// The deadline bounds the write and the read; AfterFunc also ends them early
	// when ctx is cancelled rather than timed out.
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return fmt.Errorf("redis %s: %w", addr, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	if _, err := io.WriteString(conn, ping); err != nil {
		return fmt.Errorf("redis %s: send PING: %w", addr, err)
	}
	// One reply line; the limit keeps a server that never sends "\n" from using memory.
	reply, err := bufio.NewReader(io.LimitReader(conn, 512)).ReadString('\n')
	if err != nil {
		return fmt.Errorf("redis %s: read reply: %w", addr, err)
	}
	if reply = strings.TrimRight(reply, "\r\n"); reply != "+PONG" {
		return fmt.Errorf("redis %s: PING answered %q, want +PONG", addr, reply)
	}
	return nil
}
