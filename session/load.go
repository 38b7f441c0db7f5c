package session

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/strata-proxy/strata/engine"
	"io"
	"slices"
	"strconv"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/infile"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// errLocalInfileDisabled is MariaDB's answer to LOAD DATA LOCAL from a
// client that did not offer local files.
func errLocalInfileDisabled() *wire.Error {
	e := *backend.ErrLocalInfileDisabled
	return &e
}

// loadsLocalWithout reports whether one of stmts is a LOAD DATA LOCAL
// the client cannot answer: it did not offer CLIENT_LOCAL_FILES. Such a
// client answers the server's request for the file with an empty one,
// and the server would report the load done, nothing loaded, where it
// refuses the statement to the client directly.
func (s *Session) loadsLocalWithout(stmts []*sqlparse.Facts) bool {
	if s.caps&wire.ClientLocalFiles != 0 {
		return false
	}
	for _, f := range stmts {
		if f.Kind == sqlparse.KindLoadData && f.Load != nil && f.Load.Local {
			return true
		}
	}
	return false
}

// loadChunk is how many bytes of rows Strata gathers for one shard before
// it sends them as a packet: few packets, bounded memory per shard.
const loadChunk = 64 << 10

// execLoad runs LOAD DATA LOCAL INFILE into a sharded or reference table:
// every shard's primary starts the same statement, Strata asks the client
// for the file, cuts it into rows as the server would (package infile) and
// sends each row unchanged to the shard its key names, or to every shard
// cluster for a reference table. The shards load in transactions of their
// own, committed together (with transactions.mode twopc, as one
// transaction across them): a row Strata cannot route, or a shard that
// fails, leaves every shard as it was, and the error says which row.
func (s *Session) execLoad(ctx context.Context, f *sqlparse.Facts, plan *planner.ShardPlan) error {
	name := plan.Load.Table.Name
	switch {
	case s.caps&wire.ClientLocalFiles == 0:
		return s.refuse(errLocalInfileDisabled())
	case s.inTx || !s.autocommit:
		return s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: LOAD DATA into %s runs outside a transaction: Strata loads each shard in a transaction of its own and commits them together; COMMIT first (or SET autocommit=1)", name))
	case s.timeZone != "" && zonedDateKey(plan.Load.Table):
		return s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: LOAD DATA into %s, a date table placed by %s, a TIMESTAMP, which this session reads in its time_zone %s: Strata places a file's rows by the servers' time_zone; SET time_zone = DEFAULT and give the file's times in it", name, plan.Load.Table.Method.Key(), s.timeZone))
	case s.multibyte != nil && plan.Load.Spec.Charset == "":
		return s.refuse(wire.NewError(wire.ErNotSupportedYet, "Strata: LOAD DATA into %s over a %s connection: Strata cannot cut such a file into rows safely; add CHARACTER SET utf8mb4 (or latin1, binary) to the statement if the file is in it", name, s.multibyte.Name()))
	}
	if plan.Load.ClockKey != "" {
		var err error
		if plan, err = s.clockKeyLoad(ctx, plan); err != nil {
			return err
		}
	}
	var checks uniqueLog
	defer checks.close()
	work := s.loadWork(f, plan, &checks)
	if u := plan.Load.Unique; len(u) > 0 {
		if err := s.uniqueIsolation(u[0].Columns); err != nil {
			return s.refuse(err)
		}
		work = uniqueChecked(plan, work, func() uniqueBatches { return checks.batches(plan.Load) })
	}
	return s.writeShards(ctx, f, plan, work)
}

// zonedDateKey reports whether t is a date table keyed by a TIMESTAMP,
// whose literals name another moment in each time_zone.
func zonedDateKey(t *shard.Table) bool {
	return t != nil && t.Placement == shard.PlaceSharded && t.KeyLimit.Instant && t.Method.Name() == shard.MethodDate
}

