package sharding

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// The models of a Go app on GORM over the blog's sharded tables.
type gormComment struct {
	ID      int64 `gorm:"primaryKey;autoIncrement:false"`
	EntryID int64
	Author  *string
	Body    string
	Votes   *int
	Created *time.Time
}

func (gormComment) TableName() string { return "comments" }

type gormEntry struct {
	ID       int64 `gorm:"primaryKey;autoIncrement:false"`
	UserID   int64
	Title    *string
	Score    *int
	Status   string
	Comments []gormComment `gorm:"foreignKey:EntryID"`
}

func (gormEntry) TableName() string { return "entries" }

type gormPost struct {
	ID        int64 `gorm:"primaryKey;autoIncrement:false"`
	CreatedAt time.Time
	Author    *string
	Title     string
}

func (gormPost) TableName() string { return "posts" }

// A Go app's reads and writes over the sharded tables through GORM on
// go-sql-driver/mysql, with and without GORM's cached prepared
// statements. GORM wraps every Create, Save, Update and Delete in a
// transaction of its own (BEGIN, the write, COMMIT), so its saves and
// deletes by primary key (comments are sharded by entry_id) are a
// transaction's first write over every shard, which narrows to the row's
// shard (narrow.go); CreateInBatches over several shards commits as the
// same INSERT in autocommit would. Also finds with OFFSET, counts,
// aggregates, Preload and Joins, upserts with OnConflict, FirstOrCreate,
// a locking read by primary key in db.Transaction, and a date-sharded
// row. Every answer equals the single server's.
func TestGORMOverShardsLikeOneServer(t *testing.T) {
	strataDB(t)
	for _, prepared := range []bool{false, true} {
		t.Run(fmt.Sprintf("PrepareStmt %v", prepared), func(t *testing.T) {
			want := gormSameAsOneServer(t, strataAddr, prepared)
			for _, line := range []string{"duplicate: 1062", `batches: "4 rows"`, `saved: "1 rows"`, `locked: "1 rows"`, `transaction: "\u003cnil\u003e"`, "left: 0"} {
				if !strings.Contains(strings.Join(want, "\n"), line) {
					t.Errorf("%q missing from\n%s", line, strings.Join(want, "\n"))
				}
			}
		})
	}
}

// gormSameAsOneServer runs the GORM workload against the single server
// and through the Strata instance at addr, checks that every answer is the
// same, and returns the single server's.
func gormSameAsOneServer(t *testing.T, addr string, prepared bool) []string {
	t.Helper()
	want := gormWorkload(t, gormOpen(t, clusterAddr["single"], "root", "", prepared))
	got := gormWorkload(t, gormOpen(t, addr, "app", "app", prepared))
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("GORM through Strata differs from the single server:%s", lineDiff(g, w))
	}
	return want
}

