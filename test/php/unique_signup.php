<?php
// A sign-up form over PDO: an email another account took is caught as the
// PDOException one server throws (SQLSTATE 23000, error 1062), whichever
// shard the new account's row goes to. Prints what the application sees.
// Usage: php unique_signup.php HOST PORT USER PASS emulated|native FIRST_ID
[, $host, $port, $user, $pass, $mode, $first] = $argv;
$pdo = new PDO("mysql:host=$host;port=$port;dbname=blog", $user, $pass, [
    PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
    PDO::ATTR_EMULATE_PREPARES => $mode === 'emulated',
]);
$first = (int)$first;

function attempt(callable $write): string
{
    try {
        $write();
        return 'ok';
    } catch (PDOException $e) {
        return 'refused: SQLSTATE ' . $e->getCode() . ', error ' . $e->errorInfo[1];
    }
}

$signUp = $pdo->prepare('INSERT INTO uq_members (id, email) VALUES (?, ?)');
$accounts = [
    [$first + 1, "pat-$mode@example.com"],
    [$first + 2, "Pat-$mode@Example.com"], // the same email under the column's _ci collation
    [$first + 3, "quinn-$mode@example.com"],
    [$first + 4, "pat-$mode@example.com"],
    [$first + 5, null],
    [$first + 6, null],
];
foreach ($accounts as [$id, $email]) {
    echo "sign up $id: ", attempt(fn () => $signUp->execute([$id, $email])), "\n";
}
$change = $pdo->prepare('UPDATE uq_members SET email = ? WHERE id = ?');
echo 'take a used email: ', attempt(fn () => $change->execute(["pat-$mode@example.com", $first + 3])), "\n";
echo 'take a free email: ', attempt(fn () => $change->execute(["robin-$mode@example.com", $first + 3])), "\n";
$pdo->beginTransaction();
echo 'in a transaction: ', attempt(fn () => $signUp->execute([$first + 7, "robin-$mode@example.com"])), "\n";
$pdo->rollBack();
$rows = $pdo->prepare('SELECT id, email FROM uq_members WHERE id > ? AND id <= ? ORDER BY id');
$rows->execute([$first, $first + 10]);
echo json_encode($rows->fetchAll(PDO::FETCH_NUM)), "\n";
