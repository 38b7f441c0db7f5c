package session

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/strata-proxy/strata/sqlparse"
	"github.com/strata-proxy/strata/wire"
)

// COM_STMT_BULK_EXECUTE's flag that the client wants one answer per row,
// which Strata does not offer (no BULK_UNIT_RESULTS capability).
const bulkUnitResults = 64

// Parameter indicators of a bulk row: each value is preceded by one.
const (
	indicatorNone    = 0 // a value follows
	indicatorNull    = 1
	indicatorDefault = 2
	indicatorIgnore  = 3 // leave the column as it is (UPDATE), DEFAULT in an INSERT
)

// bulkPlaced runs a COM_STMT_BULK_EXECUTE of a statement over sharded or
// placed tables, whose rows may belong to different shards. A Node.js app
// on MariaDB's connector gets one answer for its batch only from a bulk
// execution (it falls back to one execution per row, and then answers the
// app with an array of them), and Connector/J sends batches so with
// useBulkStmts. An INSERT or REPLACE of one VALUES row runs as one
// multi-row statement, all of it or none, as one server runs the batch
// (one of several, each all or none, past maxBulkStatement);
// any other statement runs row by row, stopping at the first that fails
// with the rows before it done, as on one server. Either way the client
// hears one OK with the rows affected in all, or the error.
func (s *Session) bulkPlaced(ctx context.Context, st *prepared, packet []byte) error {
	if binary.LittleEndian.Uint16(packet[5:])&bulkUnitResults != 0 {
		return s.refuse(errMalformed("COM_STMT_BULK_EXECUTE asked for per-row results, which Strata did not offer"))
	}
	switch st.facts.Kind {
	case sqlparse.KindInsert, sqlparse.KindReplace, sqlparse.KindUpdate, sqlparse.KindDelete:
	default:
		// One server's own answer to a bulk execution of a read.
		return s.refuse(wire.NewError(wire.ErUnsupportedPS, "This command is not supported in the prepared statement protocol yet"))
	}
	if st.facts.Returning != "" {
		return s.refuse(wire.NewError(wire.ErNotSupportedYet,
			"Strata: a batch (COM_STMT_BULK_EXECUTE) of a statement with RETURNING over sharded tables is not supported; execute it once per row"))
	}
	inserts := st.facts.Kind == sqlparse.KindInsert || st.facts.Kind == sqlparse.KindReplace
	rows, err := st.bulkArgs(packet, s.charset, inserts)
	if errors.Is(err, errBulkIgnore) {
		return s.refuse(wire.NewError(wire.ErNotSupportedYet,
			"Strata: a batch (COM_STMT_BULK_EXECUTE) that leaves a column unchanged (STMT_INDICATOR_IGNORE) in an UPDATE over sharded tables is not supported; execute such rows one at a time"))
	}
	if err != nil {
		return s.refuse(errMalformed(err.Error()))
	}
	if len(rows) == 0 {
		return s.WriteOK()
	}
	mode := s.readingMode()
	if texts, ok := mode.BulkInsert(st.sql, rows, maxBulkStatement); ok {
		if len(texts) == 1 {
			return s.Query(ctx, append([]byte{wire.ComQuery}, texts[0]...))
		}
		return s.bulkEach(ctx, texts)
	}
	texts := make([]string, len(rows))
	for i, row := range rows {
		bound, n := mode.BindPlaceholders(st.sql, row)
		if n != len(row) {
			return s.refuse(errMalformed(fmt.Sprintf("COM_STMT_BULK_EXECUTE row %d has %d values for %d placeholders", i+1, len(row), n)))
		}
		texts[i] = bound
	}
	return s.bulkEach(ctx, texts)
}

// maxBulkStatement bounds the text of a statement a batch of INSERT rows
// is written as. Written out, values take more room than in the batch's
// binary form (a BIGINT's 8 bytes are 20 digits, a blob's bytes twice as
// many hex digits), so one statement for the connector's batch of up to
// max_allowed_packet bytes could pass the servers' max_allowed_packet
// (16 MB by default). A longer batch runs as several statements, one
// after the other, each all of its rows or none.
const maxBulkStatement = 4 << 20

