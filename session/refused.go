package session

import (
	"slices"

	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/twophase"
	"github.com/strata-proxy/strata/wire"
)

// Statements Strata never runs, wherever they would be routed, and their
// errors.

// refusedAtOnce is the error of a statement Strata never runs, wherever
// it would be routed: one that would cost too much to read, SHUTDOWN,
// replication control, turning the binary log off, a change of the
// account running it or of another account Strata logs in as, an XA
// statement about Strata's own transactions, a change of the tables where
// Strata keeps its state, a file of a server's host read or written as
// Strata's account; any of them as the literal text of a PREPARE
// or EXECUTE IMMEDIATE (preparedtext.go). nil when stmts hold none.
func (s *Session) refusedAtOnce(stmts []*sqlparse.Facts) *wire.Error {
	for _, f := range stmts {
		account := s.stratasAccount(f.AccountsChanged)
		switch {
		case f.Unread != sqlparse.ReadFully:
			return errUnread(f.Unread)
		case f.Kind == sqlparse.KindShutdown:
			return errShutdownRefused()
		case f.ControlsReplication:
			return errReplicationControl()
		case !f.ReadOnly && s.readingMode().SkipsBinlog(f):
			return errSkipsBinlog()
		case f.OwnAccount:
			return s.errOwnAccount()
		case account != "":
			return errStrataAccount(account)
		case f.Kind == sqlparse.KindXA && s.namesStrataXA(f.Text):
			return errStrataXA()
		case s.changesStrataSchema(f):
			return s.errStrataSchema()
		case f.ServerFiles() && s.flavor.Account == "":
			return s.errServerFiles()
		}
		if f.Kind == sqlparse.KindPrepare {
			if e := s.refusedInPrepared(f); e != nil {
				return e
			}
		}
	}
	return nil
}

// errShutdownRefused answers SHUTDOWN, as a statement or as COM_SHUTDOWN
// (mariadb-admin shutdown). Through Strata it could only reach the
// primary, and stopping it would stop the cluster under every client of
// every application, not the server the client meant: that is done on the
// server's own address. The code is the server's for a missing privilege,
// which is what it is: no Strata user holds this one.
func errShutdownRefused() *wire.Error {
	return wire.NewError(wire.ErSpecificAccess,
		"Access denied; Strata does not pass SHUTDOWN on: it would stop the primary under every client of the cluster. Shut a server down on its own address (for a primary, after `strata switchover`)")
}

// errReplicationControl answers RESET MASTER, CHANGE MASTER TO and START,
// STOP or RESET SLAVE. Each is about one server's place in the
// replication topology, and through Strata it could only reach the
// primary: RESET MASTER there deletes the binary log every replica reads
// (they stop, unable to find their position), CHANGE MASTER and START
// SLAVE would make it a replica of another server, the others do nothing
// while the client believes it stopped or reset a replica. The code is
// the server's for a missing privilege, as for SHUTDOWN.
func errReplicationControl() *wire.Error {
	return wire.NewError(wire.ErSpecificAccess,
		"Access denied; Strata does not pass replication control on (RESET MASTER, CHANGE MASTER, START / STOP / RESET SLAVE): through Strata it would reach the primary, whose binary log every replica reads. Run it on the server's own address; Strata follows the topology it finds, and `strata switchover` moves the primary")
}

// errSkipsBinlog answers SET sql_log_bin = 0 (and SET STATEMENT
// sql_log_bin = 0 FOR ...). The session's writes would reach the primary
// and no replica: reads Strata sends to the replicas would never see
// them, and a replica promoted by a switchover or failover would lack
// them, acknowledged writes lost. The code is the server's for a missing
// privilege (SUPER or BINLOG ADMIN), which is what it is through Strata.
func errSkipsBinlog() *wire.Error {
	return wire.NewError(wire.ErSpecificAccess,
		"Access denied; Strata does not turn off sql_log_bin: this session's writes would reach the primary and none of the replicas, whose reads would never see them, and a replica promoted in a switchover would lose them. Run such maintenance on the server's own address")
}

// RefuseShutdown answers COM_SHUTDOWN.
func (s *Session) RefuseShutdown() error {
	return s.refuse(errShutdownRefused())
}

// errOwnAccount answers an account statement about the account running
// it (SET PASSWORD without FOR: mariadb-admin password, ALTER USER
// USER(), DROP USER CURRENT_USER()). Through Strata that is the server
// account Strata logs in as, shared by every session of the user (or of
// all users); a new password there would lock Strata out of the servers
// at its next login. The client's own password is Strata's config.
func (s *Session) errOwnAccount() *wire.Error {
	return wire.NewError(wire.ErNotSupportedYet,
		"Strata: this statement would change the server account Strata logs in as for user %s ('%s'), not %s's own: %s's password is Strata's (users: in its config; change it there and reload). To change a server account, name it: SET PASSWORD FOR 'user'@'host' = ..., ALTER USER 'user'@'host' ...",
		s.User, s.shared.Load().account, s.User, s.User)
}

// errUnread answers a statement Strata does not read because reading it
// would cost too much (sqlparse/unread.go): it cannot know where such a
// statement may run, so it runs nowhere. The message says what to write
// instead.
func errUnread(why sqlparse.Unread) *wire.Error {
	if why == sqlparse.UnreadJoinedStrings {
		return wire.NewError(wire.ErNotSupportedYet,
			"Strata: this statement holds thousands of string literals side by side ('a' 'b' 'c' ...), which Strata's parser would join at a cost that grows with the square of their number, so it cannot route it. Write them as one literal, or bind the value as a parameter")
	}
	return wire.NewError(wire.ErNotSupportedYet,
		"Strata: this statement nests too deep for Strata to read it (hundreds of thousands of parentheses, or of operators in one chain such as a WHERE of a hundred thousand ORs), so it cannot route it. Write a list of values as IN (...), or split the statement")
}

