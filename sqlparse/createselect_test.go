package sqlparse

import "testing"

// A plain CREATE TABLE ... SELECT is read with its parts; forms with
// definitions, options or duplicate handling of their own are not.
func TestCreateSelect(t *testing.T) {
	c, ok := Mode{}.CreateSelect("CREATE TEMPORARY TABLE IF NOT EXISTS blog.Totals AS SELECT g, SUM(n) AS total FROM t GROUP BY g")
	if !ok || c.Table != "`blog`.`Totals`" || c.Name != "totals" || !c.Temporary || !c.IfNotExists || c.Select != "SELECT `g`,SUM(`n`) AS `total` FROM `t` GROUP BY `g`" {
		t.Fatalf("CreateSelect = %+v, %v", c, ok)
	}
	if got, want := c.ShapeSQL(), "CREATE TEMPORARY TABLE `strata_create_select_shape` AS SELECT `g`,SUM(`n`) AS `total` FROM `t` GROUP BY `g` LIMIT 0"; got != want {
		t.Errorf("ShapeSQL = %s\nwant        %s", got, want)
	}
	shape := "CREATE TEMPORARY TABLE `strata_create_select_shape` (\n  `g` int(11) DEFAULT NULL,\n  `total` decimal(32,0) DEFAULT NULL\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
	rows := PulledTable{Columns: []string{"g", "total"}, Nulls: []string{"NULL", "NULL"}, Rows: [][]string{{"1", "30"}, {"2", "5"}}}
	got, ok := c.WithRows(shape, rows)
	want := "CREATE TEMPORARY TABLE IF NOT EXISTS `blog`.`Totals` (\n  `g` int(11) DEFAULT NULL,\n  `total` decimal(32,0) DEFAULT NULL\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 SELECT * FROM (SELECT 1 AS `g`, 30 AS `total` UNION ALL SELECT 2, 5) AS `strata_rows`"
	if !ok || got != want {
		t.Errorf("WithRows = %s\nwant       %s", got, want)
	}
	lim, _ := Mode{}.CreateSelect("CREATE TABLE top2 SELECT g FROM t ORDER BY g LIMIT 5, 2")
	if got, want := lim.ShapeSQL(), "CREATE TEMPORARY TABLE `strata_create_select_shape` AS SELECT `g` FROM `t` ORDER BY `g` LIMIT 0"; got != want || lim.Select != "SELECT `g` FROM `t` ORDER BY `g` LIMIT 5,2" {
		t.Errorf("a SELECT with a LIMIT: shape %s, select %s", got, lim.Select)
	}
	if _, ok := c.WithRows("CREATE TABLE `other` (`g` int)", rows); ok {
		t.Error("WithRows took another table's definition")
	}
	for _, sql := range []string{
		"CREATE TABLE t (id INT PRIMARY KEY) SELECT id FROM u",
		"CREATE TABLE t ENGINE=MyISAM SELECT id FROM u",
		"CREATE TABLE t IGNORE SELECT id FROM u",
		"CREATE TABLE t LIKE u",
		"CREATE TABLE t (id INT)",
		"SELECT 1",
	} {
		if _, ok := (Mode{}).CreateSelect(sql); ok {
			t.Errorf("CreateSelect(%q) read as a plain CREATE TABLE ... SELECT", sql)
		}
	}
}
