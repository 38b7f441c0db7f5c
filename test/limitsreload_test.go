package test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/test/testenv"
)

// An operator changes limits:, slow_log, the client certificate and
// admin_auth in the file and reloads, without a restart: new clients
// count against the new connection bound at once, sessions already
// connected take the new prepared-statement and packet bounds and the
// slow log at their next statement (the idle timeout from the wait after
// it), new TLS handshakes get the certificate
// renewed at the same path, and the admin port asks for the new account.
func TestLimitsReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeCertPair(t, certPath, keyPath, "strata-before", 24*time.Hour)
	withLimits := func(limits string) string {
		return strings.Replace(topologyYAML, "limits: {max_allowed_packet: 40M, pool_wait: 3s}\n",
			fmt.Sprintf("limits: {%s}\ntls: {cert: %s, key: %s}\n", limits, certPath, keyPath), 1)
	}
	s, logs := startStrataLogging(t, withLimits("max_client_connections: 2, max_prepared_statements: 2"))
	addr := s.MySQLAddr()
	ctx := ctxFor(t)

	session := testenv.Open(t, testenv.DSN(addr, "app", "app", "blog"))
	conn, err := session.Conn(ctx) // stays connected across the reload
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if cn := peerCertName(t, addr); cn != "strata-before" {
		t.Fatalf("TLS certificate at start: %q, want strata-before", cn)
	}
	other := testenv.Open(t, testenv.DSN(addr, "app", "app", "blog"))
	// The TLS probe's connection may still count for a moment after it
	// quit: try until its slot is free.
	var held *sql.Conn
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if held, err = other.Conn(ctx); err == nil || testenv.MySQLErr(err) != 1040 || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := loginErr(t, addr, "app", "app"); testenv.MySQLErr(err) != 1040 {
		t.Fatalf("a third client under max_client_connections 2: %v, want error 1040", err)
	}
	prepare := func(n int) error {
		st, err := conn.PrepareContext(ctx, fmt.Sprintf("SELECT %d + ?", n))
		_ = st // kept open: each one counts against the bound
		return err
	}
	for n := range 2 {
		if err := prepare(n); err != nil {
			t.Fatalf("prepare %d of 2: %v", n+1, err)
		}
	}
	if err := prepare(2); testenv.MySQLErr(err) != 1461 {
		t.Fatalf("a third prepared statement under max_prepared_statements 2: %v, want error 1461", err)
	}
	slowProbe := func() {
		t.Helper()
		var v float64
		if err := conn.QueryRowContext(ctx, "SELECT SLEEP(0.3) AS reload_slow_probe").Scan(&v); err != nil {
			t.Fatal(err)
		}
	}
	slowProbe()
	if strings.Contains(logs.String(), "reload_slow_probe") {
		t.Fatal("a slow statement was logged with slow_log off")
	}
	if code := adminGet(t, s.AdminAddr(), "", ""); code != http.StatusOK {
		t.Fatalf("admin API without admin_auth: %d", code)
	}

	renewedUntil := writeCertPair(t, certPath, keyPath, "strata-after", 90*24*time.Hour) // renewed in place
	cfg, err := config.Parse([]byte(withLimits("max_client_connections: 3, max_prepared_statements: 3, max_allowed_packet: 1M, client_idle_timeout: 2s") +
		"slow_log: 200ms\nadmin_auth: {user: ops, password: s3cret}\n"))
	if err != nil {
		t.Fatal(err)
	}
	changes, restart, err := s.Reload(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(changes, "\n")
	for _, want := range []string{"tls: certificate CN=strata-after", "limits.max_client_connections: 2 -> 3",
		"limits.max_prepared_statements: 2 -> 3", "limits.max_allowed_packet: 67108864 -> 1048576", "limits.client_idle_timeout: 8h0m0s -> 2s", "slow_log: 0s -> 200ms", "admin_auth: account ops"} {
		if !strings.Contains(got, want) {
			t.Errorf("reload changes lack %q:\n%s", want, got)
		}
	}
	if len(restart) > 0 {
		t.Errorf("restart needed for %v, want none", restart)
	}

	if err := loginErr(t, addr, "app", "app"); err != nil {
		t.Errorf("a third client after raising max_client_connections to 3: %v", err)
	}
	if err := prepare(2); err != nil {
		t.Errorf("a third prepared statement in a session of before the reload, now under 3: %v", err)
	}
	if err := prepare(3); testenv.MySQLErr(err) != 1461 {
		t.Errorf("a fourth prepared statement under 3: %v, want error 1461", err)
	}
	slowProbe()
	if !strings.Contains(logs.String(), "reload_slow_probe") {
		t.Errorf("slow_log turned on by the reload did not log a session's 300 ms statement:\n%s", logs.String())
	}
	if cn := peerCertName(t, addr); cn != "strata-after" {
		t.Errorf("TLS certificate after renewing it in place and reloading: %q, want strata-after", cn)
	}
	if code := adminGet(t, s.AdminAddr(), "", ""); code != http.StatusUnauthorized {
		t.Errorf("admin API without credentials after admin_auth was set: %d, want 401", code)
	}
	if code := adminGet(t, s.AdminAddr(), "ops", "s3cret"); code != http.StatusOK {
		t.Errorf("admin API with the new account: %d, want 200", code)
	}
	// GET /api/settings shows what applies now.
	code, body := testenv.GetAs(t, "http://"+s.AdminAddr()+"/api/settings", "ops", "s3cret")
	var settings struct {
		Limits struct {
			MaxClientConnections int    `json:"max_client_connections"`
			ClientIdleTimeout    string `json:"client_idle_timeout"`
		} `json:"limits"`
		SlowLogMs float64 `json:"slow_log_ms"`
		AdminAuth bool    `json:"admin_auth"`
		TLS       struct {
			Subject  string `json:"subject"`
			File     string `json:"file"`
			DaysLeft int    `json:"days_left"`
		} `json:"tls_certificate"`
	}
	if err := json.Unmarshal([]byte(body), &settings); code != http.StatusOK || err != nil {
		t.Fatalf("/api/settings: %d %v: %s", code, err, body)
	}
	if l := settings.Limits; l.MaxClientConnections != 3 || l.ClientIdleTimeout != "2s" || settings.SlowLogMs != 200 || !settings.AdminAuth ||
		settings.TLS.Subject != "CN=strata-after" || settings.TLS.File != certPath || settings.TLS.DaysLeft < 88 {
		t.Errorf("/api/settings after the reload: %s", body)
	}
	_, metrics := testenv.GetAs(t, "http://"+s.AdminAddr()+"/metrics", "ops", "s3cret")
	for _, want := range []string{"strata_client_connections_max 3\n",
		fmt.Sprintf("strata_tls_certificate_expiry_timestamp_seconds %g\n", float64(renewedUntil.Unix()))} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics after the reload lacks %q", want)
		}
	}
	var n int
	big := "SELECT LENGTH('" + strings.Repeat("x", 2<<20) + "')"
	if err := conn.QueryRowContext(ctx, big).Scan(&n); testenv.MySQLErr(err) != 1153 {
		t.Errorf("a 2 MB statement in a session of before the reload, after max_allowed_packet went down to 1M: %v, want error 1153", err)
	}
	if _, err := held.ExecContext(ctx, "DO 1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // past 1.125 × the new idle timeout
	if _, err := held.ExecContext(ctx, "DO 1"); testenv.MySQLErr(err) != 4031 {
		t.Errorf("a session of before the reload, silent for 2.5 s after client_idle_timeout went down to 2s: %v, want error 4031", err)
	}
}

