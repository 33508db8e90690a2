package healthcheck

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	defer ok.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // nothing listens there any more

	tests := []struct {
		name    string
		url     string
		wantErr bool
	}{
		{"200", ok.URL + "/healthz", false},
		{"503", failing.URL + "/healthz", true},
		{"nothing listening", closed.URL + "/healthz", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			err := Probe(ctx, tc.url)
			if (err != nil) != tc.wantErr {
				t.Errorf("Probe(%s) = %v, want error: %v", tc.url, err, tc.wantErr)
			}
		})
	}
}
