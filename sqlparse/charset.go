package sqlparse

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/charset"
)

// SetNamesFor renders the SET NAMES statement that gives a connection the
// character set and collation a client asked for in its handshake. MySQL 8
// collations a MariaDB server does not know fall back to the character
// set's default collation; unknown ids to utf8mb4.
func SetNamesFor(id byte) string {
	coll, err := charset.GetCollationByID(int(id))
	if err != nil || coll == nil {
		return "SET NAMES utf8mb4"
	}
	if strings.Contains(coll.Name, "0900") || strings.HasPrefix(coll.Name, "utf8mb4_zh") {
		return "SET NAMES " + coll.CharsetName
	}
	return "SET NAMES " + coll.CharsetName + " COLLATE " + coll.Name
}
