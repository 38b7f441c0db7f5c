package frontend

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/wire"
)

// Refused logins are logged once a minute per user and client host, with
// how many came in between; other failures (a client hanging up) and
// other errors are not refusals.
func TestLoginRefusalsAreLoggedSparingly(t *testing.T) {
	var buf bytes.Buffer
	r := newLoginRefusals(slog.New(slog.NewJSONHandler(&buf, nil)), time.Minute)
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }
	denied := wire.NewError(wire.ErAccessDenied, "Access denied for user 'app'@'10.0.0.5' (using password: YES)")
	from := func(host string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(host), Port: 40000} }

	steps := []struct {
		user, host string
		err        error
		after      time.Duration // the clock moves before the login
	}{
		{"app", "10.0.0.5", denied, 0},                    // logged
		{"app", "10.0.0.5", denied, time.Second},          // counted
		{"app", "10.0.0.5", denied, time.Second},          // counted
		{"app", "10.0.0.6", denied, 0},                    // another host: logged
		{"cron", "10.0.0.5", denied, 0},                   // another user: logged
		{"app", "10.0.0.5", io.EOF, 0},                    // hung up: not a refusal
		{"app", "10.0.0.5", errors.New("tls: bad"), 0},    // not what the client was told
		{"app", "10.0.0.5", denied, time.Minute},          // a minute on: logged, 2 since
		{strings.Repeat("x", 500), "10.0.0.7", denied, 0}, // a long name: cut
	}
	for _, st := range steps {
		now = now.Add(st.after)
		r.note(st.user, from(st.host), st.err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec struct {
			Msg, User, Client string
			Since             int `json:"more_since_last_logged"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		got = append(got, fmt.Sprintf("%s: %s (%d bytes) from %s, %d since", rec.Msg, rec.User[:min(len(rec.User), 4)], len(rec.User), rec.Client, rec.Since))
	}
	want := []string{
		"client login refused: app (3 bytes) from 10.0.0.5, 0 since",
		"client login refused: app (3 bytes) from 10.0.0.6, 0 since",
		"client login refused: cron (4 bytes) from 10.0.0.5, 0 since",
		"client login refused: app (3 bytes) from 10.0.0.5, 2 since",
		"client login refused: xxxx (83 bytes) from 10.0.0.7, 0 since", // 80 and "…"
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("logged:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
