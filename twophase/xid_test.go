package twophase

import (
	"strings"
	"testing"
)

func TestXIDStatementsAndRecovery(t *testing.T) {
	x := XID{Gtrid: "strata-ab-7", Coordinator: "s0'; DROP"}
	if got, want := Prepare(x), "XA PREPARE X'7374726174612d61622d37',X'7330273b2044524f50',1398035009"; got != want {
		t.Fatalf("Prepare = %s, want %s", got, want)
	}
	data := []byte(x.Gtrid + x.Coordinator)
	tests := []struct {
		name     string
		formatID int64
		gl, bl   int
		data     []byte
		want     XID
		ok       bool
	}{
		{"strata's branch", FormatID, len(x.Gtrid), len(x.Coordinator), data, x, true},
		{"another application's format", 1, len(x.Gtrid), len(x.Coordinator), data, XID{}, false},
		{"lengths that do not add up", FormatID, len(x.Gtrid), len(x.Coordinator) + 1, data, XID{}, false},
		{"no bqual", FormatID, len(data), 0, data, XID{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseRecovered(tt.formatID, tt.gl, tt.bl, tt.data)
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s: ParseRecovered = %+v, %v; want %+v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestGtridsAreUniqueAndFitAnXID(t *testing.T) {
	a, b := NewGtrids(), NewGtrids()
	seen := map[string]bool{}
	for range 1000 {
		for _, g := range []string{a.Next(), b.Next()} {
			if seen[g] {
				t.Fatalf("transaction id %s handed out twice", g)
			}
			seen[g] = true
			if err := (XID{Gtrid: g, Coordinator: "main"}).Valid(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := (XID{Gtrid: "g", Coordinator: strings.Repeat("c", 65)}).Valid(); err == nil {
		t.Fatal("a 65-byte cluster name was accepted as a coordinator")
	}
}

func TestRecordCommitNamesTheTransaction(t *testing.T) {
	got := RecordCommit("strata-1")
	want := "INSERT INTO `strata`.`strata_twophase` (gtrid, decision) VALUES (X'7374726174612d31', 'commit')"
	if got != want {
		t.Fatalf("RecordCommit = %s, want %s", got, want)
	}
}
