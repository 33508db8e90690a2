// Package healthcheck is the client side of /healthz. The image's HEALTHCHECK runs
// the service's own binary with -healthcheck, so the image needs no curl, wget or
// shell (distroless and scratch have none).
package healthcheck

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// client ignores HTTP(S)_PROXY: a proxy set for the build or the container must
// never sit between the service and its own health endpoint.
var client = &http.Client{Transport: &http.Transport{Proxy: nil}}

// Probe GETs url and returns nil when it answers 200 before ctx ends.
func Probe(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
