package main

import (
	"fmt"

	"github.com/strata-proxy/strata/frontend"
)

const usersUsage = `usage: strata users [-c FILE] [-json]

Shows the accounts applications log in to a running Strata with: the auth
plugin, the server account their statements run as (users[].backend, else
backend.user), their open client connections and users[].max_connections
(- for none). A reload changes them.
`

// runUsers implements `strata users`.
func runUsers(args []string) error {
	fs, af := newAdminFlagSet("users", usersUsage, true)
	if _, err := parseArgs(fs, args); err != nil {
		return helpIsNoError(err)
	}
	var list []frontend.UserInfo
	if printed, err := callView(af, "GET", "/api/users", nil, &list); printed || err != nil {
		return err
	}
	tw := newTable()
	fmt.Fprintln(tw, "USER\tAUTH PLUGIN\tSERVER ACCOUNT\tCONNECTIONS\tMAX")
	for _, u := range list {
		limit := "-"
		if u.MaxConnections > 0 {
			limit = fmt.Sprint(u.MaxConnections)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", u.Name, u.AuthPlugin, u.ServerAccount, u.Connections, limit)
	}
	return tw.Flush()
}
