package frontend

import (
	"errors"
	"testing"

	"github.com/strata-proxy/strata/wire"
)

func TestUserLimits(t *testing.T) {
	l := newUserLimits(map[string]int{"cron": 2}, nil)
	steps := []struct {
		op, user string
		refused  bool
	}{
		{"admit", "cron", false},
		{"admit", "cron", false},
		{"admit", "cron", true}, // third of two
		{"admit", "app", false}, // no limit of its own
		{"admit", "app", false},
		{"admit", "app", false},
		{"leave", "cron", false},
		{"admit", "cron", false}, // the slot that left
		{"admit", "cron", true},
	}
	for i, st := range steps {
		if st.op == "leave" {
			l.leave(st.user)
			continue
		}
		err := l.admit(st.user)
		var werr *wire.Error
		switch {
		case st.refused && (!errors.As(err, &werr) || werr.Code != errTooManyUserConnections || werr.State != "42000"):
			t.Fatalf("step %d: admit %s = %v, want error 1203 (42000)", i, st.user, err)
		case !st.refused && err != nil:
			t.Fatalf("step %d: admit %s = %v, want admitted", i, st.user, err)
		}
	}
	if l.open["cron"] != 2 || l.open["app"] != 3 {
		t.Errorf("open = %v, want cron 2 (refusals are not counted) and app 3", l.open)
	}
}
