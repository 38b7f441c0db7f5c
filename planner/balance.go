package planner

import (
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/strata-proxy/strata/topology"
)

// Pick says how to choose a replica within a pool.
type Pick struct {
	// Digest is the key affinity hashes: the statement text (see session).
	Digest string
	// Zone is where this Strata runs; members in the same zone are preferred.
	Zone string
	// Load returns a server's connections in use, for least_connections.
	Load func(addr string) int
	// Skip excludes servers that already failed this statement.
	Skip func(addr string) bool
	// Prefer, when set, narrows the choice to the members it accepts,
	// if any (read-your-writes: the replicas known to hold the session's
	// last write, where a read needs no wait).
	Prefer func(addr string) bool
}

// PickReplica chooses a routable member of pool by the pool's balance
// mode. It returns nil when no member is left.
func PickReplica(cl *topology.Cluster, pool string, p Pick) *topology.Server {
	candidates := preferred(preferZone(members(cl, pool, p.Skip), p.Zone), p.Prefer)
	if len(candidates) == 0 {
		return nil
	}
	switch cl.PoolSettings(pool).Balance {
	case "least_connections":
		if p.Load != nil {
			return leastLoaded(candidates, p.Load)
		}
	case "affinity":
		return rendezvous(candidates, p.Digest)
	}
	return weightedRandom(candidates)
}

func members(cl *topology.Cluster, pool string, skip func(string) bool) []*topology.Server {
	out := make([]*topology.Server, 0, 8)
	for _, r := range cl.Replicas {
		if r.Pool == pool && r.Routable() && (skip == nil || !skip(r.Addr)) {
			out = append(out, r)
		}
	}
	return out
}

// preferred keeps the members prefer accepts when there are any.
func preferred(servers []*topology.Server, prefer func(addr string) bool) []*topology.Server {
	if prefer == nil {
		return servers
	}
	var kept []*topology.Server
	for _, s := range servers {
		if prefer(s.Addr) {
			kept = append(kept, s)
		}
	}
	if len(kept) == 0 {
		return servers
	}
	return kept
}

// preferZone keeps the members in zone when there are any.
func preferZone(servers []*topology.Server, zone string) []*topology.Server {
	if zone == "" {
		return servers
	}
	local := make([]*topology.Server, 0, len(servers))
	for _, s := range servers {
		if s.Zone == zone {
			local = append(local, s)
		}
	}
	if len(local) == 0 {
		return servers
	}
	return local
}

func weight(s *topology.Server) int { return max(s.Weight, 1) }

func weightedRandom(servers []*topology.Server) *topology.Server {
	total := 0
	for _, s := range servers {
		total += weight(s)
	}
	n := rand.IntN(total)
	for _, s := range servers {
		n -= weight(s)
		if n < 0 {
			return s
		}
	}
	return servers[len(servers)-1]
}

// leastLoaded picks the member with the fewest connections in use per unit
// of weight; ties go to a random one of them so idle pools still spread.
func leastLoaded(servers []*topology.Server, load func(string) int) *topology.Server {
	var best []*topology.Server
	bestScore := math.Inf(1)
	for _, s := range servers {
		score := float64(load(s.Addr)) / float64(weight(s))
		switch {
		case score < bestScore:
			best, bestScore = append(best[:0], s), score
		case score == bestScore:
			best = append(best, s)
		}
	}
	return best[rand.IntN(len(best))]
}

// rendezvous sends a key (statement text) to the same member every time (highest random
// weight hashing): when a member leaves, only its digests move, so the other
// servers' query caches stay warm. Weights scale each member's share.
func rendezvous(servers []*topology.Server, digest string) *topology.Server {
	var best *topology.Server
	bestScore := math.Inf(-1)
	for _, s := range servers {
		h := fnv.New64a()
		h.Write([]byte(digest))
		h.Write([]byte{0})
		h.Write([]byte(s.Addr))
		u := (float64(mix64(h.Sum64())>>11) + 0.5) / (1 << 53) // uniform in (0,1)
		score := -float64(weight(s)) / math.Log(u)
		if score > bestScore {
			best, bestScore = s, score
		}
	}
	return best
}

// mix64 is the splitmix64 finalizer: FNV alone barely changes its high bits
// when only the last bytes differ, and the score needs all 64 bits uniform.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