// peerCertName connects over TLS and returns the common name of the
// certificate Strata showed.
func peerCertName(t *testing.T, addr string) string {
	t.Helper()
	var seen atomic.Value
	name := fmt.Sprintf("reload-probe-%d", time.Now().UnixNano())
	err := mysql.RegisterTLSConfig(name, &tls.Config{InsecureSkipVerify: true,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			cert, err := x509.ParseCertificate(raw[0])
			if err != nil {
				return err
			}
			seen.Store(cert.Subject.CommonName)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer mysql.DeregisterTLSConfig(name)
	if err := loginErr(t, addr, "app", "app", "tls="+name); err != nil {
		t.Fatalf("login over TLS: %v", err)
	}
	cn, _ := seen.Load().(string)
	return cn
}

func adminGet(t *testing.T, addr, user, password string) int {
	t.Helper()
	code, _ := testenv.GetAs(t, "http://"+addr+"/api/topology", user, password)
	return code
}

// writeCertPair writes a self-signed certificate for 127.0.0.1 named cn
// and its key, as a renewal would overwrite them.
func writeCertPair(t *testing.T, certPath, keyPath, cn string, valid time.Duration) time.Time {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(valid).Truncate(time.Second),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, certPath, "CERTIFICATE", der)
	writePEM(t, keyPath, "EC PRIVATE KEY", keyDER)
	return tmpl.NotAfter
}
