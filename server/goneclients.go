package server

import (
	"context"
	"time"
)

// goneClientRead is how long a read runs before Strata looks whether its
// client is still there: a quick statement is answered before it would
// matter, and each look is one system call per running session.
const goneClientRead = time.Second

// killReadsOfGoneClients looks, every goneClientRead, for reads whose
// client has closed its connection meanwhile, and interrupts them
// (session.Registry.KillReadsOfGoneClients) until ctx ends.
func (s *Strata) killReadsOfGoneClients(ctx context.Context) {
	tick := time.NewTicker(goneClientRead)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, id := range s.Env.Registry.KillReadsOfGoneClients(goneClientRead) {
			s.Metrics.GoneClientReadKilled()
			s.Log.Info("interrupted a read whose client closed its connection while it ran", "session", id)
		}
	}
}
