// Package shardops is the control-plane I/O of sharding: reading and
// filling lookup tables, handing out id blocks for sequences, creating the
// period tables of date-sharded tables ahead of time and measuring how full
// the last range of range-sharded tables is.
//
// It talks to cluster primaries with database/sql and go-sql-driver/mysql;
// the caller says how to reach them with an Opener (NewDBs builds one from
// a config). The routing decisions themselves are pure and live in package
// shard.
package shardops

import (
	"database/sql"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/shard"
)

// Opener returns a connection pool to a cluster's primary. The pool is
// owned by whoever made the Opener; callers do not close it.
type Opener func(cluster string) (*sql.DB, error)

// DBs opens one pool per cluster primary of a config, as the backend
// account, on first use. It is safe for concurrent use.
type DBs struct {
	cfg *config.Config
	// PrimaryOf, when set, names a cluster's primary now (the running
	// topology, which a switchover or failover changes); without it, or
	// when it returns "", the config's primary is used.
	PrimaryOf func(cluster string) string
	mu        sync.Mutex
	dbs       map[string]*sql.DB
	addrs     map[string]string // cluster -> the primary its pool reaches
	// user and password are the account the pools log in as: the
	// config's backend account until SetLogin.
	user, password string
}

// NewDBs returns pools for cfg's clusters; Close closes them.
func NewDBs(cfg *config.Config) *DBs {
	return &DBs{cfg: cfg, dbs: map[string]*sql.DB{}, addrs: map[string]string{}, user: cfg.Backend.User, password: cfg.Backend.Password}
}

// SetLogin makes the pools log in as another account (a reload that
// changes backend.user or .password). Pools opened with the old one are
// reopened on next use; the old ones close a little later, as callers may
// hold one for a statement.
func (d *DBs) SetLogin(user, password string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.user == user && d.password == password {
		return
	}
	d.user, d.password = user, password
	for cluster, db := range d.dbs {
		time.AfterFunc(time.Minute, func() { db.Close() })
		delete(d.dbs, cluster)
	}
}

// Open implements Opener.
func (d *DBs) Open(cluster string) (*sql.DB, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	cl := d.cfg.Clusters[cluster]
	if cl == nil {
		return nil, fmt.Errorf("no cluster %q", cluster)
	}
	primary := cl.Primary
	if d.PrimaryOf != nil {
		if now := d.PrimaryOf(cluster); now != "" {
			primary = now
		}
	}
	if db := d.dbs[cluster]; db != nil {
		if d.addrs[cluster] == primary {
			return db, nil
		}
		// The primary moved: callers may still hold the old pool for a
		// statement, so it closes a little later.
		time.AfterFunc(time.Minute, func() { db.Close() })
		delete(d.dbs, cluster)
	}
	db, err := d.openServer(primary)
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(2)
	db.SetConnMaxIdleTime(time.Minute)
	d.dbs[cluster] = db
	d.addrs[cluster] = primary
	return db, nil
}

// OpenServer opens a pool to one server (a replica, say) as the backend
// account; the caller closes it.
func (d *DBs) OpenServer(addr string) (*sql.DB, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.openServer(addr)
}

func (d *DBs) openServer(addr string) (*sql.DB, error) {
	dsn := DSN(addr, d.user, d.password, d.cfg.Limits.ConnectTimeout.D())
	path := d.cfg.Backend.Sockets[addr]
	if path != "" {
		dsn = socketDSN(path, d.user, d.password, d.cfg.Limits.ConnectTimeout.D())
	}
	mc, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if path == "" {
		// The control plane reaches a server the way queries do.
		base, err := d.cfg.Backend.TLS.ClientConfig()
		if err != nil {
			return nil, err
		}
		if base != nil {
			mc.TLS = config.TLSForServer(base, addr)
		}
	}
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

// Close closes every pool opened so far.
func (d *DBs) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for name, db := range d.dbs {
		db.Close()
		delete(d.dbs, name)
	}
	return nil
}

// DSN is a go-sql-driver DSN for addr without a default schema (every
// statement here names its schema).
func DSN(addr, user, password string, timeout time.Duration) string {
	c := mysql.NewConfig()
	c.User, c.Passwd = user, password
	c.Net, c.Addr = "tcp", addr
	if host, _, err := net.SplitHostPort(addr); err == nil && host == "" {
		c.Addr = "127.0.0.1" + addr
	}
	if timeout > 0 {
		c.Timeout = timeout
	}
	return c.FormatDSN()
}

// socketDSN is DSN for a server reached through its Unix socket.
func socketDSN(path, user, password string, timeout time.Duration) string {
	c := mysql.NewConfig()
	c.User, c.Passwd = user, password
	c.Net, c.Addr = "unix", path
	if timeout > 0 {
		c.Timeout = timeout
	}
	return c.FormatDSN()
}

// quoteIdent quotes one identifier in backticks.
func quoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// qualified is `schema`.`table`, or `table` without a schema.
func qualified(schema, table string) string {
	if schema == "" {
		return quoteIdent(table)
	}
	return quoteIdent(schema) + "." + quoteIdent(table)
}

// arg turns a shard key into a driver argument.
func arg(v shard.Value) any {
	switch v.Kind() {
	case shard.KindInt:
		i, _ := v.Int64()
		return i
	case shard.KindUint:
		u, _ := v.Uint64()
		return u
	case shard.KindString:
		s, _ := v.Str()
		return s
	case shard.KindTime:
		t, _ := v.TimeValue()
		return t
	}
	return nil
}
