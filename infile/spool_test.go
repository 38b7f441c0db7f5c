package infile

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// A spool sends back exactly the bytes written to it, in order and in
// pieces no larger than asked, whether they stayed in memory or went to
// its temporary file.
func TestSpoolReplaysWhatWasWritten(t *testing.T) {
	cases := []struct {
		name            string
		inMemory, chunk int
		writes          []int // sizes of the Write calls
		wantDisk        bool
	}{
		{"empty", 16, 4, nil, false},
		{"all in memory", 64, 10, []int{5, 20, 39}, false},
		{"exactly the memory", 64, 64, []int{32, 32}, false},
		{"spills to disk", 16, 7, []int{10, 10, 30}, true},
		{"one write larger than memory", 8, 5, []int{100}, true},
		{"no memory at all", 0, 3, []int{1, 2, 3, 4}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(len(c.name))))
			s := NewSpool(c.inMemory)
			defer s.Close()
			var want []byte
			for _, n := range c.writes {
				p := make([]byte, n)
				for i := range p {
					p[i] = byte(rng.IntN(256))
				}
				if got, err := s.Write(p); err != nil || got != n {
					t.Fatalf("Write(%d bytes) = %d, %v", n, got, err)
				}
				want = append(want, p...)
			}
			if (s.disk != nil) != c.wantDisk {
				t.Errorf("temporary file used: %v, want %v", s.disk != nil, c.wantDisk)
			}
			if s.Size() != int64(len(want)) {
				t.Errorf("Size() = %d, want %d", s.Size(), len(want))
			}
			for round := 0; round < 2; round++ { // a spool can be replayed again
				var got []byte
				err := s.Replay(c.chunk, func(p []byte) error {
					if len(p) == 0 || len(p) > c.chunk {
						t.Errorf("a piece of %d bytes, want 1 to %d", len(p), c.chunk)
					}
					got = append(got, p...)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("round %d replayed %d bytes, want the %d written", round, len(got), len(want))
				}
			}
		})
	}
}

// A failed send stops the replay with its error.
func TestSpoolReplayStopsAtASendError(t *testing.T) {
	for _, inMemory := range []int{1 << 10, 4} {
		s := NewSpool(inMemory)
		if _, err := s.Write(bytes.Repeat([]byte("x"), 100)); err != nil {
			t.Fatal(err)
		}
		stop := errors.New("shard gone")
		calls := 0
		err := s.Replay(10, func([]byte) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("in memory %d: Replay = %v after %d sends, want the send's error after 1", inMemory, err, calls)
		}
		s.Close()
	}
}
