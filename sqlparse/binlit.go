package sqlparse

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// Hex and bit literals keep the spelling the client wrote when Strata
// renders a statement for a shard. The parser reads 0x41, X'41', b'1' and
// b'0001' into one kind of value and writes each back as x'41' or with its
// leading zero bits cut, but MariaDB reads them differently:
//
//   - 0x41 and b'1000001' are numbers where a number is wanted
//     (0x03 + 0 is 3, WHERE id = 0x03 finds id 3), X'41' is always a
//     string (X'03' + 0 is 0; stored in an INT column it is refused, 1366);
//   - b'0000000000000001' is two bytes, b'1' one.
//
// So a shard query rendered from the parser's form answered id = 0x03 with
// no rows and stored 0 for a split row's 0x03. The parser builds literals
// through constructors its driver sets (test_driver's init); these wrap
// them so each literal remembers its text and renders it as written.

func init() {
	newHex, newBit, newValue := ast.NewHexLiteral, ast.NewBitLiteral, ast.NewValueExpr
	ast.NewHexLiteral = func(text string) (any, error) {
		v, err := newHex(text)
		if err != nil {
			return v, err
		}
		return &spelledLiteral{value: v, text: text}, nil
	}
	ast.NewBitLiteral = func(text string) (any, error) {
		v, err := newBit(text)
		if err != nil {
			return v, err
		}
		return &spelledLiteral{value: v, text: text}, nil
	}
	ast.NewValueExpr = func(value any, charset, collate string) ast.ValueExpr {
		lit, ok := value.(*spelledLiteral)
		if !ok {
			return newValue(value, charset, collate)
		}
		v := newValue(lit.value, charset, collate)
		if inner, ok := v.(*test_driver.ValueExpr); ok {
			return &spelledValue{ValueExpr: inner, text: lit.text}
		}
		return v
	}
}

// spelledLiteral is a hex or bit literal's value with its text, between
// the lexer and the parser's NewValueExpr. It is an ast.BinaryLiteral,
// which the grammar asks of a hex literal where it wants a string
// (FIELDS TERMINATED BY 0x2C).
type spelledLiteral struct {
	value any // test_driver.HexLiteral or test_driver.BitLiteral
	text  string
}

func (l *spelledLiteral) ToString() string {
	if b, ok := l.value.(ast.BinaryLiteral); ok {
		return b.ToString()
	}
	return ""
}

// spelledValue is the parser's value of a hex or bit literal, rendered as
// the client spelled it.
type spelledValue struct {
	*test_driver.ValueExpr
	text string
}

// Restore writes the literal as spelled, after its character set
// introducer if it has one. The driver leaves out _binary and the default
// _utf8mb4, but an introducer makes a hex or bit literal a string
// (_binary 0x41 + 0 is 0), so it is always written.
func (v *spelledValue) Restore(ctx *format.RestoreCtx) error {
	if v.Type.GetFlag()&mysql.UnderScoreCharsetFlag != 0 {
		ctx.WritePlain("_" + v.Type.GetCharset() + " ")
	}
	ctx.WritePlain(v.text)
	return nil
}

// Accept visits v itself, so that a visitor that rewrites the tree keeps
// the spelling (the driver's Accept would hand back the inner value).
func (v *spelledValue) Accept(visitor ast.Visitor) (ast.Node, bool) {
	node, _ := visitor.Enter(v) // a literal has no children to skip
	return visitor.Leave(node)
}
