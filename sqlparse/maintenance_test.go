package sqlparse

import (
	"reflect"
	"testing"
)

func TestParseMaintenance(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		want *Maintenance
	}{
		{"ANALYZE TABLE events", &Maintenance{Op: "ANALYZE", Tables: []TableRef{{Name: "events"}}, Written: []TableRef{{Name: "events"}}}},
		{"analyze no_write_to_binlog table blog.Events, `post``s` PERSISTENT FOR ALL;", &Maintenance{Op: "ANALYZE", Prefix: "NO_WRITE_TO_BINLOG",
			Tables: []TableRef{{Schema: "blog", Name: "events"}, {Name: "post`s"}}, Written: []TableRef{{Schema: "blog", Name: "Events"}, {Name: "post`s"}}, Options: "PERSISTENT FOR ALL"}},
		{"OPTIMIZE LOCAL TABLE `Blog` . `events`", &Maintenance{Op: "OPTIMIZE", Prefix: "LOCAL", Tables: []TableRef{{Schema: "blog", Name: "events"}}, Written: []TableRef{{Schema: "Blog", Name: "events"}}}},
		{"CHECK TABLE comments, users QUICK EXTENDED", &Maintenance{Op: "CHECK", Tables: []TableRef{{Name: "comments"}, {Name: "users"}}, Written: []TableRef{{Name: "comments"}, {Name: "users"}}, Options: "QUICK EXTENDED"}},
		{"/* c */ REPAIR TABLES events USE_FRM", &Maintenance{Op: "REPAIR", Tables: []TableRef{{Name: "events"}}, Written: []TableRef{{Name: "events"}}, Options: "USE_FRM"}},
		{"ANALYZE SELECT * FROM events", nil},
		{"CHECK VIEW v", nil},
		{"checksum tables events, Blog.Posts extended", &Maintenance{Op: "CHECKSUM", Tables: []TableRef{{Name: "events"}, {Schema: "blog", Name: "posts"}}, Written: []TableRef{{Name: "events"}, {Schema: "Blog", Name: "Posts"}}, Options: "extended"}},
		{"CHECKSUM LOCAL TABLE events", nil},
		{"CHECK TABLE", nil},
		{"CHECK TABLE events,", nil},
		{"SELECT 1", nil},
	} {
		got, ok := Mode{}.ParseMaintenance(tc.sql)
		if ok != (tc.want != nil) || tc.want != nil && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseMaintenance(%q) = %+v, %v; want %+v", tc.sql, got, ok, tc.want)
		}
	}
	m, _ := Mode{}.ParseMaintenance("OPTIMIZE NO_WRITE_TO_BINLOG TABLE events, posts")
	if got, want := m.For("blog", "posts_2025_01"), "OPTIMIZE NO_WRITE_TO_BINLOG TABLE `blog`.`posts_2025_01`"; got != want {
		t.Errorf("For = %q, want %q", got, want)
	}
}

func TestParseDropTrigger(t *testing.T) {
	for _, tc := range []struct {
		sql            string
		schema, name   string
		ifExists, want bool
	}{
		{"DROP TRIGGER trg", "", "trg", false, true},
		{"drop trigger if exists Blog.`Trg`;", "blog", "trg", true, true},
		{"DROP TRIGGER", "", "", false, false},
		{"DROP TRIGGER a b", "", "", false, false},
		{"DROP TABLE trg", "", "", false, false},
	} {
		schema, name, ifExists, ok := Mode{}.ParseDropTrigger(tc.sql)
		if ok != tc.want || ok && (schema != tc.schema || name != tc.name || ifExists != tc.ifExists) {
			t.Errorf("ParseDropTrigger(%q) = %q %q %v %v", tc.sql, schema, name, ifExists, ok)
		}
	}
}

func TestParseShowCreateTrigger(t *testing.T) {
	for _, tc := range []struct {
		sql, schema, name string
		want              bool
	}{
		{"SHOW CREATE TRIGGER trg", "", "trg", true},
		{"show create trigger `Blog`.`T``g`;", "blog", "t`g", true},
		{"SHOW CREATE TRIGGER", "", "", false},
		{"SHOW CREATE TABLE trg", "", "", false},
		{"SHOW CREATE TRIGGER a b", "", "", false},
	} {
		schema, name, ok := Mode{}.ParseShowCreateTrigger(tc.sql)
		if ok != tc.want || ok && (schema != tc.schema || name != tc.name) {
			t.Errorf("ParseShowCreateTrigger(%q) = %q %q %v", tc.sql, schema, name, ok)
		}
	}
}

