package session

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/strata-proxy/strata/infile"
	"github.com/strata-proxy/strata/planner"
)

// uniqueLogMemory is how much of a LOAD DATA's unique values Strata keeps
// in memory; the rest waits in a temporary file.
const uniqueLogMemory = 4 << 20

// uniqueLog keeps the values a LOAD DATA file gives the keys of unique:,
// which are checked once every shard has loaded it (a shard's connection
// runs nothing else meanwhile). They go to a spool, so a file of any
// number of rows costs bounded memory. Each value is written as its key's
// index in LoadPlan.Unique, the shard its row went to, then per column
// the literal and the text a duplicate's error shows, each string led by
// its length.
type uniqueLog struct {
	spool *infile.Spool
	buf   []byte
	n     int // values written
}

// add keeps one value of key (an index in LoadPlan.Unique), which a row
// loaded into shard gives.
func (l *uniqueLog) add(key int, shard string, values, shown []string) error {
	if l.spool == nil {
		l.spool = infile.NewSpool(uniqueLogMemory)
	}
	b := binary.AppendUvarint(l.buf[:0], uint64(key))
	b = binary.AppendUvarint(b, uint64(len(shard)))
	b = append(b, shard...)
	for j := range values {
		b = binary.AppendUvarint(b, uint64(len(values[j])))
		b = append(b, values[j]...)
		b = binary.AppendUvarint(b, uint64(len(shown[j])))
		b = append(b, shown[j]...)
	}
	l.buf = b
	l.n++
	_, err := l.spool.Write(b)
	return err
}

// close frees the spool.
func (l *uniqueLog) close() {
	if l.spool != nil {
		_ = l.spool.Close()
	}
}

// batches reads the values back as checks of lp's keys.
func (l *uniqueLog) batches(lp *planner.LoadPlan) uniqueBatches {
	return func(each func([]planner.UniqueCheck) error) error {
		if l.n == 0 {
			return nil
		}
		r, err := l.spool.Reader()
		if err != nil {
			return err
		}
		br := bufio.NewReader(r)
		batch := make([]planner.UniqueCheck, 0, uniqueBatch)
		for range l.n {
			c, err := readCheck(br, lp)
			if err != nil {
				return fmt.Errorf("reading back the unique values of a LOAD DATA file: %w", err)
			}
			if batch = append(batch, c); len(batch) == uniqueBatch {
				if err := each(batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		if len(batch) == 0 {
			return nil
		}
		return each(batch)
	}
}

// readCheck reads one value uniqueLog.add wrote.
func readCheck(r *bufio.Reader, lp *planner.LoadPlan) (planner.UniqueCheck, error) {
	k, err := binary.ReadUvarint(r)
	if err != nil || k >= uint64(len(lp.Unique)) {
		return planner.UniqueCheck{}, fmt.Errorf("key %d: %v", k, err)
	}
	u := lp.Unique[k]
	shard, err := readString(r)
	if err != nil {
		return planner.UniqueCheck{}, err
	}
	c := planner.UniqueCheck{Table: lp.UniqueTable, Key: lp.UniqueKey, Columns: u.Columns, Shards: []string{shard}}
	for range u.Columns {
		value, err := readString(r)
		if err != nil {
			return c, err
		}
		shown, err := readString(r)
		if err != nil {
			return c, err
		}
		c.Values, c.Shown = append(c.Values, value), append(c.Shown, shown)
	}
	return c, nil
}

// readString reads a string led by its length.
func readString(r *bufio.Reader) (string, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return "", err
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return string(b), nil
}
