package planner

import (
	"context"
	"testing"
	"time"
)

func TestGate(t *testing.T) {
	g := newGate(2)
	ctx := context.Background()
	first, second := g.Enter(ctx, 0), g.Enter(ctx, 0)
	if !first || !second {
		t.Fatal("two slots, two entries refused")
	}
	if g.Running() != 2 {
		t.Fatalf("running = %d, want 2", g.Running())
	}
	start := time.Now()
	if g.Enter(ctx, 50*time.Millisecond) {
		t.Fatal("a third entry got in while two run")
	}
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Fatalf("the third entry gave up after %v, before its wait", waited)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		g.Leave()
	}()
	if !g.Enter(ctx, 5*time.Second) {
		t.Fatal("a waiting entry did not get the slot a statement left")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if g.Enter(cancelled, 5*time.Second) {
		t.Fatal("an entry got in on a cancelled context with no slot free")
	}
	g.Leave()
	g.Leave()
	if g.Running() != 0 || g.Max() != 2 {
		t.Fatalf("after leaving: running %d max %d", g.Running(), g.Max())
	}
}
