package sqlparse

import (
	"reflect"
	"testing"
)

func TestSessionVars(t *testing.T) {
	cases := []struct {
		sql  string
		want []SessionVar
	}{
		{"SET time_zone = '+00:00'", []SessionVar{
			{Name: "time_zone", Value: "+00:00", SQL: "SET SESSION time_zone = '+00:00'"}}},
		{"SET time_zone='+00:00', sql_mode='STRICT_TRANS_TABLES,NO_ZERO_DATE'", []SessionVar{
			{Name: "time_zone", Value: "+00:00", SQL: "SET SESSION time_zone = '+00:00'"},
			{Name: "sql_mode", Value: "STRICT_TRANS_TABLES,NO_ZERO_DATE", SQL: "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_DATE'"}}},
		{"SET SESSION sql_mode = 'ANSI'", []SessionVar{
			{Name: "sql_mode", Value: "ANSI", SQL: "SET SESSION sql_mode = 'ANSI'"}}},
		{"SET @@session.Max_Execution_Time = 100", []SessionVar{
			{Name: "max_execution_time", Value: "100", SQL: "SET SESSION max_execution_time = 100"}}},
		{"SET @@local.wait_timeout = 60", []SessionVar{
			{Name: "wait_timeout", Value: "60", SQL: "SET SESSION wait_timeout = 60"}}},
		{"SET long_query_time = 0.5, sql_select_limit = -1", []SessionVar{
			{Name: "long_query_time", Value: "0.5", SQL: "SET SESSION long_query_time = 0.5"},
			{Name: "sql_select_limit", Value: "-1", SQL: "SET SESSION sql_select_limit = -1"}}},
		{"SET sql_mode = DEFAULT", []SessionVar{
			{Name: "sql_mode", Value: "DEFAULT", SQL: "SET SESSION sql_mode = DEFAULT"}}},
		{"SET character_set_client = utf8mb4", []SessionVar{ // a bare word becomes a string
			{Name: "character_set_client", Value: "utf8mb4", SQL: "SET SESSION character_set_client = 'utf8mb4'"}}},
		{`SET lc_time_names = 'it''s\\'`, []SessionVar{
			{Name: "lc_time_names", Value: `it's\`, SQL: `SET SESSION lc_time_names = 'it''s\\'`}}},
		{"SET sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')", []SessionVar{
			{Name: "sql_mode", Value: "CONCAT(@@`sql_mode`, ',ANSI_QUOTES')", Dynamic: true,
				SQL: "SET SESSION sql_mode = CONCAT(@@`sql_mode`, ',ANSI_QUOTES')"}}},
		{"SET time_zone = @tz", []SessionVar{
			{Name: "time_zone", Value: "@`tz`", Dynamic: true, SQL: "SET SESSION time_zone = @`tz`"}}},
		{"SET GLOBAL max_connections = 500", []SessionVar{
			{Name: "max_connections", Value: "500", Global: true, SQL: "SET GLOBAL max_connections = 500"}}},
		{"SET @@global.autocommit = 1", []SessionVar{ // global autocommit is not the session's
			{Name: "autocommit", Value: "1", Global: true, SQL: "SET GLOBAL autocommit = 1"}}},
		{"SET NAMES utf8mb4", []SessionVar{
			{Name: "names", Value: "utf8mb4", SQL: "SET NAMES utf8mb4"}}},
		{"SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci", []SessionVar{
			{Name: "names", Value: "utf8mb4 COLLATE utf8mb4_unicode_ci", SQL: "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci"}}},
		{"SET NAMES 'UTF8MB4' COLLATE 'utf8mb4_bin'", []SessionVar{
			{Name: "names", Value: "utf8mb4 COLLATE utf8mb4_bin", SQL: "SET NAMES utf8mb4 COLLATE utf8mb4_bin"}}},
		{"SET NAMES DEFAULT", []SessionVar{{Name: "names", Value: "DEFAULT", SQL: "SET NAMES DEFAULT"}}},
		{"SET CHARACTER SET latin1", []SessionVar{
			{Name: "character set", Value: "latin1", SQL: "SET CHARACTER SET latin1"}}},
		{"SET CHARSET utf8mb4", []SessionVar{
			{Name: "character set", Value: "utf8mb4", SQL: "SET CHARACTER SET utf8mb4"}}},
		{"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", []SessionVar{
			{Name: "transaction_isolation", Value: "READ-COMMITTED", SQL: "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"}}},
		{"SET SESSION TRANSACTION READ ONLY", []SessionVar{
			{Name: "transaction_read_only", Value: "ON", SQL: "SET SESSION TRANSACTION READ ONLY"}}},
		{"SET @@tx_isolation = 'SERIALIZABLE'", []SessionVar{
			{Name: "transaction_isolation", Value: "SERIALIZABLE", SQL: "SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE"}}},
		{"SET transaction_read_only = OFF", []SessionVar{
			{Name: "transaction_read_only", Value: "OFF", SQL: "SET SESSION TRANSACTION READ WRITE"}}},
		{"SET GLOBAL TRANSACTION ISOLATION LEVEL REPEATABLE READ", []SessionVar{
			{Name: "transaction_isolation", Value: "REPEATABLE-READ", Global: true, SQL: "SET GLOBAL TRANSACTION ISOLATION LEVEL REPEATABLE READ"}}},
		{"SET TRANSACTION ISOLATION LEVEL READ COMMITTED", nil}, // next transaction only
		{"SET ROLE ALL", []SessionVar{{Name: "role", Value: "ALL", SQL: "SET ROLE ALL"}}},
		{"SET @x = 1, autocommit = 1", []SessionVar{{Name: "autocommit", Value: "1", SQL: "SET SESSION autocommit = 1"}}}, // follows the session like any other
	}
	for _, c := range cases {
		f, err := Classify(c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if !reflect.DeepEqual(f.SessionVars, c.want) {
			t.Errorf("%s\n got: %+v\nwant: %+v", c.sql, f.SessionVars, c.want)
		}
		for _, v := range f.SessionVars {
			if _, err := Classify(v.SQL); err != nil { // the replay statement must itself parse
				t.Errorf("%s: replay %q does not parse: %v", c.sql, v.SQL, err)
			}
		}
	}
}

func TestSetFlags(t *testing.T) {
	cases := []struct {
		sql  string
		want Facts
	}{
		{"SET @x = 1, @@session.time_zone = 'UTC', autocommit = 1", Facts{Kind: KindSet, SetsUserVars: true,
			Autocommit: boolp(true), SessionVars: []SessionVar{{Name: "time_zone", Value: "UTC", SQL: "SET SESSION time_zone = 'UTC'"},
				{Name: "autocommit", Value: "1", SQL: "SET SESSION autocommit = 1"}}}},
		{"SET TRANSACTION READ ONLY", Facts{Kind: KindSet, NextTxSettings: true}},
		// SHOW PROFILES lists one connection's statements: profiling on
		// holds the session there, and turning it off does not end that.
		{"SET profiling = 1", Facts{Kind: KindSet, Hold: "profiling", SessionVars: []SessionVar{{Name: "profiling", Value: "1", SQL: "SET SESSION profiling = 1"}}}},
		{"SET @@profiling = ON", Facts{Kind: KindSet, Hold: "profiling", SessionVars: []SessionVar{{Name: "profiling", Value: "ON", SQL: "SET SESSION profiling = 'ON'"}}}},
		{"SET profiling = @p", Facts{Kind: KindSet, Hold: "profiling", ReadsUserVars: true, SessionVars: []SessionVar{{Name: "profiling", Value: "@`p`", SQL: "SET SESSION profiling = @`p`", Dynamic: true}}}},
		{"SET profiling = 0", Facts{Kind: KindSet, SessionVars: []SessionVar{{Name: "profiling", Value: "0", SQL: "SET SESSION profiling = 0"}}}},
		{"SET profiling = DEFAULT", Facts{Kind: KindSet, SessionVars: []SessionVar{{Name: "profiling", Value: "DEFAULT", SQL: "SET SESSION profiling = DEFAULT"}}}},
		{"SET GLOBAL profiling = 1", Facts{Kind: KindSet, SessionVars: []SessionVar{{Name: "profiling", Value: "1", SQL: "SET GLOBAL profiling = 1", Global: true}}}},
		{"SET autocommit = 1, autocommit = 0", Facts{Kind: KindSet, Autocommit: boolp(false), SessionVars: []SessionVar{
			{Name: "autocommit", Value: "1", SQL: "SET SESSION autocommit = 1"}, {Name: "autocommit", Value: "0", SQL: "SET SESSION autocommit = 0"}}}},
	}
	for _, c := range cases {
		f, err := Classify(c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		checkFacts(t, c.sql, f, c.want)
	}
}

func TestModeChangesParsing(t *testing.T) {
	ansi := NewMode("ansi,STRICT_TRANS_TABLES,SOME_MARIADB_ONLY_MODE")
	f, err := ansi.Classify(`SELECT "col" FROM "Tbl"`)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Tables, tables("tbl")) {
		t.Errorf("ANSI_QUOTES: tables %v", f.Tables)
	}
	if _, err := Classify(`SELECT "col" FROM "Tbl"`); err == nil {
		t.Error(`default mode accepted a "quoted" table name`)
	}

	nbe := NewMode("NO_BACKSLASH_ESCAPES")
	f, err = nbe.Classify(`SET lc_time_names = 'a\b'`)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.SessionVars[0].SQL; got != `SET SESSION lc_time_names = 'a\b'` {
		t.Errorf("NO_BACKSLASH_ESCAPES replay: %s", got)
	}
}
