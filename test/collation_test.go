package test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/strata-proxy/strata/engine"
	"github.com/strata-proxy/strata/test/testenv"
)

// Strata merges, groups and de-duplicates rows from several shards by
// comparing strings itself; for the collations it holds the server's
// weights of, its answer must be the server's. Random strings over an
// alphabet of the hard cases — case, accents, ß and ligatures (expansions),
// combining marks, no-break and ideographic spaces (padding), '_' and
// digits, CJK, supplementary characters — and near-copies of them are
// compared by MariaDB (STRCMP) and by Strata (Compare, Key).
func TestCollationsMatchTheServer(t *testing.T) {
	t.Parallel()
	db := testenv.Open(t, env.primary.DSN("root", "", "")+"?charset=utf8mb4")
	alphabet := []string{"a", "A", "b", "B", "z", "Z", "0", "9", "_", "-", " ", " ", "é", "É", "è", "e", "E", "ü", "y", "Ä", "ä", "Ö", "€", "Š",
		"ø", "Ø", "o", "ß", "s", "S", "ss", "æ", "ae", "Å", "ﬁ", "fi", "\u0300", "\u00a0", "\u3000", "\t",
		"Σ", "σ", "ς", "İ", "ı", "i", "Ａ", "中", "😀", "😃", "𐐀", "𐐨", "ǅ", "Ǆ", "ǆ",
		// latin1's own letters, which its collations order apart
		"Æ", "þ", "ð", "ÿ", "ñ", "n",
		// UCA 14.0's contractions (a sequence weighed as one) and their
		// parts: И + U+0306 = Й, Thai prevowels, Tibetan's vocalic RR
		"и\u0306", "й", "и", "\u0306", "เก", "เข", "เ", "ก", "ข", "l·", "·", "l",
		"\u0FB2\u0F71\u0F80", "\u0FB2", "\u0F80"}
	rng := rand.New(rand.NewPCG(7, 11))
	word := func() string {
		var b strings.Builder
		for n := rng.IntN(5); n >= 0; n-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	// nearCopy changes one letter's case, or adds or removes a trailing
	// space, so many pairs are equal or nearly.
	nearCopy := func(s string) string {
		switch rng.IntN(3) {
		case 0:
			return strings.ToUpper(s)
		case 1:
			return s + " "
		}
		return strings.TrimRight(s, " ")
	}
	collations := []string{"utf8mb4_general_ci", "utf8mb4_general_nopad_ci", "utf8mb4_unicode_ci",
		"utf8mb4_unicode_nopad_ci", "utf8mb4_unicode_520_ci", "utf8mb4_unicode_520_nopad_ci", "utf8mb3_general_ci",
		"latin1_swedish_ci", "latin1_swedish_nopad_ci", "latin1_general_ci", "latin1_general_cs",
		"latin1_german1_ci", "latin1_german2_ci", "latin1_danish_ci", "latin1_spanish_ci",
		"utf8mb4_uca1400_ai_ci", "utf8mb4_uca1400_nopad_ai_ci"}
	ctx := ctxFor(t)
	for _, name := range collations {
		coll, err := engine.ExactCollation(name)
		if err != nil {
			t.Fatal(err)
		}
		charset, _, _ := strings.Cut(name, "_")
		q := "SELECT STRCMP(CONVERT(? USING " + charset + ") COLLATE " + name + ", CONVERT(? USING " + charset + ") COLLATE " + name + ")"
		stmt, err := db.PrepareContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		mismatches := 0
		check := func(a, b string) {
			if charset == "utf8mb3" { // no supplementary characters there
				a, b = bmpOnly(a), bmpOnly(b)
			}
			var server int
			if err := stmt.QueryRowContext(ctx, a, b).Scan(&server); err != nil {
				t.Fatal(err)
			}
			got := coll.Compare([]byte(a), []byte(b))
			keyEq := string(coll.Key([]byte(a))) == string(coll.Key([]byte(b)))
			if got != server || keyEq != (server == 0) {
				mismatches++
				t.Errorf("%s: %q vs %q: the server says %d, Strata's Compare %d, its keys equal: %v", name, a, b, server, got, keyEq)
			}
		}
		for i := 0; i < 400 && mismatches < 5; i++ {
			a := word()
			b := word()
			if i%2 == 0 {
				b = nearCopy(a)
			}
			check(a, b)
		}
		// Every pair of the words where a collation's own rules decide:
		// sequences weighed as one, expansions, letters a language
		// collation places apart.
		for _, a := range sharpWords {
			for _, b := range sharpWords {
				if mismatches < 10 {
					check(a, b)
				}
			}
		}
		stmt.Close()
	}
}

// sharpWords are compared in every pair by TestCollationsMatchTheServer.
var sharpWords = []string{"и\u0306", "й", "и", "иa", "เก", "เข", "เ", "ก", "กเ", "ข", "l·", "l", "la", "·",
	"\u0FB2\u0F71\u0F80", "\u0FB2\u0F80", "\u0FB2", "Æble", "zebra", "Äpfel", "aepfel", "apfel", "ñ", "nz", "o", "ss", "ß"}

func bmpOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r > 0xFFFF {
			return 'x'
		}
		return r
	}, s)
}
