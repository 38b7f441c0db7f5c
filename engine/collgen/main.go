// Command collgen writes the collation weight tables package engine
// embeds (engine/collations/*.bin), read from a running MariaDB with
// WEIGHT_STRING, and what each byte of the single-byte character sets is
// in Unicode (charsets.bin), so Strata orders, groups and compares strings
// of these collations exactly as the server does:
//
//	strata sandbox up -c FILE     # or any MariaDB 10.11
//	go run ./engine/collgen -dsn 'root@tcp(127.0.0.1:13999)/mysql' -out engine/collations
//
// The tables of these collations are frozen in MariaDB (general_ci since
// MySQL 4.1, unicode_ci is UCA 4.0.0, unicode_520_ci UCA 5.2.0, the latin1
// ones since 4.1), so they are written once and committed.
//
// A collation may weigh a sequence of characters as one (a contraction:
// Thai's prevowel and its consonant in UCA 14.0, "เก" sorting as "กเ").
// collgen finds them by asking the server: every multi-character entry of
// Unicode's allkeys.txt (-allkeys; Perl's copy of UCA 13 by default), and
// every BMP character followed by a character that ends one of those
// entries, and the entries' starters followed by any BMP character, are
// weighed as a whole and character by character; where the two differ,
// the sequence and the server's weights go into the table.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

// tables are the collations written: the file name, the NO PAD
// collation read (its weights are those of the PAD SPACE one; WEIGHT_STRING
// of a NO PAD collation keeps a trailing space's weight), its character
// set and the bytes of one weight. A latin1 column's values reach Strata
// converted to the connection's character set (utf8mb4): the table gives
// each code point the weight of the latin1 character the server converts
// it to.
var tables = []struct {
	file, collation, charset string
	width                    int
}{
	// The latin1 collations other than swedish have no NO PAD form;
	// their weights are the same, the PAD rule is the Collation's.
	{"latin1_general_ci", "latin1_general_ci", "latin1", 1},
	{"latin1_general_cs", "latin1_general_cs", "latin1", 1},
	{"latin1_german1_ci", "latin1_german1_ci", "latin1", 1},
	{"latin1_german2_ci", "latin1_german2_ci", "latin1", 1},
	{"latin1_danish_ci", "latin1_danish_ci", "latin1", 1},
	{"latin1_spanish_ci", "latin1_spanish_ci", "latin1", 1},
	{"general_ci", "utf8mb4_general_nopad_ci", "utf8mb4", 2},
	{"unicode_ci", "utf8mb4_unicode_nopad_ci", "utf8mb4", 2},
	{"unicode_520_ci", "utf8mb4_unicode_520_nopad_ci", "utf8mb4", 2},
	{"latin1_swedish_ci", "latin1_swedish_nopad_ci", "latin1", 1},
	// UCA 14.0, MariaDB 11's default for utf8mb4, with its contractions
	// (И + U+0306 = Й, Thai and Lao prevowels with their consonant).
	{"uca1400_ai_ci", "utf8mb4_uca1400_nopad_ai_ci", "utf8mb4", 2},
}

func main() {
	dsn := flag.String("dsn", "root@tcp(127.0.0.1:13999)/mysql", "a MariaDB to read the weights from")
	out := flag.String("out", "engine/collations", "directory to write the tables to")
	allkeys := flag.String("allkeys", "/usr/share/perl/5.36.0/Unicode/Collate/allkeys.txt", "Unicode's allkeys.txt, whose multi-character entries are the contractions to look for")
	only := flag.String("only", "", "write only this table (its file name)")
	flag.Parse()
	candidates, err := readAllkeys(*allkeys)
	if err != nil {
		log.Fatal(err)
	}
	db, err := sql.Open("mysql", *dsn+"?charset=utf8mb4")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		log.Fatal(err)
	}
	if *only == "" || *only == "charsets" {
		data, err := singleByteCharsets(ctx, db, version)
		if err != nil {
			log.Fatalf("charsets: %v", err)
		}
		if err := os.WriteFile(filepath.Join(*out, "charsets.bin"), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	for _, t := range tables {
		if *only != "" && t.file != *only {
			continue
		}
		data, err := table(ctx, db, t.collation, t.charset, t.width, version, candidates)
		if err != nil {
			log.Fatalf("%s: %v", t.collation, err)
		}
		path := filepath.Join(*out, t.file+".bin")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			log.Fatal(err)
		}
		log.Printf("%s: %d bytes from %s", path, len(data), version)
	}
}

