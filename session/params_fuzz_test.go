package session

import (
	"encoding/binary"
	"testing"

	"github.com/strata-proxy/strata/backend"
)

// The EXECUTE and BULK_EXECUTE decoders read bytes straight from the
// client. Whatever the bytes, they must answer with an error or with a
// packet of the right shape for the backend, never panic (which would cost
// the client its connection) or hand the server a mangled packet.
// `go test -fuzz=FuzzExecutePacket ./session` explores beyond the seeds.

func executeSeed(params int, typesFlag byte, values ...byte) []byte {
	p := []byte{0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0}
	p = append(p, make([]byte, (params+7)/8)...)
	p = append(p, typesFlag)
	if typesFlag == 1 {
		for i := 0; i < params; i++ {
			p = append(p, paramLongLong, 0)
		}
	}
	return append(p, values...)
}

func FuzzExecutePacket(f *testing.F) {
	f.Add(uint8(0), false, executeSeed(0, 0))
	f.Add(uint8(1), false, executeSeed(1, 1, binary.LittleEndian.AppendUint64(nil, 42)...))
	f.Add(uint8(2), true, executeSeed(2, 0, 1, 2, 3))
	f.Add(uint8(3), false, executeSeed(3, 1, 0xfd, 3, 'a', 'b'))
	f.Add(uint8(9), false, []byte{0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 1, 0x0c, 0, 0x0b, 0})
	f.Fuzz(func(t *testing.T, params uint8, knownTypes bool, packet []byte) {
		st := &prepared{params: int(params % 40)}
		if knownTypes {
			// An earlier EXECUTE sent the types: every parameter a string.
			for i := 0; i < st.params; i++ {
				st.types = append(st.types, 0xfd, 0)
			}
		}
		typesIn, err := st.captureTypes(packet)
		if err != nil {
			return
		}
		if st.params > 0 && len(st.types) != 2*st.params {
			t.Fatalf("%d parameters but a type block of %d bytes", st.params, len(st.types))
		}
		if args, err := st.executeArgs(packet, "utf8mb4"); err == nil && len(args) != st.params {
			t.Fatalf("%d literals for %d parameters", len(args), st.params)
		}
		for _, sent := range []bool{false, true} {
			bst := &backend.Stmt{ID: 77, TypesSent: sent}
			out := st.rewriteExecute(nil, packet, bst, typesIn)
			want := len(packet)
			if st.params > 0 && !typesIn && !sent {
				want += 2 * st.params // the remembered type block is added
			}
			if len(out) != want || binary.LittleEndian.Uint32(out[1:]) != 77 || (st.params > 0 && !bst.TypesSent) {
				t.Fatalf("rewritten EXECUTE: %d bytes (want %d), id %d, types sent %v", len(out), want, binary.LittleEndian.Uint32(out[1:]), bst.TypesSent)
			}
		}
	})
}

func FuzzBulkExecutePacket(f *testing.F) {
	header := func(flags uint16, rest ...byte) []byte {
		p := []byte{0xfa, 1, 0, 0, 0}
		p = binary.LittleEndian.AppendUint16(p, flags)
		return append(p, rest...)
	}
	f.Add(uint8(1), false, header(bulkSendTypes, paramLongLong, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0))
	f.Add(uint8(2), true, header(0, 0, 1, 0, 0, 0, 0, 0, 0, 0))
	f.Add(uint8(0), false, header(0))
	f.Add(uint8(3), false, header(bulkSendTypes, 1))
	f.Fuzz(func(t *testing.T, params uint8, knownTypes bool, packet []byte) {
		if len(packet) < 7 { // Session.BulkExecute refuses shorter packets first
			return
		}
		st := &prepared{params: int(params % 40)}
		if knownTypes {
			for i := 0; i < st.params; i++ {
				st.types = append(st.types, paramLongLong, 0)
			}
		}
		typesIn, err := st.captureBulkTypes(packet)
		if err != nil {
			return
		}
		// The rows as literals, for a statement over sharded tables:
		// never a panic, and each row a literal per parameter.
		for _, inserts := range []bool{false, true} {
			rows, err := st.bulkArgs(packet, "utf8mb4", inserts)
			for i, row := range rows {
				if err == nil && len(row) != st.params {
					t.Fatalf("bulk row %d: %d literals for %d parameters", i+1, len(row), st.params)
				}
			}
		}
		bst := &backend.Stmt{ID: 9}
		out := st.rewriteBulk(nil, packet, bst, typesIn)
		want := len(packet)
		if st.params > 0 && !typesIn {
			want += 2 * st.params
		}
		if len(out) != want || binary.LittleEndian.Uint32(out[1:]) != 9 {
			t.Fatalf("rewritten bulk: %d bytes (want %d), id %d", len(out), want, binary.LittleEndian.Uint32(out[1:]))
		}
		if st.params > 0 && binary.LittleEndian.Uint16(out[5:])&bulkSendTypes == 0 {
			t.Fatal("the backend got a bulk execute without its parameter types")
		}
	})
}
