package test

import (
	"strings"
	"testing"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/test/testenv"
)

// Reads prefer the replicas of Strata's own zone; a reload that moves
// Strata to another zone (a failover of the application tier to the other
// data center) moves its reads there, without a restart.
func TestZonePreferenceFollowsAReload(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(topologyYAML, "      - {address: 127.0.0.1:17307}\n      - {address: 127.0.0.1:17308}\n",
		"      - {address: 127.0.0.1:17307, zone: east}\n      - {address: 127.0.0.1:17308, zone: west}\n", 1)
	s, _ := startStrataLogging(t, yaml+"zone: east\n")
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	readsFrom := func() map[string]int {
		seen := map[string]int{}
		for range 20 {
			var id string
			if err := db.QueryRowContext(ctxFor(t), "SELECT @@server_id").Scan(&id); err != nil {
				t.Fatal(err)
			}
			seen[id]++
		}
		return seen
	}
	if seen := readsFrom(); seen["17307"] != 20 {
		t.Fatalf("reads of a Strata in zone east: %v, want all on the east replica (17307)", seen)
	}
	cfg, err := config.Parse([]byte(yaml + "zone: west\n"))
	if err != nil {
		t.Fatal(err)
	}
	changes, restart, err := s.Reload(cfg)
	if err != nil || len(restart) > 0 || !strings.Contains(strings.Join(changes, "\n"), `zone: "west"`) {
		t.Fatalf("reload to zone west: changes %q, restart needed %q, %v", changes, restart, err)
	}
	if seen := readsFrom(); seen["17308"] != 20 {
		t.Errorf("reads after the reload to zone west: %v, want all on the west replica (17308)", seen)
	}
}
