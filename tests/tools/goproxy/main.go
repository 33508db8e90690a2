// Command goproxy is a test stand-in for a company's module proxy behind its own CA:
// it makes a CA and a certificate for 127.0.0.1 signed by it, writes the CA to
// DIR/ca.pem, and serves one module over HTTPS with the GOPROXY protocol
// (https://go.dev/ref/mod#goproxy-protocol) on 127.0.0.1 only. It prints the port on
// the first line of standard output once it listens, and serves until it is killed.
//
// Used by tests/proxy_build.rs; standard library only, so it builds offline.
package main

import (
	"archive/zip"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

func main() {
	dir := flag.String("dir", ".", "folder for ca.pem")
	module := flag.String("module", "example.test/greet", "the module path served")
	version := flag.String("version", "v1.0.0", "its only version")
	flag.Parse()

	caPEM, serverCert, err := certificates()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*dir, "ca.pem"), caPEM, 0o644); err != nil {
		log.Fatal(err)
	}
	files, err := moduleFiles(*module, *version)
	if err != nil {
		log.Fatal(err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	server := &http.Server{
		Handler:           logged(files),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{serverCert}},
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Println(listener.Addr().(*net.TCPAddr).Port)
	log.Fatal(server.ServeTLS(listener, "", ""))
}

// logged answers the module's paths and 404 for anything else, logging each request
// to standard error.
func logged(files map[string][]byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[r.URL.Path]
		log.Printf("%s %s found=%v", r.Method, r.URL.Path, ok)
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body)
	})
}

// moduleFiles is the module at one version, as the protocol's paths.
func moduleFiles(module, version string) (map[string][]byte, error) {
	goMod := []byte("module " + module + "\n\ngo 1.21\n")
	source := []byte("// Package greet is a module served by the test proxy.\npackage greet\n\n// Hello is a greeting.\nfunc Hello() string { return \"hello from the test proxy\" }\n")
	var archive bytes.Buffer
	writer := zip.NewWriter(&archive)
	prefix := module + "@" + version + "/"
	for name, contents := range map[string][]byte{"go.mod": goMod, "greet.go": source} {
		file, err := writer.Create(prefix + name)
		if err != nil {
			return nil, err
		}
		if _, err := file.Write(contents); err != nil {
			return nil, err
		}
	}
	if err := writer.Close(); err != nil {
		return nil, err
	}
	info := []byte(fmt.Sprintf(`{"Version":%q,"Time":"2024-01-02T03:04:05Z"}`, version))
	base := "/" + module + "/@v/"
	return map[string][]byte{
		base + "list":             []byte(version + "\n"),
		base + version + ".info":  info,
		base + version + ".mod":   goMod,
		base + version + ".zip":   archive.Bytes(),
		"/" + module + "/@latest": info,
	}, nil
}

// certificates makes a CA (returned as PEM) and a 127.0.0.1 server certificate it signed.
func certificates() ([]byte, tls.Certificate, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	now := time.Now()
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "scaffold test root CA", Organization: []string{"scaffold tests"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	serverKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	serverTemplate := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	serverDER, err := x509.CreateCertificate(rand.Reader, serverTemplate, ca, &serverKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return caPEM, tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey}, nil
}
