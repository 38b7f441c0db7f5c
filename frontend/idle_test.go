package frontend

import (
	"net"
	"testing"
	"time"

	"github.com/strata-proxy/strata/wire"
)

// The deadline moves only when less than the timeout is left, so a busy
// client does not pay for a timer change on every statement, and it never
// falls less than the timeout after the last command.
func TestIdleDeadlineArmsOnlyWhenNeeded(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := wire.NewConn(a)
	d := idleDeadline{timeout: 800 * time.Millisecond}
	t0 := time.Now()
	steps := []struct {
		after time.Duration // since t0
		want  time.Duration // the deadline, since t0
	}{
		{0, 900 * time.Millisecond},                             // first command: timeout + 1/8
		{50 * time.Millisecond, 900 * time.Millisecond},         // 850 ms left: kept
		{100 * time.Millisecond, 900 * time.Millisecond},        // exactly 800 ms left: kept
		{200 * time.Millisecond, 1100 * time.Millisecond},       // 700 ms left: moved
		{3 * time.Second, 3*time.Second + 900*time.Millisecond}, // after a long command
	}
	for _, st := range steps {
		d.arm(c, t0.Add(st.after))
		if got := d.at.Sub(t0); got != st.want {
			t.Fatalf("at +%v the deadline is +%v, want +%v", st.after, got, st.want)
		}
	}
	d.lost()
	d.arm(c, t0.Add(3*time.Second))
	if got := d.at.Sub(t0); got != 3*time.Second+900*time.Millisecond {
		t.Fatalf("after lost, arm set +%v", got)
	}
	off := idleDeadline{}
	off.arm(c, t0)
	if !off.at.IsZero() {
		t.Fatal("a zero timeout set a deadline")
	}
}
