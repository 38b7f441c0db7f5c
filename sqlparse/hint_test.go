package sqlparse

import "testing"

func TestExtractHint(t *testing.T) {
	cases := []struct {
		sql  string
		want Hint
	}{
		{"SELECT 1", Hint{}},
		{"/* strata:primary */ SELECT 1", Hint{Primary: true}},
		{"SELECT /* strata:pool=batch */ c FROM t", Hint{Pool: "batch"}},
		{"SELECT 1 /*strata:shard=s1*/", Hint{Shard: "s1"}},
		{"/* strata:pool=batch,shard=eu-1.a, primary */ SELECT 1", Hint{Primary: true, Pool: "batch", Shard: "eu-1.a"}},
		{"/* strata:pool=a */ SELECT /* strata:pool=b */ 1", Hint{Pool: "b"}}, // later wins
		{"/* app=web strata:primary user=42 */ SELECT 1", Hint{Primary: true}},
		{"-- strata:primary\nSELECT 1", Hint{Primary: true}},
		{"SELECT 1 # strata:pool=x", Hint{Pool: "x"}},
		{"/* strata:unknown=1,primary */ SELECT 1", Hint{Primary: true}},
		{"SELECT 'strata:primary'", Hint{}},             // in a string, not a comment
		{"SELECT `strata:primary` FROM t", Hint{}},      // a quoted name
		{"/*!50000 strata:primary */ SELECT 1", Hint{}}, // executable comment is code
		{"/* STRATA:PRIMARY */ SELECT 1", Hint{}},       // directives are lower-case
	}
	for _, c := range cases {
		if got := extractHint(c.sql); got != c.want {
			t.Errorf("%q: got %+v, want %+v", c.sql, got, c.want)
		}
	}
}
