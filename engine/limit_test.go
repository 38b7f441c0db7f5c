package engine

import "testing"

func TestLimit(t *testing.T) {
	tests := []struct {
		offset, count int64
		want          string
		found         int64 // FOUND_ROWS() after it: rows read to the window's end
	}{
		{0, -1, "1;2;3;4;5", 5},
		{0, 2, "1;2", 2},
		{2, 2, "3;4", 4},
		{3, 10, "4;5", 5},
		{5, 1, "", 5},
		{10, 1, "", 5},
		{0, 0, "", 0},
		{-1, 1, "1", 1},
	}
	for _, tt := range tests {
		in := NewSliceStream(parse("1;2;3;4;5")...)
		l := NewLimit(in, tt.offset, tt.count)
		if got := collect(t, l); got != tt.want {
			t.Errorf("LIMIT %d OFFSET %d = %q, want %q", tt.count, tt.offset, got, tt.want)
		}
		if got := NewProject(l, 1).(FoundRowser).FoundRows(); got != tt.found {
			t.Errorf("LIMIT %d OFFSET %d: FOUND_ROWS() %d, want %d", tt.count, tt.offset, got, tt.found)
		}
		if tt.count == 0 && in.Read() != 0 {
			t.Errorf("LIMIT 0 read %d rows", in.Read())
		}
	}
}

// TestLimitOverMerge is the pushed-down plan: each shard returns LIMIT
// offset+count rows, the merge and the final LIMIT do the rest.
func TestLimitOverMerge(t *testing.T) {
	cmp, _ := NewComparator([]Column{intCol}, []SortKey{{Col: 0, Desc: true}})
	// ORDER BY i DESC LIMIT 2 OFFSET 3: every shard sent its top 5.
	srcs, _ := sources("100;90;50;40;30", "95;85;80;10;5", "99;1")
	if got := collect(t, NewLimit(NewMergeSort(cmp, srcs...), 3, 2)); got != "90;85" {
		t.Errorf("got %s, want 90;85", got)
	}
}
