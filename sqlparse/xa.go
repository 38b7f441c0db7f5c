package sqlparse

import "strconv"

// XAFormatID reads the format id of the xid an XA statement names (XA
// START 'g', 'b', 7): ok is false when it names none (then it is MariaDB's
// default, 1) or it is not a number. The xid is gtrid [, bqual [,
// formatID]]; MariaDB takes the format id in decimal or as 0x hex.
func (m Mode) XAFormatID(sql string) (id uint64, ok bool) {
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	commas := 0
	for t := sc.nextCode(); t.kind != tokEOF; t = sc.nextCode() {
		if t.kind == tokPunct && sc.text(t) == "," {
			commas++
			continue
		}
		if commas < 2 {
			continue
		}
		text := sc.text(t)
		if len(text) > 2 && (text[:2] == "0x" || text[:2] == "0X") {
			id, err := strconv.ParseUint(text[2:], 16, 64)
			return id, err == nil
		}
		id, err := strconv.ParseUint(text, 10, 64)
		return id, err == nil
	}
	return 0, false
}
