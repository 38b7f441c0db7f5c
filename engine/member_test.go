package engine

import "testing"

// An ENUM sorts by member number and a SET by its bits, as a server sorts
// them; without its members Strata refuses to sort one.
func TestMemberComparer(t *testing.T) {
	enum := Column{Name: "e", Type: TypeString, Flags: FlagEnum, Charset: 45, Members: []string{"zeta", "alpha", "mid"}}
	set := Column{Name: "s", Type: TypeString, Flags: FlagSet, Charset: 45, Members: []string{"b", "a", "c"}}
	for _, tc := range []struct {
		col  Column
		a, b string
		want int
	}{
		{enum, "zeta", "alpha", -1},
		{enum, "mid", "alpha", 1},
		{enum, "", "zeta", -1}, // the invalid '' is 0
		{set, "a", "b", 1},     // bit 2 > bit 1
		{set, "b,c", "a", 1},   // 5 > 2
		{set, "", "b", -1},
		{set, "b,a", "c", -1}, // 3 < 4
	} {
		cmp, err := ValueComparer(tc.col, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := cmp(Value(tc.a), Value(tc.b)); got != tc.want {
			t.Errorf("%s: %q vs %q = %d, want %d", tc.col.Name, tc.a, tc.b, got, tc.want)
		}
	}
	enum.Members = nil
	if _, err := ValueComparer(enum, ""); err == nil {
		t.Error("an ENUM of unknown members was sorted")
	}
	if _, err := ValueComparer(enum, "utf8mb4_bin"); err != nil {
		t.Errorf("with an explicit COLLATE (text order): %v", err)
	}
}
