package backend

import (
	"container/list"
	"encoding/binary"
	"fmt"

	"github.com/strata-proxy/strata/wire"
)

// maxStmtsPerConn bounds server-side statements kept prepared on one
// connection for clients' prepares (the server's max_prepared_stmt_count
// is global), and maxTextStmtsPerConn those Strata prepares for text
// SELECTs (TextStmt), which are kept apart so that they never take the
// place of a client's, and bounded lower so that across a pool's
// connections they leave the server's count room for the clients'.
const (
	maxStmtsPerConn     = 128
	maxTextStmtsPerConn = 32
)

// Stmt is a statement prepared on one backend connection.
type Stmt struct {
	ID         uint32
	NumParams  int
	NumColumns int
	// TypesSent records that the server has seen parameter types for this
	// statement, so an EXECUTE without types is valid for it.
	TypesSent bool
	// Reply is the metadata the server answered the prepare with.
	Reply *PrepareReply
	key   stmtKey
	// text turns its result rows into text rows, for a client that sent
	// the statement as text (RelayAsText).
	text *textRows
}

// stmtKey names a prepared statement: its text and the default database
// it was prepared in, which the server keeps for the statement's names
// (and DATABASE()) whatever the connection's database when it runs.
type stmtKey struct{ db, sql string }

// PrepareReply is the server's answer to COM_STMT_PREPARE, kept so Strata can
// answer a client's PREPARE with the same metadata under its own id.
type PrepareReply struct {
	NumParams  int
	NumColumns int
	Warnings   uint16
	Params     [][]byte // parameter definition payloads
	Columns    [][]byte // column definition payloads
}

// stmtCache keeps statements prepared per connection, evicting the least
// recently used so a long-lived connection does not exhaust the server.
type stmtCache struct {
	byKey map[stmtKey]*list.Element
	lru   *list.List
	max   int
}

func newStmtCache(max int) *stmtCache {
	return &stmtCache{byKey: map[stmtKey]*list.Element{}, lru: list.New(), max: max}
}

// Stmt returns the statement prepared for sql in database db on this
// connection, preparing it first when needed. A client's statement is
// bound to the database it was prepared in, as on the server: Strata
// prepares it on each backend connection in that database, whichever
// database the session has moved to since.
func (c *Conn) Stmt(db, sql string) (*Stmt, error) { return c.stmtIn(c.stmts, db, sql) }

// TextStmt is Stmt for a statement Strata prepares to run clients' text
// SELECTs by (RelayAsText), kept apart from clients' statements.
func (c *Conn) TextStmt(db, sql string) (*Stmt, error) { return c.stmtIn(c.textStmts, db, sql) }

func (c *Conn) stmtIn(cache *stmtCache, db, sql string) (*Stmt, error) {
	key := stmtKey{db, sql}
	if el, ok := cache.byKey[key]; ok {
		cache.lru.MoveToFront(el)
		return el.Value.(*Stmt), nil
	}
	st, err := c.prepareIn(db, sql)
	if err != nil {
		return nil, err
	}
	st.key = key
	cache.byKey[key] = cache.lru.PushFront(st)
	if cache.lru.Len() > cache.max {
		c.evictOldest(cache)
	}
	return st, nil
}

func (c *Conn) evictOldest(cache *stmtCache) { c.closeCached(cache, cache.lru.Back()) }

// CloseStmt closes the statement Stmt prepared for db and sql, when the
// cache holds it: one prepared for a single EXECUTE, whose text is not
// sent again.
func (c *Conn) CloseStmt(db, sql string) {
	if el, ok := c.stmts.byKey[stmtKey{db, sql}]; ok {
		c.closeCached(c.stmts, el)
	}
}

// closeCached drops el's statement from cache and closes it on the server.
func (c *Conn) closeCached(cache *stmtCache, el *list.Element) {
	st := el.Value.(*Stmt)
	cache.lru.Remove(el)
	delete(cache.byKey, st.key)
	c.closeOnServer(st.ID)
}

