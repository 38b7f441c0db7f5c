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
	forgot := forgetOverridden(v.m, name)
	if _, ok := v.m[name]; !ok || forgot {
		v.names = nil
	}
	v.m[name] = sql
	v.print = ""
}

// charsetGroups are the variables that set one another: SET NAMES (and
// SET CHARACTER SET) sets the client's, the results' and the connection's
// character set and collation, and a character set and its collation set
// each other. Variables are replayed in name order, not in the order the
// client set them, so within a group only what the last setting left may
// be replayed: a character_set_results = latin1 kept from before a later
// SET NAMES utf8mb4 would otherwise come after it on the next connection,
// and the client would read latin1 where one server sends UTF-8.
var charsetGroups = [][]string{
	{namesVar, "character_set_client", "character_set_results", "character_set_connection", "collation_connection"},
	{"character_set_database", "collation_database"},
	{"character_set_server", "collation_server"},
}

// overriddenBy lists the variables a SET of name gives new values.
func overriddenBy(name string) []string {
	switch name {
	case namesVar:
		return charsetGroups[0][1:]
	case "character_set_connection":
		return []string{"collation_connection"}
	case "collation_connection":
		return []string{"character_set_connection"}
	}
	for _, g := range charsetGroups[1:] {
		if name == g[0] {
			return g[1:]
		}
		if name == g[1] {
			return g[:1]
		}
	}
	return nil
}

// forgetOverridden deletes from m the variables a SET of name gives new
// values, and says whether there were any.
func forgetOverridden(m map[string]string, name string) bool {
	forgot := false
	for _, o := range overriddenBy(name) {
		if _, ok := m[o]; ok {
			delete(m, o)
			forgot = true
		}
	}
	return forgot
}

// charsetGroupDiffers says whether c holds other settings of group g than
// the session: then c's group is set again from its start, since setting
// only what differs could leave a member set in the wrong order.
func (v *varSet) charsetGroupDiffers(c *backend.Conn, g []string) bool {
	for _, name := range g {
		if c.Vars[name] != v.m[name] {
			return true
		}
	}
	return false
}

// resetCharsetGroups brings every group of c that differs from the
// session's back to where the session's settings start from: the first
// group by forgetting what c holds (its SET NAMES runs again and sets
// the rest), the others by their server defaults.
func (v *varSet) resetCharsetGroups(c *backend.Conn) error {
	if len(c.Vars) == 1 && len(v.m) == 1 {
		return nil // both hold SET NAMES alone, which setVar compares
	}
	if v.charsetGroupDiffers(c, charsetGroups[0]) {
		for _, name := range charsetGroups[0] {
			delete(c.Vars, name)
		}
	}
	for _, g := range charsetGroups[1:] {
		if !v.charsetGroupDiffers(c, g) {
			continue
		}
		for _, name := range g {
			if _, ok := c.Vars[name]; !ok {
				continue
			}
			if err := c.SimpleCommand(comQuery, "SET SESSION "+name+" = DEFAULT"); err != nil {
				c.NeedsReset = true
				return err
			}
			delete(c.Vars, name)
		}
	}
	return nil
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
	if err := v.resetCharsetGroups(c); err != nil {
		return err
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
		if strings.HasPrefix(name, "session_track") {
			// Another session's own trackers: the server's defaults
			// would not be Strata's, which report each write's GTID.
			if err := c.TrackGTID(); err != nil {
				return err
			}
			deleteTrackers(c.Vars)
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

// deleteTrackers forgets the session_track_* settings vars holds.
func deleteTrackers(vars map[string]string) {
	for name := range vars {
		if strings.HasPrefix(name, "session_track") {
			delete(vars, name)
		}
	}
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

// applyCharsets gives c the session's character sets alone (after a read
// that changed them for Strata's own use).
func (v *varSet) applyCharsets(c *backend.Conn) error {
	if err := v.resetCharsetGroups(c); err != nil {
		return err
	}
	for _, g := range charsetGroups {
		for _, name := range g {
			if want, ok := v.m[name]; ok {
				if err := setVar(c, name, want); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// setVar runs want on c unless c's variable name was last set by it.
func setVar(c *backend.Conn, name, want string) error {
	if c.Vars[name] == want {
		return nil
	}
	if err := c.SimpleCommand(comQuery, want); err != nil {
		return err
	}
	forgetOverridden(c.Vars, name)
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
