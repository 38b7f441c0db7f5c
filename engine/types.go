package engine

// MySQL field type codes (protocol ColumnDefinition41 "type").
const (
	TypeDecimal    byte = 0x00
	TypeTiny       byte = 0x01
	TypeShort      byte = 0x02
	TypeLong       byte = 0x03
	TypeFloat      byte = 0x04
	TypeDouble     byte = 0x05
	TypeNull       byte = 0x06
	TypeTimestamp  byte = 0x07
	TypeLongLong   byte = 0x08
	TypeInt24      byte = 0x09
	TypeDate       byte = 0x0a
	TypeTime       byte = 0x0b
	TypeDateTime   byte = 0x0c
	TypeYear       byte = 0x0d
	TypeNewDate    byte = 0x0e
	TypeVarChar    byte = 0x0f
	TypeBit        byte = 0x10
	TypeJSON       byte = 0xf5
	TypeNewDecimal byte = 0xf6
	TypeEnum       byte = 0xf7
	TypeSet        byte = 0xf8
	TypeTinyBlob   byte = 0xf9
	TypeMediumBlob byte = 0xfa
	TypeLongBlob   byte = 0xfb
	TypeBlob       byte = 0xfc
	TypeVarString  byte = 0xfd
	TypeString     byte = 0xfe
	TypeGeometry   byte = 0xff
)

// MySQL column flags used here.
const (
	FlagNotNull  uint16 = 0x0001
	FlagUnsigned uint16 = 0x0020
	FlagBinary   uint16 = 0x0080
	FlagNum      uint16 = 0x8000
	// FlagEnum and FlagSet mark a table's ENUM and SET columns (not an
	// expression over them), which a server sorts by member number.
	FlagEnum uint16 = 0x0100
	FlagSet  uint16 = 0x0800
)

// CharsetBinary is the collation id of binary strings.
const CharsetBinary uint16 = 63

// typeClass groups field types by how their text compares.
type typeClass uint8

const (
	classString  typeClass = iota // collation order
	classDecimal                  // exact decimal text: integers, DECIMAL, YEAR
	classFloat                    // FLOAT, DOUBLE
	classTime                     // TIME: signed hours can exceed two digits
	classBytes                    // dates, BIT: fixed-width text, byte order is value order
)

func classOf(t byte) typeClass {
	switch t {
	case TypeTiny, TypeShort, TypeLong, TypeLongLong, TypeInt24, TypeYear,
		TypeDecimal, TypeNewDecimal:
		return classDecimal
	case TypeFloat, TypeDouble:
		return classFloat
	case TypeTime:
		return classTime
	case TypeDate, TypeNewDate, TypeDateTime, TypeTimestamp, TypeBit:
		return classBytes
	}
	return classString
}

// BitAsNumber reports whether col's BIT values arrive as decimal text: a
// table column's BIT value is sent as its bytes, but an expression of BIT
// type (MAX(b), COALESCE(b), IF(c, b, NULL)) as its number's digits, so
// 31 and 5 must compare as numbers, not bytes ("5" after "31"). A server
// names no source column (OrgName) for an expression.
func BitAsNumber(col Column) bool {
	return col.Type == TypeBit && col.OrgName == ""
}
