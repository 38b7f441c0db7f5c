package planner

import (
	"math/rand/v2"

	"github.com/strata-proxy/strata/topology"
)

// PickReplica chooses a routable member of pool that skip does not exclude,
// weighted by each replica's weight. It returns nil when none is left.
func PickReplica(cl *topology.Cluster, pool string, skip func(addr string) bool) *topology.Server {
	var total int
	candidates := make([]*topology.Server, 0, 8)
	for _, r := range cl.Replicas {
		if r.Pool != pool || !r.Routable() || (skip != nil && skip(r.Addr)) {
			continue
		}
		candidates = append(candidates, r)
		total += max(r.Weight, 1)
	}
	if len(candidates) == 0 {
		return nil
	}
	n := rand.IntN(total)
	for _, r := range candidates {
		n -= max(r.Weight, 1)
		if n < 0 {
			return r
		}
	}
	return candidates[len(candidates)-1]
}
