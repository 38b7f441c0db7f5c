package server

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"sync/atomic"
	"time"

	"github.com/strata-proxy/strata/config"
)

// clientCert is the certificate Strata shows TLS clients. A reload
// replaces it — a certificate renewed in place (certbot, cert-manager)
// or new tls.cert and tls.key paths — for the handshakes that follow;
// connections already encrypted keep the one they agreed on.
type clientCert struct {
	cur atomic.Pointer[tls.Certificate]
}

func newClientCert(t config.TLS) (*clientCert, error) {
	cert, err := readCert(t)
	if err != nil {
		return nil, err
	}
	c := &clientCert{}
	c.cur.Store(cert)
	return c, nil
}

// tlsConfig serves the current certificate at every handshake.
func (c *clientCert) tlsConfig() *tls.Config {
	return &tls.Config{
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c.cur.Load(), nil },
		MinVersion:     tls.VersionTLS12,
	}
}

// next reads the certificate t names, before a reload changes anything
// (a file that cannot be read fails the reload). It returns nil when
// clients would see what they see now: the same files with the same
// certificate, or a self-signed one both before and after.
func (c *clientCert) next(old, t config.TLS) (*tls.Certificate, string, error) {
	if t.Cert == "" && old.Cert == "" {
		return nil, "", nil
	}
	cert, err := readCert(t)
	if err != nil {
		return nil, "", err
	}
	if t.Cert == "" {
		return cert, "tls: a self-signed certificate (tls.cert removed)", nil
	}
	if cur := c.cur.Load(); t == old && sameCert(cur, cert) {
		return nil, "", nil
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, "", fmt.Errorf("reading tls.cert %s: %w", t.Cert, err)
	}
	return cert, fmt.Sprintf("tls: certificate %s from %s, valid until %s", leaf.Subject, t.Cert, leaf.NotAfter.UTC().Format(time.RFC3339)), nil
}

// use makes cert the one new handshakes get.
func (c *clientCert) use(cert *tls.Certificate) { c.cur.Store(cert) }

// expiry is when the current certificate stops being valid.
func (c *clientCert) expiry() time.Time {
	if leaf, err := x509.ParseCertificate(c.cur.Load().Certificate[0]); err == nil {
		return leaf.NotAfter
	}
	return time.Time{}
}

func sameCert(a, b *tls.Certificate) bool {
	if len(a.Certificate) != len(b.Certificate) {
		return false
	}
	for i := range a.Certificate {
		if !bytes.Equal(a.Certificate[i], b.Certificate[i]) {
			return false
		}
	}
	return true
}

// readCert reads the configured certificate, or makes a self-signed one so
// caching_sha2_password's full authentication can run over TLS.
func readCert(t config.TLS) (*tls.Certificate, error) {
	if t.Cert != "" {
		cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("loading tls.cert/tls.key: %w", err)
		}
		return &cert, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "strata"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
