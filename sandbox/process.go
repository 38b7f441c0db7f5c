package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// findBinary looks a program up on PATH, then in the folders Debian and
// other distributions install MariaDB into (root's PATH has /usr/sbin, a
// normal user's often does not).
func findBinary(names ...string) (string, error) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	for _, dir := range []string{"/usr/sbin", "/usr/libexec", "/usr/local/sbin", "/usr/local/bin", "/usr/bin"} {
		for _, n := range names {
			p := filepath.Join(dir, n)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("%s not found: install MariaDB (make deps, or apt-get install mariadb-server)", names[0])
}

// MariaDBInstalled reports whether the MariaDB server binary can be found.
func MariaDBInstalled() bool {
	_, err := findBinary("mariadbd", "mysqld")
	return err == nil
}

// readPID reads a pid file; 0 when it is missing or unreadable.
func readPID(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// procAlive reports whether pid is a live (not zombie) process.
func procAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		// No procfs: fall back to signal 0 (cannot tell zombies apart).
		if _, statErr := os.Stat("/proc/self"); statErr != nil {
			return syscall.Kill(pid, 0) == nil
		}
		return false
	}
	// The state follows the command name, which is in parentheses and may contain spaces.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 || i+2 >= len(data) {
		return false
	}
	state := data[i+2]
	return state != 'Z' && state != 'X'
}

// procIsServer reports whether pid is a mariadbd started with this defaults
// file, so a recycled pid from a stale pid file is never mistaken for ours.
func procIsServer(pid int, cnf string) bool {
	if !procAlive(pid) {
		return false
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	for _, arg := range bytes.Split(data, []byte{0}) {
		if string(arg) == "--defaults-file="+cnf {
			return true
		}
	}
	return false
}

// waitDead polls until pid is gone or the timeout expires.
func waitDead(pid int, exited <-chan struct{}, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if exited != nil {
			select {
			case <-exited:
				return true
			default:
			}
		} else if !procAlive(pid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runCmd runs a short command and returns its combined output in the error.
func runCmd(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = nil
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", filepath.Base(name), err, tail(string(out), 2000))
	}
	return nil
}

// tail returns the last n bytes of s, cut at a line start.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// fileTail returns the end of a log file for error messages.
func fileTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return tail(string(data), n)
}

// isRoot reports whether we run as root, where mariadbd needs --user=root.
func isRoot() bool { return os.Geteuid() == 0 }

var errNotRunning = errors.New("server is not running")
