package shardops

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrLostLead: the connection that held a move's lead lock is gone (its
// primary restarted or failed over), so another Strata may lead the move
// now; this one must stop moving and stop placing the table by its marks.
var ErrLostLead = errors.New("the lead of the move was lost")

// Lead is the lock that makes one Strata the leader of an online move: it
// moves the rows and places the table by its marks; every other Strata
// sees the move (PendingMoves) and refuses the table's statements until it
// ends. It is a GET_LOCK on a connection to the first source's primary,
// so it goes when that Strata dies, and another can take the move over.
type Lead struct {
	conn *sql.Conn
	name string
}

// LeadLockName is the GET_LOCK name of a table's move.
func LeadLockName(schema, table string) string {
	name := "strata_move:" + schema + "." + table
	if len(name) > 64 {
		sum := sha1.Sum([]byte(name))
		name = "strata_move:" + hex.EncodeToString(sum[:])
	}
	return name
}

// TakeLead tries to become the leader of table's move; ok is false when
// another connection holds the lock (holder is its connection id).
func TakeLead(ctx context.Context, db *sql.DB, schema, table string) (lead *Lead, holder int64, err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, 0, err
	}
	name := LeadLockName(schema, table)
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", name).Scan(&got); err != nil {
		conn.Close()
		return nil, 0, fmt.Errorf("taking the lead of the move of %s: %w", table, err)
	}
	if got.Valid && got.Int64 == 1 {
		return &Lead{conn: conn, name: name}, 0, nil
	}
	var who sql.NullInt64
	conn.QueryRowContext(ctx, "SELECT IS_USED_LOCK(?)", name).Scan(&who)
	conn.Close()
	return nil, who.Int64, nil
}

// Check reports ErrLostLead when the lock's connection no longer holds it.
func (l *Lead) Check(ctx context.Context) error {
	var mine sql.NullBool
	if err := l.conn.QueryRowContext(ctx, "SELECT IS_USED_LOCK(?) = CONNECTION_ID()", l.name).Scan(&mine); err != nil || !mine.Valid || !mine.Bool {
		return fmt.Errorf("%w (%v)", ErrLostLead, err)
	}
	return nil
}

// Release gives the lead up.
func (l *Lead) Release() {
	if l == nil {
		return
	}
	l.conn.ExecContext(context.Background(), "DO RELEASE_LOCK(?)", l.name)
	l.conn.Close()
}
