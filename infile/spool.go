package infile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// Spool keeps the bytes of a file as they pass, to read them again later:
// the first inMemory bytes in memory, the rest in a temporary file, so a
// file of any size costs bounded memory. A LOAD DATA into a reference
// table uses it: the client sends its file once, and the copies after the
// first load it only once the first has numbered its rows; so does one
// into a table with unique: keys, for the values it checks at the end.
type Spool struct {
	inMemory int
	mem      []byte
	disk     *os.File // nil until mem is full
	size     int64
}

// NewSpool is a spool that keeps up to inMemory bytes in memory.
func NewSpool(inMemory int) *Spool {
	return &Spool{inMemory: inMemory}
}

// Write keeps p after the bytes written before.
func (s *Spool) Write(p []byte) (int, error) {
	if s.disk == nil && len(s.mem)+len(p) <= s.inMemory {
		s.mem = append(s.mem, p...)
		s.size += int64(len(p))
		return len(p), nil
	}
	if s.disk == nil {
		f, err := os.CreateTemp("", "strata-load-*")
		if err != nil {
			return 0, fmt.Errorf("keeping a LOAD DATA file for the other copies: %w", err)
		}
		// Unlinked at once: the bytes go when the file is closed, also
		// when the process dies mid-load.
		_ = os.Remove(f.Name())
		s.disk = f
	}
	n, err := s.disk.Write(p)
	s.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("keeping a LOAD DATA file for the other copies: %w", err)
	}
	return n, nil
}

// Size is how many bytes the spool holds.
func (s *Spool) Size() int64 { return s.size }

// Reader reads the spool's bytes from the start. Nothing may be written
// while it is read.
func (s *Spool) Reader() (io.Reader, error) {
	mem := bytes.NewReader(s.mem)
	if s.disk == nil {
		return mem, nil
	}
	if _, err := s.disk.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("reading back a kept LOAD DATA file: %w", err)
	}
	return io.MultiReader(mem, s.disk), nil
}

// Replay calls send with the spool's bytes in order, in pieces of up to
// chunk bytes.
func (s *Spool) Replay(chunk int, send func([]byte) error) error {
	r, err := s.Reader()
	if err != nil {
		return err
	}
	buf := make([]byte, chunk)
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if serr := send(buf[:n]); serr != nil {
				return serr
			}
		}
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil
		case err != nil:
			return fmt.Errorf("reading back a kept LOAD DATA file: %w", err)
		}
	}
}

// Close frees the spool's memory and its temporary file.
func (s *Spool) Close() error {
	s.mem = nil
	if s.disk == nil {
		return nil
	}
	err := s.disk.Close()
	s.disk = nil
	return err
}
