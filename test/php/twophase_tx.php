<?php
// A PDO transaction that writes two shards (entry_id 1, 2 and 3 of comments
// live on s1, s2 and s3 in test/sharding) and rolls a nested transaction
// back, committed, then another rolled back, through a Strata with
// transactions.mode: twopc.
// usage: php twophase_tx.php HOST PORT USER PASSWORD MODE FIRST_ID
// MODE is emulated or native; the script uses ids FIRST_ID .. FIRST_ID+3.
[$_, $host, $port, $user, $pass, $mode, $first] = $argv;
$first = (int)$first;
$pdo = new PDO("mysql:host=$host;port=$port;dbname=blog;charset=utf8mb4", $user, $pass, [
    PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
    PDO::ATTR_EMULATE_PREPARES => $mode === 'emulated',
]);
$insert = $pdo->prepare("INSERT INTO comments (id, entry_id, body) VALUES (?, ?, ?)");
$count = $pdo->prepare("SELECT COUNT(*) FROM comments WHERE id BETWEEN ? AND ?");

$pdo->beginTransaction();
$insert->execute([$first, 1, 'pdo commit']);
$insert->execute([$first + 1, 2, 'pdo commit']);
$count->execute([$first, $first + 3]);
echo "inside: ", $count->fetchColumn(), "\n";
// A nested transaction as Laravel runs it: a savepoint, a write to a
// third shard (s3 joins the transaction), then its rollback.
$pdo->exec("SAVEPOINT trans2");
$insert->execute([$first + 2, 3, 'pdo nested']);
$pdo->exec("ROLLBACK TO SAVEPOINT trans2");
$count->execute([$first, $first + 3]);
echo "nested: ", $count->fetchColumn(), "\n";
$pdo->commit();

$pdo->beginTransaction();
$insert->execute([$first + 2, 1, 'pdo rollback']);
$insert->execute([$first + 3, 2, 'pdo rollback']);
$pdo->rollBack();

$count->execute([$first, $first + 3]);
echo "after: ", $count->fetchColumn(), "\n";
