package sqlparse

import "strings"

// MariaDB runs the content of /*M! ... */ as code, as MySQL and MariaDB
// both run /*! ... */; with a version, /*M!100616 ... */, only servers of
// that version and later run it. mariadb-dump writes such comments
// (/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, ... */), and a
// statement can hide a write or a FOR UPDATE in one. The parser knows
// only /*! ... */ and takes /*M! ... */ for a plain comment, so before
// parsing each /*M! marker (with its version) becomes a /*! one of the
// same length; offsets into the text stay the same.
//
// The version is not compared with the servers' (the text is read before
// any server is chosen): the content counts as code, except under
// /*M!999999, which mariadb-dump uses for what no server runs.

const neverVersion = "999999"

// execComments returns sql with its MariaDB executable comments in the
// parser's form.
func (m Mode) execComments(sql string) string {
	if !strings.Contains(sql, "/*M!") {
		return sql
	}
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	var out []byte
	gap := 0 // where the text between two tokens starts
	for {
		t := sc.next()
		// Markers are skipped as space between tokens, so any /*M! in a
		// gap opens an executable comment (one inside a string or a
		// comment is part of that token).
		for i := gap; i < t.start; {
			j := strings.Index(sql[i:t.start], "/*M!")
			if j < 0 {
				break
			}
			at := i + j
			end := skipDigits(sql, at+4)
			if sql[at+4:end] != neverVersion {
				if out == nil {
					out = []byte(sql)
				}
				copy(out[at:end], "/*!"+strings.Repeat(" ", end-at-3))
			}
			i = end
		}
		if t.kind == tokEOF {
			break
		}
		gap = t.end
	}
	if out == nil {
		return sql
	}
	return string(out)
}
