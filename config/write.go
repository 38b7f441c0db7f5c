package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Clone returns a deep copy of c.
func (c *Config) Clone() *Config {
	out := *c
	out.Users = slices.Clone(c.Users)
	out.Routing = make([]Rule, len(c.Routing))
	for i, r := range c.Routing {
		r.Match.Tables = slices.Clone(r.Match.Tables)
		out.Routing[i] = r
	}
	if c.Routing == nil {
		out.Routing = nil
	}
	if c.Clusters != nil {
		out.Clusters = make(map[string]*Cluster, len(c.Clusters))
		for name, cl := range c.Clusters {
			cc := *cl
			cc.Replicas = slices.Clone(cl.Replicas)
			if cl.Pools != nil {
				cc.Pools = make(map[string]*PoolConfig, len(cl.Pools))
				for pn, pc := range cl.Pools {
					p := *pc
					cc.Pools[pn] = &p
				}
			}
			out.Clusters[name] = &cc
		}
	}
	if c.Tables != nil {
		out.Tables = make(map[string]*Table, len(c.Tables))
		for name, t := range c.Tables {
			tc := *t
			tc.Shards = slices.Clone(t.Shards)
			if t.Ranges != nil {
				tc.Ranges = make(map[string]string, len(t.Ranges))
				for k, v := range t.Ranges {
					tc.Ranges[k] = v
				}
			}
			if t.Sequence != nil {
				sq := *t.Sequence
				tc.Sequence = &sq
			}
			out.Tables[name] = &tc
		}
	}
	if c.Sequences != nil {
		out.Sequences = make(map[string]*Sequence, len(c.Sequences))
		for name, s := range c.Sequences {
			sc := *s
			out.Sequences[name] = &sc
		}
	}
	return &out
}

// WriteTopology writes the clusters of cfg (each primary and its replicas'
// address, pool, weight and zone) into the YAML file at path, leaving the
// rest of the file as it is: every line outside the clusters section is
// kept byte for byte, and inside it the existing replica entries are edited
// in place, so their comments and flow/block style survive (blank lines
// inside the section do not). Pool settings are not touched. The previous
// file is kept as path + ".bak"; the new one replaces it atomically, and only
// after it was parsed back and found to hold exactly cfg's topology.
// It returns the backup's path.
func WriteTopology(path string, cfg *Config) (string, error) {
	orig, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading config: %w", err)
	}
	out, err := RenderTopology(orig, cfg)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	backup := path + ".bak"
	if err := writeFileAtomic(backup, orig, mode); err != nil {
		return "", fmt.Errorf("writing backup: %w", err)
	}
	if err := writeFileAtomic(path, out, mode); err != nil {
		return "", fmt.Errorf("writing config: %w", err)
	}
	return backup, nil
}

// RenderTopology returns the config file orig with its clusters section
// changed to hold cfg's clusters (see WriteTopology).
func RenderTopology(orig []byte, cfg *Config) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(orig, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the file is not a YAML mapping")
	}
	root := doc.Content[0]
	idx := -1
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "clusters" {
			idx = i
		}
	}
	if idx < 0 {
		root.Content = append(root.Content, scalar("clusters"), &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
		idx = len(root.Content) - 2
	}
	key, val := root.Content[idx], root.Content[idx+1]
	if val.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: clusters is not a mapping", key.Line)
	}
	if err := setClusters(val, cfg); err != nil {
		return nil, err
	}
	out, err := splice(orig, &doc, idx)
	if err != nil {
		return nil, err
	}
	if err := verifyTopology(out, cfg); err != nil {
		return nil, fmt.Errorf("the rewritten file does not hold the running topology (%v); nothing was written", err)
	}
	return out, nil
}

