package session

import (
	"sort"
	"strings"

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
// return to defaults what the session never set.
func (v *varSet) apply(c *backend.Conn) error {
	if len(c.Vars) == 0 {
		c.Vars[namesVar] = backendNames // a fresh or reset connection
	}
	for _, name := range v.sortedNames() {
		want := v.m[name]
		if c.Vars[name] == want {
			continue
		}
		if err := c.SimpleCommand(comQuery, want); err != nil {
			return err
		}
		c.Vars[name] = want
	}
	for name := range c.Vars {
		if _, ok := v.m[name]; ok {
			continue
		}
		if err := c.SimpleCommand(comQuery, "SET SESSION "+name+" = DEFAULT"); err != nil {
			// A variable without a session default: start the connection over.
			c.NeedsReset = true
			return err
		}
		delete(c.Vars, name)
	}
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
