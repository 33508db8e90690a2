// Package server is the service's HTTP layer: its routes, the http.Server timeouts
// and a graceful shutdown.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

const (
	// readyTimeout bounds all readiness checks of one /readyz request, so a dependency
	// that hangs makes the probe fail instead of piling up requests.
	readyTimeout = 2 * time.Second
	// shutdownTimeout is how long in-flight requests may finish after SIGTERM; it
	// stays below the 10 s that `docker stop` waits before it kills the process.
	shutdownTimeout = 8 * time.Second
)

// Check is one dependency that /readyz asks about, e.g. a database PING.
type Check struct {
	Name string
	Func func(context.Context) error
}

// Config is what the server needs; every field but Addr may be left empty.
type Config struct {
	// Name is the service's name, shown on the front page.
	Name string
	// Addr is the listen address, ":PORT" for every interface.
	Addr string
	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger
	// Checks are asked by /readyz, in order; it answers 200 only when all pass.
	Checks []Check
}

func (c Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// Handler returns the service's routes:
//
//	GET /         a greeting
//	GET /healthz  liveness: the process serves HTTP (no dependency is asked, so an
//	              outage elsewhere never gets a healthy process restarted)
//	GET /readyz   readiness: every Check passes
//
// The routes are plain paths, not Go 1.22 "GET /path" patterns, so they mean the
// same under every go directive go.mod may carry (1.21 and later).
func Handler(cfg Config) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", hello(cfg.Name))
	mux.HandleFunc("/healthz", healthz)
	mux.HandleFunc("/readyz", readyz(cfg.Checks, cfg.logger()))
	return mux
}

// Run listens on cfg.Addr and serves until ctx is done, then shuts down gracefully.
func Run(ctx context.Context, cfg Config) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	return Serve(ctx, ln, cfg)
}

// Serve is Run on a listener the caller opened (tests listen on 127.0.0.1:0). It
// returns nil after a clean shutdown.
func Serve(ctx context.Context, ln net.Listener, cfg Config) error {
	logger := cfg.logger()
	srv := &http.Server{
		Handler: Handler(cfg),
		// Without timeouts one slow or idle client can hold a connection forever.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-serveErr:
		return err // Serve never returns nil: this is a real failure
	case <-ctx.Done():
	}

	logger.Info("shutting down", "grace", shutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// allowGet answers 405 to anything but GET and HEAD, and reports whether to go on.
func allowGet(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
	return false
}

func hello(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		if !allowGet(w, r) {
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "Hello from %s!\n", name)
	}
}

func healthz(w http.ResponseWriter, r *http.Request) {
	if !allowGet(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, status{Status: "ok"})
}

// status is the body of /healthz and /readyz.
type status struct {
	Status string `json:"status"`
	// Checks maps each readiness check to "ok" or its error.
	Checks map[string]string `json:"checks,omitempty"`
}

func readyz(checks []Check, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !allowGet(w, r) {
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()

		code, body := http.StatusOK, status{Status: "ready"}
		if len(checks) > 0 {
			body.Checks = make(map[string]string, len(checks))
		}
		for _, check := range checks {
			if err := check.Func(ctx); err != nil {
				code, body.Status = http.StatusServiceUnavailable, "not ready"
				body.Checks[check.Name] = err.Error()
				logger.Warn("readiness check failed", "check", check.Name, "error", err)
				continue
			}
			body.Checks[check.Name] = "ok"
		}
		writeJSON(w, code, body)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the status line is sent: nothing left to report to
}
