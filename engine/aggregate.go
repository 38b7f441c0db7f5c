package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// AggFunc says how Aggregate combines one output column from the
// per-shard partial rows of a group.
type AggFunc uint8

// Aggregate functions. Shards run the pushed-down query; these combine
// its partial results.
const (
	// AggKey passes a group-by column (or any column constant within a
	// group) through: the value of the group's first row.
	AggKey AggFunc = iota
	// AggCount sums pushed-down COUNT(...) partials; 0 for no rows.
	AggCount
	// AggSum sums pushed-down SUM(x) partials exactly (math/big) unless
	// the column is FLOAT/DOUBLE; NULL when every partial is NULL.
	AggSum
	// AggMin and AggMax keep the smallest and largest non-NULL partial.
	AggMin
	AggMax
	// AggAvg is SUM(x) in Col divided by COUNT(x) in CountCol, both
	// pushed down; DECIMAL results get 4 more digits of scale, like MySQL.
	AggAvg
	// AggCountDistinct counts distinct non-NULL values of Col within the
	// group (values equal under the column's comparison count once). The
	// shards run GROUP BY <keys>, x [, y ...] so each sends every value of
	// x once per group; several COUNT(DISTINCT) columns may be combined.
	AggCountDistinct
	// AggSumDistinct and AggAvgDistinct are SUM(DISTINCT x) and
	// AVG(DISTINCT x), pushed down like AggCountDistinct.
	AggSumDistinct
	AggAvgDistinct
	// AggSumZero sums like AggSum, but answers zero, written with the
	// column's decimals, where AggSum would answer NULL: the merge of
	// IFNULL(SUM(x), 0), each shard's partial being 0 for no rows.
	AggSumZero
	// AggBitAnd, AggBitOr and AggBitXor combine pushed-down BIT_AND,
	// BIT_OR and BIT_XOR partials (unsigned 64-bit) with the same
	// operation. A shard without rows for the group sends no partial, and
	// over no rows at all the result is the operation's identity, as
	// MariaDB answers: all ones for BIT_AND, 0 for the others.
	AggBitAnd
	AggBitOr
	AggBitXor
	// AggVarPop, AggVarSamp, AggStdPop and AggStdSamp combine each
	// shard's COUNT(x) (CountCol), SUM(x) (SumCol) and VAR_POP(x) in full
	// (VarCol) into the variance or standard deviation of the whole group
	// (the pairwise update of Chan, Golub and LeVeque: counts add, means
	// are weighted, and squared deviations add with the spread of the
	// means). The result is a double, whole (AppendTextRowOf rounds it
	// for text clients); NULL over no values, and for the samples over
	// one.
	AggVarPop
	AggVarSamp
	AggStdPop
	AggStdSamp
	// AggGroupConcat merges each shard's GROUP_CONCAT list, joined by the
	// byte 0x1F in Col, into one joined by GroupConcat.Sep (see
	// GroupConcatSpec).
	AggGroupConcat
	// AggJSONArray and AggJSONObject join the shards' JSON_ARRAYAGG arrays
	// (JSON_OBJECTAGG objects) into one, elements (pairs) in shard order,
	// as MariaDB writes them: "," between elements, ", " between pairs.
	// LenCol holds the shards' group_concat_max_len, which bounds these as
	// it bounds GROUP_CONCAT: a shard's value that may have been cut, or a
	// joined one one server would cut, is refused (ErrNotMergeable).
	AggJSONArray
	AggJSONObject
)

// GroupConcatSpec is the rest of an AggGroupConcat output: CountCol holds
// how many elements each shard's list must split into (a list that does
// not is refused: an element holds 0x1F, or the shard cut its list at
// group_concat_max_len); KeyCol is a column of the elements' type and
// collation, by which Ordered lists merge; LenCol the shards'
// group_concat_max_len, past which the merged list is refused rather
// than cut (one server would cut it, with a warning).
type GroupConcatSpec struct {
	KeyCol, LenCol int
	Sep            string
	Distinct       bool
	Ordered, Desc  bool
}

