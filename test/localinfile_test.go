package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A client that turned local files off (mariadb --local-infile=0) and
// sends LOAD DATA LOCAL or LOAD XML LOCAL gets the server's error 4166,
// and nothing is loaded. Before, Strata answered the server's request for
// the file with an empty one and the client heard of a load done with no
// rows.
func TestLocalInfileRefusedToAClientWithoutIt(t *testing.T) {
	t.Parallel()
	setupTables(t, "CREATE TABLE blog.li_off (id INT PRIMARY KEY)")
	dir := t.TempDir()
	csv, xml := filepath.Join(dir, "rows.txt"), filepath.Join(dir, "rows.xml")
	if err := os.WriteFile(csv, []byte("1\n2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(xml, []byte("<row><field name=\"id\">3</field></row>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`LOAD DATA LOCAL INFILE '%s' INTO TABLE li_off;
LOAD XML LOCAL INFILE '%s' INTO TABLE li_off;
SELECT /* strata:primary */ 'rows', COUNT(*) FROM li_off;
`, csv, xml)
	h, p := strataHostPort()
	for _, target := range []struct{ name, host, port, user, pass string }{
		{"through Strata", h, p, "app", "app"},
		{"direct", "127.0.0.1", fmt.Sprint(env.primary.Port), "root", ""},
	} {
		cmd := exec.CommandContext(ctxFor(t), "mariadb", "-h", target.host, "-P", target.port, "-u", target.user, "--password="+target.pass,
			"--batch", "--skip-ssl", "--local-infile=0", "--force", "blog")
		cmd.Stdin = strings.NewReader(script)
		out, _ := cmd.CombinedOutput() // --force: the errors are printed, the exit status is 0
		if n := strings.Count(string(out), "ERROR 4166 (HY000)"); n != 2 || !strings.Contains(string(out), "rows\t0") {
			t.Errorf("%s: %d errors 4166 of 2, or rows loaded:\n%s", target.name, n, out)
		}
	}
}
