package server

import (
	"context"
	"crypto/x509"
	"runtime"
	"time"

	"github.com/strata-proxy/strata/admin"
)

// settings answers GET /api/settings.
func (s *Strata) settings(context.Context) (any, error) {
	cfg := s.CurrentConfig()
	l := cfg.Limits
	out := admin.Settings{
		ConfigPath: cfg.Path,
		Limits: admin.LimitsView{
			MaxClientConnections: l.MaxClientConnections, MaxConnsPerServer: l.MaxConnsPerServer, MaxIdlePerServer: l.MaxIdlePerServer,
			ConnectTimeout: l.ConnectTimeout.D().String(), PoolWait: l.PoolWait.D().String(),
			ClientIdleTimeout: l.ClientIdleTimeout.D().String(), ShutdownTimeout: l.ShutdownTimeout.D().String(),
			MaxAllowedPacket: int64(l.MaxAllowedPacket), MaxQueryDigests: l.MaxQueryDigests,
			MaxPreparedStatements: l.MaxPreparedStatements, MaxPulledRows: l.MaxPulledRows,
			MaxMergeMemory: int64(l.MaxMergeMemory), MaxMergeMemoryTotal: int64(l.MaxMergeMemoryTotal),
		},
		SlowLogMs:      float64(cfg.SlowLog.D().Microseconds()) / 1000,
		Zone:           s.Env.Zone(),
		Transactions:   "single",
		Threads:        runtime.GOMAXPROCS(0),
		BusyPoll:       s.BusyPoll.Budget().String(),
		BackendUser:    s.Env.BackendLogin().User,
		AdminAuth:      cfg.AdminAuth.User != "",
		AdminPprof:     cfg.AdminPprof,
		ProxyTrusted:   append([]string{}, cfg.ProxyProtocol.Trusted...),
		TLSCertificate: admin.CertificateView{File: cfg.TLS.Cert},
	}
	if s.Env.TwoPhase() != nil {
		out.Transactions = "twopc"
	}
	if leaf, err := x509.ParseCertificate(s.clientCert.cur.Load().Certificate[0]); err == nil {
		out.TLSCertificate.Subject = leaf.Subject.String()
		out.TLSCertificate.NotAfter = leaf.NotAfter.UTC()
		out.TLSCertificate.DaysLeft = int(time.Until(leaf.NotAfter).Hours() / 24)
	}
	if s.Env.Cache != nil {
		out.ResultCache = &admin.CacheView{MaxSize: int64(cfg.ResultCache.MaxSize), MaxEntrySize: int64(cfg.ResultCache.MaxEntrySize)}
	}
	return out, nil
}
