package shardops

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxZoneAnswers bounds the answers a ZoneReader keeps (it starts over
// past it).
const maxZoneAnswers = 10000

// ZoneReader reads a TIMESTAMP literal written in a session's time_zone
// as the servers' own time_zone writes the same moment, asking a shard's
// primary (CONVERT_TZ, with the server's time zone tables and daylight
// saving rules), and keeps the answers. It is safe for concurrent use.
type ZoneReader struct {
	// Asked, when set, is called for each literal a server is asked to
	// read (a metric): set it before the reader is used.
	Asked   func()
	open    Opener
	mu      sync.Mutex
	answers map[string]string     // zone NUL literal -> the servers' literal
	servers map[string]serverZone // cluster -> its primary's time_zone
}

// serverZone is a primary's global time_zone and the system zone it
// stands for when it is SYSTEM, as read at a time.
type serverZone struct {
	global, system string
	read           time.Time
}

// serverZoneAge is how long a primary's time_zone is taken as read.
const serverZoneAge = time.Minute

// NewZoneReader reads through the primaries open gives.
func NewZoneReader(open Opener) *ZoneReader {
	return &ZoneReader{open: open, answers: map[string]string{}, servers: map[string]serverZone{}}
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
	servers, err := z.serverZone(ctx, db, cluster)
	if err != nil {
		return "", err
	}
	if SameZone(zone, servers.global, servers.system) {
		return literal, nil // a session at +00:00 on servers in UTC: no round trip
	}
	if z.Asked != nil {
		z.Asked()
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

// serverZone is cluster's primary's time_zone, read at most once a
// minute.
func (z *ZoneReader) serverZone(ctx context.Context, db *sql.DB, cluster string) (serverZone, error) {
	z.mu.Lock()
	sz, ok := z.servers[cluster]
	z.mu.Unlock()
	if ok && time.Since(sz.read) < serverZoneAge {
		return sz, nil
	}
	if err := db.QueryRowContext(ctx, "SELECT @@global.time_zone, @@system_time_zone").Scan(&sz.global, &sz.system); err != nil {
		return sz, fmt.Errorf("reading the time_zone of %s: %w", cluster, err)
	}
	sz.read = time.Now()
	z.mu.Lock()
	z.servers[cluster] = sz
	z.mu.Unlock()
	return sz, nil
}

// SameZone reports whether a session's time_zone zone reads every
// TIMESTAMP literal as the servers' global time_zone does (system: the
// zone SYSTEM stands for): the same name, or two fixed offsets that are
// equal ("+00:00" and a system zone of UTC). Anything else (a named zone
// with daylight saving, an abbreviation such as CET) is not known to be
// the same.
func SameZone(zone, global, system string) bool {
	if strings.EqualFold(zone, global) {
		return true
	}
	if strings.EqualFold(global, "SYSTEM") {
		global = system
	}
	a, okA := fixedOffset(zone)
	b, okB := fixedOffset(global)
	return okA && okB && a == b
}

// fixedOffset is the offset in minutes of a zone that never changes it:
// "+02:00", "-05:30", UTC.
func fixedOffset(zone string) (int, bool) {
	switch strings.ToUpper(zone) {
	case "UTC", "GMT", "Z", "ETC/UTC", "ETC/GMT", "UNIVERSAL", "ZULU":
		return 0, true
	}
	if len(zone) < 4 || (zone[0] != '+' && zone[0] != '-') {
		return 0, false
	}
	h, m, ok := strings.Cut(zone[1:], ":")
	hours, errH := strconv.Atoi(h)
	minutes, errM := strconv.Atoi(m)
	if !ok || errH != nil || errM != nil || minutes < 0 || minutes > 59 || hours < 0 || hours > 14 {
		return 0, false
	}
	offset := hours*60 + minutes
	if zone[0] == '-' {
		offset = -offset
	}
	return offset, true
}