// table reads one collation's weights: every BMP code point's, then
// those of the supplementary code points, which are mostly 0xFFFD (all
// of them in general_ci and unicode_ci) or UCA's implicit weights (base +
// cp>>15, cp&0x7FFF | 0x8000: unicode_520_ci), written as runs. The
// format, gzip-compressed, integers big-endian:
//
//	"STRW2", version (byte length, text),
//	count byte, count × uint16: the weights of the supplementary code
//	points listed in neither section below,
//	65536 × (count byte, count × uint16),
//	uint32 n, n × (uint32 first, uint32 last, uint16 base): implicit runs,
//	uint32 n, n × (uint32 code point, count byte, count × uint16),
//	uint32 n, n × (count byte, count × uint32 code point, count byte,
//	count × uint16): contractions.
func table(ctx context.Context, db *sql.DB, collation, charset string, width int, version string, candidates [][]rune) ([]byte, error) {
	var raw bytes.Buffer
	raw.WriteString("STRW3")
	raw.WriteByte(byte(len(version)))
	raw.WriteString(version)
	bmp, err := weights(ctx, db, collation, charset, width, 0, 0xFFFF)
	if err != nil {
		return nil, err
	}
	supp, err := weights(ctx, db, collation, charset, width, 0x10000, 0x10FFFF)
	if err != nil {
		return nil, err
	}
	// The weights most supplementary code points share: 0xFFFD, or in
	// latin1 those of the '?' they convert to.
	common := supp[0x10000]
	if charset == "utf8mb4" {
		common = []uint16{0xFFFD}
	}
	raw.WriteByte(byte(len(common)))
	for _, x := range common {
		raw.Write(binary.BigEndian.AppendUint16(nil, x))
	}
	for cp := 0; cp <= 0xFFFF; cp++ {
		w := bmp[rune(cp)]
		raw.WriteByte(byte(len(w)))
		for _, x := range w {
			raw.Write(binary.BigEndian.AppendUint16(nil, x))
		}
	}
	runs, explicit := supplementary(supp, common)
	raw.Write(binary.BigEndian.AppendUint32(nil, uint32(len(runs))))
	for _, r := range runs {
		raw.Write(binary.BigEndian.AppendUint32(nil, uint32(r.from)))
		raw.Write(binary.BigEndian.AppendUint32(nil, uint32(r.to)))
		raw.Write(binary.BigEndian.AppendUint16(nil, r.base))
	}
	raw.Write(binary.BigEndian.AppendUint32(nil, uint32(len(explicit))))
	for cp := rune(0x10000); cp <= 0x10FFFF; cp++ {
		w, ok := explicit[cp]
		if !ok {
			continue
		}
		raw.Write(binary.BigEndian.AppendUint32(nil, uint32(cp)))
		raw.WriteByte(byte(len(w)))
		for _, x := range w {
			raw.Write(binary.BigEndian.AppendUint16(nil, x))
		}
	}
	single := func(cp rune) []uint16 {
		if cp <= 0xFFFF {
			return bmp[cp]
		}
		return supp[cp]
	}
	found, err := contractions(ctx, db, collation, charset, width, single, candidates)
	if err != nil {
		return nil, err
	}
	log.Printf("%s: %d contractions", collation, len(found))
	raw.Write(binary.BigEndian.AppendUint32(nil, uint32(len(found))))
	for _, c := range found {
		raw.WriteByte(byte(len(c.seq)))
		for _, cp := range c.seq {
			raw.Write(binary.BigEndian.AppendUint32(nil, uint32(cp)))
		}
		raw.WriteByte(byte(len(c.w)))
		for _, x := range c.w {
			raw.Write(binary.BigEndian.AppendUint16(nil, x))
		}
	}
	return compress(raw.Bytes())
}

// run is a range of code points with implicit weights of one base.
type run struct {
	from, to rune
	base     uint16
}

// supplementary splits the supplementary weights into implicit runs and
// the others, leaving out those equal to common.
func supplementary(supp map[rune][]uint16, common []uint16) ([]run, map[rune][]uint16) {
	var runs []run
	explicit := map[rune][]uint16{}
	for cp := rune(0x10000); cp <= 0x10FFFF; cp++ {
		w, ok := supp[cp]
		if !ok || slices.Equal(w, common) {
			continue
		}
		if len(w) == 2 && w[1] == uint16(cp&0x7FFF)|0x8000 {
			base := w[0] - uint16(cp>>15)
			if n := len(runs); n > 0 && runs[n-1].to == cp-1 && runs[n-1].base == base {
				runs[n-1].to = cp
			} else {
				runs = append(runs, run{cp, cp, base})
			}
			continue
		}
		explicit[cp] = w
	}
	return runs, explicit
}