// splice replaces the lines of the root key at idx (and its value) in orig
// with a fresh rendering of that key; when the layout is not the usual block
// mapping it renders the whole document instead.
func splice(orig []byte, doc *yaml.Node, idx int) ([]byte, error) {
	root := doc.Content[0]
	key, val := root.Content[idx], root.Content[idx+1]
	lines := strings.SplitAfter(string(orig), "\n")
	indent := 2
	if val.Style&yaml.FlowStyle == 0 && len(val.Content) > 0 && val.Content[0].Column > 1 {
		indent = val.Content[0].Column - 1
	}
	whole := func() ([]byte, error) { return encode(doc, indent) }
	if root.Style&yaml.FlowStyle != 0 || key.Line == 0 || key.Column != 1 || key.Line > len(lines) {
		return whole()
	}
	start := key.Line - 1
	end := len(lines) // exclusive
	last := idx+2 >= len(root.Content)
	if !last {
		next := root.Content[idx+2]
		if next.Line <= key.Line || next.Line > len(lines) {
			return whole()
		}
		end = next.Line - 1
	}
	// Blank lines and column-0 comments just above the next key belong to it.
	for end > start+1 && isLooseLine(lines[end-1]) {
		end--
	}
	section := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{key, val}}
	headComment := key.HeadComment
	key.HeadComment = "" // it is above start and stays in place
	text, err := encode(section, indent)
	key.HeadComment = headComment
	if err != nil {
		return nil, err
	}
	text = unquoteAddresses(text)
	if last && reemitted(text, lines[end:]) {
		// The file's closing comments were attached to the section's nodes
		// and are in text already.
		end = len(lines)
	}
	var b bytes.Buffer
	for _, l := range lines[:start] {
		b.WriteString(l)
	}
	if start > 0 && !strings.HasSuffix(lines[start-1], "\n") {
		b.WriteByte('\n')
	}
	b.Write(text)
	for _, l := range lines[end:] {
		b.WriteString(l)
	}
	return b.Bytes(), nil
}

// reemitted reports whether every comment of tail is in text.
func reemitted(text []byte, tail []string) bool {
	for _, l := range tail {
		c := strings.TrimSpace(l)
		if c != "" && !bytes.Contains(text, []byte(c)) {
			return false
		}
	}
	return true
}

// quotedAddr is a host:port the encoder single-quoted because it sits in a
// flow collection; YAML 1.2 reads it the same without the quotes, as the
// hand-written files have it.
var quotedAddr = regexp.MustCompile(`'([A-Za-z0-9][A-Za-z0-9._-]*:[0-9]+)'`)

func unquoteAddresses(text []byte) []byte { return quotedAddr.ReplaceAll(text, []byte("$1")) }

func isLooseLine(l string) bool {
	t := strings.TrimRight(l, "\r\n")
	return strings.TrimSpace(t) == "" || strings.HasPrefix(t, "#")
}

func encode(n *yaml.Node, indent int) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(indent)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// setClusters makes the clusters mapping node hold cfg's clusters.
func setClusters(clusters *yaml.Node, cfg *Config) error {
	for _, name := range cfg.ClusterNames() {
		cl := cfg.Clusters[name]
		node := mapValue(clusters, name)
		if node == nil {
			node = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			clusters.Content = append(clusters.Content, scalar(name), node)
		}
		if node.Kind != yaml.MappingNode {
			return fmt.Errorf("line %d: clusters.%s is not a mapping", node.Line, name)
		}
		setScalar(node, "primary", cl.Primary, "!!str")
		if err := setReplicas(node, name, cl.Replicas); err != nil {
			return err
		}
	}
	// Drop clusters the running topology does not have.
	kept := clusters.Content[:0]
	for i := 0; i+1 < len(clusters.Content); i += 2 {
		if cfg.Clusters[clusters.Content[i].Value] != nil {
			kept = append(kept, clusters.Content[i], clusters.Content[i+1])
		}
	}
	clusters.Content = kept
	return nil
}

