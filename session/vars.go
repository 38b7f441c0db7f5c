package session

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/strata-proxy/strata/backend"
	"github.com/strata-proxy/strata/sqlparse"
)

// backendCollation is the collation every backend connection is opened
// with (utf8mb4_general_ci); a client asking for another one gets a SET NAMES
// on the connections that serve it.
const backendCollation = 45

// namesVar is the key of the character-set setting (SET NAMES, SET
// CHARACTER SET and the handshake collation all land here).
const namesVar = "names"

var backendNames = setNamesFor(backendCollation)

// varSet is a session's variables: name → the statement that sets it.
type varSet struct {
	m     map[string]string
	names []string // sortedNames cache; nil when stale
	print string   // fingerprint cache; "" when stale
}

func (v *varSet) init(collation byte) {
	v.m = map[string]string{namesVar: setNamesFor(collation)}
	v.names, v.print = nil, ""
}

func (v *varSet) set(name, sql string) {
	if name == "character set" {
		name = namesVar
	}
	if _, ok := v.m[name]; !ok {
		v.names = nil
	}
	v.m[name] = sql
	v.print = ""
}

// fingerprint is the variables as one string, for result cache keys.
func (v *varSet) fingerprint() string {
	if v.print == "" {
		var b strings.Builder
		for _, name := range v.sortedNames() {
			b.WriteString(v.m[name])
			b.WriteByte(';')
		}
		v.print = b.String()
	}
	return v.print
}

// apply brings c's variables in line with the session's: set what differs,
// return to defaults what the session never set. timeLimit, when not "",
// is the statement's max_statement_time (setStatementTime): it takes the
// place of the session's own for this statement, and stays on c so the
// next statement with the same limit costs no round trip.
func (v *varSet) apply(c *backend.Conn, timeLimit string) error {
	if len(c.Vars) == 0 {
		c.Vars[namesVar] = backendNames // a fresh or reset connection
	}
	for _, name := range v.sortedNames() {
		if name == statementTimeVar && timeLimit != "" {
			continue
		}
		if err := setVar(c, name, v.m[name]); err != nil {
			return err
		}
	}
	if timeLimit != "" {
		if err := setVar(c, statementTimeVar, timeLimit); err != nil {
			return err
		}
	}
	for name := range c.Vars {
		if _, ok := v.m[name]; ok || (name == statementTimeVar && timeLimit != "") {
			continue
		}
		if err := c.SimpleCommand(comQuery, "SET SESSION "+serverVarName(c, name)+" = DEFAULT"); err != nil {
			// A variable without a session default: start the connection over.
			c.NeedsReset = true
			return err
		}
		delete(c.Vars, name)
	}
	return nil
}

// serverVarName is the name c's server knows a variable by: the
// transaction characteristics are tracked under their MySQL 8 names, which
// MariaDB before 11.1 lacks, while every MariaDB has the tx_ ones.
func serverVarName(c *backend.Conn, name string) string {
	if !strings.Contains(c.Version, "MariaDB") {
		return name
	}
	switch name {
	case "transaction_isolation":
		return "tx_isolation"
	case "transaction_read_only":
		return "tx_read_only"
	}
	return name
}

// setVar runs want on c unless c's variable name was last set by it.
func setVar(c *backend.Conn, name, want string) error {
	if c.Vars[name] == want {
		return nil
	}
	if err := c.SimpleCommand(comQuery, want); err != nil {
		return err
	}
	c.Vars[name] = want
	return nil
}

// sortedNames orders variables so the character set comes first and the
// rest are applied in a stable order. The list is kept until a variable is
// added (every connection a statement takes is checked against it); callers
// must not change it.
func (v *varSet) sortedNames() []string {
	if v.names != nil {
		return v.names
	}
	names := make([]string, 0, len(v.m)+1)
	names = append(names, namesVar)
	for n := range v.m {
		if n != namesVar {
			names = append(names, n)
		}
	}
	sort.Strings(names[1:])
	v.names = names
	return names
}

const comQuery = 0x03

// setNamesFor renders the SET NAMES statement matching a handshake collation.
func setNamesFor(id byte) string { return sqlparse.SetNamesFor(id) }

// statementTimeVar is MariaDB's per-session limit on a statement's run time.
const statementTimeVar = "max_statement_time"

// setStatementTime is the statement that gives a connection a routing
// rule's timeout: the server itself then stops a matching statement that
// runs longer (error 1969, ER_STATEMENT_TIMEOUT) and frees what it held —
// no KILL from Strata that could race the connection's next user.
func setStatementTime(timeout time.Duration) string {
	return "SET SESSION " + statementTimeVar + " = " + strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64)
}
