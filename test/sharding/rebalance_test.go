package sharding

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-proxy/strata/shardops"
	"github.com/strata-proxy/strata/test/testenv"
)

// rebalanceRow is a comments row planted on a shard as a layout change
// would leave it: on another shard than its key's owner.
type rebalanceRow struct {
	id, key int
	on      string // where it is planted
	body    string
}

// strata shards rebalance moves the rows a shard holds but the layout
// places on another (what a range split or a new shard leaves behind) to
// their owner, values intact: without -apply it only lists them; a copy an
// interrupted run left on both shards is removed from the old one; a row
// that differs between the two is left on both and reported. Afterwards
// strata shards verify finds only that conflict, and Strata finds the
// moved rows by their key.
func TestRebalanceMovesRowsToTheirShard(t *testing.T) {
	db := strataDB(t)
	cleanup(t, "comments", "id BETWEEN 9300800 AND 9300899")
	k0, k1, k3 := keyOn("s0", 9300800), keyOn("s1", 9300800), keyOn("s3", 9300800)
	planted := []rebalanceRow{
		{9300801, k0, "s2", "ça va, Zoë"},
		{9300802, k1, "s2", `it's \ "quoted"`},
		{9300803, k0, "s1", "second"},
		{9300804, k0, "s2", "third"},
		{9300805, k3, "s1", "left by an interrupted run"},
		{9300805, k3, "s3", "left by an interrupted run"},
		{9300806, k0, "s2", "old"},
		{9300806, k0, "s0", "new"},
	}
	for _, r := range planted {
		if _, err := direct[r.on].Exec("INSERT INTO blog.comments (id, entry_id, author, body, votes, created) VALUES (?, ?, NULL, ?, 7, '2024-02-29 10:11:12')", r.id, r.key, r.body); err != nil {
			t.Fatal(err)
		}
	}
	const cols = "id, entry_id, IFNULL(author, 'NULL'), body, votes, created"
	before := testenv.Strings(t, direct["s2"], "SELECT "+cols+" FROM blog.comments WHERE id BETWEEN 9300801 AND 9300804 ORDER BY id")
	before = append(before, testenv.Strings(t, direct["s1"], "SELECT "+cols+" FROM blog.comments WHERE id = 9300803")...)
	layout, open := controlPlane(t)

	dry, err := shardops.Rebalance(t.Context(), layout, open, "blog", "comments", 2, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := summarize(dry); got != "s1>s0:1 s1>s3:1 s2>s0:3 s2>s1:1" {
		t.Fatalf("dry run found %s", got)
	}
	if got := holders(t, "comments", "id = 9300801"); !slices.Equal(got, []string{"s2"}) {
		t.Fatalf("the dry run moved a row: it is on %v", got)
	}

	reps, err := shardops.Rebalance(t.Context(), layout, open, "blog", "comments", 2, true)
	if err != nil {
		t.Fatal(err)
	}
	var moved, resolved int64
	var conflicts []string
	for _, r := range reps {
		if r.Error != "" {
			t.Errorf("%s > %s: %s", r.From, r.To, r.Error)
		}
		moved, resolved, conflicts = moved+r.Moved, resolved+r.Resolved, append(conflicts, r.Conflicts...)
	}
	if moved != 4 || resolved != 1 || !slices.Equal(conflicts, []string{"9300806"}) {
		t.Fatalf("moved %d, resolved %d, conflicts %v; want 4, 1 and the row 9300806", moved, resolved, conflicts)
	}
	for id, owner := range map[int]string{9300801: "s0", 9300802: "s1", 9300803: "s0", 9300804: "s0", 9300805: "s3"} {
		if got := holders(t, "comments", "id = "+strconv.Itoa(id)); !slices.Equal(got, []string{owner}) {
			t.Errorf("row %d is on %v, want only %s", id, got, owner)
		}
	}
	if got := holders(t, "comments", "id = 9300806"); !slices.Equal(got, []string{"s0", "s2"}) {
		t.Errorf("the conflicting row is on %v, want left on s0 and s2", got)
	}
	after := testenv.Strings(t, db, "SELECT "+cols+" FROM comments WHERE id BETWEEN 9300801 AND 9300804 ORDER BY id")
	slices.Sort(before)
	if !slices.Equal(after, before) {
		t.Fatalf("the moved rows through Strata:\n%s\nbefore the move:\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
	for _, r := range verifyLayout(t, "comments") {
		want := int64(0)
		if r.Shard == "s2" {
			want = 1 // the conflict
		}
		if r.Misplaced != want {
			t.Errorf("verify after rebalance: comments on %s has %d misplaced rows, want %d", r.Shard, r.Misplaced, want)
		}
	}
}

// summarize lists a rebalance's groups as "from>to:rows", sorted.
func summarize(reps []shardops.RebalanceReport) string {
	var out []string
	for _, r := range reps {
		out = append(out, r.From+">"+r.To+":"+strconv.FormatInt(r.Rows, 10))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// The instance that reads the layout after a range split listens here.
const (
	splitAddr  = "127.0.0.1:25408"
	splitAdmin = "127.0.0.1:25488"
)

// A range split as an operator does it: the config gives events 500..1000
// to s1 (s0 kept ..1000 before), strata shards rebalance moves those rows
// from s0 to s1, and a Strata with the new layout finds every one of them
// by key and by range; then the old layout is put back the same way.
func TestRebalanceAfterARangeSplit(t *testing.T) {
	strataDB(t)
	oldYAML := times.strataYAML(splitAddr, splitAdmin)
	newYAML := strings.Replace(oldYAML, `s0: "..1000", s1: "1000..2000"`, `s0: "..500", s1: "500..2000"`, 1)
	if newYAML == oldYAML {
		t.Fatal("the events ranges of the test config changed; update this test")
	}
	const split = "id >= 500 AND id < 1000"
	want := testenv.Strings(t, direct["single"], "SELECT id, IFNULL(kind, 'NULL'), IFNULL(amount, 'NULL') FROM blog.events WHERE "+split+" ORDER BY id")
	if len(want) == 0 {
		t.Fatal("the data has no events between 500 and 1000")
	}
	rebalance := func(yaml string) int64 {
		l, open := controlPlaneOf(t, yaml)
		reps, err := shardops.Rebalance(t.Context(), l, open, "blog", "events", 100, true)
		if err != nil {
			t.Fatal(err)
		}
		var moved int64
		for _, r := range reps {
			if r.Error != "" || len(r.Conflicts) > 0 || r.Moved != r.Rows {
				t.Fatalf("rebalance: %+v", r)
			}
			moved += r.Moved
		}
		for _, r := range shardops.Verify(t.Context(), l, open, "blog", "events", 3) {
			if r.Misplaced != 0 || r.Error != "" {
				t.Fatalf("verify after rebalance: %+v", r)
			}
		}
		return moved
	}

	if moved := rebalance(newYAML); moved != int64(len(want)) {
		t.Fatalf("the split moved %d rows, want the %d events between 500 and 1000", moved, len(want))
	}
	if got := holders(t, "events", split); !slices.Equal(got, []string{"s1"}) {
		t.Fatalf("after the split events 500..1000 are on %v, want s1", got)
	}
	cfg, err := parseConfig(newYAML)
	if err != nil {
		t.Fatal(err)
	}
	st, err := startConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	db := openStrata(t, splitAddr)
	got := testenv.Strings(t, db, "SELECT id, IFNULL(kind, 'NULL'), IFNULL(amount, 'NULL') FROM events WHERE "+split+" ORDER BY id")
	one, _, _ := strings.Cut(want[len(want)/2], "|")
	byKey := testenv.Strings(t, db, "SELECT COUNT(*) FROM events WHERE id = "+one)
	if !slices.Equal(got, want) || !slices.Equal(byKey, []string{"1"}) {
		t.Fatalf("through Strata with the new layout: %d rows (event %s found %v times), want %d", len(got), one, byKey, len(want))
	}

	if moved := rebalance(oldYAML); moved != int64(len(want)) {
		t.Fatalf("putting the old layout back moved %d rows, want %d", moved, len(want))
	}
	if got := holders(t, "events", split); !slices.Equal(got, []string{"s0"}) {
		t.Fatalf("after the old layout came back events 500..1000 are on %v, want s0", got)
	}
}

// A row no shard owns (an order whose customer has no lookup entry) is not
// moved anywhere: rebalance lists it, with why, and moves the others.
func TestRebalanceLeavesRowsThatBelongNowhere(t *testing.T) {
	strataDB(t)
	cleanup(t, "orders", "id BETWEEN 9300900 AND 9300999")
	if _, err := direct["s0"].Exec("INSERT INTO blog.orders (id, customer_id, total) VALUES (9300901, 987654321, 1.00)"); err != nil {
		t.Fatal(err)
	}
	layout, open := controlPlane(t)
	reps, err := shardops.Rebalance(t.Context(), layout, open, "blog", "orders", 100, true)
	if err != nil {
		t.Fatal(err)
	}
	var nowhere []shardops.RebalanceReport
	for _, r := range reps {
		if r.To == "" {
			nowhere = append(nowhere, r)
		} else if r.Error != "" || r.Moved != r.Rows {
			t.Errorf("%+v", r)
		}
	}
	if len(nowhere) != 1 || nowhere[0].From != "s0" || nowhere[0].Rows != 1 || !strings.Contains(nowhere[0].Error, "no lookup entry") {
		t.Fatalf("rows placed nowhere: %+v, want the order on s0 listed with its reason", nowhere)
	}
	if got := holders(t, "orders", "id = 9300901"); !slices.Equal(got, []string{"s0"}) {
		t.Fatalf("the order is on %v, want left on s0", got)
	}
}

// Old periods given to an archive shard (the seed's "move last year's
// comments to a separate database"): strata shards rebalance moves each
// period table's rows to the shard that now owns the period, creating the
// table there, and a Strata with the new layout reads every row.
func TestRebalanceMovesPeriodTablesToTheirShard(t *testing.T) {
	strataDB(t)
	y := time.Now().UTC().Year()
	dropYearlyTable(t, "arch_posts", y)
	for _, sh := range []string{"s0", "s1", "s2"} {
		if _, err := direct[sh].Exec("CREATE TABLE blog.arch_posts (id BIGINT PRIMARY KEY, created_at DATETIME NOT NULL, title VARCHAR(40) NOT NULL)"); err != nil {
			t.Fatal(err)
		}
	}
	layoutLine := func(old string) string {
		return fmt.Sprintf(`arch_posts: {shard_key: created_at, method: date, period: year, since: "%d-01-01", ahead: 1, shards: {%s: "..%d-01-01", s1: "%d-01-01.."}}`, y-3, old, y-1, y-1)
	}
	before := startOwn(t, ownConfig(t, layoutLine("s0"), ""))
	db := testenv.Open(t, testenv.DSN(before.MySQLAddr(), "app", "app", "blog"))
	for year, sh := range map[int]string{y - 3: "s0", y - 2: "s0", y - 1: "s1"} {
		if _, err := direct[sh].Exec(fmt.Sprintf("CREATE TABLE IF NOT EXISTS blog.arch_posts_%d LIKE blog.arch_posts", year)); err != nil {
			t.Fatal(err)
		}
	}
	rows := fmt.Sprintf("(1, '%[1]d-03-01', 'a'), (2, '%[1]d-07-01', 'b'), (3, '%[2]d-01-05', 'c'), (4, '%[2]d-12-31 23:59:59', 'd'), (5, '%[3]d-06-01', 'e'), (6, '%[4]d-01-01', 'f')", y-3, y-2, y-1, y)
	if _, err := db.Exec("INSERT INTO arch_posts (id, created_at, title) VALUES " + rows); err != nil {
		t.Fatal(err)
	}
	want := testenv.Strings(t, db, "SELECT id, created_at, title FROM arch_posts ORDER BY created_at")

	yaml := strings.Replace(times.strataYAML("127.0.0.1:0", "127.0.0.1:0"), "tables:\n", "tables:\n  "+layoutLine("s2")+"\n", 1)
	layout, open := controlPlaneOf(t, yaml)
	dry, err := shardops.Rebalance(t.Context(), layout, open, "blog", "arch_posts", 1, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := summarize(dry); got != "s0>s2:2 s0>s2:2" {
		t.Fatalf("dry run found %s, want two period tables of 2 rows from s0 to s2", got)
	}
	reps, err := shardops.Rebalance(t.Context(), layout, open, "blog", "arch_posts", 1, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Error != "" || r.Moved != 2 {
			t.Errorf("%s %s > %s: moved %d, %s", r.Table, r.From, r.To, r.Moved, r.Error)
		}
	}
	for year := y - 3; year < y-1; year++ {
		table := fmt.Sprintf("arch_posts_%d", year)
		if got := holders(t, table, "1"); !slices.Equal(got, []string{"s2"}) {
			t.Errorf("rows of %s are on %v, want only s2", table, got)
		}
	}
	after := startOwn(t, ownConfig(t, layoutLine("s2"), ""))
	got := testenv.Strings(t, testenv.Open(t, testenv.DSN(after.MySQLAddr(), "app", "app", "blog")), "SELECT id, created_at, title FROM arch_posts ORDER BY created_at")
	if len(want) != 6 || !slices.Equal(got, want) {
		t.Errorf("through Strata with the archive shard:\n got %q\nwant %q", got, want)
	}
}

// Moving one lookup key (a big customer to a shard of its own), with its
// writes stopped: strata shards move-key moves its rows in every table its
// lookup table places, then points the key at the new shard there, and a
// reload makes the running Strata read the lookup table again; from then
// on it reads and writes the key on the new shard.
func TestMovingALookupKeyToAnotherShard(t *testing.T) {
	strataDB(t)
	direct["main"].Exec("DROP TABLE IF EXISTS blog.ten_lookup")
	createOn(t, "CREATE TABLE blog.ten_lookup (tenant INT PRIMARY KEY, shard VARCHAR(64) NOT NULL)", "blog.ten_lookup", "main")
	resetMoveTable(t, "ten_items", "CREATE TABLE IF NOT EXISTS blog.ten_items (id BIGINT PRIMARY KEY, tenant INT NOT NULL, v INT NOT NULL)")
	resetMoveTable(t, "ten_notes", "CREATE TABLE IF NOT EXISTS blog.ten_notes (id BIGINT PRIMARY KEY, tenant INT NOT NULL, note VARCHAR(20) NOT NULL)")
	lines := `ten_items: {shard_key: tenant, method: lookup, lookup_table: ten_lookup, lookup_cluster: main, shards: [s0, s1, s2, s3]}
  ten_notes: {shard_key: tenant, method: lookup, lookup_table: ten_lookup, lookup_cluster: main, shards: [s0, s1, s2, s3]}`
	cfg := ownConfig(t, lines, "")
	s := startOwn(t, cfg)
	db := testenv.Open(t, testenv.DSN(s.MySQLAddr(), "app", "app", "blog"))
	var items, notes []string
	for id := 1; id <= 40; id++ {
		items = append(items, fmt.Sprintf("(%d, %d, %d)", id, id%4+1, id))
		notes = append(notes, fmt.Sprintf("(%d, %d, 'n%d')", id, id%4+1, id))
	}
	for table, values := range map[string][]string{"ten_items (id, tenant, v)": items, "ten_notes (id, tenant, note)": notes} {
		if _, err := db.Exec("INSERT INTO " + table + " VALUES " + strings.Join(values, ", ")); err != nil {
			t.Fatal(err)
		}
	}
	const tenantRows = "SELECT (SELECT COUNT(*) FROM ten_items WHERE tenant = 3), (SELECT SUM(v) FROM ten_items WHERE tenant = 3), (SELECT COUNT(*) FROM ten_notes WHERE tenant = 3)"
	want := testenv.Strings(t, db, tenantRows) // tenant 3's shard is now cached
	from := testenv.Strings(t, direct["main"], "SELECT shard FROM blog.ten_lookup WHERE tenant = 3")[0]
	to := map[string]string{"s0": "s1", "s1": "s2", "s2": "s3", "s3": "s0"}[from]

	yaml := strings.Replace(times.strataYAML("127.0.0.1:0", "127.0.0.1:0"), "tables:\n", "tables:\n  "+lines+"\n", 1)
	layout, open := controlPlaneOf(t, yaml)
	dry, err := shardops.MoveKey(t.Context(), layout, open, "blog", "ten_notes", "3", to, 4, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := summarize(dry); got != from+">"+to+":10 "+from+">"+to+":10" {
		t.Fatalf("the dry run lists %s, want tenant 3's 10 rows of each table from %s to %s", got, from, to)
	}
	if got := testenv.Strings(t, direct["main"], "SELECT shard FROM blog.ten_lookup WHERE tenant = 3")[0]; got != from {
		t.Fatalf("the dry run changed the lookup entry to %s", got)
	}
	reps, err := shardops.MoveKey(t.Context(), layout, open, "blog", "ten_notes", "3", to, 4, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Error != "" || r.Moved != 10 {
			t.Errorf("%s: moved %d, %s", r.Table, r.Moved, r.Error)
		}
	}
	for _, table := range []string{"ten_items", "ten_notes"} {
		if got := holders(t, table, "tenant = 3"); !slices.Equal(got, []string{to}) {
			t.Fatalf("tenant 3's rows of %s are on %v, want %s", table, got, to)
		}
	}
	if got := testenv.Strings(t, direct["main"], "SELECT shard FROM blog.ten_lookup WHERE tenant = 3")[0]; got != to {
		t.Fatalf("the lookup entry names %s after the move, want %s", got, to)
	}
	// Until the reload the running Strata still places the key by the
	// lookup table as it read it: why the key's writes stop first.
	if got := testenv.Strings(t, db, tenantRows); got[0] != "0|NULL|0" {
		t.Fatalf("before the reload: %v (a cached key read the old shard, which the test relies on to show the reload's part)", got)
	}
	if _, _, err := s.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if got := testenv.Strings(t, db, tenantRows); !slices.Equal(got, want) {
		t.Errorf("after the reload tenant 3 reads %v, want %v", got, want)
	}
	if _, err := db.Exec("INSERT INTO ten_items (id, tenant, v) VALUES (41, 3, 41)"); err != nil {
		t.Fatal(err)
	}
	if got := holders(t, "ten_items", "tenant = 3"); !slices.Equal(got, []string{to}) {
		t.Errorf("after a new write tenant 3's rows are on %v, want only %s", got, to)
	}
	// Run again, it has nothing left to do.
	if again, err := shardops.MoveKey(t.Context(), layout, open, "blog", "ten_items", "3", to, 4, true); err != nil || len(again) != 0 {
		t.Errorf("a second move-key: %v %v, want nothing to do", again, err)
	}
}
