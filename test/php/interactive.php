<?php
// A client that logs in with CLIENT_INTERACTIVE gets the server's
// interactive_timeout as its wait_timeout; its own SET replaces it, and
// change_user goes back to the server's default.
// Usage: php interactive.php host port user password
[, $host, $port, $user, $pass] = $argv;
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
$db = mysqli_init();
$db->real_connect($host, $user, $pass, 'blog', (int)$port, null, MYSQLI_CLIENT_INTERACTIVE);
$read = fn($sql) => $db->query($sql)->fetch_row()[0];
echo 'login: ', $read('SELECT @@wait_timeout'), "\n";
echo 'primary: ', $read('SELECT /* strata:primary */ @@SESSION.wait_timeout'), "\n";
$db->query('SET SESSION wait_timeout = 77');
echo 'set: ', $read('SELECT @@wait_timeout'), "\n";
$db->change_user($user, $pass, 'blog');
echo 'change_user: ', $read('SELECT @@wait_timeout'), "\n";
