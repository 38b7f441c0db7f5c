package shardops

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// SchemaReport is one copy of a sharded or reference table (a shard's
// table, a date table's base or period table, a reference table's copy on
// one cluster) against the definition most of the table's copies have.
// Strata merges the shards' rows by position and sends every shard the
// same statement, so copies that differ answer differently: a column one
// shard lacks fails there, a column order that differs swaps values in
// SELECT *.
type SchemaReport struct {
	Table    string `json:"table"`
	Shard    string `json:"shard"`
	Physical string `json:"physical"`
	// Missing is set when the copy is not there. A date table's period
	// table not created yet is NotCreated instead: strata shards
	// precreate makes it, LIKE the base table.
	Missing    bool `json:"missing,omitempty"`
	NotCreated bool `json:"not_created,omitempty"`
	// Lacks are the lines of the common definition (columns, indexes,
	// constraints, table options, as SHOW CREATE TABLE writes them, and
	// triggers) this copy does not have; Extra the lines it has besides
	// them. A column defined otherwise is in both.
	Lacks []string `json:"lacks,omitempty"`
	Extra []string `json:"extra,omitempty"`
	// Reordered is set when the copy has the same lines in another order.
	Reordered bool `json:"reordered,omitempty"`
	// KeyTriggers are the copy's triggers that assign NEW.<shard key>
	// (made on the shard directly: Strata refuses to create them). Strata
	// placed each row by the key its statement gave, so such a trigger
	// stores rows where reads of their new key never look: drop it.
	KeyTriggers []string `json:"key_triggers,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// Differs reports whether the copy is missing or defined otherwise than
// the table's common definition, or has a trigger that rewrites its
// shard key.
func (r SchemaReport) Differs() bool {
	return r.Missing || r.Reordered || len(r.Lacks) > 0 || len(r.Extra) > 0 || len(r.KeyTriggers) > 0
}

// CompareSchemas reads SHOW CREATE TABLE of every copy of every sharded
// and reference table of layout (only table, when not empty) and reports
// where a copy differs from the definition most copies have. Run it after
// a schema change that failed part-way (Strata runs DDL shard by shard,
// and a shard that refused it keeps its old definition), or after
// changing a shard by hand. A copy that cannot be read has Error set; the
// others are still reported.
func CompareSchemas(ctx context.Context, layout *shard.Layout, open Opener, schema, table string) []SchemaReport {
	out := []SchemaReport{}
	for _, t := range layout.Tables() {
		if table != "" && !strings.EqualFold(t.Name, table) {
			continue
		}
		var copies []schemaCopy
		switch t.Placement {
		case shard.PlaceSharded:
			copies = shardedCopies(t)
		case shard.PlaceReference:
			for _, cluster := range layout.ShardClusters() {
				copies = append(copies, schemaCopy{SchemaReport: SchemaReport{Table: t.Name, Shard: cluster, Physical: t.Name}})
			}
		default:
			continue // one copy: nothing to compare it with
		}
		for i := range copies {
			readDefinition(ctx, open, schema, &copies[i])
		}
		out = append(out, compareCopyDefinitions(copies)...)
	}
	return out
}

// schemaCopy is one copy's report and its definition as read.
type schemaCopy struct {
	SchemaReport
	// period marks a date table's period table, which may not exist yet.
	period bool
	// key is a sharded table's shard key, lower-case ("" for a reference
	// table's copy).
	key   string
	lines []string
}

// shardedCopies lists a sharded table's copies: its table on every
// shard, and for a date table the base table on every shard (the template
// of the period tables) and every period table from since: to the ones
// ahead.
func shardedCopies(t *shard.Table) []schemaCopy {
	var out []schemaCopy
	key := strings.ToLower(t.Method.Key())
	for _, s := range t.Method.Shards() {
		out = append(out, schemaCopy{SchemaReport: SchemaReport{Table: t.Name, Shard: s, Physical: t.Name}, key: key})
	}
	if d, ok := t.Method.(*shard.Date); ok {
		for _, p := range d.DateTables(shard.Bound{}, shard.Bound{}) {
			out = append(out, schemaCopy{SchemaReport: SchemaReport{Table: t.Name, Shard: p.Shard, Physical: p.Table}, period: true, key: key})
		}
	}
	return out
}

// readDefinition fills c.lines with the copy's normalized definition, or
// marks it missing or failed.
func readDefinition(ctx context.Context, open Opener, schema string, c *schemaCopy) {
	db, err := open(c.Shard)
	if err != nil {
		c.Error = err.Error()
		return
	}
	var name, create string
	err = db.QueryRowContext(ctx, "SHOW CREATE TABLE "+qualified(schema, c.Physical)).Scan(&name, &create)
	var merr *mysql.MySQLError
	switch {
	case errors.As(err, &merr) && merr.Number == 1146: // ER_NO_SUCH_TABLE
		c.Missing, c.NotCreated = !c.period, c.period
	case err != nil:
		c.Error = fmt.Sprintf("reading the definition of %s: %v", qualified(schema, c.Physical), err)
	default:
		c.lines = definitionLines(create)
		triggers, keyTriggers, err := triggerLines(ctx, db, schema, c.Physical, c.key)
		c.KeyTriggers = keyTriggers
		if err != nil {
			c.Error = fmt.Sprintf("reading the triggers of %s: %v", qualified(schema, c.Physical), err)
		}
		c.lines = append(c.lines, triggers...)
	}
}

// triggerLines are a table copy's triggers, one line each (TRIGGER
// `name` BEFORE INSERT: its body), in firing order: a trigger one shard
// lacks changes the rows written there.
// keyTriggers are the names of the BEFORE triggers whose body assigns
// NEW.key (key "": none are looked for).
func triggerLines(ctx context.Context, db *sql.DB, schema, table, key string) (lines, keyTriggers []string, err error) {
	rows, err := db.QueryContext(ctx, "SELECT TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT FROM information_schema.TRIGGERS "+
		"WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ? ORDER BY ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER", schema, table)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, timing, event, body string
		if err := rows.Scan(&name, &timing, &event, &body); err != nil {
			return nil, nil, err
		}
		lines = append(lines, fmt.Sprintf("TRIGGER %s %s %s: %s", quoteIdent(name), timing, event, body))
		if key != "" && strings.EqualFold(timing, "BEFORE") && (sqlparse.Mode{}).AssignsNewColumn(body, key) {
			keyTriggers = append(keyTriggers, fmt.Sprintf("%s (%s %s sets NEW.%s)", name, timing, event, key))
		}
	}
	return lines, keyTriggers, rows.Err()
}

// autoIncrementOption is the table option holding the next id, which
// differs between copies by the rows each holds.
var autoIncrementOption = regexp.MustCompile(` AUTO_INCREMENT=\d+`)

// definitionLines splits SHOW CREATE TABLE's text into the lines copies
// must share: the table's own name (a period table's differs) and its
// next AUTO_INCREMENT value are left out, and so is the comma that ends
// every line but the last column or index.
func definitionLines(create string) []string {
	lines := strings.Split(create, "\n")
	out := make([]string, 0, len(lines))
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if i == 0 {
			if open := strings.LastIndexByte(l, '('); open >= 0 {
				l = "CREATE TABLE " + l[open:]
			}
		}
		l = autoIncrementOption.ReplaceAllString(l, "")
		out = append(out, strings.TrimSuffix(l, ","))
	}
	return out
}

// compareCopyDefinitions compares every read copy with the definition
// most copies have (on a tie, the one read first).
func compareCopyDefinitions(copies []schemaCopy) []SchemaReport {
	common := commonDefinition(copies)
	out := make([]SchemaReport, 0, len(copies))
	for _, c := range copies {
		if c.lines != nil && !slices.Equal(c.lines, common) {
			c.Lacks = missingLines(common, c.lines)
			c.Extra = missingLines(c.lines, common)
			c.Reordered = len(c.Lacks) == 0 && len(c.Extra) == 0
		}
		out = append(out, c.SchemaReport)
	}
	return out
}

func commonDefinition(copies []schemaCopy) []string {
	var common []string
	best := 0
	for i, c := range copies {
		if c.lines == nil {
			continue
		}
		n := 0
		for _, o := range copies[i:] {
			if slices.Equal(o.lines, c.lines) {
				n++
			}
		}
		if n > best {
			common, best = c.lines, n
		}
	}
	return common
}

// missingLines lists the lines of want that have does not hold, counting
// repeats.
func missingLines(want, have []string) []string {
	left := map[string]int{}
	for _, l := range have {
		left[l]++
	}
	var out []string
	for _, l := range want {
		if left[l] > 0 {
			left[l]--
			continue
		}
		out = append(out, l)
	}
	return out
}
