package sqlparse

import (
	"errors"
	"reflect"
	"slices"
	"testing"
)

func TestDeriveApart(t *testing.T) {
	// users lives apart from the written tables; likes (by entry_id) is
	// sharded like entries (by id) and stays when joined on its key: the
	// callback decides, as Strata's layout does.
	apart := func(read string, _ []string, joins []WrittenJoin) bool {
		onKey := slices.ContainsFunc(joins, func(j WrittenJoin) bool { return j.Column == "entry_id" && j.WrittenColumn == "id" })
		return read == "users" || read == "likes" && !onKey
	}
	tests := []struct{ name, sql, want string }{
		{
			"the read table's own conditions go with it",
			"UPDATE entries e JOIN users u ON u.id = e.user_id SET e.status = 'banned' WHERE u.karma = 9 AND e.score > 1",
			"UPDATE `entries` AS `e` JOIN (SELECT * FROM `users` AS `u` WHERE `u`.`karma`=9) AS `u` ON `u`.`id`=`e`.`user_id` SET `e`.`status`='banned' WHERE `u`.`karma`=9 AND `e`.`score`>1",
		},
		{
			"a comma join, set from the read table",
			"UPDATE entries e, users u SET e.score = u.karma WHERE u.id = e.user_id",
			"UPDATE (`entries` AS `e`) JOIN (SELECT * FROM `users` AS `u`) AS `u` SET `e`.`score`=`u`.`karma` WHERE `u`.`id`=`e`.`user_id`",
		},
		{
			// WHERE never filters the inner side of an outer join (its
			// NULL rows are what IS NULL looks for); the ON does.
			"an outer join's inner side",
			"UPDATE entries e LEFT JOIN users u ON u.id = e.user_id AND u.karma > 3 SET e.score = 0 WHERE u.id IS NULL",
			"UPDATE `entries` AS `e` LEFT JOIN (SELECT * FROM `users` AS `u` WHERE `u`.`karma`>3) AS `u` ON `u`.`id`=`e`.`user_id` AND `u`.`karma`>3 SET `e`.`score`=0 WHERE `u`.`id` IS NULL",
		},
		{
			"DELETE, a table joined on its key stays",
			"DELETE l FROM likes l JOIN entries e ON e.id = l.entry_id JOIN users u ON u.id = e.user_id WHERE u.karma = 1",
			"DELETE `l` FROM (`likes` AS `l` JOIN `entries` AS `e` ON `e`.`id`=`l`.`entry_id`) JOIN (SELECT * FROM `users` AS `u` WHERE `u`.`karma`=1) AS `u` ON `u`.`id`=`e`.`user_id` WHERE `u`.`karma`=1",
		},
		{
			"a table not joined to the written one is read first",
			"DELETE e FROM entries e JOIN likes l ON l.user_id = e.user_id WHERE l.w > 4",
			"DELETE `e` FROM `entries` AS `e` JOIN (SELECT * FROM `likes` AS `l` WHERE `l`.`w`>4) AS `l` ON `l`.`user_id`=`e`.`user_id` WHERE `l`.`w`>4",
		},
	}
	for _, tt := range tests {
		got, err := Mode{}.DeriveApart(tt.sql, nil, apart)
		if err != nil || got != tt.want {
			t.Errorf("%s:\ngot  %s (%v)\nwant %s", tt.name, got, err, tt.want)
		}
	}
	// The joins the callback sees: the read table's equalities with the
	// written ones, whichever side the statement names first.
	var seen []WrittenJoin
	_, _ = Mode{}.DeriveApart("DELETE l FROM likes l JOIN entries e ON e.id = l.entry_id WHERE l.w = 1", nil, func(read string, written []string, joins []WrittenJoin) bool {
		if read == "entries" {
			seen = joins
		}
		return false
	})
	if want := []WrittenJoin{{Column: "id", Written: "likes", WrittenColumn: "entry_id"}}; !reflect.DeepEqual(seen, want) {
		t.Errorf("joins of entries with likes: %+v, want %+v", seen, want)
	}
	got, err := Mode{}.DeriveApart("DELETE e FROM entries e JOIN users u ON u.id = e.user_id WHERE u.karma = ?", []string{"9"}, apart)
	if want := "DELETE `e` FROM `entries` AS `e` JOIN (SELECT * FROM `users` AS `u` WHERE `u`.`karma`=9) AS `u` ON `u`.`id`=`e`.`user_id` WHERE `u`.`karma`=9"; err != nil || got != want {
		t.Errorf("prepared: %s (%v)", got, err)
	}
	for _, sql := range []string{
		"UPDATE entries e JOIN users u ON u.id = e.user_id SET score = 1", // whose score: only the schema knows
		"UPDATE entries e JOIN likes l ON l.entry_id = e.id SET e.score = 1",
		"UPDATE entries SET score = 1 WHERE id = 3",
		"DELETE FROM entries WHERE id = 3",
		"SELECT * FROM entries e JOIN users u ON u.id = e.user_id",
	} {
		if _, err := (Mode{}).DeriveApart(sql, nil, apart); !errors.Is(err, ErrNotMaterialized) {
			t.Errorf("%s: err = %v, want ErrNotMaterialized", sql, err)
		}
	}
}