// ErrNotMergeable wraps why Strata cannot merge an aggregate's partials
// for these rows.
var ErrNotMergeable = errors.New("cannot merge")

// AggOutput is one output column of Aggregate.
type AggOutput struct {
	Func     AggFunc
	Col      int // input column
	CountCol int // AggAvg and deviations: input column of the pushed-down COUNT
	// SumCol and VarCol: a deviation's pushed-down SUM(x) and VAR_POP(x).
	SumCol, VarCol int
	// GroupConcat: the rest of an AggGroupConcat.
	GroupConcat *GroupConcatSpec
	// LenCol: AggJSONArray and AggJSONObject's group_concat_max_len.
	LenCol int
	// PrecCol: for AggAvg and AggAvgDistinct, one more than the input
	// column holding the session's div_precision_increment, which sets
	// the scale of a DECIMAL average; 0 when the rows do not carry it
	// (MySQL's default, 4, applies).
	PrecCol int
	// ExactCol: for AggSum and AggAvg, one more than the input column
	// holding the partial SUM with every fraction digit the server kept
	// (a division's), which is summed instead of Col's shown one; the
	// result is rounded to Col's scale, as the server shows it. 0: none.
	ExactCol int
	// Sorted: within a group the input is sorted by Col (the shards'
	// rows merged by the group keys and then by this DISTINCT
	// aggregate's argument), so equal values come together and the
	// aggregate keeps only the last one instead of every value seen: a
	// COUNT(DISTINCT) over millions of values costs no memory.
	Sorted bool
}

// AggregateSpec describes a GROUP BY over a merged stream.
type AggregateSpec struct {
	// GroupBy lists the group columns; the input must be sorted by them
	// (as MergeSort produces). Empty means one group over all rows, which
	// yields one row even for no input (COUNT 0, SUM NULL).
	GroupBy []SortKey
	Outputs []AggOutput
	// Having filters combined rows (output column order); nil keeps all.
	Having func(Row) (bool, error)
	// Budget bounds the values a DISTINCT aggregate over unsorted input
	// remembers for one group (nil: no bound).
	Budget *Budget
}

// Aggregate combines per-shard partial aggregates into final rows, one per
// group, streaming: it holds one group at a time.
type Aggregate struct {
	in      RowStream
	cols    []Column
	spec    AggregateSpec
	group   *Comparator
	pending Row // first row of the next group
	done    bool
	emitted bool // at least one group was returned
	err     error
}

// NewAggregate checks spec against the input columns cols.
func NewAggregate(in RowStream, cols []Column, spec AggregateSpec) (*Aggregate, error) {
	group, err := NewComparator(cols, spec.GroupBy)
	if err != nil {
		return nil, fmt.Errorf("aggregate: group by: %w", err)
	}
	a := &Aggregate{in: in, cols: cols, spec: spec, group: group}
	if _, err := a.newAccumulators(); err != nil {
		return nil, err
	}
	return a, nil
}

// Next returns the next group's combined row.
func (a *Aggregate) Next(ctx context.Context) (Row, error) {
	if a.err != nil {
		return nil, a.err
	}
	for {
		row, err := a.nextGroup(ctx)
		if err == nil && a.spec.Having != nil {
			var keep bool
			if keep, err = a.spec.Having(row); err == nil && !keep {
				continue
			}
		}
		if err != nil {
			if err != io.EOF {
				a.err = err
			}
			return nil, err
		}
		return row, nil
	}
}

// Close closes the input.
func (a *Aggregate) Close() error { return a.in.Close() }

func (a *Aggregate) nextGroup(ctx context.Context) (Row, error) {
	if a.done {
		return nil, io.EOF
	}
	first := a.pending
	a.pending = nil
	if first == nil {
		r, err := a.read(ctx)
		if err == io.EOF {
			return a.finishEmpty()
		}
		if err != nil {
			return nil, err
		}
		first = r
	}
	return a.collect(ctx, first)
}