// loadWork is the shardWork of a LOAD DATA: start the statement on every
// connection, relay the client's file split by row, end the statements.
// Every route loads at the first route's time where one server would
// give the rows one time (writeClock): each shard's own NOW() would
// differ by a moment, in a column's DEFAULT CURRENT_TIMESTAMP too. The
// values the file gives unique: keys go to checks.
func (s *Session) loadWork(f *sqlparse.Facts, plan *planner.ShardPlan, checks *uniqueLog) shardWork {
	lp, table, sameClock := plan.Load, f.WriteTables[0], s.writeClock(f, plan)
	return func(ctx context.Context, conns []*shardConn) (writeResult, *shardConn, error) {
		split, err := s.newSplit(ctx, lp, table, conns[0].conn)
		if err != nil {
			return writeResult{}, conns[0], err
		}
		split.checks = checks
		if sc, err := setReadTimeout(conns, loadReadTimeout); err != nil {
			return writeResult{}, sc, err
		}
		defer setReadTimeout(conns, "DEFAULT")
		clock, err := firstRouteClock(conns, sameClock)
		if err != nil {
			return writeResult{}, conns[0], err
		}
		like := copyLikeFirst{clock: clock}
		now, later := conns, []*shardConn(nil)
		if plan.Copies && split.autoIncrement && len(conns) > 1 {
			// Each copy's AUTO_INCREMENT counter is its own: the copies
			// after the first load the file once the first has
			// numbered its rows, from its first id, as statement-based
			// replication has a replica load it.
			now, later = conns[:1], conns[1:]
			split.spool = infile.NewSpool(loadSpoolMemory)
			defer split.spool.Close()
			if err := s.clearInsertID(conns[0].conn); err != nil {
				return writeResult{}, conns[0], err
			}
		}
		results, sc, err := s.loadFile(ctx, lp, split, now, like)
		if err != nil {
			return writeResult{}, sc, err
		}
		if later != nil {
			more, sc, err := s.loadCopiesLater(ctx, split.spool, conns[0], later, like)
			if err != nil {
				return writeResult{}, sc, err
			}
			results = append(results, more...)
			for range later {
				split.rows = append(split.rows, split.rows[0])
			}
		}
		for i, sc := range conns {
			s.env.Metrics.LoadRows(sc.route.Cluster, split.rows[i])
		}
		return loadResult(plan, results), nil, nil
	}
}

// loadFile starts the statement on conns, relays the client's file to
// them split by row, and ends the statements; on failure it returns the
// connection that failed (nil: none did, a row Strata could not route).
func (s *Session) loadFile(ctx context.Context, lp *planner.LoadPlan, split *split, conns []*shardConn, like copyLikeFirst) ([]backend.QueryResult, *shardConn, error) {
	started, sc, err := startLoads(ctx, conns, like)
	if err != nil {
		return nil, sc, err
	}
	split.out, split.rows = make([][]byte, len(conns)), make([]int, len(conns))
	if split.key != "" {
		// Each shard gets some of the rows: its messages' row numbers
		// are made the file's (clientRow).
		split.sent = make([]*sentRows, len(conns))
		for i, sc := range conns {
			sc.sent = &sentRows{}
			split.sent[i] = sc.sent
		}
	}
	if err := s.relayFile(ctx, lp, split, started.loads, conns); err != nil {
		started.end()
		sc, err := failedOn(err)
		return nil, sc, err
	}
	return started.finish(conns)
}

// loadResult is what the client is told of a load: the shards' counts
// added up, a reference table's from one copy (each loaded the same rows).
func loadResult(plan *planner.ShardPlan, results []backend.QueryResult) writeResult {
	var w writeResult
	for i, res := range results {
		if plan.Copies && i > 0 {
			break
		}
		w.add(res)
	}
	return w
}

// loadSpoolMemory is how much of a file for a reference table's later
// copies Strata keeps in memory; the rest waits in a temporary file.
const loadSpoolMemory = 4 << 20

// startedLoads are the LOAD DATA statements of a load's connections,
// each waiting for the file.
type startedLoads struct {
	loads []*backend.Load
	// setAround: the connection's statement was already a SET
	// STATEMENT (the client's), so copyLikeFirst's variables were set
	// before it and are unset after it.
	setAround []bool
	like      copyLikeFirst
}