// setReplicas rewrites a cluster's replicas sequence: entries whose address
// is still there are edited in place, new ones are appended in the style of
// their siblings, the others are dropped.
func setReplicas(cluster *yaml.Node, name string, replicas []Replica) error {
	seq := mapValue(cluster, "replicas")
	if len(replicas) == 0 {
		deleteKey(cluster, "replicas")
		return nil
	}
	if seq == nil || seq.Kind != yaml.SequenceNode {
		if seq != nil && !(seq.Kind == yaml.ScalarNode && seq.Tag == "!!null") {
			return fmt.Errorf("line %d: clusters.%s.replicas is not a list", seq.Line, name)
		}
		seq = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		deleteKey(cluster, "replicas")
		cluster.Content = append(cluster.Content, scalar("replicas"), seq)
	}
	byAddr := map[string]*yaml.Node{}
	flow := seq.Style&yaml.FlowStyle != 0
	for _, item := range seq.Content {
		if item.Kind != yaml.MappingNode {
			return fmt.Errorf("line %d: clusters.%s.replicas holds something other than a mapping", item.Line, name)
		}
		if a := mapValue(item, "address"); a != nil {
			byAddr[a.Value] = item
		}
		if item.Style&yaml.FlowStyle != 0 {
			flow = true
		}
	}
	items := make([]*yaml.Node, 0, len(replicas))
	for _, r := range replicas {
		if r.Pool == "" {
			r.Pool = DefaultPool
		}
		if r.Weight == 0 {
			r.Weight = 1
		}
		item := byAddr[r.Address]
		delete(byAddr, r.Address) // an address listed twice gets a fresh second entry
		if item == nil {
			item = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			if flow {
				item.Style = yaml.FlowStyle
			}
			setScalar(item, "address", r.Address, "!!str")
			setScalar(item, "pool", r.Pool, "!!str")
		}
		setOptional(item, "pool", r.Pool, DefaultPool, "!!str")
		setOptional(item, "weight", strconv.Itoa(r.Weight), "1", "!!int")
		setOptional(item, "zone", r.Zone, "", "!!str")
		items = append(items, item)
	}
	seq.Content = items
	return nil
}

// setOptional sets key to value, except that a key the entry does not have
// is not added for its default value; a key whose new value is empty goes.
func setOptional(m *yaml.Node, key, value, def, tag string) {
	if value == "" {
		deleteKey(m, key)
		return
	}
	if mapValue(m, key) == nil && value == def {
		return
	}
	setScalar(m, key, value, tag)
}

func setScalar(m *yaml.Node, key, value, tag string) {
	if v := mapValue(m, key); v != nil && v.Kind == yaml.ScalarNode {
		if v.Value != value {
			v.Value, v.Tag = value, tag
			if v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 && tag != "!!str" {
				v.Style = 0
			}
		}
		return
	}
	deleteKey(m, key)
	m.Content = append(m.Content, scalar(key), &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value})
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// verifyTopology parses the rendered file and checks it holds cfg's clusters.
func verifyTopology(out []byte, cfg *Config) error {
	got, err := Parse(out)
	if err != nil {
		return err
	}
	if len(got.Clusters) != len(cfg.Clusters) {
		return fmt.Errorf("%d clusters, want %d", len(got.Clusters), len(cfg.Clusters))
	}
	for name, want := range cfg.Clusters {
		g := got.Clusters[name]
		if g == nil {
			return fmt.Errorf("cluster %s missing", name)
		}
		if g.Primary != want.Primary {
			return fmt.Errorf("cluster %s: primary %s, want %s", name, g.Primary, want.Primary)
		}
		if len(g.Replicas) != len(want.Replicas) {
			return fmt.Errorf("cluster %s: %d replicas, want %d", name, len(g.Replicas), len(want.Replicas))
		}
		for i, r := range want.Replicas {
			if r.Pool == "" {
				r.Pool = DefaultPool
			}
			if r.Weight == 0 {
				r.Weight = 1
			}
			if g.Replicas[i] != r {
				return fmt.Errorf("cluster %s: replica %d is %+v, want %+v", name, i, g.Replicas[i], r)
			}
		}
	}
	return nil
}

// writeFileAtomic writes data to a temporary file next to path and renames
// it over path, so readers see the old or the new file, never half of one.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
