package planner

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/shard"
)

// A write that gives a unique: column values checks each on every shard
// (a check-only route for each shard it does not write); one that gives
// none, or only NULLs, checks nothing. Values Strata cannot read, and ON
// DUPLICATE KEY UPDATE or a multi-table UPDATE setting the column, are
// refused; IGNORE, REPLACE and ON DUPLICATE KEY UPDATE say why a
// duplicate is refused.
func TestShardPlanChecksUniqueColumns(t *testing.T) {
	s := NewSharding(layoutOf(t, strings.Replace(shardConfig,
		`likes:    {shard_key: entry_id, method: hash, shards: {s0: "-80", s1: "80-"}}`,
		`likes:    {shard_key: entry_id, method: hash, shards: {s0: "-80", s1: "80-"}}
  members2: {shard_key: id, method: modulo, shards: [s0, s1, s2], unique: [email, nick, [site, slug]]}`, 1)))
	for _, tt := range []struct {
		sql      string
		args     []string
		values   []string // column=value checked
		checkers []string // the check-only routes' clusters
		refusal  string
		refused  string
	}{
		{"INSERT INTO members2 (id, email) VALUES (1, 'a@x')", nil, []string{"email='a@x'"}, []string{"s0", "s2"}, "", ""},
		{"INSERT INTO members2 (id, email, nick) VALUES (1, 'a@x', ?), (2, NULL, 'n')", []string{"'m'"}, []string{"email='a@x'", "nick='m'", "nick='n'"}, []string{"s0"}, "", ""},
		{"INSERT INTO members2 (id, email) VALUES (1, 'a@x'), (2, 'a@x')", nil, []string{"email='a@x'"}, []string{"s0"}, "", ""}, // one check of a repeated value
		{"INSERT INTO members2 (id, other) VALUES (1, 'a@x')", nil, nil, nil, "", ""},
		{"UPDATE members2 SET email = 'b@x' WHERE id = 4", nil, []string{"email='b@x'"}, []string{"s0", "s2"}, "", ""},
		{"UPDATE members2 SET other = 'b@x' WHERE id = 4", nil, nil, nil, "", ""},
		{"UPDATE members2 SET email = NULL WHERE id = 4", nil, nil, nil, "", ""},
		{"DELETE FROM members2 WHERE id = 4", nil, nil, nil, "", ""},
		{"INSERT IGNORE INTO members2 (id, email) VALUES (1, 'a@x')", nil, []string{"email='a@x'"}, []string{"s0", "s2"}, "IGNORE", ""},
		{"REPLACE INTO members2 (id, email) VALUES (1, 'a@x')", nil, []string{"email='a@x'"}, []string{"s0", "s2"}, "REPLACE", ""},
		{"INSERT INTO members2 (id, email) VALUES (1, 'a@x') ON DUPLICATE KEY UPDATE other = 1", nil, []string{"email='a@x'"}, []string{"s0", "s2"}, "ON DUPLICATE KEY UPDATE", ""},
		{"INSERT INTO members2 (id, email) VALUES (1, 'a@x') ON DUPLICATE KEY UPDATE email = 'c@x'", nil, nil, nil, "", "ON DUPLICATE KEY UPDATE sets members2.email"},
		{"INSERT INTO members2 (id, email) VALUES (1, LOWER('A@x'))", nil, nil, nil, "", "not an expression"},
		{"UPDATE members2 SET nick = CONCAT(nick, '!') WHERE id = 4", nil, nil, nil, "", "not an expression"},
		{"INSERT INTO members2 (id, site, slug) VALUES (1, 7, 'hello'), (2, 7, NULL), (3, ?, 'x')", []string{"8"}, []string{"site+slug=7,'hello'", "site+slug=8,'x'"}, nil, "", ""}, // every shard written
		{"INSERT INTO members2 (id, slug) VALUES (1, 'hello')", nil, nil, nil, "", ""},                                                                                              // site left to its default
		{"UPDATE members2 SET slug = 'a', site = 2 WHERE id = 4", nil, []string{"site+slug=2,'a'"}, []string{"s0", "s2"}, "", ""},
		{"UPDATE members2 SET slug = 'a' WHERE id = 4", nil, nil, nil, "", "sets slug but not all of (site, slug)"},
		{"LOAD DATA LOCAL INFILE 'm.csv' INTO TABLE members2 (id, @e) SET email = LOWER(@e)", nil, nil, nil, "", "sets email in its SET clause from an expression"},
	} {
		p, err := plan(t, s, tt.sql, tt.args...)
		if !plannedAsWanted(t, tt.sql, err, tt.refused) || p.Load != nil {
			continue // LOAD DATA: below
		}
		values, checkers := checkedValues(p.Unique), []string(nil)
		for _, c := range p.Unique {
			if c.Table != "`members2`" || c.Key != "`id`" {
				t.Errorf("%s: check of %s by %s", tt.sql, c.Table, c.Key)
			}
		}
		for i, r := range p.Routes {
			if r.CheckOnly {
				checkers = append(checkers, r.Cluster)
			} else if i > 0 && p.Routes[i-1].CheckOnly {
				t.Errorf("%s: a write route after a check-only one: %+v", tt.sql, p.Routes)
			}
		}
		slices.Sort(checkers)
		if len(p.Unique) > 0 {
			c := p.Unique[0]
			want := "(SELECT 0, `id` FROM `members2` WHERE `" + c.Columns[0] + "` = " + c.Values[0]
			if len(c.Columns) == 2 {
				want += " AND `" + c.Columns[1] + "` = " + c.Values[1]
			}
			want += " FOR UPDATE)"
			if q := UniqueQuery(p.Unique); !strings.HasPrefix(q, want) || strings.Count(q, " UNION ALL ") != len(p.Unique)-1 {
				t.Errorf("%s: check query %q, want it to start %q with a part per value", tt.sql, q, want)
			}
		}
		if !slices.Equal(values, tt.values) || !slices.Equal(checkers, tt.checkers) || !strings.HasPrefix(p.UniqueRefusal, tt.refusal) || (tt.refusal == "") != (p.UniqueRefusal == "") {
			t.Errorf("%s: checks %q on %q, refusal %q; want %q on %q, refusal %q", tt.sql, values, checkers, p.UniqueRefusal, tt.values, tt.checkers, tt.refusal)
		}
		if len(p.Unique) > 0 && (p.Kind != PlanWrite || p.Routes[0].Template != "") {
			t.Errorf("%s: a checked write planned as %s with template %q, want a write of Strata's own", tt.sql, p.Kind, p.Routes[0].Template)
		}
	}
	// A LOAD DATA checks the keys its file fills, by their fields.
	for _, tt := range []struct {
		sql     string
		keys    string
		refusal string
	}{
		{"LOAD DATA LOCAL INFILE 'm.csv' INTO TABLE members2 (id, email, site, slug)", "[{[email] [1] [] []} {[site slug] [2 3] [] []}]", "LOAD DATA LOCAL would skip"},
		{"LOAD DATA LOCAL INFILE 'm.csv' INTO TABLE members2 (id, @e, slug) SET email = @e", "[{[email] [1] [] []}]", "LOAD DATA LOCAL would skip"}, // site: its default
		{"LOAD DATA LOCAL INFILE 'm.csv' INTO TABLE members2", "[{[email] [-1] [] []} {[nick] [-1] [] []} {[site slug] [-1 -1] [] []}]", "LOAD DATA LOCAL would skip"},
		{"LOAD DATA LOCAL INFILE 'm.csv' IGNORE INTO TABLE members2 (id, nick)", "[{[nick] [1] [] []}]", "LOAD DATA LOCAL would skip"},
		{"LOAD DATA LOCAL INFILE 'm.csv' REPLACE INTO TABLE members2 (id, nick)", "[{[nick] [1] [] []}]", "REPLACE"},
	} {
		p, err := plan(t, s, tt.sql)
		if err != nil || p.Load == nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		if got := loadKeys(p.Load.Unique); got != tt.keys || p.Load.UniqueTable != "`members2`" || p.Load.UniqueKey != "`id`" || !strings.HasPrefix(p.UniqueRefusal, tt.refusal) || (tt.refusal == "") != (p.UniqueRefusal == "") {
			t.Errorf("%s: keys %s of %s by %s, refusal %q; want %s, refusal %q", tt.sql, got, p.Load.UniqueTable, p.Load.UniqueKey, p.UniqueRefusal, tt.keys, tt.refusal)
		}
	}
}

