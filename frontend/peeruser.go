package frontend

import (
	"os/user"
	"strconv"

	"github.com/strata-proxy/strata/wire"
)

// errAccessDeniedNoPassword is MariaDB's error for a unix_socket login
// that is not the account's operating-system user.
const errAccessDeniedNoPassword = 1698 // ER_ACCESS_DENIED_NO_PASSWORD_ERROR

// checkPeerUser admits a unix_socket account's login: the client must
// have come through listen_socket (with TLS on it or not), as the
// operating-system user named like the account, as the kernel reports
// the socket's peer (SO_PEERCRED) and MariaDB's unix_socket plugin checks
// it. Over TCP there is no such user to ask, so it is refused.
func checkPeerUser(c *wire.Conn, account string) error {
	uid, ok := c.PeerUID()
	if ok {
		u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
		if err == nil && u.Username == account {
			return nil
		}
	}
	return wire.NewError(errAccessDeniedNoPassword, "Access denied for user '%s'@'localhost' (auth_plugin unix_socket: connect through listen_socket as the operating-system user %s)", account, account)
}
