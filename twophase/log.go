package twophase

import (
	"encoding/hex"
	"fmt"
)

// Schema and Table name the decision log on every coordinating cluster.
const (
	Schema = "strata"
	Table  = "strata_twophase"
)

// Decisions recorded in the log.
const (
	Commit = "commit"
	Abort  = "abort"
)

// qualifiedTable is `strata`.`strata_twophase`.
const qualifiedTable = "`" + Schema + "`.`" + Table + "`"

// CreateStatements make the log's schema and table (idempotent). The
// primary key on gtrid is what makes the coordinator's commit and the
// resolver's abort exclude each other.
var CreateStatements = []string{
	"CREATE DATABASE IF NOT EXISTS `" + Schema + "`",
	"CREATE TABLE IF NOT EXISTS " + qualifiedTable + " (" +
		"gtrid VARBINARY(64) NOT NULL PRIMARY KEY, " +
		"decision ENUM('commit','abort') NOT NULL, " +
		"decided_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB",
}

// RecordCommit is the statement the coordinator runs inside its own
// transaction before the branches prepare: it commits with that
// transaction, or not at all.
func RecordCommit(gtrid string) string {
	return fmt.Sprintf("INSERT INTO %s (gtrid, decision) VALUES (%s, '%s')", qualifiedTable, hexLiteral(gtrid), Commit)
}

// hexLiteral writes s as X'..', safe inside any statement.
func hexLiteral(s string) string { return "X'" + hex.EncodeToString([]byte(s)) + "'" }

// Statements on a branch, by step.
func Start(x XID) string    { return "XA START " + x.SQL() }
func End(x XID) string      { return "XA END " + x.SQL() }
func Prepare(x XID) string  { return "XA PREPARE " + x.SQL() }
func Finish(x XID) string   { return "XA COMMIT " + x.SQL() }
func Rollback(x XID) string { return "XA ROLLBACK " + x.SQL() }
