package planner

import (
	"context"

	"github.com/strata-proxy/strata/shard"
	"github.com/strata-proxy/strata/sqlparse"
)

// Enter passes the fences of the moving tables f touches (an online
// rebalance; shard.Fence): it waits while a batch of their rows changes
// shards, and the batch waits for the statement until release is called.
// A session calls it before planning a statement over placed tables and
// releases after the last row of the answer, so the statement is routed
// and run by one placement. With no table moving it returns a nil
// release at once.
func (s *Sharding) Enter(ctx context.Context, f *sqlparse.Facts) (release func(), err error) {
	l := s.layout.Load()
	if !l.HasMoving() {
		return nil, nil
	}
	var fences []*shard.Fence
	add := func(name string) {
		if t := l.Table(name); t != nil {
			if m, ok := t.Method.(*shard.Moving); ok && !containsFence(fences, m.Fence()) {
				fences = append(fences, m.Fence())
			}
		}
	}
	for _, t := range f.Tables {
		add(t.Name)
	}
	for _, t := range f.WriteTables {
		add(t.Name)
	}
	for _, n := range f.Names {
		add(n)
	}
	var releases []func()
	for _, fe := range fences {
		r, err := fe.Enter(ctx)
		if err != nil {
			for _, r := range releases {
				r()
			}
			return nil, err
		}
		releases = append(releases, r)
	}
	switch len(releases) {
	case 0:
		return nil, nil
	case 1:
		return releases[0], nil
	}
	return func() {
		for _, r := range releases {
			r()
		}
	}, nil
}

func containsFence(fs []*shard.Fence, f *shard.Fence) bool {
	for _, x := range fs {
		if x == f {
			return true
		}
	}
	return false
}