// startLoads starts each connection's statement as like has it run.
func startLoads(ctx context.Context, conns []*shardConn, like copyLikeFirst) (*startedLoads, *shardConn, error) {
	st := &startedLoads{like: like}
	for _, sc := range conns {
		sql, inside := like.statement(sc.route.SQL)
		if !inside {
			if err := like.set(sc.conn); err != nil {
				st.end()
				return nil, sc, err
			}
		}
		l, err := sc.conn.StartLoad(ctx, sql)
		if err != nil {
			st.end()
			return nil, sc, err
		}
		st.loads, st.setAround = append(st.loads, l), append(st.setAround, !inside)
	}
	return st, nil, nil
}

// finish ends the file of every statement and reads their answers. Where
// several shards failed, the error is the one about the earliest row of
// the file (firstFailure), as one server stops at that row.
func (st *startedLoads) finish(conns []*shardConn) ([]backend.QueryResult, *shardConn, error) {
	results := make([]backend.QueryResult, 0, len(st.loads))
	var failed *shardConn
	var failure error
	for i, l := range st.loads {
		res, err := l.Finish()
		if err == nil && st.setAround[i] {
			err = st.like.unset(conns[i].conn)
		}
		if err != nil {
			if failed == nil || firstFailure(conns[i], err) < firstFailure(failed, failure) {
				failed, failure = conns[i], err
			}
			continue
		}
		results = append(results, res)
	}
	if failed != nil {
		return nil, failed, failure
	}
	return results, nil, nil
}

// end ends the files of the statements started, so their connections can
// roll back: a server waiting for file packets would read a ROLLBACK as
// data.
func (st *startedLoads) end() {
	endLoads(st.loads)
}

// clearInsertID sets c's LAST_INSERT_ID() to 0 before a load, so that
// afterwards it tells whether the load numbered rows (a load that numbers
// none leaves it as it was). The session's own value, if c held it, is
// given to whichever connection next needs it (restoreInsertID).
func (s *Session) clearInsertID(c *backend.Conn) error {
	if s.insertIDConn == c {
		s.insertIDConn = nil
	}
	return c.SimpleCommand(comQuery, "DO LAST_INSERT_ID(0)")
}

// loadCopiesLater loads the file kept in spool into the later copies of
// a reference table, numbering its rows from the first id first's load
// gave (LAST_INSERT_ID(): the first row it numbered, 0 for none, after
// clearInsertID). That id is then the session's LAST_INSERT_ID(), as one
// server's after such a load (its OK packet carries none).
func (s *Session) loadCopiesLater(ctx context.Context, spool *infile.Spool, first *shardConn, later []*shardConn, like copyLikeFirst) ([]backend.QueryResult, *shardConn, error) {
	id, err := first.conn.QueryValue("SELECT LAST_INSERT_ID()")
	if err != nil {
		return nil, first, err
	}
	if like.insertID, err = strconv.ParseUint(id, 10, 64); err != nil {
		return nil, first, fmt.Errorf("reading the first id a LOAD DATA numbered, %q: %w", id, err)
	}
	s.noteInsertID(first.conn, like.insertID)
	started, sc, err := startLoads(ctx, later, like)
	if err != nil {
		return nil, sc, err
	}
	err = spool.Replay(loadChunk, func(p []byte) error {
		for i, l := range started.loads {
			if err := l.Write(p); err != nil {
				return &failedShard{later[i], err}
			}
		}
		return nil
	})
	if err != nil {
		started.end()
		sc, err := failedOn(err)
		return nil, sc, err
	}
	return started.finish(later)
}

// loadReadTimeout is how long, in seconds, a shard's server waits for the
// next packet of a file during a load. A shard may get no row for a long
// time (a file sorted by a range key fills one shard after another, and
// rows wait in Strata until loadChunk bytes are gathered), and at the
// default net_read_timeout (30 s) its server would give the load up.
const loadReadTimeout = "86400"

// setReadTimeout sets net_read_timeout on every connection of a load;
// "DEFAULT" gives them the server's own again.
func setReadTimeout(conns []*shardConn, seconds string) (*shardConn, error) {
	for _, sc := range conns {
		if sc.conn.Broken {
			continue
		}
		if err := sc.conn.SimpleCommand(comQuery, "SET SESSION net_read_timeout = "+seconds); err != nil {
			return sc, err
		}
	}
	return nil, nil
}

