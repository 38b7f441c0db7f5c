package engine

import (
	"strings"
	"testing"
)

func TestValueComparer(t *testing.T) {
	unsigned := Column{Type: TypeLongLong, Flags: FlagUnsigned, Charset: CharsetBinary}
	tests := []struct {
		col  Column
		a, b Value
		want int
	}{
		{intCol, nil, nil, 0},
		{intCol, nil, Value("-5"), -1},
		{intCol, Value("9"), Value("10"), -1},
		{intCol, Value("-10"), Value("-9"), -1},
		{intCol, Value("-1"), Value("0"), -1},
		{intCol, Value("-0"), Value("0"), 0},
		{unsigned, Value("18446744073709551615"), Value("9223372036854775807"), 1},
		{decCol, Value("1.50"), Value("1.5"), 0},
		{decCol, Value("0.05"), Value("0.5"), -1},
		{decCol, Value("-0.05"), Value("-0.5"), 1},
		{decCol, Value("100.00"), Value("99.99"), 1},
		{decCol, Value("-0.00"), Value("0"), 0},
		{decCol, Value("123456789012345678901234567890.1"), Value("123456789012345678901234567890.01"), 1},
		{dblCol, Value("1e3"), Value("999.5"), 1},
		{dblCol, Value("-1.5"), Value("-1.25"), -1},
		{dblCol, Value("NaNx"), Value("1"), 1},
		{col("t", TypeTime, CharsetBinary), Value("-01:00:00"), Value("00:00:00"), -1},
		{col("t", TypeTime, CharsetBinary), Value("100:00:00"), Value("99:59:59"), 1},
		{col("t", TypeTime, CharsetBinary), Value("00:00:01.5"), Value("00:00:01.000001"), 1},
		{col("t", TypeTime, CharsetBinary), Value("-00:00:01"), Value("-00:00:02"), 1},
		{col("dt", TypeDateTime, CharsetBinary), Value("2024-06-03 10:00:00"), Value("2024-06-03 09:59:59"), 1},
		{col("dt", TypeDateTime, CharsetBinary), Value("2024-06-03 10:00:00"), Value("2024-06-03 10:00:00.5"), -1},
		{col("y", TypeYear, CharsetBinary), Value("1999"), Value("2000"), -1},
		{ciCol, Value("abc"), Value("ABC"), 0},
		{ciCol, Value(""), nil, 1},
		{binStrCol, Value("abc"), Value("ABC"), 1},
		{col("blob", TypeBlob, CharsetBinary), Value("a"), Value("a\x00"), -1},
	}
	for _, tt := range tests {
		f, err := ValueComparer(tt.col, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := f(tt.a, tt.b); got != tt.want {
			t.Errorf("type %#x: compare(%q, %q) = %d, want %d", tt.col.Type, tt.a, tt.b, got, tt.want)
		}
	}
}

func TestComparatorMultiKey(t *testing.T) {
	cols := []Column{ciCol, intCol, decCol}
	rows := parse("b,1,1.0;A,NULL,2;a,3,NULL;B,2,0.5;a,NULL,1")
	tests := []struct {
		keys []SortKey
		want string
	}{
		{[]SortKey{{Col: 0}, {Col: 1}}, "A,NULL,2;a,NULL,1;a,3,NULL;b,1,1.0;B,2,0.5"},
		{[]SortKey{{Col: 0, Desc: true}, {Col: 1, Desc: true}}, "B,2,0.5;b,1,1.0;a,3,NULL;A,NULL,2;a,NULL,1"},
		{[]SortKey{{Col: 2}}, "a,3,NULL;B,2,0.5;b,1,1.0;a,NULL,1;A,NULL,2"},
		{[]SortKey{{Col: 0, Collation: "utf8mb4_bin"}, {Col: 1}}, "A,NULL,2;B,2,0.5;a,NULL,1;a,3,NULL;b,1,1.0"},
	}
	for _, tt := range tests {
		c, err := NewComparator(cols, tt.keys)
		if err != nil {
			t.Fatal(err)
		}
		sorted := append([]Row(nil), rows...)
		stableSort(sorted, c)
		if got := show(sorted); got != tt.want {
			t.Errorf("keys %+v:\n got %s\nwant %s", tt.keys, got, tt.want)
		}
	}
}

// stableSort is an insertion sort, enough for tests.
func stableSort(rows []Row, c *Comparator) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && c.Compare(rows[j-1], rows[j]) > 0; j-- {
			rows[j-1], rows[j] = rows[j], rows[j-1]
		}
	}
}

func TestNewComparatorErrors(t *testing.T) {
	tests := []struct {
		cols []Column
		keys []SortKey
		want string
	}{
		{[]Column{intCol}, []SortKey{{Col: 1}}, "out of range"},
		{[]Column{col("s", TypeVarString, 9999)}, []SortKey{{Col: 0}}, "unknown collation id 9999"},
		{[]Column{ciCol}, []SortKey{{Col: 0, Collation: "klingon"}}, "unsupported collation"},
	}
	for _, tt := range tests {
		if _, err := NewComparator(tt.cols, tt.keys); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewComparator(%+v) error = %v, want %q", tt.keys, err, tt.want)
		}
	}
	if _, err := NewComparator([]Column{col("s", TypeVarString, 9999)}, []SortKey{{Col: 0, Collation: "utf8mb4_bin"}}); err != nil {
		t.Errorf("collation override not used: %v", err)
	}
}

// A BIT column's values arrive as their bytes and compare so; an
// expression of BIT type (MAX(b)) arrives as its number's digits and
// compares as a number: 5 before 31, not after it as text would.
func TestBitValuesCompareAsTheyArrive(t *testing.T) {
	column := Column{Name: "b", Type: TypeBit, OrgTable: "t", OrgName: "b"}
	expression := Column{Name: "MAX(b)", Type: TypeBit}
	for _, tc := range []struct {
		col  Column
		a, b string
	}{
		{column, "\x05", "\x1f"},
		{column, "\x00\xff", "\x01\x00"},
		{expression, "5", "31"},
		{expression, "0", "5"},
	} {
		cmp, err := ValueComparer(tc.col, "")
		if err != nil {
			t.Fatal(err)
		}
		if cmp(Value(tc.a), Value(tc.b)) >= 0 || cmp(Value(tc.b), Value(tc.a)) <= 0 {
			t.Errorf("%s: %q does not sort before %q", tc.col.Name, tc.a, tc.b)
		}
	}
}