// finishEmpty ends the stream; without GROUP BY, empty input still gives
// one row, as in MySQL.
func (a *Aggregate) finishEmpty() (Row, error) {
	a.done = true
	if len(a.spec.GroupBy) > 0 || a.emitted {
		return nil, io.EOF
	}
	a.emitted = true
	accs, _ := a.newAccumulators()
	return accs.result(), nil
}

// collect adds rows to first's group until the group key changes.
func (a *Aggregate) collect(ctx context.Context, first Row) (Row, error) {
	accs, _ := a.newAccumulators()
	if err := accs.add(first); err != nil {
		return nil, err
	}
	for {
		r, err := a.read(ctx)
		if err == io.EOF {
			a.done = true
			break
		}
		if err != nil {
			return nil, err
		}
		c := a.group.Compare(first, r)
		if c > 0 {
			return nil, fmt.Errorf("aggregate: input not sorted by the group keys: %w", ErrUnsorted)
		}
		if c != 0 {
			a.pending = r
			break
		}
		if err := accs.add(r); err != nil {
			return nil, err
		}
	}
	a.emitted = true
	return accs.result(), nil
}

func (a *Aggregate) read(ctx context.Context) (Row, error) {
	r, err := a.in.Next(ctx)
	if err != nil {
		return nil, err
	}
	if len(r) != len(a.cols) {
		return nil, fmt.Errorf("aggregate: row has %d columns, want %d", len(r), len(a.cols))
	}
	return r, nil
}

// accumulators holds one accumulator per output column.
type accumulators []accumulator

type accumulator interface {
	add(r Row) error
	result() Value
}

func (accs accumulators) add(r Row) error {
	for _, acc := range accs {
		if err := acc.add(r); err != nil {
			return fmt.Errorf("aggregate: %w", err)
		}
	}
	return nil
}

func (accs accumulators) result() Row {
	out := make(Row, len(accs))
	for i, acc := range accs {
		out[i] = acc.result()
	}
	return out
}

func (a *Aggregate) newAccumulators() (accumulators, error) {
	accs := make(accumulators, len(a.spec.Outputs))
	for i, o := range a.spec.Outputs {
		acc, err := a.newAccumulator(o)
		if err != nil {
			return nil, fmt.Errorf("aggregate: output %d: %w", i, err)
		}
		accs[i] = acc
	}
	return accs, nil
}

