package shard

import (
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
)

// FixedKeyText is the text the server writes a UUID or INET6 key as (kt
// KeyTypeUUID or KeyTypeINET6), given any text the server reads as that
// value: a row is placed by it, so every spelling of one value reaches the
// row. ok is false for text the server would not read as one (it refuses
// it in a write, and matches no row with it).
func FixedKeyText(kt KeyType, text string) (string, bool) {
	switch kt {
	case KeyTypeUUID:
		b, ok := parseUUID(text)
		if !ok {
			return "", false
		}
		return FixedKeyOf(kt, b), true
	case KeyTypeINET6:
		a, err := netip.ParseAddr(text)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", false // MariaDB's INET6 takes no IPv4 text and no zone
		}
		return FixedKeyOf(kt, a.As16()), true
	}
	return text, true
}

// FixedKeyOf is the text the server writes a UUID or INET6 value of 16
// bytes as (a binary string of 16 bytes is the value itself to it).
func FixedKeyOf(kt KeyType, b [16]byte) string {
	if kt == KeyTypeINET6 {
		return inet6Text(b)
	}
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// parseUUID reads a UUID as MariaDB does: 32 hex digits, with any number
// of dashes between them, none first or last.
func parseUUID(text string) (b [16]byte, ok bool) {
	digits := make([]byte, 0, 32)
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '-' {
			if i == 0 || i == len(text)-1 {
				return b, false
			}
			continue
		}
		digits = append(digits, c)
	}
	if len(digits) != 32 {
		return b, false
	}
	if _, err := hex.Decode(b[:], digits); err != nil {
		return b, false
	}
	return b, true
}

// inet6Text writes an address as MariaDB's INET6 does: the longest run of
// zero groups (the first of equal ones, even a single group) as "::", and
// an IPv4-compatible (::a.b.c.d) or IPv4-mapped (::ffff:a.b.c.d) address
// with its last four bytes dotted.
func inet6Text(b [16]byte) string {
	var words [8]uint16
	for i := range words {
		words[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	gapAt, gapLen := -1, 0
	for i := 0; i < 8; {
		if words[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && words[j] == 0 {
			j++
		}
		if j-i > gapLen {
			gapAt, gapLen = i, j-i
		}
		i = j
	}
	dotted := strconv.Itoa(int(b[12])) + "." + strconv.Itoa(int(b[13])) + "." + strconv.Itoa(int(b[14])) + "." + strconv.Itoa(int(b[15]))
	if gapAt == 0 && gapLen == 6 {
		return "::" + dotted
	}
	if gapAt == 0 && gapLen == 5 && words[5] == 0xffff {
		return "::ffff:" + dotted
	}
	var sb strings.Builder
	for i := 0; i < 8; i++ {
		if i == gapAt {
			sb.WriteString("::")
			i += gapLen - 1
			continue
		}
		if i > 0 && i != gapAt+gapLen {
			sb.WriteByte(':')
		}
		sb.WriteString(strconv.FormatUint(uint64(words[i]), 16))
	}
	return sb.String()
}
