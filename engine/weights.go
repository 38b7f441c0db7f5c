package engine

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// The weight tables of the collations MariaDB applications use most,
// read from MariaDB itself by engine/collgen: with them Strata compares,
// groups and orders strings of these collations exactly as the server
// does (ß = ss in unicode_ci, '_' before letters, accents and case
// ignored as the server ignores them).
//
//go:embed collations/*.bin
var weightFiles embed.FS

// weightTable is one collation's weights per code point.
type weightTable struct {
	off  []uint32 // BMP code point cp weighs w[off[cp]:off[cp+1]]
	w    []uint16
	runs []implicitRun     // supplementary code points with UCA implicit weights
	supp map[rune][]uint16 // other supplementary code points
	// common weighs the supplementary code points in neither: 0xFFFD, or
	// latin1's '?'.
	common []uint16
	space  uint16 // the weight of ' ', which PAD SPACE pads with
	once   sync.Once
	file   string
	// contractions: the collation weighs some character sequences as
	// one, which the table, per code point, does not hold: comparing by
	// it is close, not exact.
	contractions bool
}

type implicitRun struct {
	from, to rune
	base     uint16
}

// exactTables are the tables by file name, loaded on first use.
var exactTables = map[string]*weightTable{
	"general_ci":        {file: "general_ci"},
	"unicode_ci":        {file: "unicode_ci"},
	"unicode_520_ci":    {file: "unicode_520_ci"},
	"latin1_swedish_ci": {file: "latin1_swedish_ci"},
	"uca1400_ai_ci":     {file: "uca1400_ai_ci", contractions: true},
}

// exactTableFor returns the table for a collation name, or nil when
// Strata has none (the name-derived approximation is used). The NO PAD
// variants weigh the same; the PAD rule is the Collation's.
func exactTableFor(name string) *weightTable {
	switch name {
	case "latin1_swedish_ci", "latin1_swedish_nopad_ci":
		return exactTables["latin1_swedish_ci"].load()
	}
	charset, rest, ok := strings.Cut(name, "_")
	if !ok || (charset != "utf8mb4" && charset != "utf8mb3" && charset != "utf8") {
		return nil
	}
	switch rest {
	case "general_ci", "general_nopad_ci":
		return exactTables["general_ci"].load()
	case "unicode_ci", "unicode_nopad_ci":
		return exactTables["unicode_ci"].load()
	case "unicode_520_ci", "unicode_520_nopad_ci":
		return exactTables["unicode_520_ci"].load()
	case "uca1400_ai_ci", "uca1400_nopad_ai_ci":
		return exactTables["uca1400_ai_ci"].load()
	}
	return nil
}

func (t *weightTable) load() *weightTable {
	t.once.Do(func() {
		if err := t.read(); err != nil {
			// The files are part of the binary: a bad one is a build
			// mistake that TestWeightTablesLoad catches.
			panic(fmt.Sprintf("collation table %s: %v", t.file, err))
		}
	})
	return t
}

func (t *weightTable) read() error {
	f, err := weightFiles.Open("collations/" + t.file + ".bin")
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return err
	}
	r := tableReader{b: raw}
	if string(r.next(5)) != "STRW2" {
		return fmt.Errorf("not a weight table")
	}
	r.next(int(r.byte())) // the server version it was read from
	t.common = r.weights(nil)
	t.off = make([]uint32, 0x10001)
	for cp := 0; cp <= 0xFFFF; cp++ {
		t.off[cp] = uint32(len(t.w))
		t.w = r.weights(t.w)
	}
	t.off[0x10000] = uint32(len(t.w))
	for n := r.uint32(); n > 0; n-- {
		t.runs = append(t.runs, implicitRun{from: rune(r.uint32()), to: rune(r.uint32()), base: r.uint16()})
	}
	t.supp = map[rune][]uint16{}
	for n := r.uint32(); n > 0; n-- {
		cp := rune(r.uint32())
		t.supp[cp] = r.weights(nil)
	}
	if r.err != nil || len(r.b) != 0 {
		return fmt.Errorf("malformed table (%v, %d bytes left)", r.err, len(r.b))
	}
	if sp := t.of(' ', nil); len(sp) != 1 {
		return fmt.Errorf("space weighs %v", sp)
	}
	t.space = t.w[t.off[' ']]
	return nil
}