func (a *Aggregate) newAccumulator(o AggOutput) (accumulator, error) {
	if o.Col < 0 || o.Col >= len(a.cols) {
		return nil, fmt.Errorf("column %d out of range", o.Col)
	}
	col := a.cols[o.Col]
	switch o.Func {
	case AggKey:
		return &keyAcc{col: o.Col}, nil
	case AggCount:
		return newSumAcc(o.Col, false, true), nil
	case AggSum:
		return a.exactSum(newSumAcc(o.Col, classOf(col.Type) == classFloat, false), o, col)
	case AggSumZero:
		acc := newSumAcc(o.Col, classOf(col.Type) == classFloat, false)
		acc.zero = zeroOf(col)
		return acc, nil
	case AggCountDistinct, AggSumDistinct, AggAvgDistinct:
		key, err := valueKey(col)
		if err != nil {
			return nil, err
		}
		d := &distinctAcc{col: o.Col, key: key, sorted: o.Sorted, avg: o.Func == AggAvgDistinct, prec: newPrecision(o.PrecCol), budget: a.spec.Budget}
		if !o.Sorted {
			d.seen = map[string]struct{}{}
		}
		if o.Func != AggCountDistinct {
			d.sum = newSumAcc(o.Col, classOf(col.Type) == classFloat, false)
		}
		return d, nil
	case AggMin, AggMax:
		// MIN and MAX of an ENUM or SET compare its values as text
		// (MariaDB's Item_sum_min_max), though the server sorts the
		// result they give by member number.
		byText := col
		byText.Flags &^= FlagEnum | FlagSet
		cmp, err := ValueComparer(byText, "")
		if err != nil {
			return nil, err
		}
		return &minMaxAcc{col: o.Col, cmp: cmp, max: o.Func == AggMax}, nil
	case AggBitAnd:
		return &bitAcc{col: o.Col, v: math.MaxUint64, op: func(a, b uint64) uint64 { return a & b }}, nil
	case AggBitOr:
		return &bitAcc{col: o.Col, op: func(a, b uint64) uint64 { return a | b }}, nil
	case AggBitXor:
		return &bitAcc{col: o.Col, op: func(a, b uint64) uint64 { return a ^ b }}, nil
	case AggVarPop, AggVarSamp, AggStdPop, AggStdSamp:
		for _, c := range []int{o.CountCol, o.SumCol, o.VarCol} {
			if c < 0 || c >= len(a.cols) {
				return nil, fmt.Errorf("partial column %d out of range", c)
			}
		}
		return &deviationAcc{out: o}, nil
	case AggGroupConcat:
		return newGroupConcatAcc(a.cols, o)
	case AggJSONArray, AggJSONObject:
		if o.LenCol < 0 || o.LenCol >= len(a.cols) {
			return nil, fmt.Errorf("partial column %d out of range", o.LenCol)
		}
		if o.Func == AggJSONObject {
			return &jsonAggAcc{col: o.Col, lenCol: o.LenCol, open: '{', close: '}', sep: ", ", name: "JSON_OBJECTAGG"}, nil
		}
		return &jsonAggAcc{col: o.Col, lenCol: o.LenCol, open: '[', close: ']', sep: ",", name: "JSON_ARRAYAGG"}, nil
	case AggAvg:
		if o.CountCol < 0 || o.CountCol >= len(a.cols) {
			return nil, fmt.Errorf("count column %d out of range", o.CountCol)
		}
		sum, err := a.exactSum(newSumAcc(o.Col, classOf(col.Type) == classFloat, false), o, col)
		if err != nil {
			return nil, err
		}
		return &avgAcc{sum: sum, count: newSumAcc(o.CountCol, false, true), prec: newPrecision(o.PrecCol)}, nil
	}
	return nil, fmt.Errorf("unknown aggregate function %d", o.Func)
}

// exactSum has acc sum the partials of o.ExactCol, when o has them and
// col, the shown sum, is a DECIMAL: a DOUBLE's sum has no hidden digits.
func (a *Aggregate) exactSum(acc *sumAcc, o AggOutput, col Column) (*sumAcc, error) {
	if o.ExactCol <= 0 || classOf(col.Type) != classDecimal {
		return acc, nil
	}
	if o.ExactCol-1 >= len(a.cols) {
		return nil, fmt.Errorf("exact column %d out of range", o.ExactCol-1)
	}
	acc.col, acc.shownScale = o.ExactCol-1, int(col.Decimals)
	return acc, nil
}

// keyAcc keeps the group's first value.
type keyAcc struct {
	col  int
	v    Value
	seen bool
}

func (k *keyAcc) add(r Row) error {
	if !k.seen {
		k.v, k.seen = r[k.col], true
	}
	return nil
}

func (k *keyAcc) result() Value { return k.v }

// sumAcc adds partial sums or counts, skipping NULL partials.
type sumAcc struct {
	col   int
	float bool
	count bool  // a COUNT: no partials means 0, not NULL
	zero  Value // AggSumZero: what no partials mean
	dec   decimal
	f     float64
	seen  bool
	// shownScale, when col holds exact partials (AggOutput.ExactCol), is
	// the scale the server shows the sum with; -1 otherwise.
	shownScale int
}

func newSumAcc(col int, float, count bool) *sumAcc {
	return &sumAcc{col: col, float: float, count: count, shownScale: -1}
}

