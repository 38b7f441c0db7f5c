package handover

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// serveOne answers one takeover request on path with a listener's socket,
// then, when taken, passes one client connection; it reports what Send
// returned.
func serveOne(t *testing.T, path string, tcp *net.TCPListener, client *os.File) <-chan error {
	t.Helper()
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := tcp.File()
	if err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() {
		defer ln.Close()
		defer f.Close()
		c, err := ln.Accept()
		if err != nil {
			result <- err
			return
		}
		h, err := Accepted(c)
		if err != nil {
			result <- err
			return
		}
		err = h.Send([]Socket{{Name: "mysql", Address: "127.0.0.1:6033", File: f}}, map[string]string{"next_id": "42"})
		if err == nil && client != nil {
			err = h.SendSession([]byte(`{"id":7}`), client)
			h.Close()
		}
		result <- err
	}()
	return result
}

func TestHandoverPassesAListeningSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.sock")
	tcp, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	// A client's connection, passed after the sockets.
	clientLn, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer clientLn.Close()
	dialed, err := net.Dial("tcp", clientLn.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer dialed.Close()
	accepted, err := clientLn.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	clientFile, err := accepted.File()
	if err != nil {
		t.Fatal(err)
	}
	accepted.Close() // the passed descriptor keeps the connection open
	sent := serveOne(t, path, tcp, clientFile)
	offer, err := Request(context.Background(), path)
	if err != nil || offer == nil {
		t.Fatalf("Request: %v, %v", offer, err)
	}
	if offer.Facts["next_id"] != "42" {
		t.Errorf("facts %v, want next_id 42", offer.Facts)
	}
	if len(offer.Sockets) != 1 || offer.Sockets[0].Name != "mysql" || offer.Sockets[0].Address != "127.0.0.1:6033" {
		t.Fatalf("received %+v", offer.Sockets)
	}
	taken, err := net.FileListener(offer.Sockets[0].File)
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	if err := offer.Accept(); err != nil {
		t.Fatal(err)
	}
	state, conn, err := offer.NextSession()
	if err != nil || string(state) != `{"id":7}` {
		t.Fatalf("NextSession: %q, %v", state, err)
	}
	if err := <-sent; err != nil {
		t.Fatalf("Send after Accept: %v", err)
	}
	clientFile.Close()
	if _, _, err := offer.NextSession(); err != io.EOF {
		t.Errorf("after the last client: %v, want io.EOF", err)
	}
	// The passed connection is the client's: bytes flow both ways.
	nc, err := net.FileConn(conn)
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := dialed.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(nc, got); err != nil || string(got) != "ping" {
		t.Fatalf("read on the passed connection: %q, %v", got, err)
	}
	// The received socket is the same one: a client of the old address
	// is accepted on it, after the old listener closed.
	tcp.Close()
	c, err := net.Dial("tcp", taken.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, err := taken.Accept(); err != nil {
		t.Fatalf("accepting on the received socket: %v", err)
	} else {
		got.Close()
	}
}

func TestHandoverRefusedKeepsTheSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.sock")
	tcp, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	sent := serveOne(t, path, tcp, nil)
	offer, err := Request(context.Background(), path)
	if err != nil || offer == nil {
		t.Fatalf("Request: %v, %v", offer, err)
	}
	offer.Refuse("other ports\nhere")
	err = <-sent
	if err == nil || !strings.Contains(err.Error(), "other ports here") {
		t.Fatalf("Send after Refuse: %v, want the reason", err)
	}
	// The running process's socket still accepts.
	c, err := net.Dial("tcp", tcp.Addr().String())
	if err != nil {
		t.Fatalf("the refused socket no longer accepts: %v", err)
	}
	c.Close()
}

func TestRequestWithNobodyListening(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.sock")
	if offer, err := Request(context.Background(), missing); offer != nil || err != nil {
		t.Errorf("no socket file: %v, %v; want nothing to take over", offer, err)
	}
	// A socket file a stopped process left: nobody answers, and Listen
	// replaces it.
	stale := filepath.Join(dir, "stale.sock")
	ln, err := Listen(stale)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // no unlink: as after a crash
	if offer, err := Request(context.Background(), stale); offer != nil || err != nil {
		t.Errorf("stale socket file: %v, %v; want nothing to take over", offer, err)
	}
	ln, err = Listen(stale)
	if err != nil {
		t.Fatalf("Listen over a stale socket file: %v", err)
	}
	ln.Close()
	fi, err := os.Stat(stale)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket file mode %v (%v), want 0600: only Strata's user may take its sockets", fi.Mode().Perm(), err)
	}
}

func TestListenRefusesToReplaceAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("listen: x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Listen on a regular file: %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "listen: x" {
		t.Error("the file was replaced")
	}
}

func TestAcceptedRefusesAnUnknownRequest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.sock")
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := net.Dial("unixpacket", path)
		if err == nil {
			c.Write([]byte("GIVE ME EVERYTHING\n"))
			defer c.Close()
		}
	}()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := Accepted(c); err == nil || !strings.Contains(err.Error(), "unknown takeover request") {
		t.Errorf("Accepted: %v, want the request refused", err)
	}
}
