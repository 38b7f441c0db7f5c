package admin

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/querystats"
)

func TestQueries(t *testing.T) {
	read := querystats.Key{Digest: "select * from entries where id = ?", Schema: "blog", User: "app", Route: "primary", Role: "replica", Server: "127.0.0.1:13307"}
	write := querystats.Key{Digest: "insert into entries values (?)", Schema: "blog", User: "app", Route: "primary", Role: "primary", Server: "127.0.0.1:13306"}
	fill := func(e *env) {
		e.srv.Stats = querystats.New(100)
		for range 3 {
			e.srv.Stats.Record(read, querystats.Outcome{Duration: time.Millisecond, Failed: false})
		}
		e.srv.Stats.Record(write, querystats.Outcome{Duration: 10 * time.Millisecond, Failed: true})
	}
	cases := []struct {
		name, method, path string
		status             int
		errPart            string
		rows               []querystats.Key // expected rows, in order
	}{
		{"heaviest first", "GET", "/api/queries", http.StatusOK, "", []querystats.Key{write, read}},
		{"by count", "GET", "/api/queries?order=count", http.StatusOK, "", []querystats.Key{read, write}},
		{"limit", "GET", "/api/queries?order=count&limit=1", http.StatusOK, "", []querystats.Key{read}},
		{"contains", "GET", "/api/queries?contains=INSERT", http.StatusOK, "", []querystats.Key{write}},
		{"bad order", "GET", "/api/queries?order=slowest", http.StatusBadRequest, "use one of total, count", nil},
		{"bad limit", "GET", "/api/queries?limit=-3", http.StatusBadRequest, "0 for all", nil},
		{"reset returns what it forgets", "DELETE", "/api/queries", http.StatusOK, "", []querystats.Key{write, read}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			fill(e)
			if c.errPart != "" {
				var body errorBody
				if code := e.call(t, c.method, c.path, "", &body); code != c.status || !strings.Contains(body.Error, c.errPart) {
					t.Fatalf("status %d error %q; want %d and %q", code, body.Error, c.status, c.errPart)
				}
				return
			}
			var snap querystats.Snapshot
			if code := e.call(t, c.method, c.path, "", &snap); code != c.status {
				t.Fatalf("status %d", code)
			}
			if len(snap.Rows) != len(c.rows) {
				t.Fatalf("rows %+v, want %+v", snap.Rows, c.rows)
			}
			for i, k := range c.rows {
				if snap.Rows[i].Key != k {
					t.Fatalf("row %d is %+v, want %+v", i, snap.Rows[i].Key, k)
				}
			}
			if c.method == "DELETE" {
				var after querystats.Snapshot
				e.call(t, "GET", "/api/queries", "", &after)
				if len(after.Rows) != 0 {
					t.Fatalf("after DELETE: %d rows", len(after.Rows))
				}
			}
		})
	}
}
