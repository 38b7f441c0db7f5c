package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/admin"
	"github.com/strata-proxy/strata/resultcache"
)

// newCLICache is a result cache with one answer and what writes drop it.
func newCLICache(t *testing.T) *resultcache.Cache {
	c := resultcache.New(1<<20, 1<<10)
	c.Learned("blog.comments", []string{"blog.entries", "blog.audit"})
	c.Learned("blog.tags", nil)
	if _, f := c.Lookup(context.Background(), "k", []string{"blog.comments"}, time.Minute); f != nil {
		f.Complete([]byte("rows"), true)
	} else {
		t.Fatal("no fill for a new key")
	}
	return c
}

func TestCacheCommand(t *testing.T) {
	e := newCLIEnv(t)
	out := mustRun(t, runCache, "-c", e.path)
	t.Logf("\n%s", out)
	wantLines(t, out,
		"1 entries, 4 of 1048576 bytes; 0 hits, 1 misses, 1 fills, 0 waits, 0 invalidations\n",
		"TABLE          ALSO DROPPED BY WRITES TO\n",
		"blog.comments  blog.audit, blog.entries\n",
		"blog.tags      -\n",
	)
	out = mustRun(t, runCache, "-json", "-c", e.path)
	var view admin.CacheStatusView
	if err := json.Unmarshal([]byte(out), &view); err != nil || view.Entries != 1 || len(view.Sources) != 2 {
		t.Errorf("-json: %v\n%s", err, out)
	}
	if out := mustRun(t, runCache, "-flush", "-c", e.path); out != "dropped 1 cached answers\n" {
		t.Errorf("-flush printed %q", out)
	}
	if out := mustRun(t, runCache, "-c", e.path); !strings.Contains(out, "0 entries, 0 of 1048576 bytes; 0 hits, 1 misses, 1 fills, 0 waits, 1 invalidations\n") {
		t.Errorf("after -flush:\n%s", out)
	}
}
