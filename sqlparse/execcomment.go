package sqlparse

import (
	"strconv"
	"strings"
)

// MariaDB runs the content of /*M! ... */ as code, as MySQL and MariaDB
// both run /*! ... */; with a version, /*M!100616 ... */, only servers of
// that version and later run it. mariadb-dump writes such comments
// (/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, ... */), and a
// statement can hide a write or a FOR UPDATE in one. MariaDB skips a
// /*! ... */ of a version from 50700 to 99999 (MySQL 5.7 and later, whose
// syntax it may not share: a MySQL 8 dump's /*!80016 DEFAULT
// ENCRYPTION='N' */), where the parser would run it. The parser knows
// only /*! ... */, takes /*M! ... */ for a plain comment and reads five
// digits of a version where MariaDB reads six, so before parsing each
// marker it would read otherwise than MariaDB becomes a /*! of the same
// length, without its version, where MariaDB runs the content, and a
// plain /* where it skips it; offsets into the text stay the same.
//
// The version is not compared with the servers' (the text is read before
// any server is chosen): one of six digits counts as older than theirs,
// except 999999, which mariadb-dump uses for what no server runs.

const neverVersion = 999999

// tidbComment opens a comment the parser runs as code (TiDB's own
// /*T![feature] ... */) and MariaDB skips: it is made a plain comment.
const tidbComment = "/*T!"

// execMarker reads the marker of the executable comment at sql[at:]
// (/*! or /*M!, and maybe a version: five digits, or six): its content
// starts at end, and runs reports whether MariaDB runs it as code.
func execMarker(sql string, at int) (end int, runs bool) {
	maria := strings.HasPrefix(sql[at:], "/*M!")
	end = at + len("/*!")
	if maria {
		end++
	}
	digits := 0
	for digits < 6 && end+digits < len(sql) && sql[end+digits] >= '0' && sql[end+digits] <= '9' {
		digits++
	}
	if digits < 5 {
		return end, true // no version: the digits are code
	}
	version, _ := strconv.Atoi(sql[end : end+digits])
	return end + digits, version < neverVersion && (version < 50700 || version > 99999 || maria)
}

// execCommentAt reports whether an executable comment's marker opens at
// sql[at:].
func execCommentAt(sql string, at int) bool {
	return strings.HasPrefix(sql[at:], "/*!") || strings.HasPrefix(sql[at:], "/*M!")
}

// execComments returns sql with its executable comments in the parser's
// form.
func (m Mode) execComments(sql string) string {
	if !strings.Contains(sql, "/*!") && !strings.Contains(sql, "/*M!") && !strings.Contains(sql, tidbComment) {
		return sql
	}
	sc := newScanner(sql)
	sc.noBackslash = m.noBackslash
	var out []byte
	mark := func(at int, runs bool) {
		end, _ := execMarker(sql, at)
		if maria := sql[at+2] == 'M'; runs != maria && (!runs || end-at <= len("/*!")+5) {
			return // the parser reads it alike: the text stays the statement's own
		}
		lead := "/*"
		if runs {
			lead = "/*!"
		}
		if out == nil {
			out = []byte(sql)
		}
		copy(out[at:end], lead+strings.Repeat(" ", end-at-len(lead)))
	}
	gap := 0 // where the text between two tokens starts
	for {
		t := sc.next()
		// The markers of comments MariaDB runs are skipped as space
		// between tokens, so any /* in a gap opens one (one inside a
		// string or a comment is part of that token); a comment it
		// skips is a token of its own.
		for i := gap; i < t.start; {
			j := strings.Index(sql[i:t.start], "/*")
			if j < 0 {
				break
			}
			mark(i+j, true)
			i += j + 2
		}
		if t.kind == tokComment && execCommentAt(sql, t.start) {
			mark(t.start, false)
		}
		if t.kind == tokComment && strings.HasPrefix(sql[t.start:], tidbComment) {
			if out == nil {
				out = []byte(sql)
			}
			out[t.start+len(tidbComment)-1] = ' ' // a plain comment, as MariaDB reads it
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
