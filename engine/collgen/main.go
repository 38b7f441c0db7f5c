// Command collgen writes the collation weight tables package engine
// embeds (engine/collations/*.bin), read from a running MariaDB with
// WEIGHT_STRING, so Strata orders, groups and compares strings of these
// collations exactly as the server does:
//
//	strata sandbox up -c FILE     # or any MariaDB 10.11
//	go run ./engine/collgen -dsn 'root@tcp(127.0.0.1:13999)/mysql' -out engine/collations
//
// The tables of these collations are frozen in MariaDB (general_ci since
// MySQL 4.1, unicode_ci is UCA 4.0.0, unicode_520_ci UCA 5.2.0), so they
// are written once and committed.
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
	{"general_ci", "utf8mb4_general_nopad_ci", "utf8mb4", 2},
	{"unicode_ci", "utf8mb4_unicode_nopad_ci", "utf8mb4", 2},
	{"unicode_520_ci", "utf8mb4_unicode_520_nopad_ci", "utf8mb4", 2},
	{"latin1_swedish_ci", "latin1_swedish_nopad_ci", "latin1", 1},
	// UCA 14.0, MariaDB 11's default for utf8mb4. Its contractions (a
	// letter and a combining mark weighing as one, as И + U+0306 = Й) are
	// not in the table: Strata compares by it but does not call it exact.
	{"uca1400_ai_ci", "utf8mb4_uca1400_nopad_ai_ci", "utf8mb4", 2},
}

func main() {
	dsn := flag.String("dsn", "root@tcp(127.0.0.1:13999)/mysql", "a MariaDB to read the weights from")
	out := flag.String("out", "engine/collations", "directory to write the tables to")
	flag.Parse()
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
	for _, t := range tables {
		data, err := table(ctx, db, t.collation, t.charset, t.width, version)
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
//	uint32 n, n × (uint32 code point, count byte, count × uint16).
func table(ctx context.Context, db *sql.DB, collation, charset string, width int, version string) ([]byte, error) {
	var raw bytes.Buffer
	raw.WriteString("STRW2")
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
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	zw.Write(raw.Bytes())
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
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
		b, err := hex.DecodeString(w.String)
		if err != nil || len(b)%width != 0 || len(b) > width*255 {
			return nil, fmt.Errorf("U+%04X: weight %q", cp, w.String)
		}
		ws := make([]uint16, len(b)/width)
		for i := range ws {
			if width == 1 {
				ws[i] = uint16(b[i])
			} else {
				ws[i] = binary.BigEndian.Uint16(b[2*i:])
			}
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
