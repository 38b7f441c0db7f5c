package sharding

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The ORMs' workloads of the comparisons above (Rails, Django, Laravel,
// Sequelize, GORM), through the instance with transactions.mode twopc: their
// saves and locks by primary key in transactions narrow to one shard or
// widen across several (narrow.go), and every answer still equals the
// single server's.
func TestORMsOverShardsWithTwoPhaseCommitLikeOneServer(t *testing.T) {
	twoPCDB(t)
	script := func(path string) string {
		abs, _ := filepath.Abs(path)
		return abs
	}
	python := func(args ...string) *exec.Cmd {
		cmd := program("/usr/bin/python3", script("../python/django_sharded.py"))(args...)
		cmd.Env = append(os.Environ(), "PYTHONIOENCODING=utf-8")
		return cmd
	}
	for _, orm := range []struct {
		name    string
		command func(args ...string) *exec.Cmd
		args    []string
	}{
		{"ActiveRecord", program("ruby", script("../ruby/sharded_workload.rb")), nil},
		{"Django", python, nil},
		{"Eloquent", program("php", script("../php/sharded_eloquent.php")), nil},
		{"Sequelize", program("node", script("../node/sharded_sequelize.js")), []string{"mysql"}},
	} {
		t.Run(orm.name, func(t *testing.T) {
			clientSameAsOneServerAt(t, twoPCAddr, orm.name+" under twopc", orm.command, []string{"left: "}, orm.args...)
		})
	}
	t.Run("GORM", func(t *testing.T) { gormSameAsOneServer(t, twoPCAddr, true) })
}
