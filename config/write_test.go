package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const commented = `# Head comment of the file.
listen: 127.0.0.1:6033
admin_listen: 127.0.0.1:6080

users:
  - {name: app, password: app}

backend: {user: strata, password: strata}

# The one cluster.
clusters:
  main:
    primary: 127.0.0.1:13306 # the writer
    replicas:
      # ordinary reads
      - {address: 127.0.0.1:13307, pool: primary}
      - {address: 127.0.0.1:13308} # no pool: default
      - {address: 127.0.0.1:13309, pool: batch, weight: 2} # batch jobs
    pools:
      batch: {fallback: primary}

# Checks every second.
monitor:
  interval: 1s
`

// fileParts returns the lines outside the clusters section.
func outsideClusters(t *testing.T, text string) (before, after string) {
	t.Helper()
	i := strings.Index(text, "clusters:\n")
	j := strings.Index(text, "# Checks every second.")
	if i < 0 || j < 0 {
		t.Fatalf("layout lost:\n%s", text)
	}
	return text[:i], text[j:]
}

func TestRenderTopologyEditsInPlace(t *testing.T) {
	cfg, err := Parse([]byte(commented))
	if err != nil {
		t.Fatal(err)
	}
	cl := cfg.Clusters["main"]
	cl.Replicas[1].Pool = "batch"                                                                           // move 13308
	cl.Replicas = append(cl.Replicas[:2], Replica{Address: "127.0.0.1:13310", Pool: "comments", Zone: "b"}) // drop 13309, add 13310
	out, err := RenderTopology([]byte(commented), cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	t.Logf("rendered:\n%s", text)
	b0, a0 := outsideClusters(t, commented)
	b1, a1 := outsideClusters(t, text)
	if b0 != b1 || a0 != a1 {
		t.Errorf("lines outside clusters changed:\nbefore %q\n   got %q\nafter %q\n  got %q", b0, b1, a0, a1)
	}
	for _, want := range []string{
		"primary: 127.0.0.1:13306 # the writer",
		"# ordinary reads",
		"{address: 127.0.0.1:13307, pool: primary}",
		"{address: 127.0.0.1:13308, pool: batch} # no pool: default",
		"{address: 127.0.0.1:13310, pool: comments, zone: b}",
		"batch: {fallback: primary}",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q", want)
		}
	}
	if strings.Contains(text, "13309") || strings.Contains(text, "# batch jobs") {
		t.Error("removed replica (and its comment) still there")
	}
	got, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Clusters["main"].Replicas; len(r) != 3 || r[1].Pool != "batch" || r[2].Address != "127.0.0.1:13310" || r[2].Weight != 1 {
		t.Errorf("parsed back: %+v", r)
	}
}

