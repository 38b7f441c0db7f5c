package infile

import (
	"fmt"
	"strings"
	"testing"
)

type row struct {
	raw  string
	key  string // "NULL" for a NULL key, "-" for a missing one
	null bool
}

func csv() Format {
	return Format{FieldTerm: ",", Enclosed: '"', Escape: '\\', LineTerm: "\n"}
}

var cases = []struct {
	name   string
	f      Format
	fields int
	key    int
	file   string
	want   []row
}{
	{"tab separated", Default(), 3, 0, "1\ta\tb\n2\tc\td\n",
		[]row{{"1\ta\tb\n", "1", false}, {"2\tc\td\n", "2", false}}},
	{"last row without terminator", Default(), 2, 1, "1\tx\n2\ty",
		[]row{{"1\tx\n", "x", false}, {"2\ty", "y", false}}},
	{"escaped tab and newline stay in the field", Default(), 2, 0, "a\\\tb\\\nc\t1\n",
		[]row{{"a\\\tb\\\nc\t1\n", "a\tb\nc", false}}},
	{"escape sequences decode", Default(), 1, 0, "x\\ty\\0\\Z\\\\\n",
		[]row{{"x\\ty\\0\\Z\\\\\n", "x\ty\x00\x1a\\", false}}},
	{"\\N is NULL", Default(), 2, 0, "\\N\t1\n",
		[]row{{"\\N\t1\n", "N", true}}},
	{"\\N inside a value is the letter N", Default(), 2, 0, "a\\N\t1\n",
		[]row{{"a\\N\t1\n", "aN", false}}},
	{"bare NULL is a string without enclosure", Default(), 1, 0, "NULL\n",
		[]row{{"NULL\n", "NULL", false}}},
	{"bare NULL is NULL with enclosure", csv(), 1, 0, "NULL\n\"NULL\"\n",
		[]row{{"NULL\n", "NULL", true}, {"\"NULL\"\n", "NULL", false}}},
	{"enclosed field holds separators and newlines", csv(), 2, 1, "1,\"a,b\nc\"\n2,\"x\"\n",
		[]row{{"1,\"a,b\nc\"\n", "a,b\nc", false}, {"2,\"x\"\n", "x", false}}},
	{"doubled enclosure is literal", csv(), 2, 0, "\"say \"\"hi\"\"\",1\n",
		[]row{{"\"say \"\"hi\"\"\",1\n", "say \"hi\"", false}}},
	{"enclosure char not followed by a terminator is data", csv(), 2, 0, "\"a\"b\",1\n",
		[]row{{"\"a\"b\",1\n", "a\"b", false}}},
	{"enclosure only counts at the start of a field", csv(), 2, 0, "a\"b,1\n",
		[]row{{"a\"b,1\n", "a\"b", false}}},
	{"escape equal to enclosure", Format{FieldTerm: ",", Enclosed: '"', Escape: '"', LineTerm: "\n"}, 2, 0, "\"a\"\"b\",1\n",
		[]row{{"\"a\"\"b\",1\n", "a\"b", false}}},
	{"CRLF lines and multi-byte field terminator", Format{FieldTerm: "||", Escape: '\\', LineTerm: "\r\n"}, 2, 1, "1||a|b\r\n2||c\r\n",
		[]row{{"1||a|b\r\n", "a|b", false}, {"2||c\r\n", "c", false}}},
	{"line prefix: junk before it is dropped, lines without it skipped", Format{FieldTerm: ",", Escape: '\\', LineStart: "xxx", LineTerm: "\n"}, 2, 0,
		"junkxxx1,a\nnothing here\nxxx2,b\n",
		[]row{{"xxx1,a\n", "1", false}, {"xxx2,b\n", "2", false}}},
	{"a prefix the file ends with starts no row", Format{FieldTerm: ",", Escape: '\\', LineStart: "xx", LineTerm: "\n"}, 2, 0,
		"xx1,a\nxx",
		[]row{{"xx1,a\n", "1", false}}},
	{"fields past the last column are skipped by escape rules only", csv(), 1, 0, "1,\"a\nb\"\n",
		[]row{{"1,\"a\n", "1", false}, {"b\"\n", "b\"", false}}},
	{"missing key field", Default(), 3, 2, "1\ta\n",
		[]row{{"1\ta\n", "-", false}}},
	{"empty line is one empty field", Default(), 2, 0, "\n1\tx\n",
		[]row{{"\n", "", false}, {"1\tx\n", "1", false}}},
	{"file ending inside an enclosure keeps the quote", csv(), 1, 0, "\"abc",
		[]row{{"\"abc", "\"abc", false}}},
	{"file ending in an escape inside an enclosure keeps quote and escape", csv(), 1, 0, "\"ab\\",
		[]row{{"\"ab\\", "\"ab\\", false}}},
}