// closeOnServer closes statement id on the server.
func (c *Conn) closeOnServer(id uint32) {
	var p [5]byte
	p[0] = wire.ComStmtClose
	binary.LittleEndian.PutUint32(p[1:], id)
	_ = c.Command(p[:]) // COM_STMT_CLOSE has no reply
}

// ForgetStmts drops the cache after the server forgot its statements
// (COM_RESET_CONNECTION, COM_CHANGE_USER).
func (c *Conn) ForgetStmts() {
	c.stmts, c.textStmts = newStmtCache(maxStmtsPerConn), newStmtCache(maxTextStmtsPerConn)
}

// prepareIn prepares sql with db as the default database, the
// connection's own database back afterwards. A connection with no
// database keeps db: nothing can unselect one but a reset, and the
// session's next sync brings it in line.
func (c *Conn) prepareIn(db, sql string) (*Stmt, error) {
	prev := c.DB
	if db == "" || db == prev {
		return c.prepare(sql)
	}
	if err := c.SimpleCommand(wire.ComInitDB, db); err != nil {
		return nil, err
	}
	c.DB = db
	st, err := c.prepare(sql)
	if prev != "" && !c.Broken {
		if rerr := c.SimpleCommand(wire.ComInitDB, prev); rerr != nil {
			c.Broken = true // its database is unknown now: not reused
			return nil, rerr
		}
		c.DB = prev
	}
	return st, err
}

// prepare prepares sql. With a wait pending (WaitFirst) the wait goes
// first, in the same write; when it does not succeed, what the server
// prepared is closed again and the answer is ErrReplicaBehind (the server
// may lack a table the statement names, or a change to it).
func (c *Conn) prepare(sql string) (*Stmt, error) {
	c.scratch = append(c.scratch[:0], wire.ComStmtPrepare)
	c.scratch = append(c.scratch, sql...)
	if c.waitFirst == "" {
		if err := c.Command(c.scratch); err != nil {
			return nil, &ServerError{c.Addr, err}
		}
		return c.readPrepared()
	}
	applied, err := c.sendAfterWait(c.scratch)
	if err != nil {
		return nil, err
	}
	st, err := c.readPrepared()
	if applied || c.Broken {
		return st, err
	}
	if err == nil {
		c.closeOnServer(st.ID)
	}
	return nil, ErrReplicaBehind
}

// readPrepared reads the answer to a COM_STMT_PREPARE.
func (c *Conn) readPrepared() (*Stmt, error) {
	p, err := c.ReadPacket()
	if err != nil {
		c.Broken = true
		return nil, &ServerError{c.Addr, err}
	}
	if len(p) > 0 && p[0] == wire.HeaderErr {
		return nil, c.parseErr(p)
	}
	if len(p) < 12 || p[0] != wire.HeaderOK {
		c.Broken = true
		return nil, &ServerError{c.Addr, fmt.Errorf("malformed prepare reply")}
	}
	st := &Stmt{
		ID:         binary.LittleEndian.Uint32(p[1:]),
		NumColumns: int(binary.LittleEndian.Uint16(p[5:])),
		NumParams:  int(binary.LittleEndian.Uint16(p[7:])),
	}
	reply := &PrepareReply{NumParams: st.NumParams, NumColumns: st.NumColumns, Warnings: binary.LittleEndian.Uint16(p[10:])}
	if reply.Params, err = c.readDefs(st.NumParams); err != nil {
		return nil, err
	}
	if reply.Columns, err = c.readDefs(st.NumColumns); err != nil {
		return nil, err
	}
	st.Reply = reply
	return st, nil
}

// readDefs reads n definition packets and, without DEPRECATE_EOF, their EOF.
func (c *Conn) readDefs(n int) ([][]byte, error) {
	if n == 0 {
		return nil, nil
	}
	defs := make([][]byte, 0, n)
	for range n {
		p, err := c.ReadPacket()
		if err != nil {
			c.Broken = true
			return nil, &ServerError{c.Addr, err}
		}
		defs = append(defs, append([]byte(nil), p...))
	}
	if !c.Flavor.DeprecateEOF {
		if _, err := c.ReadPacket(); err != nil {
			c.Broken = true
			return nil, &ServerError{c.Addr, err}
		}
	}
	return defs, nil
}