// A column of a unique: key that a write leaves out, or gives DEFAULT,
// takes its default, which is checked as a given value: a text default as
// hexadecimal (no sql_mode reads it otherwise), a number as written. A
// NULL default repeats and is not checked; a default each shard computes
// itself (an expression) is refused.
func TestShardPlanChecksUniqueDefaults(t *testing.T) {
	l := layoutOf(t, strings.Replace(shardConfig,
		`likes:    {shard_key: entry_id, method: hash, shards: {s0: "-80", s1: "80-"}}`,
		`likes:    {shard_key: entry_id, method: hash, shards: {s0: "-80", s1: "80-"}}
  members2: {shard_key: id, method: modulo, shards: [s0, s1, s2], unique: [email, nick, [site, slug]]}`, 1))
	defaults := map[string]string{"email": "NULL", "nick": "uuid()", "site": "7", "slug": `'it''s\\x'`}
	s := NewSharding(l.WithKeyTypes(map[string]shard.KeyColumn{"members2": {Type: shard.KeyTypeInteger, UniqueDefaults: defaults}}))
	slug := "_utf8mb4 X'" + hex.EncodeToString([]byte(`it's\x`)) + "'"
	for _, tt := range []struct {
		sql     string
		values  []string // column=value checked
		shown   string   // the first check's value as a duplicate's error shows it
		refused string
	}{
		{"INSERT INTO members2 (id, nick, slug) VALUES (1, 'n', 'a')", []string{"nick='n'", "site+slug=7,'a'"}, "n", ""},
		{"INSERT INTO members2 (id, nick, site) VALUES (1, 'n', 8), (2, 'm', DEFAULT)", []string{"nick='n'", "nick='m'", "site+slug=8," + slug, "site+slug=7," + slug}, "n", ""},
		{"INSERT INTO members2 (id, nick, site, slug) VALUES (1, 'n', DEFAULT, DEFAULT(slug))", []string{"nick='n'", "site+slug=7," + slug}, "n", ""},
		{"INSERT INTO members2 (id, nick, email, site, slug) VALUES (1, 'n', DEFAULT, 1, 'a')", []string{"nick='n'", "site+slug=1,'a'"}, "n", ""}, // email's default is NULL
		{"UPDATE members2 SET site = DEFAULT, slug = 'b' WHERE id = 4", []string{"site+slug=7,'b'"}, "7-b", ""},
		{"INSERT INTO members2 (id, site, slug) VALUES (1, 1, 'a')", nil, "", "nick is left to its default uuid()"},
		{"INSERT INTO members2 (id, nick, site, slug) VALUES (1, DEFAULT, 1, 'a')", nil, "", "nick is left to its default uuid()"},
		{"INSERT INTO members2 (id, nick, site, slug) VALUES (1, 'n', DEFAULT(slug), 'a')", nil, "", "not an expression"}, // nor another column's default
		{"LOAD DATA LOCAL INFILE 'm.csv' INTO TABLE members2 (id, nick)", nil, "", ""},
		{"LOAD DATA LOCAL INFILE 'm.csv' INTO TABLE members2 (id, email, slug)", nil, "", "nick is left to its default uuid()"},
	} {
		p, err := plan(t, s, tt.sql)
		if !plannedAsWanted(t, tt.sql, err, tt.refused) || p.Load != nil {
			continue // LOAD DATA: below
		}
		values := checkedValues(p.Unique)
		if !slices.Equal(values, tt.values) {
			t.Errorf("%s: checks %q, want %q", tt.sql, values, tt.values)
		}
		if len(p.Unique) > 0 && p.Unique[0].Entry() != tt.shown {
			t.Errorf("%s: the first check shows as %q, want %q", tt.sql, p.Unique[0].Entry(), tt.shown)
		}
	}
	// LOAD DATA: a key column the statement leaves out is its default.
	defaults["nick"] = "'none'"
	p, err := plan(t, s, "LOAD DATA LOCAL INFILE 'm.csv' INTO TABLE members2 (id, site)")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := loadKeys(p.Load.Unique), "[{[nick] [-1] [_utf8mb4 X'6e6f6e65'] [none]} {[site slug] [1 -1] [ "+slug+"] [ it's\\x]}]"; got != want {
		t.Errorf("LOAD DATA leaving nick and slug out checks %s, want %s", got, want)
	}
}

