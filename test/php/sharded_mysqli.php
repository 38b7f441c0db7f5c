<?php
// Reads and writes over the sharded tables of test/sharding through mysqli
// (the API WordPress uses), printed so the test can compare Strata
// (sharded) with the single server (test/sharding/php_test.go). mysqlnd
// gives prepared statements' values PHP types by their columns' types, so
// a column typed otherwise than on one server shows. The rows it writes
// are deleted again.
// usage: php sharded_mysqli.php HOST PORT USER PASSWORD
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
[$_, $host, $port, $user, $pass] = $argv;
$m = new mysqli($host, $user, $pass, 'blog', (int)$port);
$m->set_charset('utf8mb4');

function show(string $label, $value): void {
    echo $label, ': ', json_encode($value, JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION), "\n";
}

// A prepared read: its rows with their PHP types, and its columns' types.
function prepared(mysqli $m, string $label, string $sql, string $types = '', array $args = []): void {
    $st = $m->prepare($sql);
    if ($types !== '') {
        $st->bind_param($types, ...$args);
    }
    $st->execute();
    $res = $st->get_result();
    show($label, $res->fetch_all(MYSQLI_ASSOC));
    show("$label types", array_map(fn($f) => $f->name . ' ' . $f->type, $res->fetch_fields()));
    $st->close();
}

function tryWrite(mysqli $m, string $label, callable $write): void {
    try {
        show($label, $write());
    } catch (mysqli_sql_exception $e) {
        show($label, 'error ' . $e->getCode() . ' ' . $e->getSqlState());
    }
}

$m->query("DELETE FROM comments WHERE author LIKE 'php-%'");
foreach ([1, 2, 3] as $entry) {
    prepared($m, "comments of $entry", 'SELECT id, author, votes, created FROM comments WHERE entry_id = ? ORDER BY id', 'i', [$entry]);
}
prepared($m, 'votes by entry', 'SELECT entry_id, COUNT(*) AS n, SUM(votes) AS s, AVG(votes) AS a, MAX(created) AS latest FROM comments WHERE votes > ? GROUP BY entry_id ORDER BY SUM(votes) DESC, entry_id LIMIT 5', 'i', [3]);
prepared($m, 'page', 'SELECT id, entry_id FROM comments ORDER BY id DESC LIMIT ?, ?', 'ii', [10, 5]);
prepared($m, 'computed', "SELECT ? / 3 AS third, ? + 1 AS whole, ? AS s, ? + 0.5 AS half, COUNT(*) AS n FROM comments WHERE votes > ?", 'disdi', [1.0, 41, "it's", 2.25, 3]);
prepared($m, 'posts by time', 'SELECT id, title, created_at FROM posts WHERE created_at >= ? ORDER BY created_at, id LIMIT 3', 's', ['2024-03-01']);
// WordPress's paging: SQL_CALC_FOUND_ROWS, then FOUND_ROWS().
$r = $m->query('SELECT SQL_CALC_FOUND_ROWS id FROM comments WHERE votes > 5 ORDER BY id LIMIT 3');
show('found rows page', $r->fetch_all(MYSQLI_ASSOC));
show('found rows', $m->query('SELECT FOUND_ROWS() AS n')->fetch_all(MYSQLI_ASSOC));
// Text reads: mysqli's text results are strings, the columns' types shown.
$r = $m->query('SELECT entry_id, COUNT(*) AS n, SUM(votes) AS s FROM comments WHERE entry_id IN (4, 5, 6) GROUP BY entry_id ORDER BY entry_id');
show('text grouped', $r->fetch_all(MYSQLI_ASSOC));
show('text grouped types', array_map(fn($f) => $f->name . ' ' . $f->type, $r->fetch_fields()));

// Writes: a prepared INSERT per row over the shards, with a blob sent in
// pieces (send_long_data), then one multi-row text INSERT.
$ins = $m->prepare('INSERT INTO comments (id, entry_id, author, body, votes) VALUES (?, ?, ?, ?, ?)');
$null = null;
foreach ([[940000, 1], [940001, 2], [940002, 3], [940003, 4]] as [$id, $entry]) {
    $author = 'php-mysqli';
    $votes = $id - 940000;
    $ins->bind_param('iisbi', $id, $entry, $author, $null, $votes);
    $ins->send_long_data(3, "long ");
    $ins->send_long_data(3, "body $id ünïcödé");
    $ins->execute();
    show("insert $id", [$ins->affected_rows, $ins->insert_id]);
}
$ins->close();
tryWrite($m, 'text insert', function () use ($m) {
    $m->query("INSERT INTO comments (id, entry_id, author, body) VALUES (940010, 5, 'php-mysqli', 'a'), (940011, 6, 'php-mysqli', 'b\\\\''c')");
    return [$m->affected_rows, $m->info];
});
tryWrite($m, 'duplicate', function () use ($m) {
    $st = $m->prepare("INSERT INTO comments (id, entry_id, author, body) VALUES (?, ?, 'php-dup', 'x')");
    $id = 940000;
    $entry = 1;
    $st->bind_param('ii', $id, $entry);
    $st->execute();
    return 'no error';
});
tryWrite($m, 'update', function () use ($m) {
    $st = $m->prepare('UPDATE comments SET votes = votes + ? WHERE author = ?');
    $by = 10;
    $author = 'php-mysqli';
    $st->bind_param('is', $by, $author);
    $st->execute();
    return [$st->affected_rows, $m->info];
});
// A transaction on one shard, committed, and one rolled back.
$m->begin_transaction();
$m->query("INSERT INTO comments (id, entry_id, author, body) VALUES (940020, 2, 'php-tx', 'kept')");
$m->commit();
$m->begin_transaction();
$m->query("INSERT INTO comments (id, entry_id, author, body) VALUES (940021, 2, 'php-tx', 'undone')");
$m->rollback();
prepared($m, 'written', "SELECT id, entry_id, author, body, votes FROM comments WHERE author LIKE ? ORDER BY id", 's', ['php-%']);
// Several statements in one query, over several shards.
$m->multi_query("SELECT COUNT(*) AS n FROM comments WHERE author LIKE 'php-%'; UPDATE comments SET votes = 0 WHERE entry_id = 1 AND author LIKE 'php-%'; SELECT SUM(votes) AS s FROM comments WHERE author LIKE 'php-%'");
$sets = [];
do {
    if ($r = $m->store_result()) {
        $sets[] = $r->fetch_all(MYSQLI_ASSOC);
    } else {
        $sets[] = ['affected' => $m->affected_rows];
    }
} while ($m->more_results() && $m->next_result());
show('multi', $sets);
tryWrite($m, 'delete', function () use ($m) {
    $m->query("DELETE FROM comments WHERE author LIKE 'php-%'");
    return $m->affected_rows;
});