// namesStrataXA reports whether an XA statement names an xid of Strata's
// format (twophase.FormatID): a branch of one of Strata's transactions
// over several clusters, which XA RECOVER lists to every client of the
// server account.
func (s *Session) namesStrataXA(text string) bool {
	id, ok := s.readingMode().XAFormatID(text)
	return ok && id == twophase.FormatID
}

// errStrataXA answers a client's XA statement about an xid of Strata's
// format. Rolled back by a client, a branch whose transaction committed
// on the other clusters would lose its writes, acknowledged to the
// application; committed, one whose transaction rolled back would keep
// them. A client's own XA transaction in that format would be settled by
// Strata's resolver as one of its own.
func errStrataXA() *wire.Error {
	return wire.NewError(wire.ErNotSupportedYet,
		"Strata: XA transactions of format id %d ('STRA') are Strata's own, branches of transactions over several clusters, and Strata commits or rolls back each as its transaction decided (`strata transactions`, POST /api/transactions/resolve). Use another format id for your own XA transactions",
		twophase.FormatID)
}

// stateSchema is the schema of the tables where Strata keeps its own
// state on the servers (Env.StateTables).
const stateSchema = twophase.Schema

// changesStrataSchema reports whether f writes, locks (a locking read,
// LOCK TABLES, FLUSH TABLES ... WITH READ LOCK) or changes the definition
// of a table where Strata keeps its own state, or drops or
// alters the schema they live in. Reads are left alone: an operator may
// look. An application's own tables in a schema of that name are its own.
func (s *Session) changesStrataSchema(f *sqlparse.Facts) bool {
	if f.AltersSchema == stateSchema {
		return true
	}
	locks := f.Locking || f.Kind == sqlparse.KindLockTables // LOCK TABLES ... READ stops writers too
	if len(f.WriteTables) == 0 && !locks {
		return false
	}
	state := s.env.StateTables()
	in := func(t sqlparse.TableRef) bool {
		if t.Schema == "" {
			t.Schema = s.DB
		}
		return slices.Contains(state, t)
	}
	if slices.ContainsFunc(f.WriteTables, in) {
		return true
	}
	return locks && slices.ContainsFunc(f.Tables, in)
}

// errStrataSchema answers a client's change to Strata's own schema, with
// MariaDB's error for an account without rights on it. Changed behind
// Strata, a decision row gone would let the resolver roll back a branch
// of a committed transaction, and a sequence set back would hand out
// ids already used.
func (s *Session) errStrataSchema() *wire.Error {
	return wire.NewError(wire.ErDBAccessDenied,
		"Access denied for user '%s' to database '%s': Strata keeps its own state in tables of it (the decisions of transactions over several clusters, id sequences, rebalance marks), and a change by a client could lose or duplicate rows. Read it through Strata; change it on a server's own address, with Strata stopped",
		s.User, stateSchema)
}

// stratasAccount is the first of names that is a server account Strata
// logs in as (backend.user, users[].backend.user) or gives its replicas
// (switchover.user, .replication_user), "" for none.
func (s *Session) stratasAccount(names []string) string {
	if len(names) == 0 {
		return "" // every statement but account statements
	}
	var tools []string
	if t := s.env.toolAccounts.Load(); t != nil {
		tools = *t
	}
	for _, name := range names {
		if _, ok := s.env.Accounts.Password(name); ok || name == s.env.BackendLogin().User || slices.Contains(tools, name) {
			return name
		}
	}
	return ""
}

// errStrataAccount answers an account statement that would change, drop
// or take privileges from a server account Strata logs in as. Through
// Strata every client runs as such an account, with its privileges: a
// cleanup script's DROP USER, or a client's ALTER USER naming it, would
// lock Strata out of the servers at its next login, and every client with
// it.
func errStrataAccount(name string) *wire.Error {
	return wire.NewError(wire.ErNotSupportedYet,
		"Strata: this statement would change server account '%s', which Strata logs in as (backend.user, users[].backend.user, switchover.user or .replication_user in its config); without it Strata loses every server at its next login, or replicas their primary. Change it on a server's own address, and Strata's config with it (docs/operations.md tells how to rotate it)",
		name)
}

// errServerFiles answers a statement that reads or writes a file on a
// server's host (SELECT ... INTO OUTFILE / DUMPFILE, LOAD DATA INFILE
// without LOCAL, LOAD_FILE()) from a user without a server account of its
// own: it would run as Strata's account, whose FILE privilege the
// application's own account would not have on one server, and could read
// the server's key files or write where the server's user may. A user
// with its own account (users[].backend.user) is the server's to check.
func (s *Session) errServerFiles() *wire.Error {
	return wire.NewError(wire.ErSpecificAccess,
		"Access denied; you need (at least one of) the FILE privilege(s) for this operation: Strata does not pass on statements that read or write files on a server's host (SELECT ... INTO OUTFILE / DUMPFILE, LOAD DATA INFILE without LOCAL, LOAD_FILE()) for user %s, which runs as Strata's own server account. Send files with LOAD DATA LOCAL INFILE and write result rows on the client's side, or give the user a server account of its own (users[].backend.user in Strata's config): the server then checks its FILE privilege, on the primary",
		s.User)
}
