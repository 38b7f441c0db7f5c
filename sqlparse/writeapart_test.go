package sqlparse

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
)

func TestWriteApart(t *testing.T) {
	// users lives apart from the written tables; likes (by entry_id) is
	// sharded like entries (by id) and stays when joined on its key: the
	// callback decides, as Strata's layout does.
	apart := func(read string, _ []string, joins []WrittenJoin) bool {
		onKey := slices.ContainsFunc(joins, func(j WrittenJoin) bool { return j.Column == "entry_id" && j.WrittenColumn == "id" })
		return read == "users" || read == "likes" && !onKey
	}
	// Each table read is rendered as a marker naming its alias; reads
	// lists each one's statement.
	tests := []struct {
		name, sql string
		reads     []string
		want      string
	}{
		{
			"the read table's own conditions go with it",
			"UPDATE entries e JOIN users u ON u.id = e.user_id SET e.status = 'banned' WHERE u.karma = 9 AND e.score > 1",
			[]string{"SELECT * FROM `users` AS `u` WHERE `u`.`karma`=9"},
			"UPDATE `entries` AS `e` JOIN (SELECT /* u */) AS `u` ON `u`.`id`=`e`.`user_id` SET `e`.`status`='banned' WHERE `u`.`karma`=9 AND `e`.`score`>1",
		},
		{
			"a comma join, set from the read table",
			"UPDATE entries e, users u SET e.score = u.karma WHERE u.id = e.user_id",
			[]string{"SELECT * FROM `users` AS `u`"},
			"UPDATE (`entries` AS `e`) JOIN (SELECT /* u */) AS `u` SET `e`.`score`=`u`.`karma` WHERE `u`.`id`=`e`.`user_id`",
		},
		{
			// WHERE never filters the inner side of an outer join (its
			// NULL rows are what IS NULL looks for); the ON does.
			"an outer join's inner side",
			"UPDATE entries e LEFT JOIN users u ON u.id = e.user_id AND u.karma > 3 SET e.score = 0 WHERE u.id IS NULL",
			[]string{"SELECT * FROM `users` AS `u` WHERE `u`.`karma`>3"},
			"UPDATE `entries` AS `e` LEFT JOIN (SELECT /* u */) AS `u` ON `u`.`id`=`e`.`user_id` AND `u`.`karma`>3 SET `e`.`score`=0 WHERE `u`.`id` IS NULL",
		},
		{
			"DELETE, a table joined on its key stays",
			"DELETE l FROM likes l JOIN entries e ON e.id = l.entry_id JOIN users u ON u.id = e.user_id WHERE u.karma = 1",
			[]string{"SELECT * FROM `users` AS `u` WHERE `u`.`karma`=1"},
			"DELETE `l` FROM (`likes` AS `l` JOIN `entries` AS `e` ON `e`.`id`=`l`.`entry_id`) JOIN (SELECT /* u */) AS `u` ON `u`.`id`=`e`.`user_id` WHERE `u`.`karma`=1",
		},
		{
			"a table not joined on the key is read",
			"DELETE e FROM entries e JOIN likes l ON l.user_id = e.user_id WHERE l.w > 4",
			[]string{"SELECT * FROM `likes` AS `l` WHERE `l`.`w`>4"},
			"DELETE `e` FROM `entries` AS `e` JOIN (SELECT /* l */) AS `l` ON `l`.`user_id`=`e`.`user_id` WHERE `l`.`w`>4",
		},
		{
			// A correlated subquery's table, with its own conditions;
			// the outer (written) table is never read.
			"orphans: a one-table DELETE with NOT EXISTS",
			"DELETE FROM entries WHERE status = 'x' AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = entries.user_id AND u.karma >= 0)",
			[]string{"SELECT * FROM `users` AS `u` WHERE `u`.`karma`>=0"},
			"DELETE FROM `entries` WHERE `status`='x' AND NOT EXISTS (SELECT 1 FROM (SELECT /* u */) AS `u` WHERE `u`.`id`=`entries`.`user_id` AND `u`.`karma`>=0)",
		},
		{
			// A table inside a subquery inside a subquery is read as
			// well when it lives apart, even where the subquery's own
			// table stays in place (likes joined on the key).
			"a table apart in a subquery's subquery",
			"DELETE FROM entries WHERE NOT EXISTS (SELECT 1 FROM likes l WHERE l.entry_id = entries.id AND EXISTS (SELECT 1 FROM users u WHERE u.id = l.user_id AND u.karma > 3))",
			[]string{"SELECT * FROM `users` AS `u` WHERE `u`.`karma`>3"},
			"DELETE FROM `entries` WHERE NOT EXISTS (SELECT 1 FROM `likes` AS `l` WHERE `l`.`entry_id`=`entries`.`id` AND EXISTS (SELECT 1 FROM (SELECT /* u */) AS `u` WHERE `u`.`id`=`l`.`user_id` AND `u`.`karma`>3))",
		},
		{
			"a one-table UPDATE set from a subquery, SET columns unqualified",
			"UPDATE entries e SET title = (SELECT name FROM users u WHERE u.id = e.user_id) WHERE e.id < 10",
			[]string{"SELECT * FROM `users` AS `u`"},
			"UPDATE `entries` AS `e` SET `title`=(SELECT `name` FROM (SELECT /* u */) AS `u` WHERE `u`.`id`=`e`.`user_id`) WHERE `e`.`id`<10",
		},
	}
	for _, tt := range tests {
		w, err := Mode{}.WriteApart(tt.sql, nil, apart)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var reads []string
		var marks []PulledTable
		for _, i := range w.Reads {
			reads = append(reads, w.Query(i, nil))
			marks = append(marks, PulledTable{Text: fmt.Sprintf("SELECT /* %s */", w.Tables[i].Alias)})
		}
		got, err := w.Render(marks)
		if !slices.Equal(reads, tt.reads) || err != nil || got != tt.want {
			t.Errorf("%s:\nreads %q\nwant  %q\ngot  %s (%v)\nwant %s", tt.name, reads, tt.reads, got, err, tt.want)
		}
	}
	// The joins the callback sees: the read table's equalities with the
	// written ones, whichever side the statement names first.
	var seen []WrittenJoin
	_, _ = Mode{}.WriteApart("DELETE l FROM likes l JOIN entries e ON e.id = l.entry_id WHERE l.w = 1", nil, func(read string, written []string, joins []WrittenJoin) bool {
		if read == "entries" {
			seen = joins
		}
		return false
	})
	if want := []WrittenJoin{{Column: "id", Written: "likes", WrittenColumn: "entry_id"}}; !reflect.DeepEqual(seen, want) {
		t.Errorf("joins of entries with likes: %+v, want %+v", seen, want)
	}
	w, err := Mode{}.WriteApart("DELETE e FROM entries e JOIN users u ON u.id = e.user_id WHERE u.karma = ?", []string{"9"}, apart)
	if err != nil || len(w.Reads) != 1 || w.Query(w.Reads[0], nil) != "SELECT * FROM `users` AS `u` WHERE `u`.`karma`=9" {
		t.Errorf("prepared: %+v (%v)", w, err)
	}
	for _, sql := range []string{
		"UPDATE entries e JOIN users u ON u.id = e.user_id SET score = 1", // whose score: only the schema knows
		"UPDATE entries e JOIN likes l ON l.entry_id = e.id SET e.score = 1",
		"UPDATE entries SET score = 1 WHERE id = 3",
		"DELETE FROM entries WHERE id = 3",
		"DELETE FROM entries WHERE id IN (SELECT entry_id FROM likes l WHERE l.entry_id = entries.id)", // on the key: stays
		"SELECT * FROM entries e JOIN users u ON u.id = e.user_id",
	} {
		if _, err := (Mode{}).WriteApart(sql, nil, apart); !errors.Is(err, ErrNotMaterialized) {
			t.Errorf("%s: err = %v, want ErrNotMaterialized", sql, err)
		}
	}
}
