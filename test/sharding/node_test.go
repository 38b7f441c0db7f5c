package sharding

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A Node.js app's reads and writes over the sharded tables through its two
// drivers (test/node/sharded_workload.js), with server-side prepared
// statements bound as each driver binds them: mysql2's numbers as DOUBLEs
// and Buffers as strings, the mariadb connector's integers as BIGINTs and
// its batch, both drivers' Dates as DATETIMEs. Keyed reads and reads by
// time, scatters, a multi-row INSERT over every shard, updates, a
// transaction on one shard, a duplicate key and deletes; and the same
// kinds of values quoted into the text by the drivers (mysql2's VALUES ?
// of many rows too). Every answer equals the single server's.
func TestNodeDriversOverShardsLikeOneServer(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node not installed: make deps installs nodejs and npm")
	}
	if _, err := os.Stat("../node/node_modules/mysql2"); err != nil {
		t.Fatal("the Node.js drivers are not installed: make deps runs npm ci in test/node")
	}
	strataDB(t)
	script, _ := filepath.Abs("../node/sharded_workload.js")
	for _, driver := range []string{"mysql2", "mariadb"} {
		lines := []string{`multi-row insert: {"affectedRows":12}`, `duplicate: "1062 23000"`, `after tx: [{"id":`, `"bytes":"FF008027"`, `posts at: [{"id":`, `left: [{"n":`}
		if driver == "mysql2" {
			lines = append(lines, `text rows: {"affectedRows":6}`)
		}
		if driver == "mariadb" {
			lines = append(lines, `batch: {"affectedRows":8}`, `batch duplicate: "1062 23000"`, `batch update: {"affectedRows":3}`,
				`batch delete: {"affectedRows":2}`, `batch update duplicate: "1062 23000"`, `batch select: "1295 HY000"`,
				`posts written: [{"id":"990000"`, `posts left: [{"n":"0"}]`, `batch countries: {"affectedRows":2}`, `countries delete: {"affectedRows":2}`)
		}
		clientSameAsOneServer(t, "node "+driver, program("node", script), lines, driver)
	}
}

// A Node.js app's models over the sharded tables through Sequelize
// (test/node/sharded_sequelize.js), on mysql2 and on the mariadb
// connector: finds with OFFSET, findAndCountAll, aggregates and groups,
// eager loading by JOIN and by a second query, the schema read, creates
// over every shard, a duplicate key, bulkCreate with updateOnDuplicate,
// upsert, findOrCreate, save, increment and reload, transactions managed
// and unmanaged with a lock by primary key first, and a date-sharded row.
// Every answer equals the single server's.
func TestSequelizeOverShardsLikeOneServer(t *testing.T) {
	if _, err := os.Stat("../node/node_modules/sequelize"); err != nil {
		t.Fatal("Sequelize is not installed: make deps runs npm ci in test/node")
	}
	strataDB(t)
	script, _ := filepath.Abs("../node/sharded_sequelize.js")
	for _, dialect := range []string{"mysql", "mariadb"} {
		clientSameAsOneServer(t, "Sequelize on "+dialect, program("node", script), []string{`duplicate: "SequelizeUniqueConstraintError 1062 23000"`,
			`findOrCreate: [true,false]`, `"body":"in transaction"`, `rolled back: "Error app app"`, `"title":"sq entry 2"}`, `left: 0`}, dialect)
	}
}
