<?php
// mysqli_refresh (COM_REFRESH) inside a transaction: like FLUSH, the
// server commits the transaction first, so the ROLLBACK after it finds
// nothing to undo. Usage: php refresh.php host port user password table
[, $host, $port, $user, $pass, $table] = $argv;
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
$db = new mysqli($host, $user, $pass, 'blog', (int)$port);
$db->begin_transaction();
$db->query("INSERT INTO $table VALUES (1)");
echo 'refresh: ', var_export($db->refresh(MYSQLI_REFRESH_THREADS), true), "\n";
$db->rollback();
$row = $db->query("SELECT /* strata:primary */ COUNT(*) FROM $table")->fetch_row();
echo "rows after rollback: $row[0]\n";