func TestTriggerTable(t *testing.T) {
	for sql, want := range map[string]string{
		"CREATE TRIGGER t1 BEFORE INSERT ON entries FOR EACH ROW SET NEW.a = 1":                           "entries",
		"CREATE DEFINER=`app`@`%` TRIGGER `t1` AFTER update ON `blog`.`Entries` FOR EACH ROW SET @x = 1":  "blog.entries",
		"create or replace trigger t1 after delete on comments for each row insert into audit values (1)": "comments",
		"CREATE TRIGGER t1 BEFORE INSERT": "",
		"CREATE TABLE t (a INT)":          "",
	} {
		schema, table, ok := Mode{}.TriggerTable(sql)
		got := table
		if schema != "" {
			got = schema + "." + table
		}
		if !ok {
			got = ""
		}
		if got != want {
			t.Errorf("TriggerTable(%q) = %q, want %q", sql, got, want)
		}
	}
}

func TestAssignsNewColumn(t *testing.T) {
	for _, c := range []struct {
		body string
		want bool
	}{
		{"CREATE TRIGGER t1 BEFORE INSERT ON entries FOR EACH ROW SET NEW.id = NEW.id + 1", true},
		{"CREATE TRIGGER t1 BEFORE INSERT ON entries FOR EACH ROW SET new.`ID` := 5", true},
		{"CREATE TRIGGER t1 BEFORE INSERT ON entries FOR EACH ROW SET @x = 1, NEW.id = COALESCE(NEW.id, 7)", true},
		{"CREATE TRIGGER t1 BEFORE UPDATE ON entries FOR EACH ROW BEGIN IF NEW.n > 5 THEN SET NEW.id = 100; END IF; END", true},
		{"CREATE TRIGGER t1 BEFORE INSERT ON entries FOR EACH ROW SELECT MAX(id) + 1 INTO NEW.id FROM seq", true},
		{"CREATE TRIGGER t1 BEFORE INSERT ON entries FOR EACH ROW SELECT 1, 2 INTO @a, NEW.id", true},
		{"BEGIN IF NEW.id IS NULL THEN SET NEW.id = UUID(); END IF; END", true},
		// Reading the key, or assigning other columns, is fine.
		{"CREATE TRIGGER t1 BEFORE INSERT ON entries FOR EACH ROW SET NEW.n = NEW.id", false},
		{"CREATE TRIGGER t1 BEFORE INSERT ON entries FOR EACH ROW SET NEW.n = IF(NEW.id = 5, 1, 0), NEW.m = NEW.id", false},
		{"CREATE TRIGGER t1 BEFORE UPDATE ON entries FOR EACH ROW BEGIN IF NEW.id = 5 THEN SET NEW.n = 1; END IF; END", false},
		{"CREATE TRIGGER t1 AFTER INSERT ON entries FOR EACH ROW INSERT INTO audit SET id = NEW.id", false},
		{"CREATE TRIGGER t1 AFTER INSERT ON entries FOR EACH ROW UPDATE totals SET id = NEW.id WHERE k = 1", false},
		{"CREATE TRIGGER t1 BEFORE INSERT ON entries FOR EACH ROW SET NEW.idx = 1, NEW.n = 'NEW.id = 1'", false},
		{"CREATE TRIGGER t1 AFTER INSERT ON entries FOR EACH ROW INSERT INTO audit SELECT 1, NEW.id", false},
		{"CREATE TRIGGER t1 AFTER INSERT ON entries FOR EACH ROW INSERT INTO blog.audit VALUES (1, NEW.id), (2, NEW.id)", false},
	} {
		if got := (Mode{}).AssignsNewColumn(c.body, "id"); got != c.want {
			t.Errorf("AssignsNewColumn(%q, id) = %v, want %v", c.body, got, c.want)
		}
	}
}
