package shard

import (
	"slices"
	"testing"
)

func TestKeyTypeOf(t *testing.T) {
	for dataType, want := range map[string]KeyType{
		"int": KeyTypeInteger, "BIGINT": KeyTypeInteger, "tinyint": KeyTypeInteger,
		"varchar": KeyTypeText, "char": KeyTypeText, "varbinary": KeyTypeText, "text": KeyTypeText,
		"datetime": KeyTypeOther, "decimal": KeyTypeOther, "date": KeyTypeOther,
	} {
		if got := KeyTypeOf(dataType); got != want {
			t.Errorf("KeyTypeOf(%q) = %s, want %s", dataType, got, want)
		}
	}
}

func TestWithKeyTypesCopiesTheLayout(t *testing.T) {
	m, err := NewModulo("a", "id", []string{"s0", "s1"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLayout("main", []*Table{
		{Name: "a", Placement: PlaceSharded, Method: m},
		{Name: "b", Placement: PlaceSharded, Method: m},
		{Name: "r", Placement: PlaceReference},
	})
	if err != nil {
		t.Fatal(err)
	}
	next := l.WithKeyTypes(map[string]KeyColumn{"a": {Type: KeyTypeInteger}, "r": {Type: KeyTypeText}})
	if got := next.Table("a").KeyType; got != KeyTypeInteger {
		t.Errorf("a: %s, want integer", got)
	}
	if got := next.Table("r").KeyType; got != KeyTypeUnknown {
		t.Errorf("reference table r got key type %s", got)
	}
	if got := l.Table("a").KeyType; got != KeyTypeUnknown {
		t.Errorf("the original layout changed: a is %s", got)
	}
	if u := next.UnknownKeyTypes(); len(u) != 1 || u[0].Name != "b" {
		t.Errorf("unknown after learning a: %v, want b", u)
	}
	if !slices.Equal(next.ShardClusters(), l.ShardClusters()) || next.DefaultCluster() != "main" {
		t.Errorf("the copy lost the layout's clusters")
	}
}

func TestFoldsCase(t *testing.T) {
	for collation, want := range map[string]bool{
		"utf8mb4_general_ci": true, "utf8mb4_unicode_520_ci": true, "latin1_swedish_ci": true,
		"utf8mb4_uca1400_ai_cs": true, "utf8mb4_general_nopad_ci": true,
		"utf8mb4_bin": false, "utf8mb4_nopad_bin": false, "binary": false, "utf8mb4_uca1400_as_cs": false, "": false,
	} {
		if got := FoldsCase(collation); got != want {
			t.Errorf("FoldsCase(%q) = %v, want %v", collation, got, want)
		}
	}
}
