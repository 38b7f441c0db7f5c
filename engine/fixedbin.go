package engine

import (
	"bytes"
	"encoding/hex"
	"net/netip"
)

// MariaDB's UUID and INET6 types hold 16 bytes and send them as text
// ('0f1e...-...', '::ffff:10.0.0.1'), yet sort by the bytes: an INET6 by
// the address's 16 bytes ('::ffff:9.0.0.1' before '::ffff:10.0.0.1'), a
// UUID by its stored form, which for time-based UUIDs puts the node and
// time fields first. Merging their text by the connection's collation
// orders rows otherwise than one server. A server describes such a value
// as a CHAR (TypeString) with the UNSIGNED flag, which no text type
// carries; extended metadata would name the type, but clients rarely ask
// for it and Strata relays their column definitions as they are.

// FixedBinary reports whether col holds a UUID or INET6 value, which
// sorts by its bytes rather than its text.
func FixedBinary(col Column) bool {
	return col.Type == TypeString && col.Flags&FlagUnsigned != 0
}

// fixedBinaryKey is the byte string a UUID or INET6 value's text sorts by
// on the server. Text that is neither (not expected from a server) sorts
// after every value that is, by its bytes, so the order stays total.
func fixedBinaryKey(v []byte) []byte {
	if k, ok := uuidKey(v); ok {
		return append([]byte{0}, k...)
	}
	if a, err := netip.ParseAddr(string(v)); err == nil && a.Zone() == "" {
		b := a.As16()
		return append([]byte{0}, b[:]...)
	}
	return append([]byte{1}, v...)
}

// compareFixedBinary orders UUID or INET6 text as the server does.
func compareFixedBinary(a, b []byte) int {
	return bytes.Compare(fixedBinaryKey(a), fixedBinaryKey(b))
}

// uuidKey reads a UUID's text (as a server writes it: 36 characters,
// dashes after the 8th, 12th, 16th and 20th hex digit) into the form
// MariaDB (10.10.3 and later) stores and compares it in: a UUID of
// version 1 to 5 with the variant's high bit set has its five fields in
// reverse order (node, clock sequence, version and high time, mid time,
// low time), any other is kept as written. ok is false for other text.
func uuidKey(v []byte) (key []byte, ok bool) {
	if len(v) != 36 || v[8] != '-' || v[13] != '-' || v[18] != '-' || v[23] != '-' {
		return nil, false
	}
	var b [16]byte
	digits := make([]byte, 0, 32)
	for i, c := range v {
		if i != 8 && i != 13 && i != 18 && i != 23 {
			digits = append(digits, c)
		}
	}
	if _, err := hex.Decode(b[:], digits); err != nil {
		return nil, false
	}
	// The server's test: byte 6 (version, high time) above 0 and below
	// 0x60, and byte 8's high bit (the variant).
	if b[6] == 0 || b[6] >= 0x60 || b[8]&0x80 == 0 {
		return b[:], true
	}
	key = make([]byte, 0, 16)
	key = append(key, b[10:16]...)      // node
	key = append(key, b[8:10]...)       // variant, clock sequence
	key = append(key, b[6:8]...)        // version, high time
	key = append(key, b[4:6]...)        // mid time
	return append(key, b[0:4]...), true // low time
}

// fixedBinaryLiteral writes v, a UUID or INET6 value of col, as SQL of
// that type, so that a server sorts and compares it as the column: the
// same text as a string would sort by the collation. Which of the two
// types it is shows in the value's text, and for NULL in the display
// length (36 or 39 characters, times the character set's bytes).
func fixedBinaryLiteral(col Column, v Value) string {
	typ := "INET6"
	if _, ok := uuidKey(v); ok || v == nil && col.Length%36 == 0 {
		typ = "UUID"
	}
	if v == nil {
		return "CAST(NULL AS " + typ + ")"
	}
	// From text: a binary string of 16 bytes would be read as the
	// stored form.
	return "CAST(CONVERT(X'" + hex.EncodeToString(v) + "' USING ascii) AS " + typ + ")"
}
