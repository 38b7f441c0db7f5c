package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
)

// BackendTLS encrypts Strata's connections to the servers (queries, health
// checks, KILL, the sharding control plane). Unix sockets (backend.sockets)
// stay unencrypted: they never leave the host.
type BackendTLS struct {
	// Mode is off (the default), required (encrypt, do not check the
	// certificate: like the mariadb client's --ssl without
	// --ssl-verify-server-cert) or verify (encrypt and check the
	// certificate against CA and the server's host name).
	Mode string `yaml:"mode"`
	// CA is a PEM file of the certificates that sign the servers'; empty:
	// the system's roots.
	CA string `yaml:"ca"`
	// ServerName is the name verify checks in every server's certificate;
	// empty: the host of each server's address.
	ServerName string `yaml:"server_name"`
}

// Backend TLS modes.
const (
	BackendTLSOff      = "off"
	BackendTLSRequired = "required"
	BackendTLSVerify   = "verify"
)

// ClientConfig is the TLS configuration for dialing the servers, nil when
// TLS is off. With verify and no ServerName, the dialer sets each server's
// host as ServerName.
func (t BackendTLS) ClientConfig() (*tls.Config, error) {
	switch t.Mode {
	case "", BackendTLSOff:
		return nil, nil
	case BackendTLSRequired:
		// Encryption without a certificate check is what the mode asks for.
		return &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, nil
	}
	cfg := &tls.Config{ServerName: t.ServerName, MinVersion: tls.VersionTLS12}
	if t.CA != "" {
		pem, err := os.ReadFile(t.CA)
		if err != nil {
			return nil, fmt.Errorf("reading backend.tls.ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("backend.tls.ca %s holds no PEM certificate", t.CA)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// TLSForServer is base (ClientConfig's) for the server at addr: with
// verification on and no server_name, the host of addr is the name
// checked. The dialers of queries, checks and the control plane share it,
// so every connection to a server is checked the same way.
func TLSForServer(base *tls.Config, addr string) *tls.Config {
	cfg := base.Clone()
	if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
		cfg.ServerName, _, _ = net.SplitHostPort(addr)
	}
	return cfg
}

func (c *Config) validateBackendTLS(p *problems) {
	t := c.Backend.TLS
	switch t.Mode {
	case "", BackendTLSOff, BackendTLSRequired, BackendTLSVerify:
	default:
		p.add("backend.tls.mode", "%q is not a mode: use off, required (encrypt) or verify (encrypt and check the certificate)", t.Mode)
		return
	}
	if (t.CA != "" || t.ServerName != "") && t.Mode != BackendTLSVerify {
		p.add("backend.tls", "ca and server_name are only used with mode: verify")
	}
	if _, err := t.ClientConfig(); err != nil {
		p.add("backend.tls.ca", "%v", err)
	}
}
