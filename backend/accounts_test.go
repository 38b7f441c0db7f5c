package backend

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The account table answers which server account a client user runs as,
// and with what password; a reload's Set replaces it whole.
func TestAccounts(t *testing.T) {
	a := NewAccounts(map[string]Login{"reports": {User: "reporter", Password: "rp"}, "bi": {User: "reporter", Password: "rp"}})
	for _, tt := range []struct{ client, want string }{{"reports", "reporter"}, {"bi", "reporter"}, {"app", ""}} {
		if got := a.Of(tt.client); got != tt.want {
			t.Errorf("Of(%q) = %q, want %q", tt.client, got, tt.want)
		}
	}
	if pw, ok := a.Password("reporter"); !ok || pw != "rp" {
		t.Errorf("Password(reporter) = %q, %v", pw, ok)
	}
	a.Set(map[string]Login{"bi": {User: "analyst", Password: "an"}})
	if a.Of("reports") != "" || a.Of("bi") != "analyst" {
		t.Errorf("after Set: reports → %q, bi → %q; want the default and analyst", a.Of("reports"), a.Of("bi"))
	}
	if _, ok := a.Password("reporter"); ok {
		t.Error("a removed account still has a password")
	}
	var none *Accounts // a Strata whose users have no accounts of their own
	if none.Of("app") != "" {
		t.Error("a nil table names an account")
	}
}

// A pool asked for a connection of an account the config no longer has
// says so and gives the slot back, without dialing; the server is not
// taken for down.
func TestPoolRefusesAnAccountNoLongerConfigured(t *testing.T) {
	p := NewPool(PoolConfig{Addr: "127.0.0.1:1", Accounts: NewAccounts(nil), PoolLimits: PoolLimits{MaxConns: 1, Wait: 50 * time.Millisecond}})
	for range 2 { // the second would wait for the slot if the first kept it
		_, err := p.Get(context.Background(), Flavor{Account: "gone"}, nil)
		if err == nil || !strings.Contains(err.Error(), "server account gone this session logged in with is no longer in the config") || IsServerGone(err) {
			t.Fatalf("Get for a removed account: %v; want an error naming it, not one that takes the server for down", err)
		}
	}
	if st := p.Stats(); st.Open != 0 || st.Dials != 0 {
		t.Errorf("stats %+v: want no connection open and no dial", st)
	}
}
