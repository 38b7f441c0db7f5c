package session

import "testing"

// Strata's connection ids start at FirstID, apart from the servers'
// thread ids, and a handed-over session's id keeps later ids above it.
func TestRegistryIDs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		skipTo uint32
		want   uint32
	}{
		{"a new process", 0, FirstID},
		{"after sessions an older process numbered from 1", 7, FirstID},
		{"after a handed-over session of this numbering", FirstID + 41, FirstID + 42},
	} {
		r := NewRegistry()
		r.SkipTo(tc.skipTo)
		if got := r.NextID(); got != tc.want {
			t.Errorf("%s: first id %d, want %d", tc.name, got, tc.want)
		}
	}
	r := NewRegistry()
	r.next.Store(^uint32(0))
	if got := r.NextID(); got != 1 {
		t.Errorf("after the last uint32 id: %d, want 1 (never 0)", got)
	}
}