// read feeds file to a Reader in chunks of size n and collects its rows.
func read(f Format, fields, key int, file string, n int) []row {
	r := NewReader(f, fields, key)
	var got []row
	collect := func(final bool) {
		for {
			raw, k, ok := r.Next(final)
			if !ok {
				return
			}
			v := string(k.Value)
			if k.Missing {
				v = "-"
			}
			got = append(got, row{string(raw), v, k.Null})
		}
	}
	for i := 0; i < len(file); i += n {
		r.Feed([]byte(file[i:min(i+n, len(file))]))
		collect(false)
	}
	collect(true)
	return got
}

func TestReaderCutsRowsAsTheServerDoes(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Every chunking of the file must give the same rows: the
			// client decides where its packets end.
			for n := 1; n <= len(c.file); n++ {
				got := read(c.f, c.fields, c.key, c.file, n)
				if fmt.Sprint(got) != fmt.Sprint(c.want) {
					t.Fatalf("chunks of %d bytes:\n got %+v\nwant %+v", n, got, c.want)
				}
			}
		})
	}
}

func TestRowsJoinBackToTheFile(t *testing.T) {
	// Without a line prefix no byte is dropped: the shards together get
	// the whole file.
	for _, c := range cases {
		if c.f.LineStart != "" {
			continue
		}
		var b strings.Builder
		for _, r := range read(c.f, c.fields, c.key, c.file, 3) {
			b.WriteString(r.raw)
		}
		if b.String() != c.file {
			t.Errorf("%s: rows joined = %q, file %q", c.name, b.String(), c.file)
		}
	}
}

func TestSkipLineHonoursEscapesNotEnclosures(t *testing.T) {
	r := NewReader(csv(), 2, 0)
	r.Feed([]byte("id,\"name\nx\"\nsecond\\\nline\n3,c\n"))
	var skipped []string
	for range 3 {
		raw, ok := r.SkipLine(false)
		if !ok {
			t.Fatal("SkipLine: no whole line")
		}
		skipped = append(skipped, string(raw))
	}
	want := []string{"id,\"name\n", "x\"\n", "second\\\nline\n"}
	if fmt.Sprint(skipped) != fmt.Sprint(want) {
		t.Fatalf("skipped %q, want %q", skipped, want)
	}
	raw, key, ok := r.Next(true)
	if !ok || string(raw) != "3,c\n" || string(key.Value) != "3" {
		t.Fatalf("row after the skipped lines = %q %q %v", raw, key.Value, ok)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		f  Format
		ok bool
	}{
		{Default(), true},
		{csv(), true},
		{Format{LineTerm: "\n"}, false},
		{Format{FieldTerm: ",", LineTerm: ""}, false},
		{Format{Enclosed: '"', LineTerm: "\n"}, true},
	} {
		if err := c.f.Validate(); (err == nil) != c.ok {
			t.Errorf("Validate(%+v) = %v, want ok=%v", c.f, err, c.ok)
		}
	}
}

func FuzzChunkingDoesNotChangeRows(f *testing.F) {
	for _, c := range cases {
		f.Add(c.file, uint8(2))
	}
	f.Fuzz(func(t *testing.T, file string, n uint8) {
		whole := read(csv(), 3, 1, file, max(len(file), 1))
		chunked := read(csv(), 3, 1, file, int(n)%7+1)
		if fmt.Sprint(whole) != fmt.Sprint(chunked) {
			t.Fatalf("file %q: whole %+v, in chunks of %d %+v", file, whole, int(n)%7+1, chunked)
		}
	})
}

// A watched field is decoded beside the key, whatever their order, so
// Strata can check a second column (an AUTO_INCREMENT id) of each row.
func TestWatchedFieldIsDecodedBesideTheKey(t *testing.T) {
	for _, tt := range []struct {
		name       string
		key, watch int
		file       string
		want       []string // each row's watched field: its value, "NULL" or "-"
	}{
		{"after the key", 0, 1, "7,\\N,a\n8,0,b\n9,\"12\",c\n", []string{"NULL", "0", "12"}},
		{"before the key", 2, 0, "\\N,a,7\n\"\",b,8\n", []string{"NULL", ""}},
		{"the key itself", 1, 1, "a,5\nb,\\N\n", []string{"5", "NULL"}},
		{"missing in a short row", 0, 2, "7,a\n8,b,3\n", []string{"-", "3"}},
		{"past the statement's columns", 0, 3, "7,a,b,c\n", []string{"-"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for n := 1; n <= len(tt.file); n++ {
				r := NewReader(csv(), 3, tt.key)
				r.Watch(1 - min(tt.watch, 1)) // another field, watched beside
				w := r.Watch(tt.watch)
				var got []string
				collect := func(final bool) {
					for {
						if _, _, ok := r.Next(final); !ok {
							return
						}
						switch f := r.Watched(w); {
						case f.Missing:
							got = append(got, "-")
						case f.Null:
							got = append(got, "NULL")
						default:
							got = append(got, string(f.Value))
						}
					}
				}
				for i := 0; i < len(tt.file); i += n {
					r.Feed([]byte(tt.file[i:min(i+n, len(tt.file))]))
					collect(false)
				}
				collect(true)
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Fatalf("chunks of %d bytes: watched %q, want %q", n, got, tt.want)
				}
			}
		})
	}
}
