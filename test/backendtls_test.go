package test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/sandbox"
	"github.com/strata-proxy/strata/server"
	"github.com/strata-proxy/strata/shardops"
	"github.com/strata-proxy/strata/test/testenv"
	"github.com/strata-proxy/strata/topology"
)

// backend.tls encrypts every connection Strata opens to a server: a
// server that refuses unencrypted connections (require_secure_transport)
// serves queries, writes, health checks and KILL through Strata with
// mode verify; with the wrong CA nothing connects, and the error says why;
// with TLS off the server's refusal shows.
func TestBackendTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, caKey := newCA(t, "strata test CA")
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", ca.Raw)
	other, _ := newCA(t, "some other CA")
	writePEM(t, filepath.Join(dir, "other-ca.pem"), "CERTIFICATE", other.Raw)
	cert, key := newServerCert(t, ca, caKey)
	writePEM(t, filepath.Join(dir, "server-cert.pem"), "CERTIFICATE", cert)
	writePEM(t, filepath.Join(dir, "server-key.pem"), "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))

	const servers = `
backend: {user: strata, password: strata}
users:
  - {name: app, password: app}
clusters:
  main:
    primary: 127.0.0.1:17316
`
	cfg, err := config.Parse([]byte("listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\n" + servers))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sb, err := sandbox.Up(ctx, cfg, sandbox.Options{Dir: filepath.Join(dir, "sb"), KillWithParent: true, ExtraConfig: []string{
		"ssl_ca = " + filepath.Join(dir, "ca.pem"),
		"ssl_cert = " + filepath.Join(dir, "server-cert.pem"),
		"ssl_key = " + filepath.Join(dir, "server-key.pem"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Down(context.Background())
	primary := sb.Primary("main")
	for _, stmt := range []string{"CREATE DATABASE IF NOT EXISTS blog", "CREATE TABLE blog.tls_orders (id INT PRIMARY KEY)", "SET GLOBAL require_secure_transport = ON"} {
		if err := primary.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}

	start := func(t *testing.T, tlsYAML string) (*server.Strata, *sql.DB) {
		t.Helper()
		s, err := testenv.StartStrata("listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\nmonitor: {interval: 100ms}\n" +
			strings.Replace(servers, "backend: {user: strata, password: strata}", "backend: {user: strata, password: strata"+tlsYAML+"}", 1))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s, testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	}

	t.Run("verify", func(t *testing.T) {
		s, db := start(t, ", tls: {mode: verify, ca: "+filepath.Join(dir, "ca.pem")+"}")
		var name, version string
		if err := db.QueryRow("SHOW SESSION STATUS LIKE 'Ssl_version'").Scan(&name, &version); err != nil || !strings.HasPrefix(version, "TLS") {
			t.Fatalf("the backend connection's Ssl_version: %q, %v; want TLS", version, err)
		}
		if _, err := db.Exec("INSERT INTO tls_orders VALUES (1)"); err != nil {
			t.Fatalf("a write over TLS: %v", err)
		}
		if n, err := primary.QueryValue(ctx, "SELECT COUNT(*) FROM blog.tls_orders"); err != nil || n != "1" {
			t.Fatalf("rows on the primary: %s, %v", n, err)
		}
		// The health checks reach the server too (plain ones would be refused).
		deadline := time.Now().Add(5 * time.Second)
		for {
			c, ok := s.Monitor.Check(primary.Addr)
			if ok && c.Observed == topology.StateUp && c.Reason == "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the health check of the primary: %+v (ok %v), want up", c, ok)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// KILL QUERY dials the server on a connection of its own.
		_, id, done := startSleep(t, db, 20, "tls_kill_probe", primary)
		if _, err := db.Exec(fmt.Sprintf("KILL QUERY %d", id)); err != nil {
			t.Fatalf("KILL QUERY over TLS: %v", err)
		}
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the SLEEP still runs 10 s after KILL QUERY")
		}
		// The sharding control plane (lookup tables, sequences) connects
		// the same way.
		dbs := shardops.NewDBs(s.Config)
		defer dbs.Close()
		cp, err := dbs.Open("main")
		if err != nil {
			t.Fatal(err)
		}
		if err := cp.QueryRow("SHOW SESSION STATUS LIKE 'Ssl_version'").Scan(&name, &version); err != nil || !strings.HasPrefix(version, "TLS") {
			t.Fatalf("the control plane's connection: Ssl_version %q, %v; want TLS", version, err)
		}
	})

	t.Run("wrong CA", func(t *testing.T) {
		_, db := start(t, ", tls: {mode: verify, ca: "+filepath.Join(dir, "other-ca.pem")+"}")
		_, err := db.Exec("SELECT 1")
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("a server whose certificate the CA did not sign: %v, want an error naming the certificate", err)
		}
	})

	t.Run("off", func(t *testing.T) {
		_, db := start(t, "")
		_, err := db.Exec("SELECT 1")
		// MariaDB refuses a plain login under require_secure_transport as
		// access denied.
		if err == nil || !strings.Contains(err.Error(), "Access denied") {
			t.Fatalf("plain connections to a server that requires TLS: %v, want its refusal", err)
		}
	})
}

// newCA makes a self-signed CA certificate.
func newCA(t *testing.T, name string) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// newServerCert makes a certificate for 127.0.0.1 signed by ca.
func newServerCert(t *testing.T, ca *x509.Certificate, caKey *rsa.PrivateKey) ([]byte, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return der, key
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}
