package test

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/test/testenv"
)

// users[].max_connections: one account cannot hold more client
// connections than its limit — refused with MariaDB's error 1203 — while
// other accounts connect as before; a closed connection, or one that
// changed to another user, frees its slot.
func TestUserMaxConnections(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(topologyYAML, "  - {name: other, password: other}\n",
		"  - {name: other, password: other}\n  - {name: capped, password: capped, max_connections: 2}\n", 1)
	s, err := testenv.StartStrata(yaml)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	capped := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "capped", "capped", "blog"))
	capped.SetMaxIdleConns(0) // Close ends the connection, not parks it
	ctx := testenv.Ctx(t)
	first, err := capped.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second := testenv.Conn(t, capped)
	_, err = capped.Conn(ctx)
	if testenv.MySQLErr(err) != 1203 || !strings.Contains(err.Error(), "users[].max_connections for capped is 2") {
		t.Fatalf("third connection of capped: %v, want error 1203 naming the limit", err)
	}
	app := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	if err := app.PingContext(ctx); err != nil {
		t.Fatalf("another user while capped is at its limit: %v", err)
	}
	first.Close()
	// Strata counts the connection out once it has seen it close.
	again, err := capped.Conn(ctx)
	for i := 0; i < 50 && testenv.MySQLErr(err) == 1203; i++ {
		time.Sleep(20 * time.Millisecond)
		again, err = capped.Conn(ctx)
	}
	if err != nil {
		t.Fatalf("after one of capped's connections closed: %v", err)
	}
	again.Close()
	second.Close()
	waitUserGone(t, s.AdminAddr(), "capped")

	host, port, _ := strings.Cut(s.MySQLAddr(), ":")
	out, err := exec.Command("php", "php/user_limit.php", host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		"change to capped with a slot free: ok",
		"capped at its limit logs in again as itself: ok",
		"change to capped at its limit: refused errno=1203",
		"third capped connection: refused errno=1203",
		"after one changed away: ok",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("user_limit.php output lacks %q:\n%s", want, out)
		}
	}
}

// waitUserGone waits until Strata lists no session of user
// (GET /api/sessions), so the next step starts with all its slots free.
func waitUserGone(t *testing.T, admin, user string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		resp, err := http.Get("http://" + admin + "/api/sessions")
		if err != nil {
			t.Fatal(err)
		}
		var sessions []struct{ User string }
		err = json.NewDecoder(resp.Body).Decode(&sessions)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		left := 0
		for _, s := range sessions {
			if s.User == user {
				left++
			}
		}
		if left == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("Strata still lists sessions of %s", user)
}
