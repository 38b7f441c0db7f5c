package planner

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// Strata reads the columns of the tables it merges (their collations,
// ENUM members) at start, every minute and after a schema change it ran.
// A merge that compares the text of a table not read yet — in the first
// moments after start, or a table created on the servers directly since
// the last read — would compare it by the connection's collation, not
// the column's: a _bin column's 'A' and 'a' grouped as one. So such a
// merge has the columns read first.

// onDemandGap is the least time between two reads a merge asks for: a
// table that cannot be read (its shards down) does not make every
// statement wait for another read.
const onDemandGap = time.Second

// onDemandWait bounds how long a statement waits for such a read.
const onDemandWait = 3 * time.Second

// columnsNow serializes the reads merges ask for.
type columnsNow struct {
	mu   sync.Mutex
	last time.Time
}

// MergeColumns is WithColumnCollations after reading the tables' columns
// now when cols (or the columns an expression of sources is made of)
// holds text of a sharded or reference table not read yet.
func (s *Sharding) MergeColumns(ctx context.Context, cols []engine.Column, sources []*sqlparse.TextSource) []engine.Column {
	if s.ReadColumns != nil && s.columnsUnread(cols, sources) {
		s.readColumnsNow(ctx)
	}
	return s.WithColumnCollations(cols, sources)
}

// readColumnsNow reads the columns, unless a read a merge asked for ran
// less than onDemandGap ago; statements that ask meanwhile wait for it.
func (s *Sharding) readColumnsNow(ctx context.Context) {
	s.now.mu.Lock()
	defer s.now.mu.Unlock()
	if time.Since(s.now.last) < onDemandGap {
		return
	}
	c, cancel := context.WithTimeout(ctx, onDemandWait)
	defer cancel()
	_ = s.ReadColumns(c) // a failure leaves the columns as they were: the periodic read logs it
	s.now.last = time.Now()
}

// columnsUnread reports whether a text column of cols, or a column an
// expression of sources is made of, belongs to a sharded or reference
// table whose columns were not read.
func (s *Sharding) columnsUnread(cols []engine.Column, sources []*sqlparse.TextSource) bool {
	cc := s.collations.Load()
	unread := func(table string) bool { return s.unread(cc, table) }
	for i, c := range cols {
		if c.Charset == engine.CharsetBinary {
			continue // numbers, times and bytes compare alike in any collation
		}
		if i < len(sources) && sources[i] != nil {
			for _, ref := range sources[i].Columns {
				for _, t := range ref.Tables {
					if unread(t) {
						return true
					}
				}
			}
			continue
		}
		if c.OrgTable != "" && c.OrgName != "" && (cc == nil || strings.EqualFold(c.Schema, cc.schema)) && unread(c.OrgTable) {
			return true
		}
	}
	return false
}

// unread reports whether table is a sharded or reference table whose
// columns cc does not hold.
func (s *Sharding) unread(cc *columnCollations, table string) bool {
	if !s.merged(table) {
		return false
	}
	if cc == nil {
		return true
	}
	_, read := s.readAs(cc, table, func(name string) bool { return cc.names[name] != nil })
	return !read
}

// ReadColumnsOf has the columns read now when table is a sharded or
// reference table whose columns were not read, or were read without one
// of names (a column added on the servers since: a statement that reads
// the table's rows first reads the columns it names, and must not lack
// one), as MergeColumns does. A statement that reads its rows first also
// orders them by its primary key, the order one server reads them in.
func (s *Sharding) ReadColumnsOf(ctx context.Context, table string, names ...string) {
	if s.ReadColumns == nil {
		return
	}
	if s.unread(s.collations.Load(), table) {
		s.readColumnsNow(ctx)
		return
	}
	if !s.merged(table) {
		return
	}
	known := s.TableColumns(table)
	for _, n := range names {
		if !known[strings.ToLower(n)] {
			s.readColumnsNow(ctx)
			return
		}
	}
}

// merged reports whether table (as a server names it: a date table's
// period table too) is one whose rows Strata merges: sharded or
// reference.
func (s *Sharding) merged(table string) bool {
	table = strings.ToLower(table)
	l := s.Layout()
	if t := l.Table(table); t != nil {
		return t.Placement == shard.PlaceSharded || t.Placement == shard.PlaceReference
	}
	for _, t := range l.Tables() {
		if t.Placement == shard.PlaceSharded && t.Method.Name() == shard.MethodDate && strings.HasPrefix(table, t.Name+"_") {
			return true
		}
	}
	return false
}
