package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// quiet is a logger that drops everything, so test output stays readable.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func serve(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) status {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json", ct)
	}
	var body status
	if err := json.NewDecoder(rec.Body).Decode(&body); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	return body
}

func TestHelloNamesTheService(t *testing.T) {
	rec := serve(t, Handler(Config{Name: "svc", Logger: quiet}), http.MethodGet, "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", rec.Code)
	}
	if got := rec.Body.String(); !strings.Contains(got, "svc") {
		t.Errorf("GET / = %q, want it to mention the service name", got)
	}
}

func TestRoutes(t *testing.T) {
	h := Handler(Config{Name: "svc", Logger: quiet})
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/healthz", http.StatusOK},
		{http.MethodHead, "/healthz", http.StatusOK},
		{http.MethodGet, "/readyz", http.StatusOK},
		{http.MethodGet, "/nope", http.StatusNotFound},
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/healthz", http.StatusMethodNotAllowed},
	}
	for _, tc := range tests {
		rec := serve(t, h, tc.method, tc.path)
		if rec.Code != tc.want {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, rec.Code, tc.want)
		}
		if rec.Code == http.StatusMethodNotAllowed && rec.Header().Get("Allow") == "" {
			t.Errorf("%s %s: 405 without an Allow header", tc.method, tc.path)
		}
	}
}

func TestHealthz(t *testing.T) {
	rec := serve(t, Handler(Config{Logger: quiet}), http.MethodGet, "/healthz")
	if body := decode(t, rec); body.Status != "ok" {
		t.Errorf("status = %q, want ok", body.Status)
	}
}

func TestReadyzWithoutChecksIsReady(t *testing.T) {
	rec := serve(t, Handler(Config{Logger: quiet}), http.MethodGet, "/readyz")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /readyz = %d, want 200", rec.Code)
	}
	if body := decode(t, rec); body.Status != "ready" || len(body.Checks) != 0 {
		t.Errorf("body = %+v, want ready without checks", body)
	}
}

func TestReadyzReportsEveryCheck(t *testing.T) {
	pass := Check{Name: "cache", Func: func(context.Context) error { return nil }}
	fail := Check{Name: "db", Func: func(context.Context) error { return errors.New("connection refused") }}

	rec := serve(t, Handler(Config{Logger: quiet, Checks: []Check{pass, fail}}), http.MethodGet, "/readyz")
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("GET /readyz = %d, want 503", rec.Code)
	}
	body := decode(t, rec)
	if body.Status != "not ready" || body.Checks["cache"] != "ok" || body.Checks["db"] != "connection refused" {
		t.Errorf("body = %+v", body)
	}
}

func TestReadyzGivesChecksADeadline(t *testing.T) {
	hang := Check{Name: "slow", Func: func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("no deadline")
		}
		<-ctx.Done()
		return ctx.Err()
	}}
	h := Handler(Config{Logger: quiet, Checks: []Check{hang}})
	req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
	ctx, cancel := context.WithTimeout(req.Context(), 50*time.Millisecond)
	defer cancel()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req.WithContext(ctx))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("GET /readyz = %d, want 503", rec.Code)
	}
}

// TestServeShutsDownGracefully runs the real server on a free port, answers one
// request, then cancels the context as SIGTERM would.
func TestServeShutsDownGracefully(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, Config{Name: "svc", Logger: quiet}) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz = %d, want 200", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v, want nil after shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the context was cancelled")
	}
}
