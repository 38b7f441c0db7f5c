package sqlparse

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestDumpTmp(t *testing.T) {
	fh, err := os.Open(os.Getenv("DUMP"))
	if err != nil {
		t.Skip()
	}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		facts, err := ParseOrFallback(sc.Text())
		fmt.Printf("== %s\n", sc.Text())
		if err != nil {
			fmt.Printf("   ERR %v\n", err)
		}
		for _, f := range facts {
			b, _ := json.Marshal(f)
			fmt.Printf("   %s\n", compact(string(b)))
		}
	}
}

func compact(s string) string {
	for _, z := range []string{`"ReadOnly":false,`, `"Locking":false,`, `"Tables":null,`, `"WriteTables":null,`, `"StartsTx":false,`, `"EndsTx":false,`, `"ImplicitCommit":false,`, `"ReadOnlyTx":false,`, `"Autocommit":null,`, `"NextTxSettings":false,`, `"SessionVars":null,`, `"SetsUserVars":false,`, `"ReadsUserVars":false,`, `"TempTable":false,`, `"LockFunctions":false,`, `"SessionFunctions":false,`, `"CalcFoundRows":false,`, `"SideEffects":false,`, `"StoredFunctions":false,`, `"Schema":"",`, `"IntoOutfile":false,`, `"PrepareName":"",`, `"PrepareSQL":"",`, `"KillID":0,`, `"KillQuery":false,`, `"Hint":{"Primary":false,"Pool":"","Shard":""},`, `,"Fallback":false`} {
		s = strings.ReplaceAll(s, z, "")
	}
	return s
}
