package session

import (
	"context"
	"encoding/binary"
	"slices"
	"strings"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/planner"
	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// prepared is a client's server-side prepared statement. Strata gives it its
// own id and prepares it lazily on whichever backend connection runs each
// EXECUTE, so reads of a prepared statement still spread over replicas.
type prepared struct {
	id  uint32
	sql string
	// db is the session's database at PREPARE: the server binds the
	// statement to it, and so does every backend that prepares it later.
	db     string
	parsed []*sqlparse.Facts
	facts  *sqlparse.Facts
	// processList: the statement reads information_schema.PROCESSLIST,
	// which Strata writes in as its list at each EXECUTE (a backend
	// statement of its own, closed after it).
	processList bool
	// reply is the statement shape's record of busy polling for answers.
	reply   *wire.ReplyPoll
	params  int
	columns int
	// types is the last parameter type block the client sent; a client sends
	// it only when types change, but a backend preparing the statement
	// afresh must receive it.
	types []byte
	// long holds what the client streamed with COM_STMT_SEND_LONG_DATA
	// for the next EXECUTE (longdata.go).
	long longData
	// placed: the statement touches sharded or placed tables; it runs
	// through the sharding planner with its bound values.
	placed bool
}

// Prepare answers COM_STMT_PREPARE with metadata from a backend that
// prepared the statement.
func (s *Session) Prepare(ctx context.Context, packet []byte) error {
	sql := string(packet[1:])
	parsed := s.parse(sql)
	rule, text, re, rerr := s.rewritten(parsed, sql, false)
	if rerr != nil {
		return s.refuse(rerr)
	}
	if rule >= 0 {
		sql, parsed = text, re
	}
	if ownConnectionID(parsed.Summary) {
		// The statement is this session's own: prepared with its id.
		if text, ok := s.replaceConnectionID(sql); ok {
			sql, parsed = text, s.parse(text)
		}
	}
	// Until this PREPARE succeeds, an EXECUTE pipelined behind it with
	// lastPreparedID must fail as on MariaDB, not run an older statement.
	s.lastStmt = nil
	if max := s.env.Limits().MaxPreparedStmts; max > 0 && len(s.stmts) >= max {
		// An application that prepares without closing: fail it as the
		// server would, rather than let every statement it ever prepared
		// live on in Strata.
		return s.refuse(wire.NewError(wire.ErMaxPreparedStmts,
			"Can't create more than max_prepared_stmt_count statements (current value: %d): Strata's limits.max_prepared_statements bounds each session; close the statements the application no longer uses", max))
	}
	st := &prepared{sql: sql, db: s.DB, facts: parsed.Summary, parsed: parsed.Statements, reply: parsed.Reply}
	s.startStatement(st.facts)
	if rule, msg := s.refusal(statements(parsed), false); rule >= 0 {
		return s.refuseByRule(st.facts, rule, msg)
	}
	if e := s.refusedAtOnce(parsed.Statements); e != nil {
		return s.refuse(e)
	}
	st.processList = s.readsProcessList(parsed.Summary)
	var cluster string
	if s.placed(st.facts) {
		c, answered, err := s.preparePlaced(ctx, st)
		if answered {
			return err
		}
		cluster = c
	}
	var reply *backend.PrepareReply
	// A replica prepares only once it has the session's writes (a table
	// it created): the wait goes with the prepare (waitWithRead).
	err := s.run(ctx, command{facts: st.facts, cluster: cluster, metadata: true, waitWithRead: true}, func(c *backend.Conn, _ *backend.Capture) (backend.Result, error) {
		text := st.textNow(s)
		bst, err := c.Stmt(st.db, text)
		if werr, ok := err.(*wire.Error); ok {
			return s.relayError(werr)
		}
		if err != nil {
			return backend.Result{}, err
		}
		reply = bst.Reply
		if text != st.sql {
			c.CloseStmt(st.db, text)
		}
		return backend.Result{Status: s.Status(), HasStatus: true}, nil
	})
	if err != nil || reply == nil {
		return err
	}
	return s.sendPrepareReply(st, reply)
}

// preparePlaced readies the PREPARE of a statement over sharded or placed
// tables: it names the cluster whose server describes the statement
// (EXECUTE plans by the bound values), or answers the client itself
// (answered) with a refusal, or with a statement whose subqueries run
// apart.
func (s *Session) preparePlaced(ctx context.Context, st *prepared) (cluster string, answered bool, err error) {
	if st.facts.Masked {
		return "", true, s.refuse(s.errMaskedPlaced())
	}
	// Metadata comes from a cluster that holds the tables; EXECUTE
	// plans by the bound values.
	st.placed = true
	cluster = s.env.Sharding.MetadataCluster(st.facts)
	if _, facts := s.readingMode().ParseMySQLForm(st.sql); facts != nil {
		// MariaDB's words for a statement the planner reads in
		// MySQL's (CAST(x AS INT)): planned at EXECUTE as any.
		cluster = s.env.Sharding.MetadataCluster(facts)
	} else if _, _, facts := s.readingMode().ParseStandIn(st.sql); facts != nil {
		// MariaDB's aggregate extensions (GROUP_CONCAT(... LIMIT
		// n)): EXECUTE plans the statement from a stand-in, and runs
		// it where the bound values place it on one shard.
		cluster = s.env.Sharding.MetadataCluster(facts)
	} else if st.facts.Fallback {
		// Its tables are only words Strata could not parse: refuse
		// now what every EXECUTE would.
		plan, err := s.env.Sharding.Plan(ctx, s.readingMode(), st.sql, st.facts, nil)
		if err != nil {
			if werr := s.serverSyntaxError(ctx, st.facts, st.sql); werr != nil {
				return "", true, s.refuse(werr)
			}
			return "", true, s.refuseRouting(err)
		}
		cluster = plan.Routes[0].Cluster
	}
	if !st.facts.Fallback && !s.env.Sharding.HoldsAll(cluster, st.facts) && pullsOut(st.facts) {
		return "", true, s.prepareApart(ctx, st)
	}
	return cluster, false, nil
}

// prepareApart answers the PREPARE of a statement whose tables no one
// server holds (a join or a subquery over tables that live apart), which
// no server can prepare: Strata describes it itself. Its parameters are
// the placeholders it counts, described as a server describes them; its
// columns those a server gives the statement Strata would run at EXECUTE
// with every placeholder NULL (the parts over other servers read first,
// which with NULLs read next to nothing), or none where that cannot be
// made (the rows of each EXECUTE then carry their own). Each EXECUTE runs
// as a text query would (executePulledOut).
func (s *Session) prepareApart(ctx context.Context, st *prepared) error {
	_, n := s.readingMode().BindPlaceholders(st.sql, nil)
	facts, cluster, outer := st.facts, s.env.Sharding.MetadataCluster(st.facts), ""
	if st.facts.Kind == sqlparse.KindSelect {
		nulls := slices.Repeat([]string{"NULL"}, n)
		if text, err := s.pullOutArgs(ctx, st.sql, nulls, pullLevel{}); err == nil {
			p := s.parse(text)
			if c := s.env.Sharding.MetadataCluster(p.Summary); p.Err == nil && s.env.Sharding.HoldsAll(c, p.Summary) {
				facts, cluster, outer = p.Summary, c, text
			}
		}
	}
	reply := &backend.PrepareReply{NumParams: n}
	err := s.run(ctx, command{facts: facts, cluster: cluster, metadata: true}, func(c *backend.Conn, _ *backend.Capture) (backend.Result, error) {
		if outer != "" {
			if bst, err := c.Stmt(st.db, outer); err == nil {
				reply.NumColumns, reply.Columns = bst.Reply.NumColumns, bst.Reply.Columns
			} else if _, ok := err.(*wire.Error); !ok {
				return backend.Result{}, err
			}
		}
		if n > 0 {
			bst, err := c.Stmt(st.db, "SELECT ?"+strings.Repeat(", ?", n-1))
			if werr, ok := err.(*wire.Error); ok {
				return s.relayError(werr)
			}
			if err != nil {
				return backend.Result{}, err
			}
			reply.Params = bst.Reply.Params
		}
		return backend.Result{Status: s.Status(), HasStatus: true}, nil
	})
	if err != nil || reply.NumParams != len(reply.Params) {
		return err
	}
	return s.sendPrepareReply(st, reply)
}

// sendPrepareReply writes the prepare OK, parameter and column definitions;
// when run found an error it has already been written.
func (s *Session) sendPrepareReply(st *prepared, reply *backend.PrepareReply) error {
	s.nextStmt++
	if s.nextStmt == lastPreparedID {
		s.nextStmt = 1 // after 4 billion prepares: that id means "the last one"
	}
	st.id = s.nextStmt
	st.params, st.columns = reply.NumParams, reply.NumColumns
	s.stmts[st.id] = st
	s.lastStmt = st
	ok := make([]byte, 0, 12)
	ok = append(ok, wire.HeaderOK)
	ok = binary.LittleEndian.AppendUint32(ok, st.id)
	ok = binary.LittleEndian.AppendUint16(ok, uint16(st.columns))
	ok = binary.LittleEndian.AppendUint16(ok, uint16(st.params))
	ok = append(ok, 0)
	ok = binary.LittleEndian.AppendUint16(ok, reply.Warnings)
	c := s.client
	c.Seq = 1
	if err := c.WritePacket(ok); err != nil {
		return err
	}
	for _, defs := range [][][]byte{reply.Params, reply.Columns} {
		if len(defs) == 0 {
			continue
		}
		for _, d := range defs {
			if err := c.WritePacket(d); err != nil {
				return err
			}
		}
		if !s.flavor.DeprecateEOF {
			if err := c.WritePacket(wire.AppendEOF(nil, s.Status(), 0)); err != nil {
				return err
			}
		}
	}
	return c.Flush()
}

// relayError passes a server's error about a statement on to the client.
func (s *Session) relayError(werr *wire.Error) (backend.Result, error) {
	s.client.Seq = s.answerSeq()
	if s.client.Chain != nil {
		s.client.Chain.Failed = true
	}
	if err := s.client.WritePacket(wire.AppendErr(nil, werr)); err != nil {
		return backend.Result{}, &backend.ClientError{Err: err}
	}
	return backend.Result{Err: werr, Sent: true, Status: s.Status()}, nil
}

func errUnknownStmt(id uint32, cmd string) *wire.Error {
	return wire.NewError(wire.ErUnknownStmtHandler, "Unknown prepared statement handler (%d) given to %s", id, cmd)
}

func errMalformed(what string) *wire.Error {
	return wire.NewError(wire.ErMalformedPacket, "Malformed communication packet: %s", what)
}

// lastPreparedID in a statement command names the statement prepared last
// on the connection, as MariaDB allows (since 10.2) so that a client can
// send COM_STMT_PREPARE and its COM_STMT_EXECUTE without waiting for the
// id: the MariaDB Node.js connector pipelines every execute() this way.
const lastPreparedID = 0xFFFFFFFF

func (s *Session) lookupStmt(packet []byte) (*prepared, uint32, bool) {
	if len(packet) < 5 {
		return nil, 0, false
	}
	id := binary.LittleEndian.Uint32(packet[1:])
	if id == lastPreparedID {
		return s.lastStmt, id, true
	}
	return s.stmts[id], id, true
}

// startStmt finds the prepared statement a command names and starts it
// (the session list shows it). When the packet is shorter than minLen or
// names no statement, the client is answered and st is nil.
func (s *Session) startStmt(packet []byte, minLen int, command, handler string) (*prepared, error) {
	st, id, ok := s.lookupStmt(packet)
	if !ok || len(packet) < minLen {
		return nil, s.refuse(errMalformed(command + " is too short"))
	}
	if st == nil {
		return nil, s.refuse(errUnknownStmt(id, handler))
	}
	if st.long.tooLong {
		// As on MariaDB, the error ends this execution only.
		s.dropLongData(st)
		return nil, s.refuse(s.errLongDataTooLong())
	}
	s.startStatement(st.facts)
	return st, nil
}

// statements are the statement's parts, for the refusal rules and what
// the session learns from them.
func (st *prepared) statements() []*sqlparse.Facts {
	if st.parsed == nil {
		return []*sqlparse.Facts{st.facts}
	}
	return st.parsed
}

// Execute runs COM_STMT_EXECUTE on the backend chosen for the statement now.
func (s *Session) Execute(ctx context.Context, packet []byte) error {
	st, err := s.startStmt(packet, 5, "COM_STMT_EXECUTE", "mysqld_stmt_execute")
	if st == nil {
		return err
	}
	s.client.AwaitNextAfter(st.reply) // as in Query
	typesIn, err := st.captureTypes(packet)
	if err != nil {
		return s.refuse(errMalformed(err.Error()))
	}
	if ok, err := s.executeAboutConnection(ctx, st, packet); ok {
		return err
	}
	stmts := st.statements()
	if handled, err := s.answerInCrossTransaction(ctx, stmts); handled {
		s.dropLongData(st)
		return err
	}
	defer s.checkBranches() // as in Query
	// A rule added after the PREPARE stops the statement too.
	if rule, msg := s.refusal(stmts, false); rule >= 0 {
		s.dropLongData(st)
		return s.refuseByRule(st.facts, rule, msg)
	}
	if st.facts.ReadsPrevious && st.params == 0 {
		if done, err := s.answerPrevious(ctx, st.sql, true); done {
			return err
		}
	}
	if st.placed || s.pinnedAway(st.facts) {
		return s.executePlaced(ctx, st, packet, typesIn)
	}
	// The cache key is made from the packet only if a cache rule applies,
	// before the statement runs (and its long data is dropped below).
	cmd := command{facts: st.facts, stmts: stmts, cacheStmt: st, cachePacket: packet, waitWithRead: true}
	if st.facts.ListsSchema || st.facts.MetadataOf != nil {
		args, _ := st.executeArgs(packet, s.charset)
		if ok, err := s.executeTableListing(ctx, st, args); ok {
			s.dropLongData(st)
			return err
		}
	}
	if st.facts.MetadataOf != nil {
		// A lookup of a placed table in information_schema runs where
		// the table is, named by its text or its bound value.
		args, _ := st.executeArgs(packet, s.charset)
		cmd.cluster = s.metadataCluster(st.facts, args)
	}
	err = s.run(ctx, cmd, func(c *backend.Conn, capture *backend.Capture) (backend.Result, error) {
		text := st.textNow(s)
		res, err := s.executeOn(c, capture, st, text, packet, typesIn, nil)
		if text != st.sql && err == nil {
			c.CloseStmt(st.db, text)
		}
		return res, err
	})
	s.dropLongData(st)
	return err
}

// textNow is the text the statement runs as now: with Strata's list in
// place of information_schema.PROCESSLIST, written anew each time.
func (st *prepared) textNow(s *Session) string {
	if !st.processList {
		return st.sql
	}
	text, _ := s.processListAsRows(st.sql)
	return text
}

// COM_STMT_BULK_EXECUTE's flag that a type block follows the header.
const bulkSendTypes = 128

// BulkExecute runs MariaDB's COM_STMT_BULK_EXECUTE, many rows of parameters
// for one prepared statement in one packet, where the statement routes (an
// INSERT: the primary), relaying the packet with the backend's statement id.
func (s *Session) BulkExecute(ctx context.Context, packet []byte) error {
	st, err := s.startStmt(packet, 7, "COM_STMT_BULK_EXECUTE", "mysqld_stmt_bulk_execute")
	if st == nil {
		return err
	}
	typesIn, err := st.captureBulkTypes(packet)
	if err != nil {
		return s.refuse(errMalformed(err.Error()))
	}
	stmts := st.statements()
	if rule, msg := s.refusal(stmts, false); rule >= 0 {
		return s.refuseByRule(st.facts, rule, msg)
	}
	if st.placed || s.pinnedAway(st.facts) {
		return s.bulkPlaced(ctx, st, packet)
	}
	return s.run(ctx, command{facts: st.facts, stmts: stmts}, func(c *backend.Conn, capture *backend.Capture) (backend.Result, error) {
		if !c.Bulk {
			return s.relayError(wire.NewError(wire.ErNotSupportedYet,
				"server %s does not support COM_STMT_BULK_EXECUTE; send the rows as separate executes", c.Addr))
		}
		bst, err := c.Stmt(st.db, st.sql)
		if werr, ok := err.(*wire.Error); ok {
			return s.relayError(werr)
		}
		if err != nil {
			return backend.Result{}, err
		}
		payload := st.rewriteBulk(s.execBuf[:0], packet, bst, typesIn)
		if cap(payload) <= maxKeptExecute {
			s.execBuf = payload[:0]
		}
		if err := c.Request(payload); err != nil {
			return backend.Result{}, &backend.ServerError{Addr: c.Addr, Err: err}
		}
		return c.RelayCapture(s.client, false, capture)
	})
}

// captureBulkTypes remembers the type block of a bulk execute that sends
// one (the same two bytes per parameter as an EXECUTE's) and reports
// whether it did.
func (st *prepared) captureBulkTypes(packet []byte) (bool, error) {
	if binary.LittleEndian.Uint16(packet[5:])&bulkSendTypes == 0 {
		if st.params > 0 && st.types == nil {
			return false, errBulkNoTypes
		}
		return false, nil
	}
	end := 7 + 2*st.params
	if len(packet) < end {
		return false, errBulkShort
	}
	st.types = append(st.types[:0], packet[7:end]...)
	return true, nil
}

// rewriteBulk appends to out the client's bulk execute with the backend's
// statement id, and with the type block added when this backend statement
// has not seen types yet.
func (st *prepared) rewriteBulk(out, packet []byte, bst *backend.Stmt, typesIn bool) []byte {
	out = slices.Grow(out, len(packet)+2*st.params)
	out = append(out, packet[0])
	out = binary.LittleEndian.AppendUint32(out, bst.ID)
	if typesIn || bst.TypesSent || st.params == 0 {
		bst.TypesSent = true
		return append(out, packet[5:]...)
	}
	bst.TypesSent = true
	out = binary.LittleEndian.AppendUint16(out, binary.LittleEndian.Uint16(packet[5:])|bulkSendTypes)
	out = append(out, st.types...)
	return append(out, packet[7:]...)
}

// maxKeptExecute bounds the rewritten EXECUTE buffer a session keeps for
// the next one: a statement with large values should not pin that memory.
const maxKeptExecute = 4 << 10

// executeOn prepares sql on the backend connection c (or reuses it,
// prepared there before) and relays the client's EXECUTE to it byte for
// byte, with the backend's statement id; rename, when set, names the
// tables of the result's columns (periodNames).
func (s *Session) executeOn(c *backend.Conn, capture *backend.Capture, st *prepared, sql string, packet []byte, typesIn bool, rename func(string) string) (backend.Result, error) {
	bst, err := c.Stmt(st.db, sql)
	if werr, ok := err.(*wire.Error); ok {
		// The statement no longer prepares (a table was dropped): the
		// client hears the server's reason.
		return s.relayError(werr)
	}
	if err != nil {
		return backend.Result{}, err
	}
	if err := st.sendLongData(c, bst.ID); err != nil {
		return backend.Result{}, err
	}
	// Request copies the payload into the connection's buffer, so the
	// session reuses one buffer for it.
	payload := st.rewriteExecute(s.execBuf[:0], packet, bst, typesIn)
	if cap(payload) <= maxKeptExecute {
		s.execBuf = payload[:0]
	}
	if err := c.RequestFor(payload, st.reply); err != nil {
		return backend.Result{}, &backend.ServerError{Addr: c.Addr, Err: err}
	}
	return c.RelayRenaming(s.client, s.caps&wire.ClientLocalFiles != 0, capture, rename)
}

// executePlaced runs an EXECUTE of a statement over placed tables: planned
// by its bound values, run as text on the shards, answered in the binary
// protocol.
func (s *Session) executePlaced(ctx context.Context, st *prepared, packet []byte, typesIn bool) error {
	defer s.dropLongData(st)
	release, ferr := s.passFences(ctx, st.facts)
	if ferr != nil {
		return s.refuse(ferr)
	}
	defer release()
	args, err := st.executeArgs(packet, s.charset)
	if err != nil {
		return s.refuse(errMalformed(err.Error()))
	}
	if handled, err := s.executeBeforePlanning(ctx, st, args); handled {
		return err
	}
	sql, facts := st.sql, st.facts
	if facts.ReadsUserVars && !facts.SetsUserVars {
		// As for a text query: the variables' values, read where the
		// session keeps them, written in.
		text, ok, err := s.withUserVarValues(ctx, sql)
		if err != nil {
			return s.refuse(errUserVars(err))
		}
		if p := s.parse(text); ok && !p.Summary.ReadsUserVars {
			sql, facts = text, p.Summary
		}
	}
	if args == nil {
		// No parameters: still an EXECUTE, whose single route is prepared
		// on its shard and answered as the server answers (its
		// FOUND_ROWS() after SQL_CALC_FOUND_ROWS, its binary rows), not
		// run as text and converted.
		args = []string{}
	}
	plan, err := s.env.Sharding.Plan(ctx, s.readingMode(), sql, facts, args)
	if err != nil {
		if sql != st.sql { // user variables written in: no second rewrite
			return s.refuseRouting(err)
		}
		return s.executeUnplanned(ctx, st, args, err)
	}
	if s.mayBoundByClock(facts, plan) && !s.keysWritten && sql == st.sql {
		// As for a text query: the shard key's clock bounds evaluated and
		// written in, with the bound values, so it reads the periods they
		// name.
		if bound, n := s.readingMode().BindPlaceholders(sql, args); n == len(args) {
			if text, ok, kerr := s.withKeyBoundValues(ctx, bound); kerr == nil && ok {
				s.keysWritten = true
				defer func() { s.keysWritten = false }()
				return s.executeOuter(ctx, text, &planner.RoutingError{Msg: "the statement with its shard key's clock bounds written in could not be planned"})
			}
		}
	}
	if r := plan.Routes[0]; plan.Kind == planner.PlanRelay && r.Template != "" && !s.outsideTx(r.Cluster) {
		return s.executeOnOneShard(ctx, st, facts, plan, packet, typesIn)
	}
	return s.execPlan(ctx, facts, plan, true)
}

// executeBeforePlanning runs the prepared statements whose plan needs a
// step first (EXPLAIN, CREATE ... SELECT), and says whether it did.
func (s *Session) executeBeforePlanning(ctx context.Context, st *prepared, args []string) (bool, error) {
	if st.facts.Kind == sqlparse.KindExplain {
		if handled, err := s.explainOnShards(ctx, st.sql, args, true); handled {
			return true, err
		}
	}
	if st.facts.Kind == sqlparse.KindDDL && st.facts.DDLForm == "create-select" {
		// As for a text query (createSelect), with the bound values
		// written in: a DDL answers OK in either protocol.
		if bound, n := s.readingMode().BindPlaceholders(st.sql, args); n == len(args) {
			if handled, err := s.createSelect(ctx, bound); handled {
				return true, err
			}
		}
	}
	return false, nil
}

// executeUnplanned runs a prepared statement the planner refused (err)
// where a key evaluated first, or a subquery run first, makes it
// routable, and refuses it otherwise.
func (s *Session) executeUnplanned(ctx context.Context, st *prepared, args []string, err error) error {
	if insertsRows(st.facts) {
		// As for a text query: keys such as NOW() evaluated and written
		// in, with the bound values.
		if bound, n := s.readingMode().BindPlaceholders(st.sql, args); n == len(args) {
			text, ok, kerr := s.withInsertKeyValues(ctx, bound, st.facts)
			if kerr != nil {
				return s.refuseRouting(kerr)
			}
			if ok {
				return s.executeOuter(ctx, text, err)
			}
		}
	}
	if pullsOut(st.facts) {
		return s.executePulledOut(ctx, st, args, err)
	}
	return s.refuseRouting(err)
}

// executeOnOneShard prepares a statement on the one shard its plan names
// and relays the server's binary answer as it is.
func (s *Session) executeOnOneShard(ctx context.Context, st *prepared, facts *sqlparse.Facts, plan *planner.ShardPlan, packet []byte, typesIn bool) error {
	r := plan.Routes[0]
	if err := s.checkTransaction(ctx, facts, plan); err != nil {
		return s.refuseRouting(err)
	}
	s.dropForeignSticky(r.Cluster)
	return s.run(ctx, command{facts: facts, stmts: []*sqlparse.Facts{facts}, cluster: r.Cluster},
		func(c *backend.Conn, capture *backend.Capture) (backend.Result, error) {
			return s.executeOn(c, capture, st, r.Template, packet, typesIn, s.periodNames(r))
		})
}

// cacheKey identifies one execution for the result cache: the statement,
// its parameter types and the bound values. Executions with streamed long
// data are not cached.
func (st *prepared) cacheKey(packet []byte) string {
	if st.long.held() || len(packet) < 10 {
		return ""
	}
	var b strings.Builder
	b.WriteString("E")
	b.WriteString(st.sql)
	b.WriteByte(0)
	b.Write(st.types)
	b.WriteByte(0)
	values := packet[10:]
	if st.params > 0 {
		nulls := (st.params + 7) / 8
		flagAt := 10 + nulls
		b.Write(packet[10:flagAt])
		values = packet[flagAt+1:]
		if packet[flagAt] == 1 {
			values = values[2*st.params:]
		}
	}
	b.Write(values)
	return b.String()
}

// captureTypes finds the new-params-bound flag and, when set, remembers the
// type block. It reports whether this packet carries types.
func (st *prepared) captureTypes(packet []byte) (bool, error) {
	if len(packet) < 10 {
		return false, errShort
	}
	if st.params == 0 {
		return false, nil
	}
	flagAt := 10 + (st.params+7)/8
	if len(packet) <= flagAt {
		return false, errShort
	}
	if packet[flagAt] != 1 {
		if st.types == nil {
			return false, errNoTypes
		}
		return false, nil
	}
	end := flagAt + 1 + 2*st.params
	if len(packet) < end {
		return false, errShort
	}
	st.types = append(st.types[:0], packet[flagAt+1:end]...)
	return true, nil
}

type protoError string

func (e protoError) Error() string { return string(e) }

const (
	errShort   = protoError("COM_STMT_EXECUTE is shorter than its statement's parameters need")
	errNoTypes = protoError("COM_STMT_EXECUTE sent no parameter types for a statement that never had them")

	errBulkShort   = protoError("COM_STMT_BULK_EXECUTE is shorter than its parameter types")
	errBulkNoTypes = protoError("COM_STMT_BULK_EXECUTE sent no parameter types for a statement that never had them")
)

// rewriteExecute appends to out the client's EXECUTE with the backend's
// statement id swapped in, cursor flags cleared (results are always
// streamed), and the type block added when this backend statement has not
// seen types yet.
func (st *prepared) rewriteExecute(out, packet []byte, bst *backend.Stmt, typesIn bool) []byte {
	out = slices.Grow(out, len(packet)+2*st.params+1)
	out = append(out, packet[0])
	out = binary.LittleEndian.AppendUint32(out, bst.ID)
	out = append(out, 0) // no cursor
	out = append(out, packet[6:10]...)
	if st.params == 0 {
		return append(out, packet[10:]...)
	}
	flagAt := 10 + (st.params+7)/8
	out = append(out, packet[10:flagAt]...)
	if typesIn || bst.TypesSent {
		bst.TypesSent = true
		return append(out, packet[flagAt:]...)
	}
	bst.TypesSent = true
	out = append(out, 1)
	out = append(out, st.types...)
	return append(out, packet[flagAt+1:]...)
}

// SendLongData buffers a parameter chunk until EXECUTE (no reply, as in MySQL).
func (s *Session) SendLongData(packet []byte) error {
	st, _, ok := s.lookupStmt(packet)
	if !ok || st == nil || len(packet) < 7 {
		return nil // MySQL sends no reply here either; EXECUTE reports it
	}
	s.holdLongData(st, binary.LittleEndian.Uint16(packet[5:]), packet[7:])
	return nil
}

// ResetStmt clears buffered long data (COM_STMT_RESET).
func (s *Session) ResetStmt(packet []byte) error {
	st, id, ok := s.lookupStmt(packet)
	if !ok {
		return s.refuse(errMalformed("COM_STMT_RESET is too short"))
	}
	if st == nil {
		return s.refuse(errUnknownStmt(id, "mysqld_stmt_reset"))
	}
	s.dropLongData(st)
	return s.WriteOK()
}

// CloseStmt forgets a statement (COM_STMT_CLOSE has no reply). Backend
// connections keep their copy cached for the next client that prepares it.
func (s *Session) CloseStmt(packet []byte) {
	if st, _, ok := s.lookupStmt(packet); ok && st != nil {
		s.dropLongData(st)
		delete(s.stmts, st.id)
		if st == s.lastStmt {
			s.lastStmt = nil
		}
	}
}
