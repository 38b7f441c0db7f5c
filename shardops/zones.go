package shardops

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// maxZoneAnswers bounds the answers a ZoneReader keeps (it starts over
// past it).
const maxZoneAnswers = 10000

// ZoneReader reads a TIMESTAMP literal written in a session's time_zone
// as the servers' own time_zone writes the same moment, asking a shard's
// primary (CONVERT_TZ, with the server's time zone tables and daylight
// saving rules), and keeps the answers. It is safe for concurrent use.
type ZoneReader struct {
	open    Opener
	mu      sync.Mutex
	answers map[string]string // zone NUL literal -> the servers' literal
}

// NewZoneReader reads through the primaries open gives.
func NewZoneReader(open Opener) *ZoneReader {
	return &ZoneReader{open: open, answers: map[string]string{}}
}

// FromZone is literal, read in time_zone zone, as cluster's primary
// writes that moment in its global time_zone.
func (z *ZoneReader) FromZone(ctx context.Context, cluster, literal, zone string) (string, error) {
	key := zone + "\x00" + literal
	z.mu.Lock()
	got, ok := z.answers[key]
	z.mu.Unlock()
	if ok {
		return got, nil
	}
	db, err := z.open(cluster)
	if err != nil {
		return "", err
	}
	var moment sql.NullString
	err = db.QueryRowContext(ctx, "SELECT CAST(CONVERT_TZ(?, ?, @@global.time_zone) AS CHAR)", literal, zone).Scan(&moment)
	switch {
	case err != nil:
		return "", fmt.Errorf("asking %s: %w", cluster, err)
	case !moment.Valid:
		return "", errors.New("the server reads no moment in it (a time zone without its tables, or not a time)")
	}
	z.mu.Lock()
	if len(z.answers) >= maxZoneAnswers {
		z.answers = map[string]string{}
	}
	z.answers[key] = moment.String
	z.mu.Unlock()
	return moment.String, nil
}
