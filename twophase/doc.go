// Package twophase makes a transaction that wrote several shard clusters
// commit on all of them or on none (config transactions.mode: twopc).
//
// The session's first cluster in the transaction is the coordinator: it
// runs a plain transaction. Every other cluster the transaction writes
// joins as an XA branch (XA START). At COMMIT Strata writes a decision row
// into the coordinator's transaction, prepares every branch (XA PREPARE),
// then commits the coordinator: that one local COMMIT is the decision, and
// the row it makes durable is the record of it. Only then are the branches
// committed (XA COMMIT). A prepared branch whose coordinator's row is
// committed is committed; one whose row never committed is rolled back.
//
// The Resolver finishes what a crash, a lost connection or a failover left
// prepared: it lists Strata's branches with XA RECOVER on every primary and
// settles each by its decision row. To tell "not decided yet" from "will
// never be decided" it inserts an abort row for the same transaction: the
// unique key makes that insert wait while the coordinator's transaction is
// open, fail if the coordinator committed, and win if it rolled back or
// never wrote its row, after which the coordinator can no longer commit.
//
// This file's package holds the pure parts (transaction ids, the log's
// statements) and the resolver, which reaches primaries with database/sql.
package twophase
