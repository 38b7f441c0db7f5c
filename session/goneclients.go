package session

import "time"

// KillReadsOfGoneClients interrupts (KILL QUERY) the reads that have run
// for at least minRunning for a client that has since closed its
// connection: a PHP request past its time limit, an HTTP client that gave
// up, a script stopped with kill -9. Nobody will read the answer, and a
// long report would keep a replica busy for nothing; the session then
// ends as its client did. Only statements that change nothing and take
// no lock (sqlparse.Facts.ReadOnly) are stopped: a write runs to its end,
// as it would on a server, which notices a client gone only when it
// answers. It returns the sessions whose read it interrupted.
func (r *Registry) KillReadsOfGoneClients(minRunning time.Duration) []uint32 {
	var candidates []*Session
	now := time.Now().UnixNano()
	r.mu.RLock()
	for _, s := range r.sessions {
		if f := s.current.Load(); f != nil && f.ReadOnly && s.client != nil &&
			time.Duration(now-s.currentAt.Load()) >= minRunning {
			candidates = append(candidates, s)
		}
	}
	r.mu.RUnlock()
	var killed []uint32
	for _, s := range candidates {
		if !s.client.ClientGone() {
			continue
		}
		if f := s.current.Load(); f == nil || !f.ReadOnly {
			continue // it finished meanwhile, and may run a write now
		}
		if err := s.killActive(s); err == nil {
			killed = append(killed, s.ID)
		}
	}
	return killed
}
