package planner

import (
	"context"
	"time"
)

// Gate bounds how many statements of one routing rule run at once
// (max_running): a heavy report shape cannot take every connection of its
// pool, however many clients send it.
type Gate struct {
	slots chan struct{}
}

func newGate(n int) *Gate { return &Gate{slots: make(chan struct{}, n)} }

// Enter takes a slot, waiting up to wait (or until ctx ends) for one; it
// reports whether it got one.
func (g *Gate) Enter(ctx context.Context, wait time.Duration) bool {
	select {
	case g.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// Leave gives back the slot Enter took.
func (g *Gate) Leave() { <-g.slots }

// Running is how many statements hold a slot now.
func (g *Gate) Running() int { return len(g.slots) }

// Max is the number of slots.
func (g *Gate) Max() int { return cap(g.slots) }
