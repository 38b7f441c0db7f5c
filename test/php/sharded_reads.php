<?php
// Reads over the sharded tables of test/sharding through PDO, printed so
// the test can compare Strata (sharded) with the single server.
// usage: php sharded_reads.php HOST PORT USER PASSWORD MODE
// MODE is emulated or native (server-side prepared statements).
[$_, $host, $port, $user, $pass, $mode] = $argv;
$pdo = new PDO("mysql:host=$host;port=$port;dbname=blog;charset=utf8mb4", $user, $pass, [
    PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
    PDO::ATTR_EMULATE_PREPARES => $mode === 'emulated',
    PDO::ATTR_STRINGIFY_FETCHES => true,
]);

function show(string $label, array $rows): void {
    echo $label, ': ', json_encode($rows, JSON_UNESCAPED_UNICODE), "\n";
}

$comments = $pdo->prepare("SELECT id, author, body, votes FROM comments WHERE entry_id = ? ORDER BY id");
foreach ([1, 2, 3, 4, 5] as $entry) {
    $comments->execute([$entry]);
    show("comments of $entry", $comments->fetchAll(PDO::FETCH_ASSOC));
}
$st = $pdo->prepare("SELECT id, kind, amount FROM events WHERE id IN (?, ?, ?) ORDER BY id");
$st->execute([5, 1500, 2999]);
show('events in', $st->fetchAll(PDO::FETCH_ASSOC));
$st = $pdo->prepare("SELECT kind, COUNT(*) AS n, SUM(amount) AS total, AVG(qty) AS avg_qty FROM events WHERE id >= ? GROUP BY kind HAVING COUNT(*) > ? ORDER BY n DESC, kind");
$st->execute([100, 2]);
show('events by kind', $st->fetchAll(PDO::FETCH_ASSOC));
$st = $pdo->prepare("SELECT id, title, created_at FROM posts ORDER BY created_at DESC, id DESC LIMIT 5");
$st->execute();
show('last posts', $st->fetchAll(PDO::FETCH_ASSOC));
$st = $pdo->prepare("SELECT m.username, c.name FROM members m JOIN countries c ON c.code = m.country WHERE m.username >= ? ORDER BY m.username LIMIT 3");
$st->execute(['m']);
show('members from m', $st->fetchAll(PDO::FETCH_ASSOC));
$st = $pdo->query("SELECT COUNT(DISTINCT author) AS authors, MIN(created) AS first, MAX(votes) AS best FROM comments");
show('comment stats', $st->fetchAll(PDO::FETCH_ASSOC));
// Report queries: expressions over merged aggregates, a share of a total
// read by a subquery, aggregates of whole groups, an ORM-style filter by
// another sharded table.
$st = $pdo->prepare("SELECT qty, ROUND(AVG(amount), ?) AS avg_amount, COUNT(*) * 100 / (SELECT COUNT(*) FROM events) AS pct FROM events GROUP BY qty ORDER BY pct DESC, qty");
$st->execute([2]);
show('events share by qty', $st->fetchAll(PDO::FETCH_ASSOC));
$st = $pdo->prepare("SELECT entry_id, GROUP_CONCAT(votes ORDER BY votes) AS votes FROM comments WHERE entry_id <= ? GROUP BY entry_id");
$st->execute([6]);
show('votes per entry', $st->fetchAll(PDO::FETCH_ASSOC));
// The last three comments of each entry, with MariaDB's GROUP_CONCAT(...
// LIMIT n), which Strata's parser lacks: each entry's comments are on one
// shard, which runs it as written.
$st = $pdo->prepare("SELECT entry_id, GROUP_CONCAT(id ORDER BY id DESC LIMIT 3) AS last_three FROM comments WHERE entry_id <= ? GROUP BY entry_id ORDER BY entry_id DESC");
$st->execute([9]);
show('last three comments per entry', $st->fetchAll(PDO::FETCH_ASSOC));
$st = $pdo->prepare("SELECT id, title FROM entries WHERE id IN (SELECT entry_id FROM entry_likes WHERE weight > ?) ORDER BY id LIMIT 5");
$st->execute([3]);
show('entries with heavy likes', $st->fetchAll(PDO::FETCH_ASSOC));
// An ORM's eager load with a limit (Sequelize's include with limit): a
// page of entries as a derived table, LEFT JOINed with their likes.
$st = $pdo->prepare("SELECT e.id, e.title, l.id AS like_id FROM (SELECT id, title FROM entries WHERE status = ? ORDER BY id LIMIT ?) AS e LEFT OUTER JOIN entry_likes AS l ON e.id = l.entry_id ORDER BY e.id, l.id");
$st->bindValue(1, 'live');
$st->bindValue(2, 5, PDO::PARAM_INT);
$st->execute();
show('a page of entries with their likes', $st->fetchAll(PDO::FETCH_ASSOC));
// Laravel's nested whereHas('entries.likes', fn ($q) => $q->where('weight',
// '>', 3)): users (another cluster) with an EXISTS over entries holding
// an EXISTS over likes, as Laravel writes it, unqualified column and all.
$st = $pdo->prepare("select * from `users` where exists (select * from `entries` where `users`.`id` = `entries`.`user_id` and exists (select * from `entry_likes` where `entries`.`id` = `entry_likes`.`entry_id` and `weight` > ?)) and `karma` > ? order by `id` limit 10");
$st->execute([3, 4]);
show('users with heavily liked entries', $st->fetchAll(PDO::FETCH_ASSOC));
// Laravel's paginate() over a grouped query counts it through a derived
// table; a CTE and a UNION over sharded tables: each part runs first.
$st = $pdo->prepare("select count(*) as aggregate from (select entry_id, count(*) as n from comments where votes > ? group by entry_id) as aggregate_table");
$st->execute([2]);
show('page count of a grouped query', $st->fetchAll(PDO::FETCH_ASSOC));
$st = $pdo->prepare("WITH per_kind AS (SELECT kind, SUM(amount) AS total FROM events WHERE qty > ? GROUP BY kind) SELECT COUNT(*) AS kinds, MAX(total) AS top FROM per_kind");
$st->execute([1]);
show('totals per kind', $st->fetchAll(PDO::FETCH_ASSOC));
$st = $pdo->prepare("SELECT id FROM entries WHERE score > ? UNION SELECT entry_id FROM comments WHERE votes > ? ORDER BY id LIMIT 8");
$st->execute([7, 8]);
show('entries or commented', $st->fetchAll(PDO::FETCH_ASSOC));
// A recursive CTE over a sharded table: a chain of comment ids, each the
// one before plus 3, across shards; Strata follows it round by round.
$st = $pdo->prepare("WITH RECURSIVE chain AS (SELECT id, 0 AS hops FROM comments WHERE id = ? UNION ALL SELECT c.id, chain.hops + 1 FROM comments c JOIN chain ON c.id = chain.id + 3 WHERE chain.hops < ?) SELECT id, hops FROM chain ORDER BY hops");
$st->execute([30, 8]);
show('chain of comments', $st->fetchAll(PDO::FETCH_ASSOC));
// Tables sharded apart joined, and a ROLLUP: Strata reads the rows first.
$st = $pdo->prepare("SELECT m.username, c.id FROM members m JOIN comments c ON c.author = m.nick WHERE m.karma = ? AND m.age > ? ORDER BY m.username, c.id LIMIT 10");
$st->execute([5, 60]);
show('members and their comments', $st->fetchAll(PDO::FETCH_ASSOC));
$st = $pdo->prepare("SELECT qty, COUNT(*) AS n FROM events WHERE qty < ? GROUP BY qty WITH ROLLUP");
$st->execute([3]);
show('events rolled up', $st->fetchAll(PDO::FETCH_ASSOC));
// WordPress-style pagination: a page with SQL_CALC_FOUND_ROWS, then
// FOUND_ROWS() for the total; and FOUND_ROWS() after a plain read.
$st = $pdo->prepare("SELECT SQL_CALC_FOUND_ROWS id, author FROM comments WHERE votes > ? ORDER BY id DESC LIMIT 10, 5");
$st->execute([3]);
$page = $st->fetchAll(PDO::FETCH_ASSOC);
show('page of comments', $page);
show('comments found', $pdo->query("SELECT FOUND_ROWS() AS total")->fetchAll(PDO::FETCH_ASSOC));
$st = $pdo->prepare("SELECT id FROM events WHERE qty = ?");
$st->execute([2]);
$st->fetchAll();
show('events read', $pdo->query("SELECT FOUND_ROWS() AS n")->fetchAll(PDO::FETCH_ASSOC));
// Writes with MariaDB's RETURNING over shards (undone at once, so the
// data stays the loaded one): the inserted rows come back in the order of
// the VALUES list, from three shards; the deleted ones, sorted here, as
// one server deletes them in its own order.
$pdo->exec("DELETE FROM comments WHERE author = 'returning-test'");
$st = $pdo->prepare("INSERT INTO comments (id, entry_id, author, body, votes) VALUES (?, ?, 'returning-test', 'x', 1), (?, ?, 'returning-test', 'y', 2), (?, ?, 'returning-test', 'z', 3) RETURNING id, entry_id, body");
$st->execute([900003, 3, 900001, 1, 900002, 2]);
show('comments returned', $st->fetchAll(PDO::FETCH_ASSOC));
$st = $pdo->prepare("DELETE FROM comments WHERE author = ? RETURNING id, votes");
$st->execute(['returning-test']);
$deleted = $st->fetchAll(PDO::FETCH_ASSOC);
usort($deleted, fn($a, $b) => $a['id'] <=> $b['id']);
show('comments deleted', $deleted);
// A batch purge without the shard key: DELETE ... LIMIT walks the shards
// with what is left of the LIMIT, so each batch deletes as many rows as
// one server would.
$pdo->exec("DELETE FROM comments WHERE author = 'limit-test'");
$pdo->exec("INSERT INTO comments (id, entry_id, author, body) VALUES (900011, 1, 'limit-test', 'a'), (900012, 2, 'limit-test', 'b'), (900013, 3, 'limit-test', 'c'), (900014, 4, 'limit-test', 'd'), (900015, 5, 'limit-test', 'e')");
$st = $pdo->prepare("DELETE FROM comments WHERE author = ? LIMIT ?");
$batches = [];
foreach ([2, 2, 2] as $size) {
    $st->bindValue(1, 'limit-test');
    $st->bindValue(2, $size, PDO::PARAM_INT);
    $st->execute();
    $batches[] = $st->rowCount();
}
show('batch purge', [['batches' => $batches, 'left' => $pdo->query("SELECT COUNT(*) FROM comments WHERE author = 'limit-test'")->fetchColumn()]]);
// A multi-statement query over sharded tables (PDO sends them as they
// are with emulated prepares, and through exec() in either mode): Strata
// runs the statements one by one, each on its own shards, and chains
// their answers as one server would.
$pdo->exec("DELETE FROM comments WHERE author = 'multi-test'; INSERT INTO comments (id, entry_id, author, body, votes) VALUES (900021, 1, 'multi-test', 'a', 1), (900022, 2, 'multi-test', 'b', 2); INSERT INTO comments (id, entry_id, author, body, votes) VALUES (900023, 3, 'multi-test', 'c', 3)");
$answers = [];
if ($mode === 'emulated') {
    $st = $pdo->query("UPDATE comments SET votes = votes + 10 WHERE author = 'multi-test'; SELECT id, votes FROM comments WHERE author = 'multi-test' ORDER BY id; SELECT SUM(votes) AS total FROM comments WHERE author = 'multi-test'; DELETE FROM comments WHERE author = 'multi-test'");
    do {
        $answers[] = $st->columnCount() > 0 ? $st->fetchAll(PDO::FETCH_ASSOC) : ['affected' => $st->rowCount()];
    } while ($st->nextRowset());
} else {
    $answers[] = ['affected' => $pdo->exec("UPDATE comments SET votes = votes + 10 WHERE author = 'multi-test'; UPDATE comments SET votes = votes * 2 WHERE author = 'multi-test' AND id > 900021")];
    $answers[] = $pdo->query("SELECT id, votes FROM comments WHERE author = 'multi-test' ORDER BY id")->fetchAll(PDO::FETCH_ASSOC);
    $pdo->exec("DELETE FROM comments WHERE author = 'multi-test'; DO 1");
}
$answers[] = ['left' => $pdo->query("SELECT COUNT(*) FROM comments WHERE author = 'multi-test'")->fetchColumn()];
show('multi-statement query', $answers);
// A schema tool's table and column lists (Laravel's Schema::getTables and
// getColumns over information_schema, no table named): the sharded tables
// are in them, once each, as on one server.
$st = $pdo->prepare("select table_name as `name`, engine as `engine`, table_collation as `collation` from information_schema.tables where table_schema = ? and table_type in ('BASE TABLE', 'SYSTEM VERSIONED') and table_name in ('comments', 'countries', 'entries', 'events', 'members', 'posts') order by table_name");
$st->execute(['blog']);
show('schema tables', $st->fetchAll(PDO::FETCH_ASSOC));
$st = $pdo->prepare("select table_name as `table`, count(*) as `columns`, group_concat(column_name order by ordinal_position) as `names` from information_schema.columns where table_schema = ? and table_name in ('comments', 'countries', 'entries', 'events', 'members', 'posts') group by table_name order by table_name");
$st->execute(['blog']);
show('schema columns', $st->fetchAll(PDO::FETCH_ASSOC));
