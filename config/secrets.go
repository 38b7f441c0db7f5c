package config

import (
	"fmt"
	"os"
	"regexp"
)

// envReference is a secret written as ${NAME}: the whole value names an
// environment variable. Only the whole value counts, so a password that
// merely contains a '$' is taken as it is.
var envReference = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// resolveSecrets replaces each password written as ${NAME} with the value
// of the environment variable NAME, so the file can be kept in version
// control and the secrets come from the service manager or the container
// (Kubernetes secrets as environment variables, systemd's Environment=).
// A file Strata rewrites (a switchover saving the topology) keeps the
// reference: only the clusters section is ever rewritten.
func (c *Config) resolveSecrets(p *problems) {
	resolve := func(path string, v *string) {
		m := envReference.FindStringSubmatch(*v)
		if m == nil {
			return
		}
		value, ok := os.LookupEnv(m[1])
		if !ok || value == "" {
			p.add(path, "names the environment variable %s, which is not set (or empty) in Strata's environment", m[1])
			return
		}
		*v = value
	}
	for i := range c.Users {
		resolve(fmt.Sprintf("users.%d.password", i), &c.Users[i].Password)
		resolve(fmt.Sprintf("users.%d.backend.password", i), &c.Users[i].Backend.Password)
	}
	resolve("backend.password", &c.Backend.Password)
	resolve("switchover.password", &c.Switchover.Password)
	resolve("switchover.replication_password", &c.Switchover.ReplicationPassword)
	resolve("admin_auth.password", &c.AdminAuth.Password)
}
