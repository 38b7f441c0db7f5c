package shard

// BoundKind says whether a range bound is absent, inclusive or exclusive.
type BoundKind uint8

// Bound kinds. The zero Bound is Unbounded, so a missing side needs no
// constructor call.
const (
	Unbounded BoundKind = iota
	Inclusive
	Exclusive
)

// Bound is one side of a key range in a query: id >= 5 is Incl(Int(5)) as
// the low bound, id < 9 is Excl(Int(9)) as the high bound.
type Bound struct {
	Kind  BoundKind
	Value Value
}

// Incl returns an inclusive bound (>= or <=).
func Incl(v Value) Bound { return Bound{Kind: Inclusive, Value: v} }

// Excl returns an exclusive bound (> or <).
func Excl(v Value) Bound { return Bound{Kind: Exclusive, Value: v} }

// IsUnbounded reports whether b places no limit.
func (b Bound) IsUnbounded() bool { return b.Kind == Unbounded }

// nullBound reports whether b compares with NULL, which is never true in
// SQL, so the range selects no rows at all.
func (b Bound) nullBound() bool { return !b.IsUnbounded() && b.Value.IsNull() }

// bound is a Bound converted to a method's key type.
type bound[T any] struct {
	kind BoundKind
	v    T
}

// convertBound converts b with conv, keeping its kind.
func convertBound[T any](b Bound, conv func(Value) (T, error)) (bound[T], error) {
	if b.IsUnbounded() {
		return bound[T]{}, nil
	}
	v, err := conv(b.Value)
	return bound[T]{kind: b.Kind, v: v}, err
}
