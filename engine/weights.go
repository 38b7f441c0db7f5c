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
	// contr holds the character sequences the collation weighs as one
	// (UCA 14.0's "เก", weighed as "กเ"), by their code points; starts
	// marks the BMP code points that begin one, so the common case costs
	// a bit test.
	contr      map[[maxContraction]rune][]uint16
	starts     []uint64
	suppStarts map[rune]bool // the starters outside the BMP (Chakma, ...)
	once       sync.Once
	file       string
}

// maxContraction is the most code points a contraction of the tables
// spans (UCA's longest are three).
const maxContraction = 3

type implicitRun struct {
	from, to rune
	base     uint16
}

// exactTables are the tables by file name, loaded on first use.
var exactTables = map[string]*weightTable{}

func init() {
	for _, f := range []string{"general_ci", "unicode_ci", "unicode_520_ci", "uca1400_ai_ci",
		"latin1_swedish_ci", "latin1_general_ci", "latin1_general_cs", "latin1_german1_ci",
		"latin1_german2_ci", "latin1_danish_ci", "latin1_spanish_ci"} {
		exactTables[f] = &weightTable{file: f}
	}
}

// exactTableFor returns the table for a collation name, or nil when
// Strata has none (the name-derived approximation is used). The NO PAD
// variants weigh the same; the PAD rule is the Collation's. The utf8mb4
// tables serve utf8mb3 (a subset) too; a latin1 table gives each code
// point the weight of the latin1 character the server converts it to.
func exactTableFor(name string) *weightTable {
	name = strings.Replace(name, "_nopad", "", 1)
	charset, rest, ok := strings.Cut(name, "_")
	if !ok {
		return nil
	}
	file := ""
	switch charset {
	case "utf8mb4", "utf8mb3", "utf8":
		if !strings.HasPrefix(rest, "latin1") {
			file = rest
		}
	case "latin1":
		file = name
	}
	if t := exactTables[file]; t != nil {
		return t.load()
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
	if string(r.next(5)) != "STRW3" {
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
	for n := r.uint32(); n > 0; n-- {
		var seq [maxContraction]rune
		k := int(r.byte())
		if k < 2 || k > maxContraction {
			return fmt.Errorf("a contraction of %d code points", k)
		}
		for i := range k {
			seq[i] = rune(r.uint32())
		}
		if t.contr == nil {
			t.contr = map[[maxContraction]rune][]uint16{}
			t.starts = make([]uint64, 0x10000/64)
		}
		t.contr[seq] = r.weights(nil)
		if seq[0] > 0xFFFF {
			if t.suppStarts == nil {
				t.suppStarts = map[rune]bool{}
			}
			t.suppStarts[seq[0]] = true
			continue
		}
		t.starts[seq[0]/64] |= 1 << (seq[0] % 64)
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
	in          textInput // how s is encoded
}

func newWeightStream(t *weightTable, s []byte, in textInput) weightStream {
	return weightStream{t: t, s: s, in: in}
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
		r, n := ws.in.decode(ws.s)
		ws.s = ws.s[n:]
		if ws.t.starts != nil && ws.t.startsContraction(r) && ws.contraction(r) {
			continue
		}
		ws.load(r) // ignorable characters weigh nothing: the loop goes on
	}
}

// startsContraction reports whether some contraction begins with r.
func (t *weightTable) startsContraction(r rune) bool {
	if r <= 0xFFFF {
		return t.starts[r/64]&(1<<(r%64)) != 0
	}
	return t.suppStarts[r]
}

// contraction makes the weights of the longest contraction that starts
// with r and goes on with the string's next code points the current
// ones, as the server's scanner matches them; false when none does.
func (ws *weightStream) contraction(r rune) bool {
	var seq [maxContraction]rune
	var ends [maxContraction]int // bytes of ws.s each code point ends at
	seq[0] = r
	k, rest := 1, ws.s
	for ; k < maxContraction && len(rest) > 0; k++ {
		next, n := ws.in.decode(rest)
		seq[k], ends[k] = next, ends[k-1]+n
		rest = rest[n:]
	}
	for ; k >= 2; k-- {
		var key [maxContraction]rune
		copy(key[:k], seq[:k])
		if w, ok := ws.t.contr[key]; ok {
			ws.s = ws.s[ends[k-1]:]
			ws.cur, ws.npend, ws.used = w, 0, 0
			return true
		}
	}
	return false
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
func compareExact(t *weightTable, a, b []byte, pad bool, in textInput) int {
	sa, sb := newWeightStream(t, a, in), newWeightStream(t, b, in)
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
func keyExact(t *weightTable, s []byte, pad bool, in textInput) []byte {
	out := make([]byte, 0, 2*len(s))
	ws := newWeightStream(t, s, in)
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
