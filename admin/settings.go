package admin

import "time"

// Settings is what GET /api/settings shows: the settings a reload changes,
// as the running Strata applies them now (after the reloads since start),
// so an operator can check a change took. No password is shown.
type Settings struct {
	ConfigPath     string          `json:"config_path"`
	Limits         LimitsView      `json:"limits"`
	SlowLogMs      float64         `json:"slow_log_ms"`
	Zone           string          `json:"zone"`
	Transactions   string          `json:"transactions_mode"`
	Threads        int             `json:"threads"`
	BusyPoll       string          `json:"busy_poll"`
	BackendUser    string          `json:"backend_user"`
	AdminAuth      bool            `json:"admin_auth"`
	AdminPprof     bool            `json:"admin_pprof"`
	ProxyTrusted   []string        `json:"proxy_protocol_trusted"`
	TLSCertificate CertificateView `json:"tls_certificate"`
	ResultCache    *CacheView      `json:"result_cache,omitempty"`
}

// LimitsView is the limits: section in force, durations as Go writes them.
type LimitsView struct {
	MaxClientConnections  int    `json:"max_client_connections"`
	MaxConnsPerServer     int    `json:"max_conns_per_server"`
	MaxIdlePerServer      int    `json:"max_idle_per_server"`
	ConnectTimeout        string `json:"connect_timeout"`
	PoolWait              string `json:"pool_wait"`
	ClientIdleTimeout     string `json:"client_idle_timeout"`
	ShutdownTimeout       string `json:"shutdown_timeout"`
	MaxAllowedPacket      int64  `json:"max_allowed_packet"`
	MaxQueryDigests       int    `json:"max_query_digests"`
	MaxPreparedStatements int    `json:"max_prepared_statements"`
	MaxPulledRows         int    `json:"max_pulled_rows"`
	MaxMergeMemory        int64  `json:"max_merge_memory"`
	MaxMergeMemoryTotal   int64  `json:"max_merge_memory_total"`
}

// CertificateView names the certificate TLS clients get now.
type CertificateView struct {
	Subject  string    `json:"subject"`
	File     string    `json:"file"` // "" for the self-signed one
	NotAfter time.Time `json:"not_after"`
	DaysLeft int       `json:"days_left"`
}

// CacheView is the result cache's bounds.
type CacheView struct {
	MaxSize      int64 `json:"max_size"`
	MaxEntrySize int64 `json:"max_entry_size"`
}