// Where a write gives a column of a unique: key a NULL it cannot hold
// (NOT NULL), MariaDB stores the type's zero unless it refuses the row
// (INSERT IGNORE, a multi-row INSERT under a non-strict sql_mode, LOAD
// DATA LOCAL), and so does a NOT NULL column without a default that a
// non-strict INSERT leaves out: the check reads that zero, or two shards
// each keep one. A nullable column's NULL, and the AUTO_INCREMENT
// column's, are not checked; a LOAD DATA row too short to have a field
// holds the zero, or NULL where the column's default is NULL.
func TestShardPlanChecksTheZerosOfNotNullColumns(t *testing.T) {
	l := layoutOf(t, strings.Replace(shardConfig,
		`likes:    {shard_key: entry_id, method: hash, shards: {s0: "-80", s1: "80-"}}`,
		`likes:    {shard_key: entry_id, method: hash, shards: {s0: "-80", s1: "80-"}}
  members2: {shard_key: id, method: modulo, shards: [s0, s1, s2], unique: [email, nick, [site, slug], serial, born]}`, 1))
	kc := shard.KeyColumn{Type: shard.KeyTypeInteger, AutoIncrement: "serial",
		UniqueDefaults: map[string]string{"nick": "NULL", "slug": "'x'"},
		UniqueColumns: map[string]shard.UniqueColumn{
			"email":  {NotNull: true, Zero: "''"},
			"nick":   {Zero: "''"},
			"site":   {NotNull: true, Zero: "0", ZeroShown: "0"},
			"slug":   {NotNull: true, Zero: "''"},
			"serial": {NotNull: true, Zero: "0", ZeroShown: "0"},
			"born":   {NotNull: true, Clock: true, Zero: "'0000-00-00 00:00:00'", ZeroShown: "0000-00-00 00:00:00"}, // a TIMESTAMP
		}}
	s := NewSharding(l.WithKeyTypes(map[string]shard.KeyColumn{"members2": kc}))
	for _, tt := range []struct {
		sql    string
		values []string // column=value checked
		shown  string   // the first check's value as a duplicate's error shows it
	}{
		// born left out: a TIMESTAMP's zero.
		{"INSERT IGNORE INTO members2 (id, email, nick, serial) VALUES (1, NULL, NULL, NULL)", []string{"email=''", "site+slug=0,_utf8mb4 X'78'", "born='0000-00-00 00:00:00'"}, ""},
		{"INSERT INTO members2 (id, email, site, slug, born) VALUES (1, 'a', NULL, NULL, '2026-01-01'), (2, 'b', 3, 'c', '2026-01-02')", []string{"email='a'", "email='b'", "site+slug=0,''", "site+slug=3,'c'", "born='2026-01-01'", "born='2026-01-02'"}, "a"},
		{"UPDATE members2 SET email = NULL WHERE id = 4", []string{"email=''"}, ""},
		{"UPDATE members2 SET site = NULL, slug = 'b' WHERE id = 4", []string{"site+slug=0,'b'"}, "0-b"},
		{"UPDATE members2 SET nick = NULL WHERE id = 4", nil, ""},
	} {
		p, err := plan(t, s, tt.sql)
		if err != nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		values := checkedValues(p.Unique)
		if !slices.Equal(values, tt.values) {
			t.Errorf("%s: checks %q, want %q", tt.sql, values, tt.values)
		}
		if len(p.Unique) > 0 && p.Unique[0].Entry() != tt.shown {
			t.Errorf("%s: the first check shows as %q, want %q", tt.sql, p.Unique[0].Entry(), tt.shown)
		}
	}
	// A TIMESTAMP NOT NULL given NULL holds the statement's clock, which
	// Strata does not know: refused, saying to give the value.
	for _, sql := range []string{
		"INSERT INTO members2 (id, email, born) VALUES (1, 'a', NULL)",
		"INSERT IGNORE INTO members2 (id, email, born) VALUES (1, 'a', '2026-01-01'), (2, 'b', NULL)",
		"UPDATE members2 SET born = NULL WHERE id = 4",
	} {
		if _, err := plan(t, s, sql); err == nil || !strings.Contains(err.Error(), "born is given NULL") {
			t.Errorf("%s: %v, want a refusal naming born", sql, err)
		}
	}
	p, err := plan(t, s, "LOAD DATA LOCAL INFILE 'm.csv' INTO TABLE members2 (id, email, nick, @s, slug, serial, born) SET site = @s")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range p.Load.Unique {
		got = append(got, fmt.Sprint(u.Columns, u.IfNull, u.IfShort))
	}
	want := []string{
		"[email] [{false '' }] [{false '' }]",
		"[nick] [{true  }] [{true  }]",                                    // its default is NULL
		"[site slug] [{false 0 0} {false '' }] [{false 0 0} {false '' }]", // @s without its field is NULL
		"[serial] [{true  }] [{true  }]",                                  // numbered by the shard
		"[born] [{false  }] [{false  }]",                                  // the clock: not known
	}
	if !slices.Equal(got, want) {
		t.Errorf("LOAD DATA stores for \\N and short rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// checkedValues shows each check as column=value ("site+slug=7,'a'").
func checkedValues(checks []UniqueCheck) []string {
	var out []string
	for _, c := range checks {
		out = append(out, strings.Join(c.Columns, "+")+"="+strings.Join(c.Values, ","))
	}
	return out
}

// loadKeys shows the columns, fields and defaults of a LOAD DATA's keys.
func loadKeys(keys []LoadUnique) string {
	var out []string
	for _, u := range keys {
		out = append(out, "{"+fmt.Sprint(u.Columns, u.Fields, u.Defaults, u.Shown)+"}")
	}
	return "[" + strings.Join(out, " ") + "]"
}

// A default is read as COLUMN_DEFAULT writes it: NULL and no default
// are not checked, a number stands as written, a text as hexadecimal,
// and an expression is refused.
func TestColumnDefault(t *testing.T) {
	text := func(s string) string { return "_utf8mb4 X'" + hex.EncodeToString([]byte(s)) + "'" }
	for _, tt := range []struct {
		def            string // "-": none
		null           bool
		literal, shown string
		refused        bool
	}{
		{"-", true, "", "", false},
		{"NULL", true, "", "", false},
		{"0", false, "0", "0", false},
		{"-1.50", false, "-1.50", "-1.50", false},
		{"''", false, text(""), "", false},
		{"'anon'", false, text("anon"), "anon", false},
		{"'it''s'", false, text("it's"), "it's", false},
		{`'a\\b\nc'`, false, text("a\\b\nc"), "a\\b\nc", false},
		{"'é'", false, text("é"), "é", false},
		{"uuid()", false, "", "", true},
		{"current_timestamp()", false, "", "", true},
		{"b'1'", false, "", "", true},
		{"'a'b'", false, "", "", true},
	} {
		tb := &shard.Table{Name: "m", UniqueDefaults: map[string]string{}}
		if tt.def != "-" {
			tb.UniqueDefaults["c"] = tt.def
		}
		got, err := columnDefault(tb, []string{"c"}, "c")
		if (err != nil) != tt.refused || got.Null != tt.null || got.Literal != tt.literal || got.Shown != tt.shown {
			t.Errorf("default %s: %+v, %v; want null %v, literal %q, shown %q, refused %v", tt.def, got, err, tt.null, tt.literal, tt.shown, tt.refused)
		}
	}
}

// plannedAsWanted checks that sql was refused with a RoutingError saying
// refused, or planned when refused is "", and reports whether it was
// planned.
func plannedAsWanted(t *testing.T, sql string, err error, refused string) bool {
	t.Helper()
	var rerr *RoutingError
	switch {
	case refused != "":
		if !errors.As(err, &rerr) || !strings.Contains(err.Error(), refused) {
			t.Errorf("%s: %v, want refused with %q", sql, err, refused)
		}
		return false
	case err != nil:
		t.Errorf("%s: %v", sql, err)
		return false
	}
	return true
}

// REPLACE and ON DUPLICATE KEY UPDATE have their values checked before
// the write too (UniqueFirst), each with the shards its rows go to; a
// plain INSERT, IGNORE and an UPDATE are checked after the write alone.
func TestShardPlanChecksReplaceAndUpsertFirst(t *testing.T) {
	l := layoutOf(t, strings.Replace(shardConfig,
		`likes:    {shard_key: entry_id, method: hash, shards: {s0: "-80", s1: "80-"}}`,
		`likes:    {shard_key: entry_id, method: hash, shards: {s0: "-80", s1: "80-"}}
  members2: {shard_key: id, method: modulo, shards: [s0, s1, s2], unique: [email]}`, 1))
	s := NewSharding(l.WithKeyTypes(map[string]shard.KeyColumn{"members2": {Type: shard.KeyTypeInteger, KeyIsPrimary: true}}))
	for _, tt := range []struct {
		sql    string
		first  bool
		shards string // each check's shards
	}{
		{"REPLACE INTO members2 (id, email) VALUES (1, 'a'), (2, 'a'), (4, 'b')", true, "[[s1 s2] [s1]]"},
		{"INSERT INTO members2 (id, email) VALUES (3, 'a') ON DUPLICATE KEY UPDATE n = n + 1", true, "[[s0]]"},
		{"INSERT INTO members2 (id, email) VALUES (1, 'a'), (2, 'b')", false, "[[s1] [s2]]"},
		{"INSERT IGNORE INTO members2 (id, email) VALUES (1, 'a')", false, "[[s1]]"},
		{"UPDATE members2 SET email = 'a' WHERE id = 1", false, "[[]]"},
	} {
		p, err := plan(t, s, tt.sql)
		if err != nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		var shards []string
		for _, c := range p.Unique {
			shards = append(shards, fmt.Sprint(c.Shards))
		}
		if got := "[" + strings.Join(shards, " ") + "]"; p.UniqueFirst != tt.first || got != tt.shards {
			t.Errorf("%s: checked first %v, shards %s; want %v, %s", tt.sql, p.UniqueFirst, got, tt.first, tt.shards)
		}
	}
	// An upsert of a table whose primary key is its shard key names the
	// rows' keys, bound ones too: a row its shard holds updates that row.
	for _, tt := range []struct {
		sql   string
		args  []string
		query string // KeysQuery of its check
	}{
		{"INSERT INTO members2 (id, email) VALUES (3, 'a'), (6, 'a') ON DUPLICATE KEY UPDATE n = n + 1", nil, "SELECT COUNT(*) FROM `members2` WHERE `id` IN (3, 6)"},
		{"INSERT INTO members2 (email, id) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = n + 1", []string{"'a'", "9"}, "SELECT COUNT(*) FROM `members2` WHERE `id` IN (9)"},
	} {
		p, err := plan(t, s, tt.sql, tt.args...)
		if err != nil || !p.UpsertsByKey || len(p.Unique) != 1 || KeysQuery(p.Unique[0], p.Unique[0].KeysOn(p.Unique[0].Shards[0])) != tt.query {
			t.Errorf("%s %v: %v, plan %+v; want it to upsert by key, its keys read by %s", tt.sql, tt.args, err, p, tt.query)
		}
	}
}
