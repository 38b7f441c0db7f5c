package server

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/metrics"
	"github.com/strata-proxy/strata/shardops"
)

// When Strata stops, the schema check it was running is cut short: every
// copy's read fails with "context canceled". Before, each was logged as a
// warning (sixty lines for the test topology), burying the log's last
// lines; a check that timed out is still reported.
func TestSchemaCheckCutShortByStoppingIsNotWarnedOf(t *testing.T) {
	cfg, err := config.Parse([]byte(learnYAML + "schema: blog\n"))
	if err != nil {
		t.Fatal(err)
	}
	sh := &sharding{cfg: cfg, dbs: shardops.NewDBs(cfg), layout: learnLayout(t, learnYAML)}
	t.Cleanup(func() { sh.dbs.Close() })
	for _, tc := range []struct {
		name string
		ctx  func() context.Context
		warn bool
	}{
		{"stopped", func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, false},
		{"timed out", func() context.Context {
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
			t.Cleanup(cancel)
			return ctx
		}, true},
	} {
		var log bytes.Buffer
		s := &Strata{Log: slog.New(slog.NewTextHandler(&log, nil)), Metrics: metrics.New()}
		s.checkSchemas(tc.ctx(), sh)
		if warned := strings.Contains(log.String(), "reading the definition of a copy of a table failed"); warned != tc.warn {
			t.Errorf("%s: warned %v, want %v; log:\n%s", tc.name, warned, tc.warn, log.String())
		}
	}
}
