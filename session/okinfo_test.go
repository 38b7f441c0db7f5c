package session

import "testing"

func TestOKInfoAddsUpTheShardsLines(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"updates", []string{"Rows matched: 2  Changed: 1  Warnings: 0", "Rows matched: 4  Changed: 3  Warnings: 1"}, "Rows matched: 6  Changed: 4  Warnings: 1"},
		{"inserts", []string{"Records: 2  Duplicates: 0  Warnings: 0", "Records: 3  Duplicates: 1  Warnings: 2"}, "Records: 5  Duplicates: 1  Warnings: 2"},
		{"loads", []string{"Records: 3  Deleted: 0  Skipped: 1  Warnings: 1", "Records: 4  Deleted: 0  Skipped: 0  Warnings: 0"}, "Records: 7  Deleted: 0  Skipped: 1  Warnings: 1"},
		{"one part", []string{"Rows matched: 0  Changed: 0  Warnings: 0"}, "Rows matched: 0  Changed: 0  Warnings: 0"},
		{"no lines (DELETE)", nil, ""},
		{"a part without one", []string{"Records: 2  Duplicates: 0  Warnings: 0", ""}, ""},
		{"kinds mixed", []string{"Records: 2  Duplicates: 0  Warnings: 0", "Rows matched: 1  Changed: 1  Warnings: 0"}, ""},
		{"a line it cannot read", []string{"Rows matched: 1  Changed: 1  Warnings: 0", "Rows matched: many"}, ""},
	}
	for _, tt := range tests {
		var o okInfo
		for _, l := range tt.lines {
			o.add(l)
		}
		if got := o.String(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestOneRowDuplicatesCountAsOneServer(t *testing.T) {
	var o okInfo
	o.add("Records: 2  Duplicates: 1  Warnings: 1")
	o.addCounts(insertInfoFormat, []uint64{1, 0, 0})
	if got, want := o.String(), "Records: 3  Duplicates: 1  Warnings: 1"; got != want {
		t.Errorf("a part of one row added: %q, want %q", got, want)
	}
}
