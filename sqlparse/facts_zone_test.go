package sqlparse

import "testing"

// A SET of time_zone gives the session the zone unquoted, and DEFAULT
// the server's own (""), as the planner reads a session's TIMESTAMP
// literals in it.
func TestSessionVarZone(t *testing.T) {
	for value, want := range map[string]string{"+02:00": "+02:00", "'+02:00'": "+02:00", `"UTC"`: "UTC", "DEFAULT": "", "default": "", " Europe/Berlin ": "Europe/Berlin"} {
		if got := (SessionVar{Name: "time_zone", Value: value}).Zone(); got != want {
			t.Errorf("Zone of %q = %q, want %q", value, got, want)
		}
	}
}