// endLoads ends the files of loads already started, so their connections
// can roll back: a server waiting for file packets would read a ROLLBACK
// as data.
func endLoads(loads []*backend.Load) {
	for _, l := range loads {
		_, _ = l.Finish()
	}
}

// failedShard is a shard connection that failed while Strata sent it
// rows.
type failedShard struct {
	sc  *shardConn
	err error
}

func (e *failedShard) Error() string { return e.err.Error() }

// failedOn is the connection err is a failedShard of, and its error; nil
// and err itself when no connection failed.
func failedOn(err error) (*shardConn, error) {
	var fe *failedShard
	if errors.As(err, &fe) {
		return fe.sc, fe.err
	}
	return nil, err
}

// split cuts the file into rows and says where each goes.
type split struct {
	reader *infile.Reader
	key    string // the shard key column; "" for a reference table
	// keyLimit is what the key column holds: an integer column's "042"
	// is the key 42, and a key outside it is placed by the value the
	// column stores.
	keyLimit shard.KeyLimit
	ignore   uint64 // lines still to skip (IGNORE n LINES)
	header   []byte // the skipped lines, sent to every shard, which skips them too
	out      [][]byte
	rows     []int // rows routed to each shard
	row      int   // rows routed so far
	// sent are, per shard, the rows (of the file's, from 1) it got; nil
	// for a reference table, whose copies get every row.
	sent []*sentRows
	// numbered is the reader's watched field of LoadPlan.Numbered;
	// unique the watched fields of each of LoadPlan.Unique's keys.
	numbered int
	unique   [][]int
	checks   *uniqueLog // the values of the rows read so far
	// autoIncrement: the table has an AUTO_INCREMENT column. spool, for
	// a reference table that has, keeps what the first copy was sent
	// for the others (loadWork).
	autoIncrement bool
	spool         *infile.Spool
}

// watchUnique has the reader decode the fields of each key of
// LoadPlan.Unique (sp.unique[k] nil where the table has no such column:
// the shards' error for the statement says so).
func (sp *split) watchUnique(lp *planner.LoadPlan, cols []string) {
	sp.unique = make([][]int, len(lp.Unique))
	for k, u := range lp.Unique {
		watched := make([]int, len(u.Columns))
		for j, col := range u.Columns {
			if u.Defaults != nil && u.Defaults[j] != "" {
				watched[j] = -1 // the statement leaves it to its default
				continue
			}
			field := fieldOf(lp, cols, col, u.Fields[j])
			if field < 0 {
				watched = nil
				break
			}
			watched[j] = sp.reader.Watch(field)
		}
		sp.unique[k] = watched
	}
}

// noteUnique keeps the values the row just read gives the keys of
// LoadPlan.Unique, to check once the file is loaded. A field that is \N,
// or that the row is too short to have, gives the column what the server
// stores there (LoadUnique.IfNull, IfShort): a value with a NULL is not
// checked; a value Strata does not know stops the load. sh is the row's
// shard.
func (sp *split) noteUnique(lp *planner.LoadPlan, sh string) error {
	for k, watched := range sp.unique {
		if watched == nil {
			continue
		}
		u := lp.Unique[k]
		var values, shown []string
		for j, i := range watched {
			if i < 0 {
				values, shown = append(values, u.Defaults[j]), append(shown, u.Shown[j])
				continue
			}
			f := sp.reader.Watched(i)
			if f.Null || f.Missing {
				st := u.IfNull[j]
				if f.Missing {
					st = u.IfShort[j]
				}
				if !st.Known() {
					return fmt.Errorf("it gives %s no value (%s), where the server stores one Strata cannot check against the other shards (the clock, for a TIMESTAMP); %s is kept unique across shards (unique: in its config): give every row its value", u.Columns[j], missingOrNull(f), u.Columns[j])
				}
				if st.Null {
					values = nil
					break
				}
				values, shown = append(values, st.Literal), append(shown, st.Shown)
				continue
			}
			values = append(values, fileLiteral(lp.Spec.Charset, f.Value))
			shown = append(shown, string(f.Value))
		}
		if values == nil {
			continue
		}
		if err := sp.checks.add(k, sh, values, shown); err != nil {
			return err
		}
	}
	return nil
}

