package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestCapacity(t *testing.T) {
	e := newEnv(t)
	var eb APIError
	if code := e.call(t, "GET", "/api/capacity", "", &eb); code != http.StatusNotFound || eb.Error != "no range-sharded tables" {
		t.Fatalf("without a hook: %d %+v", code, eb)
	}
	type report struct {
		Table    string  `json:"table"`
		Fraction float64 `json:"fraction"`
		Warn     bool    `json:"warn"`
	}
	e.srv.Capacity = func(ctx context.Context) (any, error) {
		return []report{{Table: "events", Fraction: 0.9, Warn: true}}, nil
	}
	var got []report
	if code := e.call(t, "GET", "/api/capacity", "", &got); code != http.StatusOK || len(got) != 1 || got[0] != (report{"events", 0.9, true}) {
		t.Fatalf("capacity: %d %+v", code, got)
	}
	e.srv.Capacity = func(ctx context.Context) (any, error) { return nil, errors.New("shard s1 is down") }
	eb = APIError{}
	if code := e.call(t, "GET", "/api/capacity", "", &eb); code != http.StatusInternalServerError || !strings.Contains(eb.Error, "shard s1 is down") {
		t.Fatalf("hook error: %d %+v", code, eb)
	}
	eb = APIError{}
	if code := e.call(t, "POST", "/api/capacity", "", &eb); code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d %+v", code, eb)
	}
}

func TestExplain(t *testing.T) {
	e := newEnv(t)
	var eb APIError
	if code := e.call(t, "GET", "/api/explain?sql=SELECT+1", "", &eb); code != http.StatusNotFound || eb.Error == "" {
		t.Fatalf("without a hook: %d %+v", code, eb)
	}
	type call struct{ SQL, User, Schema string }
	var seen call
	e.srv.Explain = func(ctx context.Context, sql, user, schema string) (any, error) {
		if strings.HasPrefix(sql, "BAD") {
			return nil, errors.New("syntax error near BAD")
		}
		seen = call{sql, user, schema}
		return map[string]any{"shards": []string{"s0"}}, nil
	}
	var plan struct {
		Shards []string `json:"shards"`
	}
	code := e.call(t, "GET", "/api/explain?sql=SELECT+*+FROM+posts+WHERE+id%3D5&user=app&schema=blog", "", &plan)
	if code != http.StatusOK || len(plan.Shards) != 1 || plan.Shards[0] != "s0" {
		t.Fatalf("explain: %d %+v", code, plan)
	}
	if seen != (call{"SELECT * FROM posts WHERE id=5", "app", "blog"}) {
		t.Errorf("hook got %+v", seen)
	}
	eb = APIError{}
	if code := e.call(t, "GET", "/api/explain", "", &eb); code != http.StatusBadRequest || !strings.Contains(eb.Error, "sql is required") {
		t.Errorf("no sql: %d %+v", code, eb)
	}
	eb = APIError{}
	if code := e.call(t, "GET", "/api/explain?sql=BAD", "", &eb); code != http.StatusBadRequest || eb.Error != "syntax error near BAD" {
		t.Errorf("hook error: %d %+v", code, eb)
	}
}

func TestTransactionsHooks(t *testing.T) {
	e := newEnv(t)
	var eb APIError
	if code := e.call(t, "GET", "/api/transactions", "", &eb); code != http.StatusNotFound {
		t.Fatalf("without a hook: %d %+v", code, eb)
	}
	e.srv.Transactions = func(ctx context.Context) (any, error) {
		return map[string]any{"mode": "twopc", "prepared": []string{"s1"}}, nil
	}
	var got struct {
		Mode     string   `json:"mode"`
		Prepared []string `json:"prepared"`
	}
	if code := e.call(t, "GET", "/api/transactions", "", &got); code != http.StatusOK || got.Mode != "twopc" || len(got.Prepared) != 1 {
		t.Fatalf("transactions: %d %+v", code, got)
	}
	e.srv.ResolveTransactions = func(ctx context.Context) (any, error) { return nil, errors.New("cluster s2 is down") }
	eb = APIError{}
	if code := e.call(t, "POST", "/api/transactions/resolve", "", &eb); code != http.StatusInternalServerError || !strings.Contains(eb.Error, "resolving transactions: cluster s2 is down") {
		t.Fatalf("resolve error: %d %+v", code, eb)
	}
	if code := e.call(t, "GET", "/api/transactions/resolve", "", &eb); code != http.StatusMethodNotAllowed {
		t.Errorf("GET of the resolve action: %d", code)
	}
}
