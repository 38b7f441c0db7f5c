package session

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/strata-proxy/strata/backend"
)

// executePacket builds COM_STMT_EXECUTE for a statement with two parameters.
func executePacket(id uint32, withTypes bool) []byte {
	p := []byte{0x17}
	p = binary.LittleEndian.AppendUint32(p, id)
	p = append(p, 1)          // cursor flag the client asked for
	p = append(p, 1, 0, 0, 0) // iteration count
	p = append(p, 0)          // null bitmap for 2 params
	if withTypes {
		p = append(p, 1, 8, 0, 253, 0) // bound flag, LONGLONG, VAR_STRING
	} else {
		p = append(p, 0)
	}
	p = append(p, 7, 0, 0, 0, 0, 0, 0, 0) // int64 7
	return append(p, 2, 'h', 'i')         // "hi"
}

// typeBlockCases: when a rewritten EXECUTE or bulk execute must carry
// the parameter types.
var typeBlockCases = []struct {
	name       string
	clientSent bool // the client's packet carries types
	backendHad bool // the backend statement saw types before
	wantTypes  bool // the rewritten packet carries types
}{
	{"types passed through", true, false, true},
	{"no types, backend already has them", false, true, false},
	{"no types, fresh backend statement gets the remembered ones", false, false, true},
}

func TestRewriteExecute(t *testing.T) {
	for _, tt := range typeBlockCases {
		t.Run(tt.name, func(t *testing.T) {
			st := &prepared{params: 2}
			if _, err := st.captureTypes(executePacket(9, true)); err != nil {
				t.Fatal(err)
			}
			in := executePacket(9, tt.clientSent)
			typesIn, err := st.captureTypes(in)
			if err != nil {
				t.Fatal(err)
			}
			bst := &backend.Stmt{ID: 42, TypesSent: tt.backendHad}
			out := st.rewriteExecute(nil, in, bst, typesIn)
			if id := binary.LittleEndian.Uint32(out[1:]); id != 42 {
				t.Errorf("statement id = %d, want the backend's 42", id)
			}
			if out[5] != 0 {
				t.Errorf("cursor flag = %d, want 0", out[5])
			}
			if got := bytes.Equal(out, withCursorCleared(executePacket(42, true))); got != tt.wantTypes {
				t.Errorf("packet with types = %v, want %v: % x", got, tt.wantTypes, out)
			}
			if !bst.TypesSent {
				t.Error("backend statement not marked as having types")
			}
		})
	}
}

func withCursorCleared(p []byte) []byte { p[5] = 0; return p }

func TestCaptureTypesRejectsMalformed(t *testing.T) {
	st := &prepared{params: 2}
	if _, err := st.captureTypes(executePacket(1, false)); err != errNoTypes {
		t.Errorf("first execute without types: err = %v, want errNoTypes", err)
	}
	if _, err := st.captureTypes(executePacket(1, true)[:12]); err != errShort {
		t.Errorf("truncated execute: err = %v, want errShort", err)
	}
}

// bulkPacket builds COM_STMT_BULK_EXECUTE for a statement with two
// parameters, with two rows.
func bulkPacket(id uint32, withTypes bool) []byte {
	p := []byte{0xfa}
	p = binary.LittleEndian.AppendUint32(p, id)
	if withTypes {
		p = append(p, 128, 0, 8, 0, 253, 0) // flags: types follow; LONGLONG, VAR_STRING
	} else {
		p = append(p, 0, 0)
	}
	for _, row := range []string{"a", "b"} {
		p = append(p, 0, 7, 0, 0, 0, 0, 0, 0, 0) // a value: int64 7
		p = append(p, 0, 1, row[0])              // a value: the row's string
	}
	return p
}

func TestRewriteBulk(t *testing.T) {
	for _, tt := range typeBlockCases {
		t.Run(tt.name, func(t *testing.T) {
			st := &prepared{params: 2}
			if _, err := st.captureBulkTypes(bulkPacket(9, true)); err != nil {
				t.Fatal(err)
			}
			in := bulkPacket(9, tt.clientSent)
			typesIn, err := st.captureBulkTypes(in)
			if err != nil {
				t.Fatal(err)
			}
			bst := &backend.Stmt{ID: 42, TypesSent: tt.backendHad}
			out := st.rewriteBulk(nil, in, bst, typesIn)
			want := bulkPacket(42, tt.wantTypes)
			if !bytes.Equal(out, want) {
				t.Errorf("rewritten\n% x\nwant\n% x", out, want)
			}
			if !bst.TypesSent {
				t.Error("backend statement not marked as having types")
			}
		})
	}
}

func TestCaptureBulkTypesRejectsMalformed(t *testing.T) {
	st := &prepared{params: 2}
	if _, err := st.captureBulkTypes(bulkPacket(1, false)); err != errBulkNoTypes {
		t.Errorf("first bulk execute without types: err = %v, want errBulkNoTypes", err)
	}
	if _, err := st.captureBulkTypes(bulkPacket(1, true)[:9]); err != errBulkShort {
		t.Errorf("truncated bulk execute: err = %v, want errBulkShort", err)
	}
}