// weights asks the server for the weights of code points from..to, except
// surrogates (never in valid UTF-8), each weight width bytes.
func weights(ctx context.Context, db *sql.DB, collation, charset string, width, from, to int) (map[rune][]uint16, error) {
	q := fmt.Sprintf("SELECT seq, HEX(WEIGHT_STRING(CONVERT(CHAR(seq USING utf32) USING %s) COLLATE %s)) FROM seq_%d_to_%d WHERE seq NOT BETWEEN 55296 AND 57343", charset, collation, from, to)
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[rune][]uint16{}
	for rows.Next() {
		var cp int
		var w sql.NullString
		if err := rows.Scan(&cp, &w); err != nil {
			return nil, err
		}
		ws, err := decodeWeights(w.String, width)
		if err != nil {
			return nil, fmt.Errorf("U+%04X: %w", cp, err)
		}
		out[rune(cp)] = ws
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if want := to - from + 1; from == 0 && len(out) != want-2048 {
		return nil, fmt.Errorf("read %d BMP code points, want %d", len(out), want-2048)
	}
	return out, nil
}

// contraction is a character sequence the collation weighs as one.
type contraction struct {
	seq []rune
	w   []uint16
}

// contractions returns the sequences the server weighs otherwise than
// character by character (single gives one character's weights), in a
// stable order.
func contractions(ctx context.Context, db *sql.DB, collation, charset string, width int, single func(rune) []uint16, candidates [][]rune) ([]contraction, error) {
	if charset != "utf8mb4" {
		// A latin1 collation is a table of 256 weights (german2's
		// expansions included): check that no pair of bytes is more.
		q := fmt.Sprintf(`SELECT COUNT(*) FROM seq_0_to_255 a, seq_0_to_255 b
			WHERE WEIGHT_STRING(CONCAT(CHAR(a.seq USING latin1), CHAR(b.seq USING latin1)) COLLATE %[1]s)
			<> CONCAT(WEIGHT_STRING(CHAR(a.seq USING latin1) COLLATE %[1]s), WEIGHT_STRING(CHAR(b.seq USING latin1) COLLATE %[1]s))`, collation)
		var n int
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, fmt.Errorf("%d byte pairs weigh otherwise than their bytes: a table per character cannot hold this collation", n)
		}
		return nil, nil
	}
	found := map[string]contraction{}
	add := func(seq []rune, hexW string) error {
		w, err := decodeWeights(hexW, width)
		if err != nil {
			return fmt.Errorf("%U: %w", seq, err)
		}
		var parts []uint16
		for _, cp := range seq {
			parts = append(parts, single(cp)...)
		}
		if !slices.Equal(w, parts) {
			found[string(seq)] = contraction{seq: seq, w: w}
		}
		return nil
	}
	for _, seq := range candidates {
		var w string
		q := "SELECT HEX(WEIGHT_STRING(CONVERT(CHAR(" + codePoints(seq) + " USING utf32) USING utf8mb4) COLLATE " + collation + "))"
		if err := db.QueryRowContext(ctx, q).Scan(&w); err != nil {
			return nil, err
		}
		if err := add(seq, w); err != nil {
			return nil, err
		}
	}
	// Sequences allkeys.txt does not list (a newer UCA's): every BMP
	// character before a known second character, every known starter
	// before any BMP character.
	firsts, seconds := map[rune]bool{}, map[rune]bool{}
	for _, seq := range candidates {
		firsts[seq[0]] = true
		for _, cp := range seq[1:] {
			seconds[cp] = true
		}
	}
	probes := []string{
		"a.seq <= 65535 AND b.seq IN (" + codePoints(keys(seconds)) + ")",
		"a.seq IN (" + codePoints(keys(firsts)) + ") AND b.seq <= 65535",
	}
	for _, where := range probes {
		pairs, err := probePairs(ctx, db, collation, where)
		if err != nil {
			return nil, err
		}
		for _, p := range pairs {
			if err := add(p.seq, p.hex); err != nil {
				return nil, err
			}
		}
	}
	out := make([]contraction, 0, len(found))
	for _, c := range found {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b contraction) int { return slices.Compare(a.seq, b.seq) })
	return out, nil
}

type probed struct {
	seq []rune
	hex string
}