// missingOrNull says how a row gives a field no value.
func missingOrNull(f infile.Field) string {
	if f.Missing {
		return "the row is too short to have its field"
	}
	return `\N`
}

// fileLiteral writes a field of a LOAD DATA file as an SQL literal in the
// file's character set (CHARACTER SET, else utf8mb4, MariaDB's usual
// database default): hexadecimal, so no sql_mode reads it otherwise, with
// an introducer, so it compares by the column's collation as the loaded
// text does.
func fileLiteral(charset string, b []byte) string {
	switch charset {
	case "":
		charset = "utf8mb4"
	case "utf8":
		charset = "utf8mb3"
	}
	return "_" + charset + " X'" + hex.EncodeToString(b) + "'"
}

// fieldOf is the file field that fills column col: at, its place in the
// statement's column list, or without a list its place in the table's
// columns (cols).
func fieldOf(lp *planner.LoadPlan, cols []string, col string, at int) int {
	if lp.Spec.Columns == nil {
		return slices.Index(cols, col)
	}
	return at
}

// newSplit reads, from a shard, the table's columns: the server reads as
// many fields as the statement fills (its column list, else every column
// in order), and an integer key is read as a number.
func (s *Session) newSplit(ctx context.Context, lp *planner.LoadPlan, table sqlparse.TableRef, c *backend.Conn) (*split, error) {
	sp := &split{key: lp.KeyColumn, ignore: lp.Spec.IgnoreLines}
	cols, types, autoIncrement, err := tableColumns(ctx, c, table)
	if err != nil {
		return nil, err
	}
	sp.autoIncrement = autoIncrement
	fields, key := len(lp.Spec.Columns), max(lp.KeyField, 0)
	if lp.Spec.Columns == nil {
		fields = len(cols)
		if sp.key != "" {
			key = slices.Index(cols, sp.key)
		}
	}
	if i := slices.Index(cols, sp.key); i >= 0 {
		sp.keyLimit = shard.KeyLimitOf(types[i])
	}
	if key < 0 || fields == 0 {
		// No such table, or no such key column on it: the shard's own
		// error for the statement says so.
		key, fields = 0, 1
	}
	sp.reader = infile.NewReader(lp.Spec.Format, fields, key)
	if lp.Numbered != "" && lp.Numbered != sp.key {
		sp.numbered = sp.reader.Watch(fieldOf(lp, cols, lp.Numbered, lp.NumberedField))
	}
	sp.watchUnique(lp, cols)
	return sp, nil
}

// tableColumns lists a table's columns, lower-cased, in order, without
// INVISIBLE ones, and their types (COLUMN_TYPE: "int(11) unsigned"), and
// says whether one, invisible or not, is AUTO_INCREMENT.
func tableColumns(ctx context.Context, c *backend.Conn, t sqlparse.TableRef) (cols, types []string, autoIncrement bool, err error) {
	schema := "DATABASE()"
	if t.Schema != "" {
		schema = quoteLiteral([]byte(t.Schema))
	}
	q := "SELECT LOWER(COLUMN_NAME), LOWER(COLUMN_TYPE), EXTRA LIKE '%auto_increment%', EXTRA LIKE '%INVISIBLE%' FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " + schema +
		" AND TABLE_NAME = " + quoteLiteral([]byte(t.Name)) + " ORDER BY ORDINAL_POSITION"
	rows, err := c.QueryRows(ctx, q)
	if err != nil {
		return nil, nil, false, fmt.Errorf("reading the columns of %s: %w", t, err)
	}
	defer rows.Close()
	for {
		r, err := rows.Next(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return cols, types, autoIncrement, nil
			}
			return nil, nil, false, fmt.Errorf("reading the columns of %s: %w", t, err)
		}
		autoIncrement = autoIncrement || string(r[2]) == "1"
		if string(r[3]) == "1" {
			continue // no field in a file loaded without a column list, as no value in an INSERT without one
		}
		cols = append(cols, string(r[0]))
		types = append(types, string(r[1]))
	}
}