func (s *sumAcc) add(r Row) error {
	v := r[s.col]
	if v == nil {
		return nil
	}
	s.seen = true
	if s.float {
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return fmt.Errorf("column %d: not a number: %q", s.col, v)
		}
		s.f += f
		return nil
	}
	d, err := parseDecimal(v)
	if err != nil {
		return fmt.Errorf("column %d: %w", s.col, err)
	}
	s.dec.add(d)
	return nil
}

func (s *sumAcc) result() Value {
	switch {
	case !s.seen && s.zero != nil:
		return s.zero
	case !s.seen && !s.count:
		return nil
	case s.float:
		return Value(formatFloat(s.f))
	case s.shownScale >= 0:
		return Value(s.dec.roundTo(s.shownScale).String())
	}
	return Value(s.dec.String())
}

// zeroOf is 0 as a column of col's type prints it: 0.00 for DECIMAL(x,2).
func zeroOf(col Column) Value {
	if classOf(col.Type) == classDecimal && col.Decimals > 0 && col.Decimals <= 30 {
		return Value("0." + strings.Repeat("0", int(col.Decimals)))
	}
	return Value("0")
}

// minMaxAcc keeps the extreme non-NULL value.
type minMaxAcc struct {
	col int
	cmp func(a, b Value) int
	max bool
	v   Value
}

func (m *minMaxAcc) add(r Row) error {
	v := r[m.col]
	if v == nil {
		return nil
	}
	if m.v == nil {
		m.v = v
		return nil
	}
	c := m.cmp(v, m.v)
	if m.max && c > 0 || !m.max && c < 0 {
		m.v = v
	}
	return nil
}

func (m *minMaxAcc) result() Value { return m.v }

// bitAcc folds BIT_AND/BIT_OR/BIT_XOR partials into v, which starts at
// the operation's identity.
type bitAcc struct {
	col int
	v   uint64
	op  func(a, b uint64) uint64
}

func (b *bitAcc) add(r Row) error {
	v := r[b.col]
	if v == nil {
		return nil // MariaDB never sends one; an identity would change nothing
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return fmt.Errorf("column %d: not a bit aggregate: %q", b.col, v)
	}
	b.v = b.op(b.v, n)
	return nil
}

func (b *bitAcc) result() Value { return strconv.AppendUint(nil, b.v, 10) }

// deviationAcc merges the count, mean and sum of squared deviations
// (M2) of each shard's part of a group.
type deviationAcc struct {
	out      AggOutput
	n        float64
	mean, m2 float64
}

func (d *deviationAcc) add(r Row) error {
	count, sum, variance := r[d.out.CountCol], r[d.out.SumCol], r[d.out.VarCol]
	if count == nil || sum == nil || variance == nil {
		return nil // the shard has no value of x in the group
	}
	var nums [3]float64
	for i, v := range []Value{count, sum, variance} {
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return fmt.Errorf("column of a variance's partials: not a number: %q", v)
		}
		nums[i] = f
	}
	nb, meanB := nums[0], nums[1]/nums[0]
	if nb <= 0 {
		return nil
	}
	m2B := nums[2] * nb
	n := d.n + nb
	delta := meanB - d.mean
	d.mean += delta * nb / n
	d.m2 += m2B + delta*delta*d.n*nb/n
	d.n = n
	return nil
}

func (d *deviationAcc) result() Value {
	var v float64
	switch {
	case d.n == 0, d.n < 2 && (d.out.Func == AggVarSamp || d.out.Func == AggStdSamp):
		return nil
	case d.out.Func == AggVarSamp || d.out.Func == AggStdSamp:
		v = d.m2 / (d.n - 1)
	default:
		v = d.m2 / d.n
	}
	if v < 0 {
		v = 0 // rounding below zero: no spread
	}
	if d.out.Func == AggStdPop || d.out.Func == AggStdSamp {
		v = math.Sqrt(v)
	}
	// Whole: the text sent to a client is rounded to the column's
	// decimals there (AppendTextRowOf).
	return Value(formatFloat(v))
}

// avgAcc divides the summed SUM partials by the summed COUNT partials.
type avgAcc struct {
	sum, count *sumAcc
	prec       precision
}

