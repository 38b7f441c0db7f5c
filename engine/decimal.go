package engine

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// decimal is an exact decimal: unscaled * 10^-scale. Sums of DECIMAL and
// integer partials use it, because float64 would lose cents and integers
// above 2^53.
type decimal struct {
	unscaled big.Int
	scale    int
}

// divPrecisionIncrement is MySQL's default div_precision_increment: AVG
// of a DECIMAL(p, s) has scale s+4. The session's own, which may differ,
// comes with the shards' rows (AggOutput.PrecCol).
const divPrecisionIncrement = 4

// maxDecimalScale is MySQL's largest DECIMAL scale.
const maxDecimalScale = 30

// parseDecimal parses "[-+]digits[.digits]".
func parseDecimal(b []byte) (*decimal, error) {
	n, ok := splitNumber(b)
	if !ok {
		return nil, fmt.Errorf("not a decimal: %q", b)
	}
	_, frac, _ := strings.Cut(string(b), ".")
	digits := string(n.whole) + frac
	d := &decimal{scale: len(frac)}
	if digits == "" {
		return d, nil
	}
	if _, ok := d.unscaled.SetString(digits, 10); !ok {
		return nil, fmt.Errorf("not a decimal: %q", b)
	}
	if n.neg {
		d.unscaled.Neg(&d.unscaled)
	}
	return d, nil
}

// add sets d to d + o exactly, widening the scale as needed.
func (d *decimal) add(o *decimal) {
	if o.scale > d.scale {
		d.rescale(o.scale)
	}
	if o.scale == d.scale {
		d.unscaled.Add(&d.unscaled, &o.unscaled)
		return
	}
	var t big.Int
	t.Mul(&o.unscaled, pow10(d.scale-o.scale))
	d.unscaled.Add(&d.unscaled, &t)
}

func (d *decimal) rescale(scale int) {
	d.unscaled.Mul(&d.unscaled, pow10(scale-d.scale))
	d.scale = scale
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// String formats d with exactly its scale, like MySQL: "-12.50", "0.05".
func (d *decimal) String() string {
	s := new(big.Int).Abs(&d.unscaled).String()
	if d.scale > 0 {
		if len(s) <= d.scale {
			s = strings.Repeat("0", d.scale-len(s)+1) + s
		}
		s = s[:len(s)-d.scale] + "." + s[len(s)-d.scale:]
	}
	if d.unscaled.Sign() < 0 {
		s = "-" + s
	}
	return s
}

// div returns d / n with scale d.scale+increment (the session's
// div_precision_increment; capped at 30), as MariaDB divides for AVG: it
// computes the quotient in whole 9-digit words of fraction, cut off
// there, then rounds half away from zero to the scale. So a scale that is
// a multiple of 9 (0 included) is cut, not rounded: AVG of 17 and 18 with
// div_precision_increment 0 is 17.
func (d *decimal) div(n *big.Int, increment int) *decimal {
	scale := min(d.scale+increment, maxDecimalScale)
	words := (scale + 8) / 9 * 9 // the fraction digits the server computes
	num := new(big.Int).Abs(&d.unscaled)
	num.Mul(num, pow10(words-d.scale))
	q := new(big.Int).Quo(num, n) // cut at words digits
	if cut := words - scale; cut > 0 {
		unit := pow10(cut)
		var r big.Int
		q.QuoRem(q, unit, &r)
		if r.Lsh(&r, 1).Cmp(unit) >= 0 {
			q.Add(q, big.NewInt(1))
		}
	}
	if d.unscaled.Sign() < 0 {
		q.Neg(q)
	}
	out := &decimal{scale: scale}
	out.unscaled.Set(q)
	return out
}

// heldScale is the fraction digits MariaDB holds a sum of a division's
// values with, where d is that sum with every digit the shards kept and
// shown the scale the server shows it with. Summed row by row, the server
// keeps each quotient's whole 9-digit words of fraction (4972.285713248
// shown as 4972.2857); summed into a grouped query's temporary table, it
// keeps the shown scale, and so do the shards, whose sums then have no
// more digits than that. A sum whose kept digits all happen to be zero is
// taken as the latter.
func (d *decimal) heldScale(shown int) int {
	digits := d.fracDigits()
	if digits <= shown {
		return shown
	}
	return max(digits, (shown+8)/9*9)
}

// fracDigits is the number of d's fraction digits without its trailing
// zeros.
func (d *decimal) fracDigits() int {
	digits := d.scale
	var q, r big.Int
	for q.Abs(&d.unscaled); digits > 0; digits-- {
		if q.QuoRem(&q, big.NewInt(10), &r); r.Sign() != 0 {
			break
		}
	}
	return digits
}

// shifted is d times 10^k, written with scale digits of fraction; d has
// no more than k+scale fraction digits that are not zero.
func (d *decimal) shifted(k, scale int) *decimal {
	out := &decimal{scale: scale}
	if to := scale + k; to >= d.scale {
		out.unscaled.Mul(&d.unscaled, pow10(to-d.scale))
	} else {
		out.unscaled.Quo(&d.unscaled, pow10(d.scale-to))
	}
	return out
}

// divHeld is an average from an exact sum: d, held with heldScale digits
// of fraction, divided by n as MariaDB divides, in whole 9-digit words of
// fraction beyond the held ones and the increment, cut there, then shown
// rounded half away from zero with shown+increment digits.
func (d *decimal) divHeld(n *big.Int, shown, increment int) *decimal {
	held := d.heldScale(shown)
	words := (held + increment + 8) / 9 * 9
	num := new(big.Int).Abs(&d.unscaled)
	if words >= d.scale {
		num.Mul(num, pow10(words-d.scale))
	} else {
		num.Quo(num, pow10(d.scale-words))
	}
	cut := &decimal{scale: words}
	cut.unscaled.Quo(num, n)
	if d.unscaled.Sign() < 0 {
		cut.unscaled.Neg(&cut.unscaled)
	}
	return cut.roundTo(min(shown+increment, maxDecimalScale))
}

// roundTo is d rounded half away from zero to scale digits, as MariaDB
// shows a DECIMAL it keeps with more: 4972.285714285 shown with 4 is
// 4972.2857.
func (d *decimal) roundTo(scale int) *decimal {
	out := &decimal{scale: scale}
	if d.scale <= scale {
		out.unscaled.Mul(&d.unscaled, pow10(scale-d.scale))
		return out
	}
	unit := pow10(d.scale - scale)
	var q, r big.Int
	q.QuoRem(new(big.Int).Abs(&d.unscaled), unit, &r)
	if r.Lsh(&r, 1).Cmp(unit) >= 0 {
		q.Add(&q, big.NewInt(1))
	}
	if d.unscaled.Sign() < 0 {
		q.Neg(&q)
	}
	out.unscaled.Set(&q)
	return out
}

// formatFloat formats a DOUBLE result close to MySQL: plain digits for
// integral values below 1e15, shortest round-trip form otherwise, with
// the exponent written as MySQL does ("1e21", "1.5e-7").
func formatFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	mant, exp, ok := strings.Cut(s, "e")
	if !ok {
		return s
	}
	sign := ""
	if exp[0] == '-' {
		sign = "-"
	}
	return mant + "e" + sign + strings.TrimLeft(exp[1:], "0")
}
