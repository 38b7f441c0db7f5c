package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// POST /api/rebalance checks its parameters before it asks Strata, and
// answers 409 with Strata's reason when the move cannot start; GET is 404
// until a move ran.
func TestRebalanceEndpoints(t *testing.T) {
	e := newEnv(t)
	var eb APIError
	if code := e.call(t, "POST", "/api/rebalance?table=entries", "", &eb); code != http.StatusNotFound {
		t.Fatalf("without a hook: %d %+v", code, eb)
	}
	type started struct {
		table string
		batch int
	}
	var got []started
	e.srv.Rebalance = func(_ context.Context, table string, batch int) (any, error) {
		if table == "members" {
			return nil, errors.New("table members has a text shard key")
		}
		got = append(got, started{table, batch})
		return map[string]string{"table": table, "state": "running"}, nil
	}
	var last map[string]string
	e.srv.RebalanceStatus = func(context.Context) (any, error) {
		if last == nil {
			return nil, ErrNoRebalance
		}
		return last, nil
	}
	tests := []struct {
		path string
		code int
		want string // in the error
	}{
		{"/api/rebalance", http.StatusBadRequest, "table is required"},
		{"/api/rebalance?table=entries&batch=0", http.StatusBadRequest, "batch must be a positive number"},
		{"/api/rebalance?table=entries&batch=x", http.StatusBadRequest, "batch must be a positive number"},
		{"/api/rebalance?table=members", http.StatusConflict, "online rebalance not started: table members has a text shard key"},
		{"/api/rebalance?table=entries&batch=40", http.StatusAccepted, ""},
	}
	for _, tt := range tests {
		eb = APIError{}
		if code := e.call(t, "POST", tt.path, "", &eb); code != tt.code || !strings.Contains(eb.Error, tt.want) {
			t.Errorf("POST %s: %d %q; want %d %q", tt.path, code, eb.Error, tt.code, tt.want)
		}
	}
	if len(got) != 1 || got[0] != (started{"entries", 40}) {
		t.Errorf("moves started: %+v, want entries with batches of 40", got)
	}
	eb = APIError{}
	if code := e.call(t, "GET", "/api/rebalance", "", &eb); code != http.StatusNotFound || !strings.Contains(eb.Error, "no online rebalance ran") {
		t.Errorf("GET before a move: %d %+v", code, eb)
	}
	last = map[string]string{"table": "entries", "state": "done"}
	var st map[string]string
	if code := e.call(t, "GET", "/api/rebalance", "", &st); code != http.StatusOK || st["state"] != "done" {
		t.Errorf("GET after a move: %d %+v", code, st)
	}
}
