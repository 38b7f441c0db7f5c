package sqlparse

import "testing"

func TestSetNamesFor(t *testing.T) {
	for id, want := range map[byte]string{
		45:  "SET NAMES utf8mb4 COLLATE utf8mb4_general_ci",
		8:   "SET NAMES latin1 COLLATE latin1_swedish_ci",
		255: "SET NAMES utf8mb4", // MySQL 8's utf8mb4_0900_ai_ci: unknown to MariaDB 10.11
		0:   "SET NAMES utf8mb4",
	} {
		if got := SetNamesFor(id); got != want {
			t.Errorf("SetNamesFor(%d) = %q, want %q", id, got, want)
		}
	}
}
