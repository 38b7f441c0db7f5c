package shard

import "strings"

// EnumMembers reads the members of an ENUM or SET column type as
// information_schema.COLUMNS.COLUMN_TYPE writes it: enum('a','b'),
// each quote inside a member doubled; in order; ok is false for any
// other type.
func EnumMembers(columnType string) (members []string, ok bool) {
	lower := strings.ToLower(columnType)
	var rest string
	switch {
	case strings.HasPrefix(lower, "enum("):
		rest = columnType[len("enum("):]
	case strings.HasPrefix(lower, "set("):
		rest = columnType[len("set("):]
	default:
		return nil, false
	}
	members = []string{}
	for {
		if !strings.HasPrefix(rest, "'") {
			return nil, false
		}
		var b strings.Builder
		i := 1
		for ; i < len(rest); i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				break
			}
			b.WriteByte(rest[i])
		}
		if i >= len(rest) {
			return nil, false
		}
		members = append(members, b.String())
		rest = rest[i+1:]
		switch {
		case strings.HasPrefix(rest, ","):
			rest = rest[1:]
		case rest == ")":
			return members, true
		default:
			return nil, false
		}
	}
}
