package frontend

import (
	"fmt"

	"github.com/strata-proxy/strata/wire"
)

// commandNames names the commands Strata does not run, so that the error
// a client or an operator reads says which one it sent.
var commandNames = map[byte]string{
	0: "COM_SLEEP", 5: "COM_CREATE_DB", 6: "COM_DROP_DB", 11: "COM_CONNECT",
	13: "COM_DEBUG", 15: "COM_TIME", 16: "COM_DELAYED_INSERT", 18: "COM_BINLOG_DUMP", 19: "COM_TABLE_DUMP",
	20: "COM_CONNECT_OUT", 21: "COM_REGISTER_SLAVE", 28: "COM_STMT_FETCH", 29: "COM_DAEMON", 30: "COM_BINLOG_DUMP_GTID",
}

// why says what to do instead, for the commands someone sends on purpose:
// a replica or mariadb-binlog pointed at Strata, mariadb-admin debug.
var why = map[byte]string{
	18: replicationElsewhere, 19: replicationElsewhere, 21: replicationElsewhere, 30: replicationElsewhere,
	13: "it writes one server's state to that server's error log: send it to the server's own address",
	28: "Strata opens no server-side cursors: read the whole result (a client asks for a cursor only when told to)",
}

const replicationElsewhere = "Strata relays no replication stream: point the replica (or mariadb-binlog --read-from-remote-server) at the primary's own address"

// errUnknownCommand is the answer to a command Strata does not run: the
// server's 1047, naming the command and, where there is one, the way.
func errUnknownCommand(cmd byte) *wire.Error {
	name := fmt.Sprintf("Unknown command %d", cmd)
	if n, ok := commandNames[cmd]; ok {
		name += " (" + n + ")"
	}
	if w, ok := why[cmd]; ok {
		return wire.NewError(wire.ErUnknownCom, "%s: %s", name, w)
	}
	return wire.NewError(wire.ErUnknownCom, "%s: Strata does not support it", name)
}
