package planner

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/strata-proxy/strata/engine"
)

// A merged GROUP BY ordered by an aggregate with a LIMIT (the top
// commenters) keeps only the LIMIT's rows while it sorts the groups:
// the answer is the same, and Strata's memory does not grow with the
// number of groups.
func TestMergedGroupsOrderedWithALimitKeepTheirTopRows(t *testing.T) {
	s := testSharding(t)
	p, err := plan(t, s, "SELECT user_id, COUNT(*) AS c FROM comments GROUP BY user_id ORDER BY c DESC LIMIT 2")
	if err != nil {
		t.Fatal(err)
	}
	const users = 100_000
	// Every shard holds each user's comments, sorted by user (the shard
	// query's ORDER BY): user u has u % 1000 on each of 3 shards, except
	// two who have more.
	var sources []engine.Source
	for i, name := range []string{"s0", "s1", "s2"} {
		rows := make([]engine.Row, users)
		for u := range rows {
			n := u % 1000
			switch u {
			case 4242:
				n = 5000 + i
			case 777:
				n = 4000
			}
			rows[u] = engine.Row{engine.Value(fmt.Sprint(u + 1)), engine.Value(fmt.Sprint(n))}
		}
		sources = append(sources, &engine.SliceSource{SourceName: name, Rows: rows})
	}
	cols := []engine.Column{
		{Name: "user_id", Type: engine.TypeLongLong, Charset: engine.CharsetBinary},
		{Name: "c", Type: engine.TypeLongLong, Charset: engine.CharsetBinary},
	}
	stream, err := p.MergeStream(cols, sources, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	before := heapAlloc()
	first, err := stream.Next(context.Background()) // merges and sorts every group
	if err != nil {
		t.Fatal(err)
	}
	held := heapAlloc() - before
	second, err := stream.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%s:%s %s:%s", first[0], first[1], second[0], second[1]); got != "4243:15003 778:12000" {
		t.Errorf("top two = %s, want 4243:15003 778:12000", got)
	}
	if held > 4<<20 {
		t.Errorf("sorting %d merged groups for a LIMIT 2 held %d bytes; want about two rows", users, held)
	}
}

func heapAlloc() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