// relayFile asks the client for the file and sends each row to its
// shards. It reads the file to its end even after a row that cannot be
// routed or a shard that failed, so the client's stream stays in step,
// then returns that error.
func (s *Session) relayFile(ctx context.Context, lp *planner.LoadPlan, sp *split, loads []*backend.Load, conns []*shardConn) error {
	index := map[string]int{} // shard, or a date table's period table → its load
	for i, sc := range conns {
		if lp.Periods != nil {
			index[sc.route.Tables[0]] = i
		} else {
			index[sc.route.Cluster] = i
		}
	}
	s.client.Seq = s.answerSeq()
	if err := s.client.WriteFlush(append([]byte{wire.HeaderLocalFile}, lp.Spec.Path...)); err != nil {
		return &backend.ClientError{Err: err}
	}
	var failed error
	route := func(final bool) {
		if failed == nil {
			failed = s.routeRows(ctx, lp, sp, index, final)
		}
		if failed == nil {
			failed = sendChunks(sp, loads, conns, final)
		}
	}
	for {
		p, err := s.client.ReadPacket()
		if err != nil {
			return &backend.ClientError{Err: err}
		}
		if len(p) == 0 {
			break
		}
		if failed == nil {
			sp.reader.Feed(p)
			route(false)
		}
	}
	route(true)
	return failed
}

// routeRows moves the whole rows the reader holds to their shards' output.
func (s *Session) routeRows(ctx context.Context, lp *planner.LoadPlan, sp *split, index map[string]int, final bool) error {
	for sp.ignore > 0 {
		raw, ok := sp.reader.SkipLine(final)
		if !ok {
			return nil
		}
		sp.header = append(sp.header, raw...)
		sp.ignore--
	}
	if sp.header != nil {
		for i := range sp.out {
			sp.out[i] = append(sp.out[i], sp.header...)
		}
		sp.header = nil
	}
	for {
		raw, key, ok := sp.reader.Next(final)
		if !ok {
			return nil
		}
		sp.row++
		if sp.key == "" {
			for i := range sp.out {
				sp.out[i] = append(sp.out[i], raw...)
				sp.rows[i]++
			}
			continue
		}
		sh, err := s.rowShard(ctx, lp, sp, key)
		if err == nil {
			err = numberedByShard(lp, sp, key)
		}
		if err == nil {
			err = sp.noteUnique(lp, sh)
		}
		if err != nil {
			return wire.NewError(wire.ErNotSupportedYet, "Strata: row %d of the LOAD DATA file for %s: %v; nothing was loaded", sp.row+int(lp.Spec.IgnoreLines), lp.Table.Name, err)
		}
		if lp.Periods != nil {
			period := lp.Periods.PeriodTable(shard.String(string(key.Value)))
			i, ok := index[period]
			if !ok {
				return wire.NewError(wire.ErNotSupportedYet, "Strata: row %d of the LOAD DATA file for %s belongs to period table %s, which does not exist on %s; nothing was loaded: create it (strata shards precreate -all) and run the load again", sp.row+int(lp.Spec.IgnoreLines), lp.Table.Name, period, sh)
			}
			sp.send(i, raw)
			continue
		}
		i, ok := index[sh]
		if !ok {
			return wire.NewError(wire.ErNotSupportedYet, "Strata: row %d of the LOAD DATA file for %s belongs to shard %s, which this statement did not start (the layout changed during the load); nothing was loaded, run it again", sp.row+int(lp.Spec.IgnoreLines), lp.Table.Name, sh)
		}
		sp.send(i, raw)
	}
}

// send routes the row just read (raw) to the ith shard's output.
func (sp *split) send(i int, raw []byte) {
	sp.out[i] = append(sp.out[i], raw...)
	sp.rows[i]++
	if sp.sent != nil {
		sp.sent[i].add(sp.row)
	}
}

