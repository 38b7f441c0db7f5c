package session

import (
	"testing"
	"time"

	"github.com/strata-proxy/strata/sqlparse"
)

// The session's wait_timeout, as SET writes it, becomes the client's idle
// limit; DEFAULT gives the configured one back.
func TestLearnWaitTimeout(t *testing.T) {
	cases := []struct {
		set    string
		before time.Duration
		want   time.Duration
	}{
		{"SET SESSION wait_timeout = 2", 0, 2 * time.Second},
		{"SET wait_timeout = 600", 0, 10 * time.Minute},
		{"SET @@session.wait_timeout = '30'", 0, 30 * time.Second},
		{"SET wait_timeout = 0", 0, time.Second}, // the server takes it as 1
		{"SET wait_timeout = DEFAULT", 5 * time.Second, 0},
		{"SET wait_timeout = @t", 5 * time.Second, 5 * time.Second}, // unknown: kept
	}
	for _, c := range cases {
		f, err := sqlparse.Classify(c.set)
		if err != nil || len(f.SessionVars) != 1 {
			t.Fatalf("%s: %v, %+v", c.set, err, f)
		}
		s := &Session{waitTimeout: c.before}
		s.learnWaitTimeout(f.SessionVars[0])
		if s.waitTimeout != c.want {
			t.Errorf("%s: wait timeout %v, want %v", c.set, s.waitTimeout, c.want)
		}
		got, own := s.IdleTimeout(8 * time.Hour)
		if want := map[bool]time.Duration{true: c.want, false: 8 * time.Hour}[c.want > 0]; got != want || own != (c.want > 0) {
			t.Errorf("%s: idle timeout %v (own %v), want %v", c.set, got, own, want)
		}
	}
}

// The session may shorten the operator's limit, not lengthen it.
func TestIdleTimeoutKeepsTheConfiguredCeiling(t *testing.T) {
	cases := []struct {
		session, limit, want time.Duration
		own                  bool
	}{
		{2 * time.Second, 8 * time.Hour, 2 * time.Second, true},
		{24 * 24 * time.Hour, 8 * time.Hour, 8 * time.Hour, false}, // Rails' 2147483 s
		{time.Minute, 0, time.Minute, true},                        // no configured limit
		{0, 8 * time.Hour, 8 * time.Hour, false},
	}
	for _, c := range cases {
		s := &Session{waitTimeout: c.session}
		if got, own := s.IdleTimeout(c.limit); got != c.want || own != c.own {
			t.Errorf("session %v, limit %v: %v (own %v), want %v (own %v)", c.session, c.limit, got, own, c.want, c.own)
		}
	}
}