func gormOpen(t *testing.T, addr, user, pass string, prepared bool) *gorm.DB {
	t.Helper()
	dsn := fmt.Sprintf("%s:%s@tcp(%s)/blog?parseTime=true&loc=UTC&charset=utf8mb4", user, pass, addr)
	db, err := gorm.Open(mysql.Open(dsn), &gorm.Config{PrepareStmt: prepared, Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	return db
}

// gormWorkload runs the app's statements and returns what each answered,
// one line each.
func gormWorkload(t *testing.T, db *gorm.DB) []string {
	t.Helper()
	var out []string
	show := func(label string, v any) { out = append(out, label+": "+asJSON(v)) }
	result := func(label string, r *gorm.DB) {
		var me *gomysql.MySQLError
		switch {
		case errors.As(r.Error, &me):
			show(label, me.Number)
		case r.Error != nil:
			show(label, r.Error.Error())
		default:
			show(label, fmt.Sprintf("%d rows", r.RowsAffected))
		}
	}
	mine := "author = 'gorm'"
	db.Where(mine).Delete(&gormComment{})
	db.Where(mine).Delete(&gormPost{})

	// Reads as models write them.
	for _, entry := range []int{1, 2, 3} {
		var cs []gormComment
		result(fmt.Sprintf("comments of %d", entry), db.Where("entry_id = ?", entry).Order("id").Find(&cs))
		show(fmt.Sprintf("comments of %d rows", entry), cs)
	}
	var page []gormComment
	result("page", db.Order("id desc").Limit(5).Offset(10).Find(&page))
	show("page rows", page)
	var n, distinct int64
	db.Model(&gormComment{}).Where("votes > ?", 3).Count(&n)
	db.Model(&gormComment{}).Distinct("entry_id").Count(&distinct)
	show("counts", []int64{n, distinct})
	var sums []struct {
		EntryID int64
		Total   int64
	}
	db.Model(&gormComment{}).Select("entry_id, SUM(votes) AS total").Where("votes > ?", 3).Group("entry_id").Order("total DESC, entry_id").Limit(5).Scan(&sums)
	show("votes by entry", sums)
	var first gormComment
	result("first", db.First(&first))
	var byKey gormComment
	result("by primary key", db.First(&byKey, first.ID))
	show("by primary key row", byKey)
	// Entries whose ids are comments' entry_ids (comments are sharded by
	// entry_id, entries hashed by id: not on the same shards).
	db.Where("id IN ? AND status = 'gorm'", []int64{1, 2, 3}).Delete(&gormEntry{})
	for id := range int64(3) {
		title := fmt.Sprintf("gorm entry %d", id+1)
		result(fmt.Sprintf("entry %d", id+1), db.Create(&gormEntry{ID: id + 1, UserID: 1, Title: &title, Status: "gorm"}))
	}
	var entries []gormEntry
	result("preloaded", db.Preload("Comments", func(q *gorm.DB) *gorm.DB { return q.Order("id") }).Where("id IN ?", []int64{1, 2, 3}).Order("id").Find(&entries))
	show("preloaded rows", entries)
	var joined []struct {
		ID    int64
		Title *string
		N     int64
	}
	db.Table("entries").Select("entries.id, entries.title, COUNT(comments.id) AS n").Joins("LEFT JOIN comments ON comments.entry_id = entries.id").
		Where("entries.id IN ?", []int64{1, 2, 3}).Group("entries.id, entries.title").Order("entries.id").Scan(&joined)
	show("joined", joined)

	// Writes: each in GORM's own transaction.
	author := "gorm"
	for i := range 6 {
		votes := i
		result(fmt.Sprintf("create %d", i), db.Create(&gormComment{ID: 986100 + int64(i), EntryID: 1 + int64(i), Author: &author, Body: fmt.Sprintf("row %d ünïcödé", i), Votes: &votes}))
	}
	result("duplicate", db.Create(&gormComment{ID: 986100, EntryID: 1, Author: &author, Body: "dup"}))
	batch := make([]gormComment, 4)
	for i := range batch {
		batch[i] = gormComment{ID: 986110 + int64(i), EntryID: 1 + int64(i)*3, Author: &author, Body: fmt.Sprintf("batch %d", i)}
	}
	result("batches", db.CreateInBatches(batch, 10))
	// 986110 is on entry 1's shard, as is entry 5 (modulo 4): the upsert
	// sets its shard key, and the row stays where it is.
	result("upsert", db.Clauses(clause.OnConflict{UpdateAll: true}).Create(&[]gormComment{
		{ID: 986110, EntryID: 5, Author: &author, Body: "upserted"}, {ID: 986114, EntryID: 2, Author: &author, Body: "new"}}))
	var found gormComment
	result("first or create", db.Where(gormComment{ID: 986120}).Attrs(gormComment{EntryID: 2, Author: &author, Body: "created"}).FirstOrCreate(&found))
	var saved gormComment
	db.First(&saved, 986103)
	saved.Body = "saved"
	result("saved", db.Save(&saved)) // BEGIN; UPDATE comments SET every column WHERE id = ?; COMMIT
	result("updated", db.Model(&gormComment{ID: 986104}).Update("votes", gorm.Expr("votes + ?", 5)))
	result("updated many", db.Model(&gormComment{}).Where("author = ? AND entry_id <= ?", "gorm", 3).Update("votes", gorm.Expr("COALESCE(votes, 0) + 10")))
	err := db.Transaction(func(tx *gorm.DB) error {
		var c gormComment
		// Locked by primary key: the transaction goes on on its shard.
		r := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&c, 986101)
		result("locked", r)
		if r.Error != nil {
			return r.Error
		}
		c.Body = "in transaction"
		if err := tx.Save(&c).Error; err != nil {
			return err
		}
		// Entry 6 is on entry 2's shard, where the transaction is.
		return tx.Create(&gormComment{ID: 986130, EntryID: 6, Author: &author, Body: "tx insert"}).Error
	})
	show("transaction", fmt.Sprint(err))
	err = db.Transaction(func(tx *gorm.DB) error {
		tx.Create(&gormComment{ID: 986131, EntryID: 2, Author: &author, Body: "undone"})
		return errors.New("roll back")
	})
	show("rolled back", fmt.Sprint(err))
	result("deleted by key", db.Delete(&gormComment{}, 986105))
	result("post", db.Create(&gormPost{ID: 986200, CreatedAt: time.Date(2025, 5, 3, 10, 0, 0, 0, time.UTC), Author: &author, Title: "dated"}))
	var post gormPost
	result("post by id", db.First(&post, 986200))
	show("post row", post)
	var written []gormComment
	db.Where(mine).Order("id").Find(&written)
	show("written", written)
	result("deleted", db.Where(mine).Delete(&gormComment{}))
	result("posts deleted", db.Where(mine).Delete(&gormPost{}))
	result("entries deleted", db.Where("id IN ? AND status = 'gorm'", []int64{1, 2, 3}).Delete(&gormEntry{}))
	var left int64
	db.Model(&gormComment{}).Where(mine).Count(&left)
	show("left", left)
	return out
}

// asJSON prints a value as JSON: pointers followed, times in UTC.
func asJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "unprintable: " + err.Error()
	}
	return string(b)
}