// rowShard is the shard of a row whose key field is key.
func (s *Session) rowShard(ctx context.Context, lp *planner.LoadPlan, sp *split, key infile.Field) (string, error) {
	if key.Missing || key.Null {
		// MariaDB stores the type's zero in a NOT NULL column there:
		// LOAD DATA LOCAL takes such rows with a warning. (A short row
		// of a column whose default the server computes is not placed
		// by a guess.)
		v, ok := planner.KeyStoredAlone(lp.Table, true)
		ok = ok && !(key.Missing && lp.Table.KeyStoredAlone.ExprDefault)
		switch {
		case ok:
			return s.env.Sharding.RowShard(ctx, lp.Table, v)
		case key.Missing:
			return "", fmt.Errorf("it has no field for %s, the shard key", sp.key)
		}
		return "", fmt.Errorf("its %s, the shard key, is NULL, which no shard owns", sp.key)
	}
	// A text key is placed by its characters (as a statement's is): a
	// latin1 file's bytes are read as latin1.
	text := string(key.Value)
	if utf8, ok := engine.DecodeSingleByte(lp.Spec.Charset, text); ok && lp.Spec.Charset != "ascii" {
		text = utf8
	}
	v, ok := keyAsStored(sp.keyLimit, key.Value, text)
	if stored, isStr := v.Str(); ok && isStr {
		// A UUID by the server's spelling of it; a date, a year, ... only
		// as the server prints it.
		placed, placeable := lp.Table.PlacedText(stored)
		if !placeable {
			return "", fmt.Errorf("its %s, the shard key, is %q: Strata places it only as %s", sp.key, key.Value, lp.Table.PlacedAs())
		}
		v = shard.String(placed)
	}
	switch {
	case !ok && sp.keyLimit.Integer:
		return "", fmt.Errorf("its %s, the shard key, is %q, not an integer", sp.key, key.Value)
	case !ok:
		return "", fmt.Errorf("its %s, the shard key, is longer than the column holds and has bytes past ASCII, which Strata cannot cut as the column would: fix the field (or widen the column)", sp.key)
	}
	sh, err := s.env.Sharding.RowShard(ctx, lp.Table, v)
	if err != nil {
		return "", fmt.Errorf("no shard for %s %s (%v)", sp.key, v, err)
	}
	return sh, nil
}

// numberedByShard refuses a row that leaves the AUTO_INCREMENT column
// LoadPlan.Numbered to the shard it reaches: \N, no field, or 0 where
// the session's sql_mode numbers it. (rowShard places, or refuses, the
// key's NULL and missing field.)
func numberedByShard(lp *planner.LoadPlan, sp *split, key infile.Field) error {
	if lp.Numbered == "" {
		return nil
	}
	f := key
	if lp.Numbered != sp.key {
		f = sp.reader.Watched(sp.numbered)
	}
	switch {
	case f.Missing:
		return fmt.Errorf("it has no field for %s, which the shard would number itself: give the ids in the file", lp.Numbered)
	case f.Null:
		return fmt.Errorf("its %s is NULL, which the shard would number itself: give the ids in the file", lp.Numbered)
	case lp.NumbersZero && planner.ZeroNumber(string(f.Value)):
		return fmt.Errorf("its %s is 0, which the shard would replace with its own next number (sql_mode has no NO_AUTO_VALUE_ON_ZERO): give the ids in the file", lp.Numbered)
	}
	return nil
}

// keyAsStored is a key field as the key column stores it (raw, its bytes;
// text, them read in the file's character set), which places the row: an
// integer column's "042" and "+42" are 42 and a number past its type is
// the type's bound; a text longer than the column is cut short (MariaDB
// does both in a LOCAL load in every sql_mode, with a warning). ok is
// false for an integer column's field that is no whole number (spaces, a
// fraction: the server would convert it with a warning, which Strata
// does not guess), and for a text Strata cannot cut as the column would.
func keyAsStored(limit shard.KeyLimit, raw []byte, text string) (shard.Value, bool) {
	var v shard.Value
	var ok bool
	if limit.Integer {
		v, _, ok = limit.StoredInteger(string(raw))
	} else {
		v, _, ok = limit.Stored(shard.String(text))
	}
	return v, ok
}

// sendChunks sends each shard the rows gathered for it once they reach
// loadChunk bytes, and everything left at the file's end.
func sendChunks(sp *split, loads []*backend.Load, conns []*shardConn, final bool) error {
	for i, buf := range sp.out {
		if len(buf) == 0 || (!final && len(buf) < loadChunk) {
			continue
		}
		if sp.spool != nil {
			if _, err := sp.spool.Write(buf); err != nil {
				return err
			}
		}
		if err := loads[i].Write(buf); err != nil {
			return &failedShard{conns[i], err}
		}
		sp.out[i] = buf[:0]
	}
	return nil
}
