package frontend

import "net"

// localhost is the address of every client connected through Strata's
// Unix socket (listen_socket), whose peer has no address: a server names
// its socket clients so, in errors ('app'@'localhost'), the session list
// and the logs.
var localhost = &net.UnixAddr{Name: "localhost", Net: "unix"}
