package engine

import (
	"context"
	"errors"
	"io"
	"testing"
)

func TestSliceStream(t *testing.T) {
	ctx := context.Background()
	s := NewSliceStream(row("1"), row("2"))
	for _, want := range []string{"1", "2"} {
		r, err := s.Next(ctx)
		if err != nil || string(r[0]) != want {
			t.Fatalf("Next = %v, %v; want %s", r, err, want)
		}
	}
	if _, err := s.Next(ctx); err != io.EOF {
		t.Fatalf("Next at end = %v, want io.EOF", err)
	}
	s.Close()
	if _, err := s.Next(ctx); err == nil || err == io.EOF || !s.Closed() {
		t.Fatalf("Next after Close = %v", err)
	}
	boom := errors.New("boom")
	f := FailingSliceStream(boom, row("1"))
	if rows, err := Collect(ctx, f); len(rows) != 1 || err != boom {
		t.Fatalf("Collect = %v, %v; want one row and boom", rows, err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := NewSliceStream(row("1")).Next(canceled); err != context.Canceled {
		t.Fatalf("Next with canceled ctx = %v", err)
	}
}

func TestSourceErrorUnwrap(t *testing.T) {
	inner := errors.New("x")
	err := sourceErr("a", sourceErr("b", inner))
	var se *SourceError
	if !errors.As(err, &se) || se.Source != "b" || !errors.Is(err, inner) || err.Error() != "source b: x" {
		t.Errorf("nested source error = %v", err)
	}
}
