package sqlparse

import "testing"

// A schema change of a date table runs once per period table, with the
// period table's name in place of the table's and every other byte as the
// client wrote it.
func TestTableDDLFor(t *testing.T) {
	tests := []struct {
		sql, table, want string
	}{
		{"ALTER TABLE posts ADD COLUMN note VARCHAR(20)", "posts", "ALTER TABLE `posts_2024_06` ADD COLUMN note VARCHAR(20)"},
		{"alter online ignore table if exists blog.`posts` add index (views), algorithm=inplace", "posts", "alter online ignore table if exists blog.`posts_2024_06` add index (views), algorithm=inplace"},
		{"ALTER /* why */ TABLE posts RENAME COLUMN a TO b", "posts", "ALTER /* why */ TABLE `posts_2024_06` RENAME COLUMN a TO b"},
		{"CREATE UNIQUE INDEX IF NOT EXISTS by_title ON posts (title)", "posts", "CREATE UNIQUE INDEX IF NOT EXISTS by_title ON `posts_2024_06` (title)"},
		{"CREATE OR REPLACE INDEX i USING BTREE ON blog.posts (a) COMMENT 'on posts'", "posts", "CREATE OR REPLACE INDEX i USING BTREE ON blog.`posts_2024_06` (a) COMMENT 'on posts'"},
		{"DROP INDEX IF EXISTS i ON `po``sts`", "po`sts", "DROP INDEX IF EXISTS i ON `posts_2024_06`"},
		{"TRUNCATE posts", "posts", "TRUNCATE `posts_2024_06`"},
		{"truncate table blog.posts", "posts", "truncate table blog.`posts_2024_06`"},
	}
	for _, tt := range tests {
		d, err := Mode{}.ParseTableDDL(tt.sql)
		if err != nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		if d.Table != tt.table {
			t.Errorf("%s: table %q, want %q", tt.sql, d.Table, tt.table)
		}
		if got := d.For("posts_2024_06"); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.sql, got, tt.want)
		}
	}
	// CREATE TABLE and DROP TABLE of the table itself: its period tables
	// are made LIKE it, or dropped with it.
	for _, tt := range []struct {
		sql, like, drop string
		creates         bool
	}{
		{"CREATE TABLE IF NOT EXISTS blog.posts (id INT, at DATETIME, v INT GENERATED ALWAYS AS (id + 1))", "CREATE TABLE IF NOT EXISTS blog.`p_1` LIKE blog.`posts`", "", true},
		{"create table `posts` like template", "CREATE TABLE IF NOT EXISTS `p_1` LIKE `posts`", "", true},
		{"DROP TABLE IF EXISTS posts;", "", "DROP TABLE IF EXISTS `p_1`;", false},
	} {
		d, err := Mode{}.ParseTableDDL(tt.sql)
		if err != nil || d.Creates != tt.creates || d.Drops == tt.creates {
			t.Errorf("%s: %+v %v", tt.sql, d, err)
			continue
		}
		if tt.creates && d.CreateLike("p_1") != tt.like {
			t.Errorf("%s: CreateLike = %s, want %s", tt.sql, d.CreateLike("p_1"), tt.like)
		}
		if !tt.creates && d.For("p_1") != tt.drop {
			t.Errorf("%s: For = %s, want %s", tt.sql, d.For("p_1"), tt.drop)
		}
	}
	for _, sql := range []string{
		"DROP TABLE posts, comments",
		"DROP TEMPORARY TABLE posts",
		"CREATE TABLE posts AS SELECT * FROM old_posts",
		"CREATE TABLE posts SELECT 1 AS id",
		"CREATE TEMPORARY TABLE posts (id INT)",
		"ALTER TABLE posts RENAME TO old_posts",
		"ALTER TABLE posts RENAME old_posts",
		"RENAME TABLE posts TO old_posts",
		"CREATE VIEW v AS SELECT * FROM posts",
		"ALTER DATABASE blog CHARACTER SET utf8mb4",
	} {
		if _, err := (Mode{}).ParseTableDDL(sql); err == nil {
			t.Errorf("%s: accepted, want refused", sql)
		}
	}
}

// A LOAD DATA into a date table loads each period table: the statement
// with its name in place of the table's.
func TestParseLoadTable(t *testing.T) {
	d, err := Mode{}.ParseLoadTable("LOAD DATA LOCAL INFILE 'into table x.csv' IGNORE INTO TABLE blog.posts FIELDS TERMINATED BY ',' (id, created_at)")
	if err != nil || d.Table != "posts" {
		t.Fatalf("%+v %v", d, err)
	}
	if got, want := d.For("posts_2024"), "LOAD DATA LOCAL INFILE 'into table x.csv' IGNORE INTO TABLE blog.`posts_2024` FIELDS TERMINATED BY ',' (id, created_at)"; got != want {
		t.Errorf("For:\n got %s\nwant %s", got, want)
	}
	if _, err := (Mode{}).ParseLoadTable("LOAD XML LOCAL INFILE 'a.xml'"); err == nil {
		t.Error("a statement without INTO TABLE accepted")
	}
}
