package shard

import (
	"slices"
	"strings"
	"testing"
)

func TestLayout(t *testing.T) {
	mod, err := NewModulo("comments", "entry_id", []string{"s1", "s0"})
	if err != nil {
		t.Fatal(err)
	}
	rng, err := NewRange("events", "id", map[string]string{"s2": "..100", "s0": "100.."})
	if err != nil {
		t.Fatal(err)
	}
	in := []*Table{
		{Name: "Users", Placement: PlaceCluster, Cluster: "accounts"},
		{Name: "comments", Placement: PlaceSharded, Method: mod, ScatterDeny: true},
		{Name: "events", Placement: PlaceSharded, Method: rng, Sequence: &TableSequence{Column: "id", Name: "ev"}},
		{Name: "countries", Placement: PlaceReference},
	}
	l, err := NewLayout("main", in)
	if err != nil {
		t.Fatal(err)
	}
	if in[0].Name != "Users" {
		t.Error("NewLayout changed its input")
	}
	if got := l.Table("USERS"); got == nil || got.Name != "users" || got.Cluster != "accounts" || got.Placement != PlaceCluster {
		t.Errorf("Table(USERS) = %+v", got)
	}
	if l.Table("posts") != nil {
		t.Error("an unlisted table was found")
	}
	if got := l.ShardClusters(); !slices.Equal(got, []string{"s0", "s1", "s2"}) {
		t.Errorf("ShardClusters = %v", got)
	}
	var names []string
	for _, tb := range l.Tables() {
		names = append(names, tb.Name)
	}
	if !slices.Equal(names, []string{"comments", "countries", "events", "users"}) {
		t.Errorf("Tables = %v", names)
	}
	if l.Empty() || l.DefaultCluster() != "main" {
		t.Errorf("Empty = %v, DefaultCluster = %q", l.Empty(), l.DefaultCluster())
	}
	if !l.Table("comments").ScatterDeny || l.Table("events").Sequence.Name != "ev" {
		t.Error("table options lost")
	}
	if shard, start := rng.Last(); shard != "s0" || start != 100 {
		t.Errorf("Range.Last = %s, %d", shard, start)
	}
}

func TestLayoutNil(t *testing.T) {
	var l *Layout
	if l.Table("x") != nil || !l.Empty() || l.Tables() != nil || l.ShardClusters() != nil || l.DefaultCluster() != "" {
		t.Error("nil layout is not empty")
	}
	e, err := NewLayout("main", nil)
	if err != nil || !e.Empty() {
		t.Errorf("empty layout: %v, %v", e, err)
	}
}

func TestLayoutRejects(t *testing.T) {
	mod, _ := NewModulo("t", "id", []string{"s0"})
	tests := []struct {
		name   string
		tables []*Table
		want   string
	}{
		{"no name", []*Table{{Placement: PlaceReference}}, "has no name"},
		{"twice", []*Table{{Name: "a", Placement: PlaceCluster, Cluster: "x"}, {Name: "A", Placement: PlaceCluster, Cluster: "y"}}, "table a: listed twice"},
		{"no cluster", []*Table{{Name: "a", Placement: PlaceCluster}}, "without a cluster name"},
		{"no method", []*Table{{Name: "a", Placement: PlaceSharded}}, "sharded without a method"},
		{"default", []*Table{{Name: "a"}}, "placement default"},
		{"reference alone", []*Table{{Name: "c", Placement: PlaceReference}}, "no table is sharded"},
		{"bad sequence", []*Table{{Name: "a", Placement: PlaceSharded, Method: mod, Sequence: &TableSequence{Name: "s"}}}, "sequence needs a column"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewLayout("main", tt.tables)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestPlacementString(t *testing.T) {
	for p, want := range map[Placement]string{PlaceDefault: "default", PlaceCluster: "cluster", PlaceSharded: "sharded", PlaceReference: "reference", 9: "Placement(9)"} {
		if got := p.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", p, got, want)
		}
	}
}