// of appends r's weights to buf.
func (t *weightTable) of(r rune, buf []uint16) []uint16 {
	ws := weightStream{t: t}
	ws.load(r)
	for w, ok := ws.pop(); ok; w, ok = ws.pop() {
		buf = append(buf, w)
	}
	return buf
}

// weightStream yields the weights of a string one at a time, reading
// them from the table in place so comparing allocates nothing.
type weightStream struct {
	t   *weightTable
	s   []byte
	cur []uint16 // the rest of the current character's weights
	// pend holds weights computed, not stored: UCA's implicit ones and
	// 0xFFFD.
	pend        [2]uint16
	npend, used int
}

func newWeightStream(t *weightTable, s []byte) weightStream {
	return weightStream{t: t, s: s}
}

// pop returns the next weight, false at the end of the string.
func (ws *weightStream) pop() (uint16, bool) {
	for {
		if ws.used < ws.npend {
			ws.used++
			return ws.pend[ws.used-1], true
		}
		if len(ws.cur) > 0 {
			w := ws.cur[0]
			ws.cur = ws.cur[1:]
			return w, true
		}
		if len(ws.s) == 0 {
			return 0, false
		}
		r, n := decodeRune(ws.s)
		ws.s = ws.s[n:]
		ws.load(r) // ignorable characters weigh nothing: the loop goes on
	}
}

// load makes r's weights the current ones.
func (ws *weightStream) load(r rune) {
	t := ws.t
	ws.npend, ws.used = 0, 0
	if r >= 0 && r <= 0xFFFF {
		ws.cur = t.w[t.off[r]:t.off[r+1]]
		return
	}
	if w, ok := t.supp[r]; ok {
		ws.cur = w
		return
	}
	if i := sort.Search(len(t.runs), func(i int) bool { return t.runs[i].to >= r }); i < len(t.runs) && t.runs[i].from <= r {
		ws.pend, ws.npend = [2]uint16{t.runs[i].base + uint16(r>>15), uint16(r&0x7FFF) | 0x8000}, 2
		return
	}
	ws.cur = t.common
}

// compareExact orders a and b by their weights; with pad, the shorter
// string's end compares as spaces (MariaDB's PAD SPACE).
func compareExact(t *weightTable, a, b []byte, pad bool) int {
	sa, sb := newWeightStream(t, a), newWeightStream(t, b)
	for {
		x, okA := sa.pop()
		y, okB := sb.pop()
		switch {
		case okA && okB:
			if x != y {
				return cmpUint16(x, y)
			}
			continue
		case !okA && !okB:
			return 0
		case !pad:
			if okA {
				return 1
			}
			return -1
		case okA:
			return tailVsSpace(t, x, &sa)
		default:
			return -tailVsSpace(t, y, &sb)
		}
	}
}

// tailVsSpace compares the rest of the longer string, starting with the
// weight first, with spaces.
func tailVsSpace(t *weightTable, first uint16, rest *weightStream) int {
	for w, ok := first, true; ok; w, ok = rest.pop() {
		if w != t.space {
			return cmpUint16(w, t.space)
		}
	}
	return 0
}

func cmpUint16(a, b uint16) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// keyExact is s's weights as bytes, without the trailing spaces pad
// ignores: equal exactly when compareExact says equal.
func keyExact(t *weightTable, s []byte, pad bool) []byte {
	out := make([]byte, 0, 2*len(s))
	ws := newWeightStream(t, s)
	for w, ok := ws.pop(); ok; w, ok = ws.pop() {
		out = binary.BigEndian.AppendUint16(out, w)
	}
	if pad {
		sp := binary.BigEndian.AppendUint16(nil, t.space)
		for len(out) >= 2 && bytes.Equal(out[len(out)-2:], sp) {
			out = out[:len(out)-2]
		}
	}
	return out
}

// tableReader reads the big-endian fields of a table file.
type tableReader struct {
	b   []byte
	err error
}

func (r *tableReader) next(n int) []byte {
	if r.err != nil || len(r.b) < n {
		r.err = io.ErrUnexpectedEOF
		return make([]byte, n)
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *tableReader) byte() byte     { return r.next(1)[0] }
func (r *tableReader) uint16() uint16 { return binary.BigEndian.Uint16(r.next(2)) }
func (r *tableReader) uint32() uint32 { return binary.BigEndian.Uint32(r.next(4)) }
func (r *tableReader) weights(buf []uint16) []uint16 {
	for n := r.byte(); n > 0; n-- {
		buf = append(buf, r.uint16())
	}
	return buf
}
