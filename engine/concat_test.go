package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestConcat(t *testing.T) {
	tests := []struct {
		data []string
		want string
	}{
		{[]string{"1;2", "3", "", "4;5;6"}, "1;2;3;4;5;6"},
		{[]string{"", ""}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		srcs, _ := sources(tt.data...)
		rows, err := Collect(context.Background(), NewConcat(srcs...))
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Split(show(rows), ";")
		slices.Sort(got)
		if strings.Join(got, ";") != tt.want {
			t.Errorf("Concat(%v) = %v, want %s", tt.data, got, tt.want)
		}
	}
}

func TestConcatManySources(t *testing.T) {
	var srcs []Source
	for i := range 50 {
		var rows []Row
		for j := range 100 {
			rows = append(rows, row(fmt.Sprint(i*100+j)))
		}
		srcs = append(srcs, &SliceSource{SourceName: fmt.Sprint("s", i), Rows: rows})
	}
	rows, err := Collect(context.Background(), NewConcat(srcs...))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		seen[string(r[0])] = true
	}
	if len(rows) != 5000 || len(seen) != 5000 {
		t.Errorf("got %d rows, %d distinct; want 5000", len(rows), len(seen))
	}
}

// blockingStream returns rows forever until its context ends.
type blockingStream struct{ closed atomic.Bool }

func (b *blockingStream) Next(ctx context.Context) (Row, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(time.Millisecond):
		return row("x"), nil
	}
}

func (b *blockingStream) Close() error { b.closed.Store(true); return nil }

func TestConcatFailsWholeStream(t *testing.T) {
	boom := errors.New("lost connection")
	slow := &blockingStream{}
	tests := []struct {
		name string
		bad  Source
	}{
		{"read error", &SliceSource{SourceName: "shard-3", Rows: parse("1;2"), Err: boom}},
		{"open error", &SliceSource{SourceName: "shard-3", OpenErr: boom}},
	}
	for _, tt := range tests {
		c := NewConcat(StreamSource("slow", slow), tt.bad, &SliceSource{SourceName: "ok", Rows: parse("7")})
		var err error
		for err == nil {
			_, err = c.Next(context.Background())
		}
		var se *SourceError
		if err == io.EOF || !errors.As(err, &se) || se.Source != "shard-3" || !errors.Is(err, boom) {
			t.Errorf("%s: error = %v, want source shard-3: lost connection", tt.name, err)
		}
		if _, again := c.Next(context.Background()); again != err {
			t.Errorf("%s: Next after failure = %v, want the same error", tt.name, again)
		}
		if err := c.Close(); err != nil {
			t.Errorf("%s: Close: %v", tt.name, err)
		}
		if !slow.closed.Load() {
			t.Errorf("%s: the slow source was not cancelled and closed", tt.name)
		}
		slow.closed.Store(false)
	}
}

func TestConcatClose(t *testing.T) {
	srcs, slices := sources("1", "2")
	c := NewConcat(srcs...)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if slices[0].Opens()+slices[1].Opens() != 0 {
		t.Errorf("Close before Next opened sources")
	}
	if _, err := c.Next(context.Background()); err == nil || err == io.EOF {
		t.Errorf("Next after Close = %v, want an error", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	slow := &blockingStream{}
	c = NewConcat(StreamSource("slow", slow))
	if _, err := c.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop a running source")
	}
	if !slow.closed.Load() {
		t.Errorf("running source not closed")
	}
}

func TestConcatCallerContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := NewConcat(NewSource("never", func(ctx context.Context) (RowStream, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	defer c.Close()
	go func() { time.Sleep(5 * time.Millisecond); cancel() }()
	if _, err := c.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next error = %v, want context.Canceled", err)
	}
}
