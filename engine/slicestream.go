package engine

import (
	"context"
	"errors"
	"io"
	"sync"
)

// SliceStream is a RowStream over rows in memory, for tests of code that
// consumes streams. After the rows it returns Err, or io.EOF if Err is
// nil.
type SliceStream struct {
	rows   []Row
	err    error
	mu     sync.Mutex
	pos    int
	closed bool
}

// NewSliceStream returns a stream of rows ending with io.EOF.
func NewSliceStream(rows ...Row) *SliceStream { return &SliceStream{rows: rows} }

// FailingSliceStream returns a stream of rows ending with err.
func FailingSliceStream(err error, rows ...Row) *SliceStream {
	return &SliceStream{rows: rows, err: err}
}

// Next implements RowStream.
func (s *SliceStream) Next(ctx context.Context) (Row, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, errors.New("slice stream: Next after Close")
	case s.pos < len(s.rows):
		s.pos++
		return s.rows[s.pos-1], nil
	case s.err != nil:
		return nil, s.err
	}
	return nil, io.EOF
}

// Close implements RowStream.
func (s *SliceStream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// Read reports how many rows were returned.
func (s *SliceStream) Read() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pos
}

// Closed reports whether Close was called.
func (s *SliceStream) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// SliceSource is a Source that opens a fresh SliceStream over its rows and
// records whether it was opened, so tests can assert a plan never touched
// it.
type SliceSource struct {
	SourceName string
	Rows       []Row
	Err        error // returned by the stream after Rows
	OpenErr    error // returned by Open instead of a stream

	mu     sync.Mutex
	opens  int
	stream *SliceStream
}

// Name implements Source.
func (s *SliceSource) Name() string { return s.SourceName }

// Open implements Source.
func (s *SliceSource) Open(ctx context.Context) (RowStream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opens++
	if s.OpenErr != nil {
		return nil, s.OpenErr
	}
	s.stream = FailingSliceStream(s.Err, s.Rows...)
	return s.stream, nil
}

// Opens reports how many times Open was called.
func (s *SliceSource) Opens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens
}

// Stream returns the last stream Open returned, or nil.
func (s *SliceSource) Stream() *SliceStream {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stream
}
