package sandbox

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

// A socket a killed Strata left in the state folder does not stop
// `sandbox down` from removing it; other files are never touched.
func TestRemoveSocketsLeavesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "handover.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	kept := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(kept, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	removeSockets(dir)
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("stale socket still there: %v", err)
	}
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("a regular file was removed: %v", err)
	}
}
