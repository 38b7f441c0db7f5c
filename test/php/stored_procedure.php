<?php
// CALL of a stored procedure through PDO, emulated and native prepares:
// every result set it returns, in order, then the OUT value it left in a
// user variable. Prints JSON, one line per mode.
// Usage: php stored_procedure.php HOST PORT USER PASS
[$_, $host, $port, $user, $pass] = $argv;
foreach ([true, false] as $emulate) {
    $pdo = new PDO("mysql:host=$host;port=$port;dbname=blog;charset=utf8mb4", $user, $pass, [
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_EMULATE_PREPARES => $emulate,
    ]);
    $st = $pdo->prepare("CALL proc_add_and_list(?, ?, @total)");
    $st->execute([$emulate ? 'pdo emulated' : 'pdo native', 2]);
    $sets = [];
    do {
        $sets[] = $st->fetchAll(PDO::FETCH_NUM);
    } while ($st->nextRowset());
    $st->closeCursor();
    $total = $pdo->query("SELECT @total")->fetchColumn();
    echo json_encode(['emulate' => $emulate, 'sets' => $sets, 'total' => $total], JSON_UNESCAPED_UNICODE), "\n";
}
