package frontend

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/strata-proxy/strata/wire"
)

// helloSeed is a handshake response as clients send it: capabilities, max
// packet, collation, 23 zero bytes, user, auth data, schema, plugin.
func helloSeed(caps uint32, user string, auth []byte, db, plugin string) []byte {
	p := binary.LittleEndian.AppendUint32(nil, caps)
	p = binary.LittleEndian.AppendUint32(p, 1<<24)
	p = append(p, 45)
	p = append(p, make([]byte, 23)...)
	p = append(append(p, user...), 0)
	switch {
	case caps&wire.ClientPluginAuthLenenc != 0:
		p = append(wire.AppendLenEnc(p, uint64(len(auth))), auth...)
	default:
		p = append(append(p, byte(len(auth))), auth...)
	}
	if caps&wire.ClientConnectWithDB != 0 {
		p = append(append(p, db...), 0)
	}
	return append(append(p, plugin...), 0)
}

// The handshake response is the first thing an unauthenticated peer sends:
// any bytes must give an error or a parse that stays inside the packet.
func FuzzParseHello(f *testing.F) {
	all := uint32(wire.ClientProtocol41 | wire.ClientSecureConn | wire.ClientPluginAuth | wire.ClientConnectWithDB)
	f.Add(helloSeed(all, "app", bytes.Repeat([]byte{7}, 20), "blog", "mysql_native_password"))
	f.Add(helloSeed(all|wire.ClientPluginAuthLenenc, "app", bytes.Repeat([]byte{9}, 32), "", "caching_sha2_password"))
	f.Add(helloSeed(wire.ClientProtocol41|wire.ClientSecureConn, "root", nil, "", ""))
	f.Add(make([]byte, 32))
	f.Fuzz(func(t *testing.T, p []byte) {
		h, err := parseHello(p)
		if err != nil {
			return
		}
		if len(h.user)+len(h.auth)+len(h.db)+len(h.plugin) > len(p) {
			t.Fatalf("parsed more bytes than the packet holds: %+v from %d bytes", h, len(p))
		}
		if bytes.IndexByte([]byte(h.user), 0) >= 0 || bytes.IndexByte([]byte(h.db), 0) >= 0 {
			t.Fatalf("a NUL inside a parsed name: %q %q", h.user, h.db)
		}
	})
}
