<?php
// An ORM-style save through PDO, with emulated or native prepared
// statements, through a Strata with transactions.mode: twopc: every column
// written by primary key, first with the shard key unchanged, then with a
// new one (comments' entry_id 1, 2 and 3 live on s1, s2 and s3 in
// test/sharding), then once more inside a transaction that is rolled back.
// usage: php move_row.php HOST PORT USER PASSWORD MODE ID
[$_, $host, $port, $user, $pass, $mode, $id] = $argv;
$id = (int)$id;
$pdo = new PDO("mysql:host=$host;port=$port;dbname=blog;charset=utf8mb4", $user, $pass, [
    PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
    PDO::ATTR_EMULATE_PREPARES => $mode === 'emulated',
]);
$pdo->prepare("INSERT INTO comments (id, entry_id, body) VALUES (?, 1, 'new')")->execute([$id]);
$save = $pdo->prepare("UPDATE comments SET entry_id = ?, body = ? WHERE id = ?");
$read = $pdo->prepare("SELECT entry_id, body FROM comments WHERE id = ?");
$show = function (string $what) use ($read, $id) {
    $read->execute([$id]);
    echo $what, ": ", json_encode($read->fetchAll(PDO::FETCH_NUM)), "\n";
};

$save->execute([1, 'saved', $id]);
echo "same key: ", $save->rowCount(), "\n";
$save->execute([2, 'moved', $id]);
echo "new key: ", $save->rowCount(), "\n";
$show("after the move");

$pdo->beginTransaction();
$save->execute([3, 'moved again', $id]);
$show("inside");
$pdo->rollBack();
$show("after the rollback");
