package sqlparse

import "strings"

// A statement's shape is its text with the literal values blanked out.
// Applications that inline values (PHP PDO's default, emulated prepares;
// most ORMs' query builders) send a new text for every id they look up, so
// a cache keyed by the text misses on nearly every statement and each one
// pays a full parse. Texts of one shape parse to the same facts for the
// statements SharesShape accepts, so the planner parses one text per
// shape and reuses its facts for the others.

// numberMark and stringMark stand for blanked literals in a shape key.
// SQL has no such byte outside a string (a server refuses the text), so a
// key that is the key of a valid statement comes only from texts that
// differ from it in literal values. Numbers and strings are told apart:
// the parser's digest folds a sign into a number (+1 is ?) but not into a
// string (+'1' is + ?).
const (
	numberMark = 0
	stringMark = 1
)

// AppendShapeKey appends the shape key of sql to dst: the text byte for
// byte, except that each string literal ('…' or "…", quotes included)
// becomes the byte 1, and each number written in digits alone the byte 0. ok is false
// when sql has no such literal (its key would be the text itself).
//
// It uses the scanner that splits statements, which finds strings and
// comments where the parser does: two texts with one key differ only in
// the values of literals (or inside comments, which are copied whole). A
// word of digits next to a '.' is left as it is (t.1 may name a column,
// and the parser reads 0.0e as a name), and so is any word mixing digits
// and letters (1e5, 0x1F, a name like 2fa): keeping text is never wrong,
// only less shared.
func AppendShapeKey(dst []byte, sql string) (key []byte, ok bool) {
	sc := newScanner(sql)
	copied := 0
	for {
		t, more := sc.nextLiteral()
		if !more {
			break
		}
		dst = append(dst, sql[copied:t.start]...)
		if t.kind == tokString {
			dst = append(dst, stringMark)
		} else {
			dst = append(dst, numberMark)
		}
		copied, ok = t.end, true
	}
	return append(dst, sql[copied:]...), ok
}

// nextLiteral returns the next token that a shape blanks out (isLiteral);
// more is false at the end of the text.
func (sc *scanner) nextLiteral() (t token, more bool) {
	for {
		t = sc.next()
		if t.kind == tokEOF {
			return t, false
		}
		if isLiteral(sc.s, t) {
			return t, true
		}
	}
}

// isLiteral reports whether token t of sql is a value a shape blanks out.
func isLiteral(sql string, t token) bool {
	switch t.kind {
	case tokString:
		// The parser's digest reads a string with control characters
		// other than tabs and line ends its own way; keep those.
		for i := t.start; i < t.end; i++ {
			if c := sql[i]; c < ' ' && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
		}
		return true
	case tokWord:
		if t.start > 0 && sql[t.start-1] == '.' || t.end < len(sql) && sql[t.end] == '.' {
			return false
		}
		for i := t.start; i < t.end; i++ {
			if sql[i] < '0' || sql[i] > '9' {
				return false
			}
		}
		return true
	}
	return false
}

// SharesShape reports whether every text of f's shape (AppendShapeKey)
// parses to the same facts as f, but for Text and Digest (the parser's
// digest of a few odd texts keeps a literal's value, so it is made for
// each text: Digest): a single SELECT, INSERT,
// UPDATE, DELETE or REPLACE the parser read whole. Their facts come from
// names, keywords and the statement's structure, never from a literal's
// value. Statements whose facts hold values (SET, KILL, PREPARE, USE,
// transaction control) parse text by text.
func SharesShape(f *Facts) bool {
	switch f.Kind {
	case KindSelect, KindInsert, KindUpdate, KindDelete, KindReplace:
	default:
		return false
	}
	return !f.Fallback && f.SessionVars == nil && f.Autocommit == nil && f.KillID == 0 &&
		f.PrepareName == "" && f.PrepareSQL == "" && f.Schema == "" && !f.NextTxSettings && f.MetadataOf == nil
}

// CleanText is a statement's text as Facts.Text holds it: without the
// spaces and semicolons around it.
func CleanText(s string) string { return cleanText(s) }

// Digest is Facts.Digest of a statement whose Facts.Text is text.
func Digest(text string) string { return digest(text) }

// SharesDigest reports whether the texts of shape key share digest, the
// digest of the text the key was made from, so a text of the shape needs
// no digest of its own (Digest costs more than the rest of a shaped
// text's facts): see DigestOfShaped. The parser's digest writes ? for
// each literal, save a number it keeps as written (ORDER BY 1, GROUP BY 2:
// a position, not a value) and a string '*'; two probes of the shape with
// other numbers show such a number, as their digests then differ.
func SharesDigest(key []byte, digest string) bool {
	return probeDigest(key, "1", "'a'") == digest && probeDigest(key, "2", "'b'") == digest
}

// DigestOfShaped is the digest of text, a text of a shape that
// SharesDigest shapeDigest: shapeDigest, unless text may hold a string
// '*' (the parser's digest keeps it as written, where it would write ?
// for any other string).
func DigestOfShaped(text, shapeDigest string) string {
	if strings.Contains(text, "*'") || strings.Contains(text, `*"`) {
		return digest(text)
	}
	return shapeDigest
}

// probeDigest is the digest of the text of shape key with num for each
// blanked number and str for each blanked string.
func probeDigest(key []byte, num, str string) string {
	var b strings.Builder
	b.Grow(len(key) + 8)
	for _, c := range key {
		switch c {
		case numberMark:
			b.WriteString(num)
		case stringMark:
			b.WriteString(str)
		default:
			b.WriteByte(c)
		}
	}
	return digest(cleanText(b.String()))
}
