package main

import (
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/admin"
)

// cliSettings is what the test admin API answers to GET /api/settings.
var cliSettings = admin.Settings{
	ConfigPath: "strata.yaml", Limits: admin.LimitsView{MaxClientConnections: 8192, PoolWait: "5s"},
	SlowLogMs: 200, Zone: "east", Transactions: "twopc", BackendUser: "strata2", AdminAuth: true,
	TLSCertificate: admin.CertificateView{Subject: "CN=db.example.com", File: "/etc/strata/cert.pem", NotAfter: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), DaysLeft: 88},
}

// strata settings prints the settings in force, one per line, with the
// certificate's expiry.
func TestSettingsCommand(t *testing.T) {
	e := newCLIEnv(t)
	out := mustRun(t, runSettings, "-c", e.path)
	for _, want := range []string{"limits.max_client_connections   8192\n", "limits.pool_wait                5s\n", "slow_log                        200 ms\n",
		"zone                            east\n", "transactions.mode               twopc\n", "backend.user                    strata2\n",
		"tls certificate                 CN=db.example.com (/etc/strata/cert.pem), expires 2027-03-01, in 88 days\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("strata settings lacks %q:\n%s", want, out)
		}
	}
}
