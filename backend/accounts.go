package backend

import "sync/atomic"

// Login is a server account: a user name and its password.
type Login struct {
	User, Password string
}

// Accounts maps the client users that reach the servers with a server
// account of their own (config users[].backend) to it; every other user's
// statements run as the default account (config backend.user). The
// servers then check each application's own privileges and show its own
// account in their process list and logs. A connection's account is part
// of its Flavor, so pooled connections are only reused by sessions of the
// same account. A reload replaces the table: connections already open keep
// the login they made.
type Accounts struct {
	table atomic.Pointer[accountTable]
}

type accountTable struct {
	byClient map[string]string // client user → server account
	password map[string]string // server account → password
}

// NewAccounts returns the table for logins (client user → server account).
func NewAccounts(logins map[string]Login) *Accounts {
	a := &Accounts{}
	a.Set(logins)
	return a
}

// Set replaces the table.
func (a *Accounts) Set(logins map[string]Login) {
	t := &accountTable{byClient: map[string]string{}, password: map[string]string{}}
	for client, l := range logins {
		t.byClient[client] = l.User
		t.password[l.User] = l.Password
	}
	a.table.Store(t)
}

// Of is the server account of client user ("": the default account).
func (a *Accounts) Of(clientUser string) string {
	if a == nil {
		return ""
	}
	return a.table.Load().byClient[clientUser]
}

// Password is the password of a server account in the table.
func (a *Accounts) Password(account string) (string, bool) {
	if a == nil {
		return "", false
	}
	p, ok := a.table.Load().password[account]
	return p, ok
}
