package buildinfo

import (
	"runtime/debug"
	"testing"
)

// A build the toolchain stamped names its revision, with "+modified" when
// the tree had uncommitted changes; one it did not stamp names none.
func TestVCSRevision(t *testing.T) {
	cases := []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "false"}}, "abc123"},
		{[]debug.BuildSetting{{Key: "vcs.modified", Value: "true"}, {Key: "vcs.revision", Value: "abc123"}}, "abc123+modified"},
		{[]debug.BuildSetting{{Key: "-buildmode", Value: "exe"}}, ""},
	}
	for _, c := range cases {
		if got := vcsRevision(c.settings); got != c.want {
			t.Errorf("vcsRevision(%v) = %q, want %q", c.settings, got, c.want)
		}
	}
}

// The revision make build stamps wins over what the toolchain recorded.
func TestStampedRevisionIsReported(t *testing.T) {
	old := revision
	t.Cleanup(func() { revision = old })
	revision = "1a2b3c4+modified"
	if got := Revision(); got != "1a2b3c4+modified" {
		t.Errorf("Revision() = %q, want the stamped one", got)
	}
	if got, want := String(), "1a2b3c4+modified ("+GoVersion()+")"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
