package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// selfSigned writes a certificate for taxii.example.com (not 127.0.0.1,
// as in production) and its key.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "taxii.example.com"},
		DNSNames: []string{"taxii.example.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
	return certFile, keyFile
}

// healthcheck --config finds the server's own listener: its port and, with
// taxii.tls set, HTTPS (a container checking http://127.0.0.1:8080 was
// unhealthy in both cases). An explicit https --url verifies the
// certificate unless given the CA or --insecure.
func TestHealthcheckFollowsTheConfig(t *testing.T) {
	cert, key := selfSigned(t)
	cfgPath, cfg := writeConfig(t)
	cfg.TAXII.TLS.CertFile, cfg.TAXII.TLS.KeyFile = cert, key
	ctx, cancel := context.WithCancel(context.Background())
	addr, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), func(a *app) { addr <- a.Addr() }) }()
	listen := <-addr

	// The config as the container has it: every address, its own port, TLS.
	raw, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cfgPath, []byte(strings.Replace(string(raw), "listen: 127.0.0.1:0",
		"listen: 0.0.0.0:"+listen[len("127.0.0.1:"):]+"\n  tls: {cert_file: "+cert+", key_file: "+key+"}", 1)), 0o600))
	e, _, _ := testEnv("")
	assert.NoError(t, run(context.Background(), e, []string{"healthcheck", "--config", cfgPath}), "HTTPS on its own port")

	assert.Error(t, run(context.Background(), e, []string{"healthcheck", "--config", cfgPath, "--insecure"}), "flags that would be ignored")
	url := "https://" + listen + "/healthz"
	assert.Error(t, run(context.Background(), e, []string{"healthcheck", "--url", url}), "an unknown CA is refused")
	assert.NoError(t, run(context.Background(), e, []string{"healthcheck", "--url", url, "--insecure"}))
	cancel()
	require.NoError(t, <-done)
}
