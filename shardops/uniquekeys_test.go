package shardops

import (
	"reflect"
	"testing"

	"github.com/strata-proxy/strata/shard"
)

func TestShardLocalKeys(t *testing.T) {
	byEntry, err := shard.NewModulo("comments", "entry_id", []string{"s0", "s1"})
	if err != nil {
		t.Fatal(err)
	}
	sharded := &shard.Table{Name: "comments", Placement: shard.PlaceSharded, Method: byEntry}
	withSequence := &shard.Table{Name: "comments", Placement: shard.PlaceSharded, Method: byEntry, Sequence: &shard.TableSequence{Column: "id", Name: "seq"}}
	pk := UniqueKey{Name: "PRIMARY", Columns: []string{"id"}}
	withKey := UniqueKey{Name: "per_entry", Columns: []string{"slug", "Entry_ID"}}
	slug := UniqueKey{Name: "slug", Columns: []string{"slug"}}
	pkAndSlug := UniqueKey{Name: "PRIMARY", Columns: []string{"id", "slug"}}
	tests := []struct {
		name  string
		table *shard.Table
		keys  []UniqueKey
		want  []UniqueKey
	}{
		{"keys without the shard key are each shard's own", sharded, []UniqueKey{pk, withKey, slug}, []UniqueKey{pk, slug}},
		{"a key of the sequence's column alone is unique everywhere", withSequence, []UniqueKey{pk, slug}, []UniqueKey{slug}},
		{"the sequence's column with another is not", withSequence, []UniqueKey{pkAndSlug}, []UniqueKey{pkAndSlug}},
		{"a table on one cluster has none", &shard.Table{Name: "users", Placement: shard.PlaceCluster, Cluster: "accounts"}, []UniqueKey{pk}, nil},
	}
	for _, tt := range tests {
		if got := ShardLocalKeys(tt.table, tt.keys); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := pkAndSlug.String(); got != "PRIMARY (id, slug)" {
		t.Errorf("String() = %q", got)
	}
}