// probePairs returns the pairs of code points (a, b) matching where whose
// weights as a string differ from a's followed by b's.
func probePairs(ctx context.Context, db *sql.DB, collation, where string) ([]probed, error) {
	one := func(x string) string {
		return "WEIGHT_STRING(CONVERT(CHAR(" + x + " USING utf32) USING utf8mb4) COLLATE " + collation + ")"
	}
	q := `SELECT a.seq, b.seq, HEX(` + one("a.seq, b.seq") + `) FROM seq_0_to_65535 a, seq_0_to_65535 b
		WHERE ` + where + ` AND a.seq NOT BETWEEN 55296 AND 57343 AND b.seq NOT BETWEEN 55296 AND 57343
		AND ` + one("a.seq, b.seq") + ` <> CONCAT(` + one("a.seq") + `, ` + one("b.seq") + `)`
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []probed
	for rows.Next() {
		var a, b int
		var w string
		if err := rows.Scan(&a, &b, &w); err != nil {
			return nil, err
		}
		out = append(out, probed{seq: []rune{rune(a), rune(b)}, hex: w})
	}
	return out, rows.Err()
}

// readAllkeys returns the sequences of two or more code points that
// allkeys.txt gives weights of ("0E40 0E01 ; [...] # THAI ...").
func readAllkeys(path string) ([][]rune, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the contractions to look for: %w (give -allkeys)", err)
	}
	var out [][]rune
	for _, line := range strings.Split(string(data), "\n") {
		head, _, ok := strings.Cut(line, ";")
		if !ok || strings.HasPrefix(line, "@") || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(head)
		if len(fields) < 2 {
			continue
		}
		seq := make([]rune, 0, len(fields))
		for _, f := range fields {
			cp, err := strconv.ParseUint(f, 16, 32)
			if err != nil {
				return nil, fmt.Errorf("%s: %q: %w", path, line, err)
			}
			seq = append(seq, rune(cp))
		}
		out = append(out, seq)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no sequences", path)
	}
	return out, nil
}

// codePoints writes code points as a comma-separated list of numbers.
func codePoints(cps []rune) string {
	s := make([]string, len(cps))
	for i, cp := range cps {
		s[i] = strconv.Itoa(int(cp))
	}
	return strings.Join(s, ",")
}

func keys(m map[rune]bool) []rune {
	out := make([]rune, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// decodeWeights reads WEIGHT_STRING's hex, weights of width bytes.
func decodeWeights(h string, width int) ([]uint16, error) {
	b, err := hex.DecodeString(h)
	if err != nil || len(b)%width != 0 || len(b) > width*255 {
		return nil, fmt.Errorf("weight %q", h)
	}
	ws := make([]uint16, len(b)/width)
	for i := range ws {
		if width == 1 {
			ws[i] = uint16(b[i])
		} else {
			ws[i] = binary.BigEndian.Uint16(b[2*i:])
		}
	}
	return ws, nil
}

// singleByteCharsets writes what each byte of every single-byte character
// set (cp1251, latin2, koi8r, ... and latin1, which is Windows-1252) is
// in Unicode, as the server converts it, so Strata reads the text a client
// in such a character set receives. The format, gzip-compressed:
//
//	"STRC1", version (byte length, text), count byte,
//	count × (name (byte length, text), 256 × uint32 code point).
func singleByteCharsets(ctx context.Context, db *sql.DB, version string) ([]byte, error) {
	rows, err := db.QueryContext(ctx, "SELECT character_set_name FROM information_schema.CHARACTER_SETS WHERE maxlen = 1 AND character_set_name <> 'binary' ORDER BY 1")
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	var raw bytes.Buffer
	raw.WriteString("STRC1")
	raw.WriteByte(byte(len(version)))
	raw.WriteString(version)
	raw.WriteByte(byte(len(names)))
	for _, name := range names {
		q := "SELECT seq, HEX(CONVERT(CHAR(seq USING " + name + ") USING utf32)) FROM seq_0_to_255 ORDER BY seq"
		rs, err := db.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		var cps [256]uint32
		n := 0
		for rs.Next() {
			var b int
			var h string
			if err := rs.Scan(&b, &h); err != nil {
				rs.Close()
				return nil, err
			}
			u, err := hex.DecodeString(h)
			if err != nil || len(u) != 4 {
				rs.Close()
				return nil, fmt.Errorf("%s byte %#x: %q", name, b, h)
			}
			cps[b] = binary.BigEndian.Uint32(u)
			n++
		}
		if err := rs.Close(); err != nil || n != 256 {
			return nil, fmt.Errorf("%s: %d bytes read (%v)", name, n, err)
		}
		raw.WriteByte(byte(len(name)))
		raw.WriteString(name)
		for _, cp := range cps {
			raw.Write(binary.BigEndian.AppendUint32(nil, cp))
		}
	}
	log.Printf("charsets: %d single-byte character sets", len(names))
	return compress(raw.Bytes())
}

// compress gzips a table file's bytes, as package engine reads them.
func compress(raw []byte) ([]byte, error) {
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
