// Package buildinfo says which build of Strata runs, so that an operator
// can tell the builds of a fleet apart: `strata version`, the start-up
// log line, the strata_build_info metric and GET /healthz all read it.
package buildinfo

import "runtime/debug"

// revision is the source revision `make build` stamps with
//
//	-ldflags "-X github.com/strata-proxy/strata/buildinfo.revision=..."
//
// because the Go toolchain's own VCS stamping fails on a checkout another
// user owns (and is off where GOFLAGS has -buildvcs=false).
var revision string

// Revision is the source revision the binary was built from: the one
// `make build` stamped, else the one the Go toolchain recorded, else the
// module version ("(devel)" for a build from a checkout). A build from a
// tree with uncommitted changes ends in "+modified".
func Revision() string {
	if revision != "" {
		return revision
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if rev := vcsRevision(info.Settings); rev != "" {
		return rev
	}
	return info.Main.Version
}

// GoVersion is the Go toolchain that built the binary.
func GoVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		return info.GoVersion
	}
	return "unknown"
}

// String is the revision and the Go version, as `strata version` prints
// them.
func String() string { return Revision() + " (" + GoVersion() + ")" }

// vcsRevision is the revision the toolchain stamped, "" without one.
func vcsRevision(settings []debug.BuildSetting) string {
	var rev, modified string
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+modified"
			}
		}
	}
	if rev == "" {
		return ""
	}
	return rev + modified
}
