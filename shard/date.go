package shard

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Periods of the date method.
const (
	PeriodDay   = "day"
	PeriodMonth = "month"
	PeriodYear  = "year"
)

// Date shards by date ranges (which shard) and splits every shard into one
// table per period (which table): rows of June 2024 live in posts_2024_06
// on the shard whose range holds 2024-06. Range boundaries must fall on
// period starts so that no period table spans two shards.
//
// Times are wall clocks without zone, like DATETIME; strings in MySQL date
// or datetime format are accepted as keys.
type Date struct {
	base
	spans  *spans[time.Time]
	period string
	since  time.Time // start of the oldest period table
	ahead  int
	keep   int // periods kept up to the current one; 0: all from since
	now    func() time.Time
}

// DateTable is one period table and where it lives.
type DateTable struct {
	Table      string
	Shard      string
	Start, End time.Time // [Start, End)
}

var dateSyntax = spanSyntax[time.Time]{
	sep: "..",
	parse: func(s string) (time.Time, error) {
		if t, ok := parseDateTime(s); ok {
			return t, nil
		}
		return time.Time{}, fmt.Errorf("%q is not a date", s)
	},
	cmp:  func(a, b time.Time) int { return a.Compare(b) },
	show: showDate,
}

func showDate(t time.Time) string {
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format(time.DateOnly)
	}
	return formatTime(t)
}

// NewDate builds a date method from c.Ranges, c.Period, c.Since, c.Ahead
// and c.Now.
func NewDate(table string, c Config) (*Date, error) {
	switch c.Period {
	case PeriodDay, PeriodMonth, PeriodYear:
	default:
		return nil, fmt.Errorf("table %s: date period %q must be day, month or year", table, c.Period)
	}
	s, err := newSpans(table, c.Ranges, dateSyntax)
	if err != nil {
		return nil, err
	}
	d := &Date{base: base{table: table, key: c.ShardKey, shards: s.shards()},
		spans: s, period: c.Period, ahead: c.Ahead, keep: c.Keep, now: c.Now}
	if d.now == nil {
		d.now = time.Now
	}
	if err := d.checkAligned(); err != nil {
		return nil, err
	}
	return d, d.setSince(c.Since)
}

// checkAligned refuses boundaries inside a period, which would split one
// period table across two shards.
func (d *Date) checkAligned() error {
	for _, sp := range d.spans.list {
		if sp.hasLo && !d.truncate(sp.lo).Equal(sp.lo) {
			return d.errf("range %q starts at %s, inside a %s: table %s would span two shards",
				sp.spec, showDate(sp.lo), d.period, d.tableName(sp.lo))
		}
	}
	return nil
}

func (d *Date) setSince(since string) error {
	if since == "" {
		return d.errf("date method needs since: the oldest period, where scans without a lower bound stop")
	}
	t, ok := parseDateTime(since)
	if !ok {
		return d.errf("since %q is not a date", since)
	}
	if d.ahead < 0 {
		return d.errf("ahead %d is negative", d.ahead)
	}
	if d.keep < 0 {
		return d.errf("keep %d is negative", d.keep)
	}
	d.since = d.truncate(t)
	return nil
}

// truncate returns the start of the period holding t.
func (d *Date) truncate(t time.Time) time.Time {
	y, m, day := t.Date()
	switch d.period {
	case PeriodYear:
		m, day = time.January, 1
	case PeriodMonth:
		day = 1
	}
	return time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
}

// step moves a period start n periods forward (or back if n < 0).
func (d *Date) step(t time.Time, n int) time.Time {
	switch d.period {
	case PeriodYear:
		return t.AddDate(n, 0, 0)
	case PeriodMonth:
		return t.AddDate(0, n, 0)
	}
	return t.AddDate(0, 0, n)
}

// tableName is the table of the period holding t: posts_2024_06_03,
// posts_2024_06 or posts_2024.
func (d *Date) tableName(t time.Time) string {
	switch d.period {
	case PeriodYear:
		return fmt.Sprintf("%s_%04d", d.table, t.Year())
	case PeriodMonth:
		return fmt.Sprintf("%s_%04d_%02d", d.table, t.Year(), int(t.Month()))
	}
	return fmt.Sprintf("%s_%04d_%02d_%02d", d.table, t.Year(), int(t.Month()), t.Day())
}

// IsPeriodTable reports whether name is the table of one of d's periods
// (posts_2024_06 for a monthly posts), as a server names it in a result's
// column definitions.
func (d *Date) IsPeriodTable(name string) bool {
	suffix, ok := strings.CutPrefix(strings.ToLower(name), d.table+"_")
	if !ok {
		return false
	}
	layout := map[string]string{PeriodYear: "2006", PeriodMonth: "2006_01"}[d.period]
	if layout == "" {
		layout = "2006_01_02"
	}
	t, err := time.Parse(layout, suffix)
	return err == nil && d.tableName(t) == strings.ToLower(name)
}

// Name implements Method.
func (d *Date) Name() string { return MethodDate }

// Ordered implements Method.
func (d *Date) Ordered() bool { return true }

// Period returns the table period (day, month or year).
func (d *Date) Period() string { return d.period }

// ShardFor implements Method.
func (d *Date) ShardFor(v Value) (string, error) {
	t, err := v.asTime()
	if err != nil {
		return "", d.errf("%w", err)
	}
	return d.spans.find(t).shard, nil
}

// ShardForContext implements Method.
func (d *Date) ShardForContext(_ context.Context, v Value) (string, error) {
	return d.ShardFor(v)
}

