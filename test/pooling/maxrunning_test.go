package pooling

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/test/testenv"
)

// max_running bounds how many reads of a rule run at once: one more waits
// up to limits.pool_wait, then gets an error naming the rule; reads of
// other rules are not held up; a slot frees when a statement ends.
func TestRuleMaxRunning(t *testing.T) {
	s, db := strataWithRules(t, "  - {match: {hint: report}, pool: batch, max_running: 1}\n", "limits: {pool_wait: 300ms}\n")
	const report = "SELECT /* strata:pool=report */ SLEEP(%s) AS report_probe"
	done := make(chan error, 1)
	go func() {
		var v int
		done <- db.QueryRow(fmt.Sprintf(report, "1.5")).Scan(&v)
	}()
	// Wait until the first report holds the rule's slot.
	var view admin.RulesView
	for i := 0; ; i++ {
		getJSON(t, "http://"+s.AdminAddr()+"/api/rules", &view)
		if view.Rules[0].Running == 1 {
			break
		}
		if i == 200 {
			t.Fatalf("the first report never showed as running: %+v", view.Rules[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	var v int
	err := db.QueryRow(fmt.Sprintf(report, "0")).Scan(&v)
	if testenv.MySQLErr(err) != 1040 || !strings.Contains(err.Error(), "max_running") {
		t.Fatalf("a second report while one runs: %v, want error 1040 naming max_running", err)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond || waited > 1200*time.Millisecond {
		t.Errorf("the second report was refused after %v, want after limits.pool_wait (300 ms)", waited)
	}
	if err := db.QueryRow("SELECT 1").Scan(&v); err != nil {
		t.Fatalf("a read of no gated rule while the report runs: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the first report: %v", err)
	}
	if err := db.QueryRow(fmt.Sprintf(report, "0")).Scan(&v); err != nil {
		t.Fatalf("a report once the first ended: %v", err)
	}
}
