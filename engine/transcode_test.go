package engine

import (
	"context"
	"encoding/binary"
	"io"
	"slices"
	"testing"
)

// A merge read in UTF-8 answers a latin1 (or cp1251) client as the server
// would have: text converted, '?' for what the set cannot hold, numbers
// and binary strings as they are.
func TestTranscodedConvertsTextColumnsOnly(t *testing.T) {
	cols := []Column{{Name: "name", Charset: 45}, {Name: "raw", Charset: CharsetBinary}, {Name: "n", Charset: CharsetBinary}}
	in := []Row{
		{[]byte("Ωmega é"), []byte("Ωé"), []byte("7")},
		{[]byte("plain"), nil, []byte("8")},
		{nil, []byte{0xff}, nil},
	}
	for _, tc := range []struct {
		charset string
		want    []Row
	}{
		{"latin1", []Row{
			{[]byte("?mega \xe9"), []byte("Ωé"), []byte("7")},
			{[]byte("plain"), nil, []byte("8")},
			{nil, []byte{0xff}, nil},
		}},
		{"cp1251", []Row{
			{[]byte("?mega ?"), []byte("Ωé"), []byte("7")},
			{[]byte("plain"), nil, []byte("8")},
			{nil, []byte{0xff}, nil},
		}},
		{"utf8mb3", []Row{ // only characters of four bytes turn '?'
			{[]byte("Ωmega é"), []byte("Ωé"), []byte("7")},
			{[]byte("plain"), nil, []byte("8")},
			{nil, []byte{0xff}, nil},
		}},
	} {
		rows := make([]Row, len(in))
		for i, r := range in {
			rows[i] = slices.Clone(r)
		}
		s := Transcoded(NewSliceStream(rows...), cols, tc.charset)
		for i, want := range tc.want {
			got, err := s.Next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for j := range want {
				if (got[j] == nil) != (want[j] == nil) || string(got[j]) != string(want[j]) {
					t.Errorf("%s row %d column %d: %q, want %q", tc.charset, i, j, got[j], want[j])
				}
			}
		}
		if _, err := s.Next(context.Background()); err != io.EOF {
			t.Errorf("%s: after the rows: %v, want EOF", tc.charset, err)
		}
		// The source's rows stay as they were: a DISTINCT below holds
		// the last one to compare the next with, in UTF-8.
		if string(rows[0][0]) != "Ωmega é" {
			t.Errorf("%s: the source's row became %q", tc.charset, rows[0][0])
		}
	}
	if !ConvertsFromUTF8("latin1") || !ConvertsFromUTF8("koi8r") || !ConvertsFromUTF8("utf8mb3") || ConvertsFromUTF8("utf8mb4") || ConvertsFromUTF8("gbk") || ConvertsFromUTF8("") {
		t.Error("ConvertsFromUTF8: want utf8mb3 and the single-byte sets")
	}
	emoji := Transcoded(NewSliceStream(Row{[]byte("a😀b€")}), cols[:1], "utf8mb3")
	if r, err := emoji.Next(context.Background()); err != nil || string(r[0]) != "a?b€" {
		t.Errorf("utf8mb3: %q, %v; want a?b€", r, err)
	}
}

// A column definition read in UTF-8 becomes the one a latin1 connection
// gets: names converted, a text column's collation the set's default and
// its length one byte per character (MariaDB 10.11, --column-type-info).
func TestTranscodeColumnDefAsTheServerSendsIt(t *testing.T) {
	def := func(name string, charset uint16, length uint32) []byte {
		var b []byte
		for _, s := range []string{"def", "blog", "t", "t", name, "u"} {
			b = appendLenEncString(b, []byte(s))
		}
		b = append(b, 0x0c)
		b = binary.LittleEndian.AppendUint16(b, charset)
		b = binary.LittleEndian.AppendUint32(b, length)
		return append(b, TypeVarString, 0, 0, 0, 0, 0)
	}
	for _, tc := range []struct {
		in, want []byte
	}{
		{def("Größe", 45, 80), def("Gr\xf6\xdfe", 8, 20)},
		{def("n", CharsetBinary, 21), def("n", CharsetBinary, 21)},
		{def("body", 224, 1<<32-1), def("body", 8, 1<<32-1)}, // LONGTEXT: capped alike
	} {
		got, err := TranscodeColumnDef(tc.in, "latin1")
		if err != nil || string(got) != string(tc.want) {
			t.Errorf("TranscodeColumnDef(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if got, err := TranscodeColumnDef(def("Größe", 45, 80), "utf8mb3"); err != nil || string(got) != string(def("Größe", 33, 60)) {
		t.Errorf("TranscodeColumnDef to utf8mb3 = %q, %v", got, err)
	}
	if _, err := TranscodeColumnDef(def("x", 45, 4), "gbk"); err == nil {
		t.Error("a conversion to gbk: no error")
	}
	if _, err := TranscodeColumnDef(def("x", 45, 4)[:12], "latin1"); err == nil {
		t.Error("a truncated definition: no error")
	}
}
