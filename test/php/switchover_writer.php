<?php
// A PHP application writing through Strata while its primary is switched
// over: PDO with native (server-side) prepared statements, autocommit
// inserts and two-row transactions, one connection, as a web request or a
// worker would. It prints how many statements failed, then every id whose
// write was acknowledged, one per line.
// usage: php switchover_writer.php HOST PORT TABLE SECONDS FIRST_ID
[$_, $host, $port, $table, $secs, $first] = $argv;
$pdo = new PDO("mysql:host=$host;port=$port;dbname=blog", 'app', 'app', [
    PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
    PDO::ATTR_EMULATE_PREPARES => false,
]);
$ins = $pdo->prepare("INSERT INTO $table (id, body) VALUES (?, ?)");
$id = (int)$first;
$acked = [];
$errors = 0;
$end = microtime(true) + (float)$secs;
while (microtime(true) < $end) {
    $id++;
    try {
        if ($id % 2) {
            $ins->execute([$id, 'php']);
            $acked[] = $id;
        } else {
            $pdo->beginTransaction();
            $ins->execute([$id, 'php tx']);
            $ins->execute([-$id, 'php tx']);
            $pdo->commit();
            array_push($acked, $id, -$id);
        }
    } catch (PDOException $e) {
        $errors++;
        fwrite(STDERR, $e->getMessage() . "\n");
        if ($pdo->inTransaction()) {
            try { $pdo->rollBack(); } catch (PDOException $ignored) {}
        }
    }
}
echo "errors $errors\n";
echo implode("\n", $acked), "\n";
