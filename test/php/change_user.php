<?php
// COM_CHANGE_USER through Strata: state is dropped, the new user is checked.
// usage: php change_user.php HOST PORT
[$_, $host, $port] = $argv;
mysqli_report(MYSQLI_REPORT_OFF);
$m = new mysqli($host, 'app', 'app', 'blog', (int)$port);
if ($m->connect_errno) { echo "connect: ", $m->connect_error, "\n"; exit(1); }
$m->query("SET @carried = 1");
if (!$m->change_user('other', 'other', 'blog')) { echo "change_user: ", $m->error, "\n"; exit(1); }
$r = $m->query("SELECT @carried IS NULL AS dropped")->fetch_assoc();
echo "dropped=", $r['dropped'], "\n";
$ok = $m->change_user('other', 'wrong-password', 'blog');
echo "wrong password accepted=", $ok ? 'yes' : 'no', " errno=", $m->errno, "\n";
