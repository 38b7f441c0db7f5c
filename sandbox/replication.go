package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ReplicaStatus is the part of SHOW SLAVE STATUS the sandbox cares about.
type ReplicaStatus struct {
	MasterHost    string
	MasterPort    int
	UsingGTID     string // No, Slave_Pos or Current_Pos
	IORunning     string // Yes, No, Connecting, Preparing
	SQLRunning    string // Yes or No
	SecondsBehind int64  // -1 when unknown (NULL)
	GTIDSlavePos  string
	GTIDIOPos     string
	LastIOError   string
	LastSQLError  string
}

// Running reports whether both replication threads run.
func (r *ReplicaStatus) Running() bool {
	return r != nil && r.IORunning == "Yes" && r.SQLRunning == "Yes"
}

// ReplicaStatus reads SHOW SLAVE STATUS; nil (and no error) when the server
// has no replication configured.
func (s *Server) ReplicaStatus(ctx context.Context) (*ReplicaStatus, error) {
	if !s.Running() {
		return nil, fmt.Errorf("%s: %w", s.Addr, errNotRunning)
	}
	rows, err := s.admin().QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Addr, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		return nil, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	m := make(map[string]sql.NullString, len(cols))
	for i, c := range cols {
		m[c] = vals[i]
	}
	st := &ReplicaStatus{
		MasterHost:   m["Master_Host"].String,
		UsingGTID:    m["Using_Gtid"].String,
		IORunning:    m["Slave_IO_Running"].String,
		SQLRunning:   m["Slave_SQL_Running"].String,
		GTIDIOPos:    m["Gtid_IO_Pos"].String,
		LastIOError:  m["Last_IO_Error"].String,
		LastSQLError: m["Last_SQL_Error"].String,
	}
	rows.Close()
	// SHOW SLAVE STATUS has no Gtid_Slave_Pos column (only SHOW ALL SLAVES STATUS does).
	if st.GTIDSlavePos, err = s.QueryValue(ctx, "SELECT @@GLOBAL.gtid_slave_pos"); err != nil {
		return nil, err
	}
	st.MasterPort, _ = strconv.Atoi(m["Master_Port"].String)
	st.SecondsBehind = -1
	if v := m["Seconds_Behind_Master"]; v.Valid {
		st.SecondsBehind, _ = strconv.ParseInt(v.String, 10, 64)
	}
	return st, nil
}

// wireReplication points a replica at its primary with GTID positioning
// and starts the replication threads. A replica already replicating from the
// right primary is left alone.
func (s *Server) wireReplication(ctx context.Context, p *Server) error {
	if p == nil {
		return fmt.Errorf("%s: primary %s is not part of the sandbox", s.Addr, s.Primary)
	}
	st, err := s.ReplicaStatus(ctx)
	if err != nil {
		return err
	}
	if st != nil && st.MasterHost == p.Host && st.MasterPort == p.Port && strings.EqualFold(st.UsingGTID, "Slave_Pos") {
		if st.Running() {
			return nil
		}
		// Configured but stopped (restart, or an error): start it again.
		return s.Exec(ctx, "START SLAVE")
	}
	s.sb.logf("%s: replicating from %s", s.Addr, p.Addr)
	if err := s.Exec(ctx, "STOP SLAVE"); err != nil {
		return err
	}
	change := fmt.Sprintf("CHANGE MASTER TO MASTER_HOST=%s, MASTER_PORT=%d, MASTER_USER=%s, MASTER_PASSWORD=%s, "+
		"MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
		quote(p.Host), p.Port, quote(ReplUser), quote(ReplPassword))
	if err := s.Exec(ctx, change); err != nil {
		return err
	}
	return s.Exec(ctx, "START SLAVE")
}

// waitReplicating waits until both replication threads report Yes.
func (s *Server) waitReplicating(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.sb.opts.ReplicationTimeout)
	defer cancel()
	var last *ReplicaStatus
	for {
		st, err := s.ReplicaStatus(ctx)
		if err != nil && ctx.Err() == nil {
			return err
		}
		if st.Running() {
			return nil
		}
		if st != nil {
			last = st
		}
		select {
		case <-ctx.Done():
			if last == nil {
				return fmt.Errorf("%s: replication is not configured", s.Addr)
			}
			return fmt.Errorf("%s: replication from %s not running after %s: io=%s sql=%s io_error=%q sql_error=%q",
				s.Addr, s.Primary, s.sb.opts.ReplicationTimeout, last.IORunning, last.SQLRunning, last.LastIOError, last.LastSQLError)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// WaitReplicated waits until every running replica has applied everything
// its running primary has written (its @@gtid_binlog_pos at the time of the
// call). Stopped servers are skipped; a replica whose replication threads
// stopped with an error fails the wait.
func (sb *Sandbox) WaitReplicated(ctx context.Context) error {
	var jobs []func() error
	for _, p := range sb.servers {
		if p.Role != RolePrimary || !p.Running() {
			continue
		}
		pos, err := p.QueryValue(ctx, "SELECT @@GLOBAL.gtid_binlog_pos")
		if err != nil {
			return err
		}
		for _, r := range sb.Replicas(p.Cluster) {
			if !r.Running() {
				continue
			}
			jobs = append(jobs, func() error { return r.waitGTID(ctx, pos) })
		}
	}
	return parallel(jobs)
}

// waitGTID waits until the replica's gtid_slave_pos reaches pos.
func (s *Server) waitGTID(ctx context.Context, pos string) error {
	if pos == "" {
		return nil
	}
	for {
		v, err := s.QueryValue(ctx, "SELECT MASTER_GTID_WAIT(?, 1)", pos)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: waiting for GTID %s: %w", s.Addr, pos, ctx.Err())
			}
			return err
		}
		if v == "0" {
			return nil
		}
		// Timed out for this round: fail fast when replication broke.
		st, err := s.ReplicaStatus(ctx)
		if err != nil {
			return err
		}
		if st == nil {
			return fmt.Errorf("%s: replication is not configured", s.Addr)
		}
		if st.SQLRunning == "No" || (st.IORunning == "No" && st.LastIOError != "") {
			return fmt.Errorf("%s: replication stopped while waiting for GTID %s: io=%s sql=%s io_error=%q sql_error=%q",
				s.Addr, pos, st.IORunning, st.SQLRunning, st.LastIOError, st.LastSQLError)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: waiting for GTID %s (at %s): %w", s.Addr, pos, st.GTIDSlavePos, err)
		}
	}
}

// parallel runs the jobs concurrently and joins their errors.
func parallel(jobs []func() error) error {
	errs := make([]error, len(jobs))
	done := make(chan struct{})
	for i, job := range jobs {
		go func() {
			errs[i] = job()
			done <- struct{}{}
		}()
	}
	for range jobs {
		<-done
	}
	return errors.Join(errs...)
}