// bulkEach runs a batch's statements (one per row, or one per part of an
// INSERT's rows), each as a query of its own with its answer held back,
// and answers the client once: an OK with the rows affected in all and
// the first id generated, or the first error, after which nothing more
// runs.
func (s *Session) bulkEach(ctx context.Context, texts []string) error {
	out, seq := s.client.W, s.client.Seq
	var held bytes.Buffer
	var sum bulkSum
	for _, text := range texts {
		if s.killing.Load() {
			// A KILL QUERY that came between two rows, which the next
			// row's start would forget: the batch stops, as on one server.
			return s.refuse(wire.NewError(wire.ErQueryInterrupted, "Query execution was interrupted"))
		}
		held.Reset()
		s.client.W, s.client.Seq = bufio.NewWriter(&held), seq
		err := s.Query(ctx, append([]byte{wire.ComQuery}, text...))
		if ferr := s.client.W.Flush(); err == nil {
			err = ferr
		}
		s.client.W, s.client.Seq = out, seq
		if err != nil {
			return err
		}
		answer, ok := firstPayload(held.Bytes())
		if !ok || len(answer) == 0 || answer[0] != wire.HeaderOK {
			// An error (or anything but an OK) is the batch's answer,
			// as the server numbered it.
			if _, err := out.Write(held.Bytes()); err != nil {
				return err
			}
			return out.Flush()
		}
		sum.add(answer)
	}
	return s.client.WriteFlush(wire.AppendOK(nil, wire.HeaderOK, sum.affected, sum.insertID, s.Status(), sum.warnings))
}

// bulkSum adds up the OKs of a batch's rows.
type bulkSum struct {
	affected, insertID uint64
	warnings           uint16
}

func (b *bulkSum) add(packet []byte) {
	ok, _ := wire.ParseOK(packet)
	b.affected += ok.AffectedRows
	if b.insertID == 0 {
		b.insertID = ok.LastInsertID
	}
	b.warnings = uint16(min(uint32(b.warnings)+uint32(ok.Warnings), math.MaxUint16))
}

// firstPayload is the payload of the first packet in data.
func firstPayload(data []byte) ([]byte, bool) {
	if len(data) < 4 {
		return nil, false
	}
	n := int(data[0]) | int(data[1])<<8 | int(data[2])<<16
	if len(data) < 4+n {
		return nil, false
	}
	return data[4 : 4+n], true
}

// Errors of a bulk row Strata cannot write as text.
var (
	errBulkRowNoParams = protoError("COM_STMT_BULK_EXECUTE sent rows for a statement without parameters")
	// errBulkIgnore: an UPDATE's "leave this column" has no literal.
	errBulkIgnore = errors.New("bulk IGNORE indicator outside an INSERT")
)

// bulkArgs reads the rows of a COM_STMT_BULK_EXECUTE as SQL literals, one
// slice per row with one literal per placeholder: each value preceded by
// its indicator, a NULL or DEFAULT written as the word. inserts: the
// statement is an INSERT or REPLACE, where IGNORE is DEFAULT.
func (st *prepared) bulkArgs(packet []byte, charset string, inserts bool) ([][]string, error) {
	values := packet[7:]
	if binary.LittleEndian.Uint16(packet[5:])&bulkSendTypes != 0 {
		values = values[2*st.params:] // captureBulkTypes checked the length
	}
	if len(st.types) < 2*st.params {
		return nil, errBulkNoTypes
	}
	var rows [][]string
	for len(values) > 0 {
		if st.params == 0 {
			return nil, errBulkRowNoParams
		}
		row := make([]string, st.params)
		for i := range row {
			if len(values) == 0 {
				return nil, errShort
			}
			indicator := values[0]
			values = values[1:]
			switch indicator {
			case indicatorNull:
				row[i] = "NULL"
				continue
			case indicatorIgnore:
				if !inserts {
					return nil, errBulkIgnore
				}
				row[i] = "DEFAULT"
				continue
			case indicatorDefault:
				row[i] = "DEFAULT"
				continue
			case indicatorNone:
			default:
				return nil, fmt.Errorf("COM_STMT_BULK_EXECUTE parameter %d has an unknown indicator %d", i+1, indicator)
			}
			typ, unsigned := st.types[2*i], st.types[2*i+1]&0x80 != 0
			if typ == paramNull {
				row[i] = "NULL"
				continue
			}
			lit, n, err := decodeParam(typ, unsigned, values, charset)
			if err != nil {
				return nil, fmt.Errorf("row %d parameter %d: %w", len(rows)+1, i+1, err)
			}
			row[i], values = lit, values[n:]
		}
		rows = append(rows, row)
	}
	return rows, nil
}
