package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestSplitStatementsSchema(t *testing.T) {
	text, err := os.ReadFile("../schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	stmts := splitStatements(string(text))
	if len(stmts) != 5 {
		t.Fatalf("got %d statements, want 5 (database + 4 tables):\n%s", len(stmts), strings.Join(stmts, "\n---\n"))
	}
	for _, table := range []string{"users", "profiles", "entries", "comments"} {
		found := false
		for _, s := range stmts {
			if strings.Contains(s, "CREATE TABLE IF NOT EXISTS blog."+table+" ") {
				found = true
			}
		}
		if !found {
			t.Errorf("no CREATE TABLE for %s", table)
		}
	}
}

func TestLiteral(t *testing.T) {
	cases := map[any]string{
		42:        "42",
		"O'Brien": `'O\'Brien'`,
		"a\\b\nc": `'a\\b\nc'`,
		time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC): "'2024-02-03 04:05:06'",
	}
	for in, want := range cases {
		if got := literal(in); got != want {
			t.Errorf("literal(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestGeneratorDeterministic(t *testing.T) {
	a, b := newGenerator(7), newGenerator(7)
	for range 100 {
		if x, y := a.paragraphs(1, 3), b.paragraphs(1, 3); x != y {
			t.Fatalf("same seed, different text: %q vs %q", x, y)
		}
	}
	if got := capitalize("éclair"); got != "Éclair" {
		t.Errorf("capitalize = %q", got)
	}
}
