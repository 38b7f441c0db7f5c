package planner

import (
	"fmt"
	"testing"

	"github.com/strata-proxy/strata/topology"
)

func cluster(balance string, servers ...*topology.Server) *topology.Cluster {
	return &topology.Cluster{Name: "main", Replicas: servers, Pools: map[string]*topology.Pool{"p": {Name: "p", Balance: balance}}}
}

func replica(addr string, weight int, zone string) *topology.Server {
	return &topology.Server{Addr: addr, Pool: "p", Weight: weight, Zone: zone, State: topology.StateUp, Role: topology.RoleReplica}
}

func TestPickReplicaSkipsUnroutable(t *testing.T) {
	down := replica("a:1", 1, "")
	down.State = topology.StateDown
	drained := replica("b:1", 1, "")
	drained.Drained = true
	other := replica("c:1", 1, "")
	other.Pool = "q"
	up := replica("d:1", 1, "")
	cl := cluster("random", down, drained, other, up)
	for i := 0; i < 50; i++ {
		if got := PickReplica(cl, "p", Pick{}); got != up {
			t.Fatalf("picked %v, want the only routable member d:1", got)
		}
	}
	if got := PickReplica(cl, "p", Pick{Skip: func(a string) bool { return a == "d:1" }}); got != nil {
		t.Fatalf("picked %v with every member excluded", got)
	}
}

func TestWeightedRandomFollowsWeights(t *testing.T) {
	cl := cluster("random", replica("a:1", 1, ""), replica("b:1", 3, ""))
	counts := map[string]int{}
	for i := 0; i < 8000; i++ {
		counts[PickReplica(cl, "p", Pick{}).Addr]++
	}
	if r := float64(counts["b:1"]) / float64(counts["a:1"]); r < 2.5 || r > 3.6 {
		t.Errorf("weight 3 vs 1 gave ratio %.2f (%v)", r, counts)
	}
}

func TestLeastConnections(t *testing.T) {
	cl := cluster("least_connections", replica("a:1", 1, ""), replica("b:1", 1, ""), replica("c:1", 2, ""))
	load := map[string]int{"a:1": 5, "b:1": 2, "c:1": 6}
	got := PickReplica(cl, "p", Pick{Load: func(a string) int { return load[a] }})
	if got.Addr != "b:1" {
		t.Errorf("picked %s, want b:1 (2 in use beats 5, and 6 over weight 2 = 3)", got.Addr)
	}
}

func TestAffinityIsStableAndMovesOnlyTheLeaversShare(t *testing.T) {
	servers := []*topology.Server{replica("a:1", 1, ""), replica("b:1", 1, ""), replica("c:1", 1, ""), replica("d:1", 1, "")}
	cl := cluster("affinity", servers...)
	before := map[string]string{}
	perServer := map[string]int{}
	for i := 0; i < 2000; i++ {
		d := fmt.Sprintf("SELECT * FROM t%d WHERE id = ?", i)
		first := PickReplica(cl, "p", Pick{Digest: d}).Addr
		if again := PickReplica(cl, "p", Pick{Digest: d}).Addr; again != first {
			t.Fatalf("digest %q went to %s then %s", d, first, again)
		}
		before[d] = first
		perServer[first]++
	}
	for _, s := range servers {
		if n := perServer[s.Addr]; n < 350 || n > 650 {
			t.Errorf("%s got %d of 2000 digests; affinity should spread evenly", s.Addr, n)
		}
	}
	servers[1].State = topology.StateDown // b leaves
	for d, was := range before {
		now := PickReplica(cl, "p", Pick{Digest: d}).Addr
		if was != "b:1" && now != was {
			t.Fatalf("digest %q moved from %s to %s although only b:1 left", d, was, now)
		}
	}
}

func TestZonePreference(t *testing.T) {
	cl := cluster("random", replica("a:1", 1, "east"), replica("b:1", 1, "west"))
	for i := 0; i < 50; i++ {
		if got := PickReplica(cl, "p", Pick{Zone: "west"}); got.Addr != "b:1" {
			t.Fatalf("picked %s, want the west replica", got.Addr)
		}
	}
	cl.Replicas[1].State = topology.StateDown
	if got := PickReplica(cl, "p", Pick{Zone: "west"}); got == nil || got.Addr != "a:1" {
		t.Fatalf("with the local replica down, picked %v; want the remote one", got)
	}
}

// Prefer narrows every balance mode to the members it accepts, within the
// zone's, and gives way when none of them is routable.
func TestPreferredMembers(t *testing.T) {
	for _, balance := range []string{"random", "least_connections", "affinity"} {
		cl := cluster(balance, replica("a:1", 1, ""), replica("b:1", 5, ""), replica("c:1", 1, "far"))
		prefer := func(addr string) bool { return addr == "a:1" || addr == "c:1" }
		load := func(addr string) int { return map[string]int{"a:1": 9, "b:1": 0, "c:1": 0}[addr] }
		for i := 0; i < 50; i++ {
			if got := PickReplica(cl, "p", Pick{Digest: fmt.Sprint(i), Load: load, Prefer: prefer}); got.Addr != "a:1" && got.Addr != "c:1" {
				t.Fatalf("%s: picked %s, want a preferred member", balance, got.Addr)
			}
			if got := PickReplica(cl, "p", Pick{Digest: fmt.Sprint(i), Load: load, Zone: "", Prefer: func(a string) bool { return a == "c:1" }}); got.Addr != "c:1" {
				t.Fatalf("%s: picked %s, want the only preferred member", balance, got.Addr)
			}
		}
		cl.Replicas[0].State = topology.StateDown
		cl.Replicas[2].State = topology.StateDown
		if got := PickReplica(cl, "p", Pick{Prefer: prefer, Load: load}); got == nil || got.Addr != "b:1" {
			t.Fatalf("%s: with the preferred members down, picked %v; want b:1", balance, got)
		}
	}
}
