<?php
// A blog's page loads through PDO, for Strata's integration tests.
// usage: php blog_workload.php HOST PORT USER PASSWORD PREFIX MODE [compress]
// MODE is emulated|native followed by -read or -write. The read part prints
// every answer so the test can compare Strata with a direct connection.
// An eighth argument, compress, asks for the compressed protocol.
[$_, $host, $port, $user, $pass, $p, $mode] = $argv;
[$prep, $part] = explode('-', $mode);
$pdo = new PDO("mysql:host=$host;port=$port;dbname=blog;charset=utf8mb4", $user, $pass, [
    PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
    PDO::ATTR_EMULATE_PREPARES => $prep === 'emulated',
    PDO::ATTR_STRINGIFY_FETCHES => true,
    PDO::MYSQL_ATTR_COMPRESS => ($argv[7] ?? '') === 'compress',
]);

function show(string $label, array $rows): void {
    echo $label, ': ', json_encode($rows, JSON_UNESCAPED_UNICODE), "\n";
}

if ($part === 'read') {
    // Home page: latest entries with their authors.
    $st = $pdo->query("SELECT e.id, e.title, u.name FROM {$p}entries e JOIN {$p}users u ON u.id = e.user_id ORDER BY e.created_at DESC LIMIT 10");
    show('home', $st->fetchAll(PDO::FETCH_ASSOC));
    // Permalink: one entry and its comments, with bound parameters.
    $entry = $pdo->prepare("SELECT title, body, created_at FROM {$p}entries WHERE id = ?");
    $comments = $pdo->prepare("SELECT c.body, u.name FROM {$p}comments c LEFT JOIN {$p}users u ON u.id = c.user_id WHERE c.entry_id = :entry ORDER BY c.id");
    foreach ([1, 2, 3] as $id) {
        $entry->execute([$id]);
        show("entry $id", $entry->fetchAll(PDO::FETCH_ASSOC));
        $comments->execute(['entry' => $id]);
        show("comments $id", $comments->fetchAll(PDO::FETCH_ASSOC));
    }
    $st = $pdo->prepare("SELECT COUNT(*) AS n, MAX(created_at) AS latest FROM {$p}comments WHERE entry_id IN (?, ?)");
    $st->execute([1, 2]);
    show('stats', $st->fetchAll(PDO::FETCH_ASSOC));
    $st = $pdo->prepare("SELECT name, email FROM {$p}users WHERE email IS NULL OR name = ?");
    $st->bindValue(1, 'cé', PDO::PARAM_STR);
    $st->execute();
    show('users', $st->fetchAll(PDO::FETCH_ASSOC));
    // Archive page, WordPress-style: a page of entries and the total.
    $st = $pdo->prepare("SELECT SQL_CALC_FOUND_ROWS id, title FROM {$p}entries ORDER BY id LIMIT ?, 2");
    $st->bindValue(1, 1, PDO::PARAM_INT);
    $st->execute();
    show('page', $st->fetchAll(PDO::FETCH_ASSOC));
    show('found', $pdo->query("SELECT FOUND_ROWS() AS total")->fetchAll(PDO::FETCH_ASSOC));
    // A value the server had to truncate, and the warning it left.
    show('cast', $pdo->query("SELECT CAST('7 days' AS SIGNED) AS n")->fetchAll(PDO::FETCH_ASSOC));
    show('warnings', $pdo->query("SHOW WARNINGS")->fetchAll(PDO::FETCH_ASSOC));
    exit(0);
}

// Writes: a comment in a transaction, one in autocommit, a rolled-back one.
$pdo->beginTransaction();
$ins = $pdo->prepare("INSERT INTO {$p}comments (entry_id, user_id, body, created_at) VALUES (?, ?, ?, NOW())");
$ins->execute([1, 2, "pdo $prep tx"]);
$id = $pdo->lastInsertId();
$check = $pdo->prepare("SELECT body FROM {$p}comments WHERE id = ?");
$check->execute([$id]);
if ($check->fetchColumn() !== "pdo $prep tx") { echo "own write not visible in transaction\n"; exit(1); }
$pdo->commit();
$ins->execute([2, 1, "pdo $prep autocommit"]);
if ($pdo->lastInsertId() <= $id) { echo "lastInsertId did not advance\n"; exit(1); }
$pdo->beginTransaction();
$ins->execute([2, 1, "rolled back $prep"]);
$pdo->rollBack();
try {
    $pdo->query("SELECT * FROM {$p}no_such_table");
    echo "missing table gave no error\n";
    exit(1);
} catch (PDOException $e) {
    if ($e->errorInfo[1] != 1146) { echo "wrong error: ", $e->getMessage(), "\n"; exit(1); }
}
echo "ok\n";
