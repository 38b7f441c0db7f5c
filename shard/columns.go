package shard

// Columns is what Strata reads of the columns of the tables whose rows it
// merges (sharded tables, their period tables, reference tables), from
// the shards: what a merge, a rewrite and a read of a table's rows need
// to answer as one server would. Table and column names are lower case.
type Columns struct {
	// Collations holds each text column's own collation, keyed
	// "table.column": a server sorts, groups and de-duplicates by it,
	// while it reports the connection's in a result.
	Collations map[string]string
	// Members holds the members of the ENUM and SET columns, in their
	// definition's order, keyed as Collations: a server sorts such a
	// column by its member's number (a SET by its bits), not its text.
	Members map[string][]string
	// Names holds every column's name, text or not, by table.
	Names map[string]map[string]bool
	// Primary holds the columns of each table's primary key, in the
	// key's order: the order InnoDB keeps the rows in, and so the order
	// one server reads a whole table in.
	Primary map[string][]string
	// Order holds each table's columns in their definition's order,
	// without the INVISIBLE ones: the columns an INSERT without a
	// column list gives values for.
	Order map[string][]string
}
