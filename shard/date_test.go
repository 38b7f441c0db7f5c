package shard

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, ok := parseDateTime(s)
	if !ok {
		panic(s)
	}
	return t
}

func newPosts(t *testing.T, period, since string, ahead int, ranges map[string]string) *Date {
	t.Helper()
	d, err := NewDate("posts", Config{ShardKey: "created_at", Method: "date", Period: period,
		Since: since, Ahead: ahead, Ranges: ranges,
		Now: func() time.Time { return day("2024-06-15 12:00:00") }})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func monthlyPosts(t *testing.T) *Date {
	return newPosts(t, PeriodMonth, "2023-10-01", 1,
		map[string]string{"archive": "..2024-01-01", "s0": "2024-01-01..2024-04-01", "s1": "2024-04-01.."})
}

func TestDateShardForAndPeriodTable(t *testing.T) {
	d := monthlyPosts(t)
	tests := []struct {
		v            Value
		shard, table string
	}{
		{Time(day("2023-12-31 23:59:59")), "archive", "posts_2023_12"},
		{Time(day("2024-01-01")), "s0", "posts_2024_01"},
		{String("2024-03-31 10:00:00"), "s0", "posts_2024_03"},
		{String("2024-06-03"), "s1", "posts_2024_06"},
		{Time(day("1999-01-01")), "archive", "posts_1999_01"},
	}
	for _, tt := range tests {
		shard, err := d.ShardFor(tt.v)
		if err != nil || shard != tt.shard || d.PeriodTable(tt.v) != tt.table {
			t.Errorf("%v: shard %q (%v), table %q; want %q, %q", tt.v, shard, err, d.PeriodTable(tt.v), tt.shard, tt.table)
		}
	}
	for _, v := range []Value{Int(20240101), String("yesterday"), Null()} {
		if _, err := d.ShardFor(v); err == nil || d.PeriodTable(v) != "" {
			t.Errorf("ShardFor(%v) accepted", v)
		}
	}
}

func TestDatePeriodSuffixes(t *testing.T) {
	v := Time(day("2024-06-03 10:00:00"))
	tests := []struct {
		period, want string
	}{
		{PeriodDay, "posts_2024_06_03"},
		{PeriodMonth, "posts_2024_06"},
		{PeriodYear, "posts_2024"},
	}
	for _, tt := range tests {
		d := newPosts(t, tt.period, "2024-01-01", 0, map[string]string{"s0": ".."})
		if got := d.PeriodTable(v); got != tt.want {
			t.Errorf("%s: PeriodTable = %q, want %q", tt.period, got, tt.want)
		}
	}
}

func TestDateTablesFor(t *testing.T) {
	d := monthlyPosts(t) // since 2023-10, now 2024-06, one month ahead: 2023_10 .. 2024_07
	tests := []struct {
		name   string
		lo, hi Bound
		want   string
	}{
		{"unbounded", Bound{}, Bound{},
			"2024_07 2024_06 2024_05 2024_04 2024_03 2024_02 2024_01 2023_12 2023_11 2023_10"},
		{"since May", Incl(String("2024-05-10")), Bound{}, "2024_07 2024_06 2024_05"},
		{"before Feb", Bound{}, Excl(String("2024-02-01")), "2024_01 2023_12 2023_11 2023_10"},
		{"up to Feb 1 inclusive", Bound{}, Incl(String("2024-02-01")), "2024_02 2024_01 2023_12 2023_11 2023_10"},
		{"one month", Incl(Time(day("2024-03-01"))), Excl(Time(day("2024-04-01"))), "2024_03"},
		{"inside a month", Excl(String("2024-03-05")), Incl(String("2024-03-09 10:00")), "2024_03"},
		{"clipped below since", Incl(String("2000-01-01")), Excl(String("2023-12-01")), "2023_11 2023_10"},
		{"clipped above ahead", Incl(String("2024-07-15")), Incl(String("2030-01-01")), "2024_07"},
		{"empty", Incl(String("2024-05-01")), Incl(String("2024-03-01")), ""},
		{"null", Incl(Null()), Bound{}, ""},
		{"non-date bound is ignored", Incl(Int(5)), Excl(String("2023-12-01")), "2023_11 2023_10"},
	}
	for _, tt := range tests {
		got := strings.ReplaceAll(strings.Join(d.TablesFor(tt.lo, tt.hi), " "), "posts_", "")
		if got != tt.want {
			t.Errorf("%s: TablesFor = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDateTablesShards(t *testing.T) {
	d := monthlyPosts(t)
	got := d.DateTables(Incl(String("2023-12-01")), Excl(String("2024-05-01")))
	want := []DateTable{
		{"posts_2024_04", "s1", day("2024-04-01"), day("2024-05-01")},
		{"posts_2024_03", "s0", day("2024-03-01"), day("2024-04-01")},
		{"posts_2024_02", "s0", day("2024-02-01"), day("2024-03-01")},
		{"posts_2024_01", "s0", day("2024-01-01"), day("2024-02-01")},
		{"posts_2023_12", "archive", day("2023-12-01"), day("2024-01-01")},
	}
	if !slices.Equal(got, want) {
		t.Errorf("DateTables = %v\nwant %v", got, want)
	}
}

func TestDateShardsForRange(t *testing.T) {
	d := monthlyPosts(t)
	tests := []struct {
		lo, hi Bound
		want   []string
	}{
		{Bound{}, Bound{}, []string{"archive", "s0", "s1"}},
		{Incl(String("2024-02-01")), Bound{}, []string{"s0", "s1"}},
		{Bound{}, Excl(String("2024-01-01")), []string{"archive"}},
		{Incl(String("2024-04-01")), Incl(String("2024-06-30 23:59:59")), []string{"s1"}},
		{Incl(Null()), Bound{}, nil},
	}
	for _, tt := range tests {
		got, err := d.ShardsForRange(tt.lo, tt.hi)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ShardsForRange(%v, %v) = %v, %v; want %v", tt.lo, tt.hi, got, err, tt.want)
		}
	}
	if _, err := d.ShardsForRange(Incl(Int(5)), Bound{}); !errors.Is(err, ErrKeyType) {
		t.Errorf("ShardsForRange(5) error = %v, want ErrKeyType", err)
	}
}

func TestDateNextPeriods(t *testing.T) {
	tests := []struct {
		period string
		now    string
		n      int
		want   string
	}{
		{PeriodMonth, "2024-11-20 08:00:00", 3, "posts_2024_11 posts_2024_12 posts_2025_01"},
		{PeriodDay, "2024-02-28", 3, "posts_2024_02_28 posts_2024_02_29 posts_2024_03_01"},
		{PeriodYear, "2024-06-01", 2, "posts_2024 posts_2025"},
		{PeriodMonth, "2024-01-31", 2, "posts_2024_01 posts_2024_02"},
		{PeriodMonth, "2024-01-31", 0, ""},
	}
	for _, tt := range tests {
		d := newPosts(t, tt.period, "2020-01-01", 0, map[string]string{"s0": ".."})
		if got := strings.Join(d.NextPeriods(day(tt.now), tt.n), " "); got != tt.want {
			t.Errorf("%s NextPeriods(%s, %d) = %q, want %q", tt.period, tt.now, tt.n, got, tt.want)
		}
	}
	d := monthlyPosts(t)
	up := d.Upcoming(day("2024-03-20"), 2)
	if len(up) != 2 || up[0].Shard != "s0" || up[1].Shard != "s1" {
		t.Errorf("Upcoming = %v, want March on s0 and April on s1", up)
	}
}

// KeptPeriod: the periods whose tables DateTables lists, since through
// ahead, and no other.
func TestDateKeptPeriod(t *testing.T) {
	d := monthlyPosts(t) // since 2023-10, now 2024-06, one month ahead: 2023_10 .. 2024_07
	for _, tt := range []struct {
		key  Value
		kept bool
	}{
		{String("2023-10-01"), true},
		{String("2023-09-30 23:59:59"), false},
		{String("2024-06-15"), true},
		{Time(day("2024-07-31 23:00:00")), true},
		{String("2024-08-01"), false},
		{String("2000-01-01"), false},
		{Int(5), false},
	} {
		if got := d.KeptPeriod(tt.key); got != tt.kept {
			t.Errorf("KeptPeriod(%v) = %v, want %v", tt.key, got, tt.kept)
		}
	}
	if first, last := d.KeptPeriods(); first != "posts_2023_10" || last != "posts_2024_07" {
		t.Errorf("KeptPeriods = %s, %s", first, last)
	}
}

// With keep: 3 a monthly table keeps the current month and the two
// before it (now is 2024-06-15): older periods are neither read nor
// written, and their tables are Expired; names that are not period
// tables of the table, and kept periods, are not.
func TestDateKeep(t *testing.T) {
	d, err := NewDate("posts", Config{ShardKey: "created_at", Method: "date", Period: PeriodMonth,
		Since: "2023-10-01", Ahead: 1, Keep: 3, Ranges: map[string]string{"archive": "..2024-01-01", "s1": "2024-01-01.."},
		Now: func() time.Time { return day("2024-06-15 12:00:00") }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		key  string
		kept bool
	}{
		{"2024-04-01", true}, {"2024-03-31 23:59:59", false}, {"2024-07-31", true}, {"2023-10-01", false},
	} {
		if got := d.KeptPeriod(String(tt.key)); got != tt.kept {
			t.Errorf("KeptPeriod(%s) = %v, want %v", tt.key, got, tt.kept)
		}
	}
	if first, last := d.KeptPeriods(); first != "posts_2024_04" || last != "posts_2024_07" {
		t.Errorf("KeptPeriods = %s, %s", first, last)
	}
	if got := d.TablesFor(Bound{}, Bound{}); !slices.Equal(got, []string{"posts_2024_07", "posts_2024_06", "posts_2024_05", "posts_2024_04"}) {
		t.Errorf("TablesFor(all) = %v", got)
	}
	for table, want := range map[string]bool{
		"posts_2024_03": true, "posts_2023_01": true, "POSTS_2019_12": true,
		"posts_2024_04": false, "posts_2024_07": false, "posts": false, "posts_2024_3": false,
		"posts_2024_13": false, "posts_archive": false, "posts_2024_03_01": false, "postsx_2024_03": false,
	} {
		if got := d.Expired(table); got != want {
			t.Errorf("Expired(%s) = %v, want %v", table, got, want)
		}
	}
	// By a clock a month and a half behind (a server's), March is kept.
	if d.ExpiredAt("posts_2024_03", day("2024-05-01")) || !d.ExpiredAt("posts_2024_02", day("2024-05-01")) {
		t.Error("ExpiredAt by an earlier clock: want posts_2024_03 kept and posts_2024_02 past keep:")
	}
	if noKeep := monthlyPosts(t); noKeep.Expired("posts_2020_01") {
		t.Error("without keep: a period table was Expired")
	}
}

func TestIsPeriodTable(t *testing.T) {
	monthly := monthlyPosts(t)
	daily := newPosts(t, PeriodDay, "2024-06-01", 1, map[string]string{"s0": "..2024-06-10", "s1": "2024-06-10.."})
	yearly := newPosts(t, PeriodYear, "2023-01-01", 1, map[string]string{"s0": "..2024-01-01", "s1": "2024-01-01.."})
	for _, tt := range []struct {
		d    *Date
		name string
		want bool
	}{
		{monthly, "posts_2024_06", true},
		{monthly, "POSTS_2024_06", true}, // as a server may spell it
		{monthly, "posts_2024_6", false},
		{monthly, "posts_2024_13", false},
		{monthly, "posts_2024", false},
		{monthly, "posts", false},
		{monthly, "postsx_2024_06", false},
		{monthly, "comments_2024_06", false},
		{daily, "posts_2024_06_03", true},
		{daily, "posts_2024_06", false},
		{yearly, "posts_2024", true},
		{yearly, "posts_2024_01", false},
	} {
		if got := tt.d.IsPeriodTable(tt.name); got != tt.want {
			t.Errorf("%s period %s: IsPeriodTable(%q) = %v, want %v", tt.d.table, tt.d.period, tt.name, got, tt.want)
		}
	}
}