func TestRenderTopology(t *testing.T) {
	block := "users: [{name: app}]\nbackend: {user: s}\nclusters:\n    main:\n        primary: 127.0.0.1:1\n        replicas:\n            - address: 127.0.0.1:2\n              weight: 3\n"
	tests := []struct {
		name   string
		file   string
		edit   func(c *Config)
		want   []string
		absent []string
	}{
		{
			name: "block style, 4-space indent, weight back to default stays explicit",
			file: block,
			edit: func(c *Config) {
				c.Clusters["main"].Replicas[0].Weight = 1
				c.Clusters["main"].Replicas = append(c.Clusters["main"].Replicas, Replica{Address: "127.0.0.1:3", Pool: "batch", Weight: 1})
			},
			want: []string{"        replicas:\n            - address: 127.0.0.1:2\n              weight: 1\n            - address: 127.0.0.1:3\n              pool: batch\n"},
		},
		{
			name:   "all replicas removed",
			file:   block,
			edit:   func(c *Config) { c.Clusters["main"].Replicas = nil },
			absent: []string{"replicas", "127.0.0.1:2"},
		},
		{
			name: "cluster without replicas gains one",
			file: "users: [{name: app}]\nbackend: {user: s}\nclusters:\n  main:\n    primary: 127.0.0.1:1\nlimits: {pool_wait: 1s}\n",
			edit: func(c *Config) {
				c.Clusters["main"].Replicas = []Replica{{Address: "127.0.0.1:2", Pool: "primary", Weight: 1}}
			},
			want: []string{"  main:\n    primary: 127.0.0.1:1\n    replicas:\n      - address: 127.0.0.1:2\n        pool: primary\nlimits: {pool_wait: 1s}\n"},
		},
		{
			name: "flow sequence",
			file: "users: [{name: app}]\nbackend: {user: s}\nclusters:\n  main: {primary: 127.0.0.1:1, replicas: [{address: 127.0.0.1:2}]}\n# tail\n",
			edit: func(c *Config) {
				c.Clusters["main"].Replicas = append(c.Clusters["main"].Replicas, Replica{Address: "127.0.0.1:3", Zone: "z"})
			},
			want: []string{"replicas: [{address: 127.0.0.1:2}, {address: 127.0.0.1:3, pool: primary, zone: z}]", "# tail\n"},
		},
		{
			name: "zone removed, primary changed",
			file: "users: [{name: app}]\nbackend: {user: s}\nclusters:\n  main:\n    primary: \"127.0.0.1:1\"\n    replicas:\n      - {address: 127.0.0.1:2, zone: a}\n",
			edit: func(c *Config) {
				c.Clusters["main"].Primary = "127.0.0.1:9"
				c.Clusters["main"].Replicas[0].Zone = ""
			},
			want:   []string{`primary: "127.0.0.1:9"`, "- {address: 127.0.0.1:2}"},
			absent: []string{"zone"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			tt.edit(cfg)
			out, err := RenderTopology([]byte(tt.file), cfg)
			if err != nil {
				t.Fatal(err)
			}
			text := string(out)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("missing %q in:\n%s", w, text)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(text, a) {
					t.Errorf("%q should be gone from:\n%s", a, text)
				}
			}
			if strings.Count(text, "# tail") > 1 {
				t.Errorf("comment duplicated:\n%s", text)
			}
		})
	}
}

func TestWriteTopologyKeepsBackup(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "strata.yaml")
	if err := os.WriteFile(path, []byte(commented), 0o640); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Clusters["main"].Replicas[0].Pool = "comments"
	backup, err := WriteTopology(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if old, _ := os.ReadFile(backup); string(old) != commented {
		t.Errorf("backup %s does not hold the old file", backup)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640", st.Mode().Perm())
	}
	again, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.Clusters["main"].Replicas[0].Pool != "comments" {
		t.Errorf("saved pool = %q", again.Clusters["main"].Replicas[0].Pool)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("leftover files: %v", entries)
	}
}

func TestWriteTopologyRefusesBrokenResult(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "strata.yaml")
	if err := os.WriteFile(path, []byte(commented), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Clusters["main"].Replicas[0].Address = "not-an-address"
	if _, err := WriteTopology(path, cfg); err == nil || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("error = %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != commented {
		t.Error("file changed")
	}
	if _, err := os.Stat(path + ".bak"); !os.IsNotExist(err) {
		t.Error("backup written for a refused save")
	}
}

func TestClone(t *testing.T) {
	cfg, err := Parse([]byte(commented))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Clone()
	c.Clusters["main"].Replicas[0].Pool = "x"
	c.Clusters["main"].Pools["batch"].Fallback = "y"
	c.Users[0].Name = "z"
	if cfg.Clusters["main"].Replicas[0].Pool == "x" || cfg.Clusters["main"].Pools["batch"].Fallback == "y" || cfg.Users[0].Name == "z" {
		t.Error("clone shares state with the original")
	}
}

func TestRenderTopologyWithoutChangeKeepsTheFile(t *testing.T) {
	files := map[string]string{"commented": commented}
	if data, err := os.ReadFile("../examples/blog/strata.yaml"); err == nil {
		files["examples/blog"] = string(data)
	}
	for name, text := range files {
		cfg, err := Parse([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		out, err := RenderTopology([]byte(text), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != text {
			t.Errorf("%s: rewritten without a change:\n%s", name, out)
		}
	}
}
