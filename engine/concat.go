package engine

import (
	"context"
	"errors"
	"io"
	"sync"
)

// Concat is the union of sources read in parallel, for queries whose row
// order does not matter. Rows come out in arrival order.
//
// If any source fails, to open, to read or to close, the stream fails
// with that source's error (a *SourceError naming it), the other sources
// are cancelled, and Next never returns io.EOF: a failed scatter is never
// passed off as a complete answer.
//
// The sources run under the context of the first Next call; Close cancels
// them and waits for them to stop.
type Concat struct {
	sources []Source
	start   sync.Once
	rows    chan Row
	done    chan struct{} // closed when every source goroutine has returned
	cancel  context.CancelFunc

	mu  sync.Mutex
	err error // first source failure
}

// NewConcat reads sources in parallel, one goroutine each.
func NewConcat(sources ...Source) *Concat {
	return &Concat{sources: sources, rows: make(chan Row, len(sources)), done: make(chan struct{})}
}

// Next returns a row from any source.
func (c *Concat) Next(ctx context.Context) (Row, error) {
	c.start.Do(func() { c.run(ctx) })
	if err := c.failure(); err != nil {
		return nil, err
	}
	select {
	case r, ok := <-c.rows:
		if ok {
			return r, nil
		}
		if err := c.failure(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run starts one goroutine per source and closes rows when all are done.
func (c *Concat) run(ctx context.Context) {
	ctx, c.cancel = context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, src := range c.sources {
		wg.Go(func() {
			if err := c.produce(ctx, src); err != nil {
				c.fail(src.Name(), err)
			}
		})
	}
	go func() {
		wg.Wait()
		close(c.rows)
		close(c.done)
	}()
}

// produce copies one source into rows.
func (c *Concat) produce(ctx context.Context, src Source) error {
	s, err := src.Open(ctx)
	if err != nil {
		return err
	}
	err = c.pump(ctx, s)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

func (c *Concat) pump(ctx context.Context, s RowStream) error {
	for {
		r, err := s.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case c.rows <- r:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// fail records the first failure and cancels the other sources; errors
// that follow (often context.Canceled) are the cancellation's echo.
func (c *Concat) fail(name string, err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = sourceErr(name, err)
	}
	c.mu.Unlock()
	c.cancel()
}

func (c *Concat) failure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// errClosed fails Next after Close, which must not look like a complete
// answer.
var errClosed = errors.New("engine: stream closed")

// Close cancels unfinished sources and waits for their goroutines. It is
// safe to call more than once, and before the first Next (then no source
// is ever opened).
func (c *Concat) Close() error {
	c.start.Do(func() {
		c.cancel = func() {}
		close(c.rows)
		close(c.done)
	})
	c.mu.Lock()
	if c.err == nil {
		c.err = errClosed
	}
	c.mu.Unlock()
	c.cancel()
	<-c.done
	return nil
}
