package engine

import (
	"context"
	"errors"
	"io"
	"testing"
)

func TestOrderedWalk(t *testing.T) {
	// Period tables newest first, each sorted by created_at DESC.
	data := []string{"2024-06-20;2024-06-03", "2024-05-31;2024-05-07;2024-05-01", "2024-04-11", "2024-03-01"}
	tests := []struct {
		limit  int64
		want   string
		opened int
	}{
		{1, "2024-06-20", 1},
		{2, "2024-06-20;2024-06-03", 1}, // exactly the first source: the second stays closed
		{3, "2024-06-20;2024-06-03;2024-05-31", 2},
		{5, "2024-06-20;2024-06-03;2024-05-31;2024-05-07;2024-05-01", 2},
		{6, "2024-06-20;2024-06-03;2024-05-31;2024-05-07;2024-05-01;2024-04-11", 3},
		{-1, "2024-06-20;2024-06-03;2024-05-31;2024-05-07;2024-05-01;2024-04-11;2024-03-01", 4},
		{100, "2024-06-20;2024-06-03;2024-05-31;2024-05-07;2024-05-01;2024-04-11;2024-03-01", 4},
		{0, "", 0},
	}
	for _, tt := range tests {
		srcs, slices := sources(data...)
		w := NewOrderedWalk(srcs, tt.limit)
		if got := collect(t, w); got != tt.want {
			t.Errorf("limit %d: got %s, want %s", tt.limit, got, tt.want)
		}
		if w.Opened() != tt.opened {
			t.Errorf("limit %d: opened %d sources, want %d", tt.limit, w.Opened(), tt.opened)
		}
		for i, s := range slices {
			if i >= tt.opened && s.Opens() != 0 {
				t.Errorf("limit %d: source %s was opened", tt.limit, s.Name())
			}
			if i < tt.opened && !s.Stream().Closed() {
				t.Errorf("limit %d: source %s left open", tt.limit, s.Name())
			}
		}
	}
}

func TestOrderedWalkErrors(t *testing.T) {
	boom := errors.New("table missing")
	tests := []struct {
		srcs []*SliceSource
		want string
	}{
		{[]*SliceSource{{SourceName: "posts_2024_06", Rows: parse("1")}, {SourceName: "posts_2024_05", OpenErr: boom}},
			"source posts_2024_05: table missing"},
		{[]*SliceSource{{SourceName: "posts_2024_06", Rows: parse("1"), Err: boom}},
			"source posts_2024_06: table missing"},
	}
	for _, tt := range tests {
		var srcs []Source
		for _, s := range tt.srcs {
			srcs = append(srcs, s)
		}
		w := NewOrderedWalk(srcs, -1)
		_, err := Collect(context.Background(), w)
		if err == nil || err.Error() != tt.want {
			t.Errorf("error = %v, want %q", err, tt.want)
		}
		if _, again := w.Next(context.Background()); again == nil || again == io.EOF {
			t.Errorf("Next after error = %v", again)
		}
	}
}
