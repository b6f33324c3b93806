package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// runHealthcheck is the container HEALTHCHECK: the runtime image has no
// shell or curl, so the binary checks itself. With --config it finds its
// own listener (port, and HTTPS when taxii.tls is set), so one HEALTHCHECK
// line works behind a TLS-terminating proxy and with TLS in the server.
func runHealthcheck(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "healthcheck", "[--config FILE | --url URL [--ca-file PEM] [--insecure]]")
	configPath := fs.String("config", "", "check the listener this config serves on")
	url := fs.String("url", "http://127.0.0.1:8080/healthz", "health endpoint to check (without --config)")
	caFile := fs.String("ca-file", "", "PEM certificates to trust for an https --url")
	insecure := fs.Bool("insecure", false, "do not verify the certificate of an https --url")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: *insecure} //nolint:gosec // asked for
	if *configPath != "" && (*caFile != "" || *insecure) {
		return errors.New("healthcheck: --ca-file and --insecure go with --url; --config checks the server's own listener")
	}
	if *configPath != "" {
		cfg, err := loadConfig(*configPath, e.getenv)
		if err != nil {
			return err
		}
		*url = selfURL(cfg)
		// The server checks itself over loopback: the certificate names
		// the public host, not 127.0.0.1, and verifying it is the
		// clients' business.
		tlsCfg.InsecureSkipVerify = true
	} else if *caFile != "" {
		pool, err := caPool(*caFile)
		if err != nil {
			return fmt.Errorf("healthcheck: %w", err)
		}
		tlsCfg.RootCAs = pool
	}
	return checkHealth(ctx, *url, tlsCfg)
}

// selfURL is the /healthz of the listener cfg serves on, reached over
// loopback when it listens on every address.
func selfURL(cfg Config) string {
	scheme := "http"
	if cfg.TAXII.TLS.CertFile != "" {
		scheme = "https"
	}
	return scheme + "://" + reachable(cfg.TAXII.Listen) + "/healthz"
}

// reachable is where this machine reaches a listen address: loopback for
// one that listens on every address (":8080", "0.0.0.0:8080", "[::]:8080").
func reachable(listen string) string {
	host, port, _ := net.SplitHostPort(listen)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func caPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New(path + " holds no PEM certificate")
	}
	return pool, nil
}

func checkHealth(ctx context.Context, url string, tlsCfg *tls.Config) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg, Proxy: nil}}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, res.Status)
	}
	return nil
}