// ShardsForRange implements Method.
func (d *Date) ShardsForRange(lo, hi Bound) ([]string, error) {
	if lo.nullBound() || hi.nullBound() {
		return nil, nil
	}
	l, err := convertBound(lo, Value.asTime)
	if err != nil {
		return nil, d.errf("%w", err)
	}
	h, err := convertBound(hi, Value.asTime)
	if err != nil {
		return nil, d.errf("%w", err)
	}
	return d.spans.overlapping(l, h), nil
}

// PeriodTable returns the table holding key v, e.g. posts_2024_06, or ""
// when v is not a date (ShardFor says why).
func (d *Date) PeriodTable(v Value) string {
	t, err := v.asTime()
	if err != nil {
		return ""
	}
	return d.tableName(t)
}

// KeptPeriod reports whether key v falls in a period whose table Strata
// keeps (the tables DateTables lists): from since (or, with keep, the
// oldest of the keep periods up to the current one) through ahead periods
// past the current one. No row holds a key of another period, and none
// can be written with one.
func (d *Date) KeptPeriod(v Value) bool {
	t, err := v.asTime()
	if err != nil {
		return false
	}
	start := d.truncate(t)
	return !start.Before(d.oldest()) && !start.After(d.newest())
}

// KeptPeriods names the first and the last period table Strata keeps.
func (d *Date) KeptPeriods() (first, last string) {
	return d.tableName(d.oldest()), d.tableName(d.newest())
}

// oldest is the start of the oldest period Strata keeps: since, or with
// keep the period keep-1 before the current one where that is later.
func (d *Date) oldest() time.Time { return d.oldestAt(d.now()) }

// oldestAt is oldest by the clock reading now.
func (d *Date) oldestAt(now time.Time) time.Time {
	if d.keep <= 0 {
		return d.since
	}
	return later(d.since, d.step(d.truncate(Time(now).t), 1-d.keep))
}

// newest is the start of the newest period Strata keeps: ahead periods
// past the current one.
func (d *Date) newest() time.Time {
	return d.step(d.truncate(Time(d.now()).t), d.ahead)
}

// Keep returns how many periods up to the current one Strata keeps (0:
// every one from since on).
func (d *Date) Keep() int { return d.keep }

// Expired reports whether table names a period table of d older than the
// oldest Strata keeps (tables before since included): one keep: lets
// DropExpired drop. Other names, and tables of kept periods, are not.
func (d *Date) Expired(table string) bool { return d.ExpiredAt(table, d.now()) }

// ExpiredAt is Expired by the clock reading now (a server's, say, where
// a table should go only when both clocks agree that it is past keep:).
func (d *Date) ExpiredAt(table string, now time.Time) bool {
	if d.keep <= 0 {
		return false
	}
	start, ok := d.PeriodStart(table)
	return ok && start.Before(d.oldestAt(now))
}

// PeriodStart reads the start of the period a period table's name gives
// (posts_2024_06 -> 2024-06-01); ok is false for names that are not
// exactly one of d's period tables.
func (d *Date) PeriodStart(table string) (time.Time, bool) {
	layout := map[string]string{PeriodYear: "2006", PeriodMonth: "2006_01", PeriodDay: "2006_01_02"}[d.period]
	suffix, ok := strings.CutPrefix(strings.ToLower(table), strings.ToLower(d.table)+"_")
	if !ok || len(suffix) != len(layout) {
		return time.Time{}, false
	}
	t, err := time.Parse(layout, suffix)
	if err != nil || !strings.EqualFold(d.tableName(t), table) {
		return time.Time{}, false
	}
	return t, true
}

// TablesFor returns the names of DateTables(lo, hi), newest first.
func (d *Date) TablesFor(lo, hi Bound) []string {
	tables := d.DateTables(lo, hi)
	out := make([]string, len(tables))
	for i, t := range tables {
		out[i] = t.Table
	}
	return out
}

// DateTables returns the period tables that may hold keys between lo and
// hi, newest first, so "ORDER BY created_at DESC LIMIT 5" can read them in
// order and stop early (reverse the slice for ascending order). Tables
// exist only from Since to Ahead periods past now, so the range is
// clipped to that window; an unbounded side, or one that is not a date,
// reaches the window's edge. A NULL bound gives no tables.
func (d *Date) DateTables(lo, hi Bound) []DateTable {
	if lo.nullBound() || hi.nullBound() {
		return nil
	}
	from, to := d.oldest(), d.newest()
	if t, err := lo.Value.asTime(); err == nil && !lo.IsUnbounded() {
		from = later(from, d.truncate(t))
	}
	if t, err := hi.Value.asTime(); err == nil && !hi.IsUnbounded() {
		start := d.truncate(t)
		if hi.Kind == Exclusive && start.Equal(t) {
			start = d.step(start, -1) // "< 2024-07-01" ends with June
		}
		to = earlier(to, start)
	}
	var out []DateTable
	for p := to; !p.Before(from); p = d.step(p, -1) {
		out = append(out, d.dateTable(p))
	}
	return out
}

func (d *Date) dateTable(start time.Time) DateTable {
	return DateTable{Table: d.tableName(start), Shard: d.spans.find(start).shard,
		Start: start, End: d.step(start, 1)}
}

// NextPeriods returns n table names starting with the period holding now,
// oldest first, for pre-creating tables before rows arrive.
func (d *Date) NextPeriods(now time.Time, n int) []string {
	out := make([]string, 0, max(n, 0))
	for _, t := range d.Upcoming(now, n) {
		out = append(out, t.Table)
	}
	return out
}

// Upcoming is NextPeriods with the shard of each table.
func (d *Date) Upcoming(now time.Time, n int) []DateTable {
	var out []DateTable
	p := d.truncate(Time(now).t)
	for i := 0; i < n; i++ {
		out = append(out, d.dateTable(p))
		p = d.step(p, 1)
	}
	return out
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// Ahead returns how many periods past the current one have tables.
func (d *Date) Ahead() int { return d.ahead }