func (a *avgAcc) add(r Row) error {
	a.prec.read(r)
	if err := a.sum.add(r); err != nil {
		return err
	}
	return a.count.add(r)
}

// precision is the div_precision_increment an average's scale follows:
// the one the shards' rows carry in column col (the session's), else
// MySQL's default.
type precision struct {
	col       int // -1: none
	increment int
}

// newPrecision follows AggOutput.PrecCol (column + 1, 0 for none).
func newPrecision(precCol int) precision {
	return precision{col: precCol - 1, increment: divPrecisionIncrement}
}

func (p *precision) read(r Row) {
	if p.col < 0 || p.col >= len(r) || r[p.col] == nil {
		return
	}
	if n, err := strconv.Atoi(string(r[p.col])); err == nil && n >= 0 {
		p.increment = n
	}
}

func (a *avgAcc) result() Value {
	n := &a.count.dec.unscaled
	if !a.sum.seen || a.count.dec.scale != 0 || n.Sign() <= 0 {
		return nil
	}
	if a.sum.float {
		f, _ := new(big.Float).SetInt(n).Float64()
		return Value(formatFloat(a.sum.f / f))
	}
	if s := a.sum.shownScale; s >= 0 {
		// The exact sum divided as the server divides the sum it holds,
		// shown with the scale of the shown sum plus the increment.
		return Value(a.sum.dec.divHeld(n, s, a.prec.increment).String())
	}
	return Value(a.sum.dec.div(n, a.prec.increment).String())
}

// distinctAcc counts the distinct non-NULL values of a column in one
// group, by their comparison keys (so 'a' and 'A' are one value under a
// case-insensitive collation, 1.0 and 1 one number).
// With sum set it sums the distinct values (SUM(DISTINCT)), and with avg
// divides that sum by their count (AVG(DISTINCT)).
type distinctAcc struct {
	col int
	key func(Value) []byte
	// sorted: equal values arrive together (AggOutput.Sorted), so last,
	// the previous value's key, tells a repeat; else seen holds every
	// key of the group.
	sorted  bool
	last    []byte
	hasLast bool
	seen    map[string]struct{}
	n       int64
	sum     *sumAcc
	avg     bool
	prec    precision
	// budget accounts seen's keys; held is what this group took of it.
	budget *Budget
	held   int64
}

func (d *distinctAcc) add(r Row) error {
	d.prec.read(r)
	v := r[d.col]
	if v == nil {
		return nil
	}
	isNew, err := d.isNew(d.key(v))
	if !isNew || err != nil {
		return err
	}
	d.n++
	if d.sum != nil {
		return d.sum.add(r)
	}
	return nil
}

// isNew reports whether key k was not seen before in the group, and
// remembers it; an error when the budget cannot hold one more key.
func (d *distinctAcc) isNew(k []byte) (bool, error) {
	if d.sorted {
		if d.hasLast && string(k) == string(d.last) {
			return false, nil
		}
		d.last, d.hasLast = append(d.last[:0], k...), true
		return true, nil
	}
	if _, dup := d.seen[string(k)]; dup {
		return false, nil
	}
	if err := d.budget.Take(keyBytes(len(k)), "remembering one group's values of a DISTINCT aggregate"); err != nil {
		return false, err
	}
	d.held += keyBytes(len(k))
	d.seen[string(k)] = struct{}{}
	return true, nil
}

// result is the group's value; the group's remembered keys are dropped
// with the accumulator, so their bytes go back to the budget.
func (d *distinctAcc) result() Value {
	d.budget.Give(d.held)
	d.held = 0
	switch {
	case d.sum == nil:
		return strconv.AppendInt(nil, d.n, 10)
	case d.avg:
		count := newSumAcc(0, false, true)
		count.dec.unscaled.SetInt64(d.n)
		return (&avgAcc{sum: d.sum, count: count, prec: d.prec}).result()
	}
	return d.sum.result()
}
