<?php
// users[].max_connections through Strata, with COM_CHANGE_USER moving a
// connection between users. The user "capped" may hold 2 connections.
// usage: php user_limit.php HOST PORT
[$_, $host, $port] = $argv;
$port = (int)$port;
mysqli_report(MYSQLI_REPORT_OFF);
$a = new mysqli($host, 'capped', 'capped', 'blog', $port);
$b = new mysqli($host, 'app', 'app', 'blog', $port);
if ($a->connect_errno || $b->connect_errno) { echo "connect: ", $a->connect_error, $b->connect_error, "\n"; exit(1); }
$ok = $b->change_user('capped', 'capped', 'blog');
echo "change to capped with a slot free: ", $ok ? 'ok' : 'refused errno=' . $b->errno, "\n";
$ok = $a->change_user('capped', 'capped', 'blog');
echo "capped at its limit logs in again as itself: ", $ok ? 'ok' : 'refused errno=' . $a->errno, "\n";
$x = new mysqli($host, 'app', 'app', 'blog', $port);
$ok = $x->change_user('capped', 'capped', 'blog');
echo "change to capped at its limit: ", $ok ? 'ok' : 'refused errno=' . $x->errno, "\n";
$c = @new mysqli($host, 'capped', 'capped', 'blog', $port);
echo "third capped connection: ", $c->connect_errno ? 'refused errno=' . $c->connect_errno : 'ok', "\n";
$a->change_user('app', 'app', 'blog');
$d = @new mysqli($host, 'capped', 'capped', 'blog', $port);
echo "after one changed away: ", $d->connect_errno ? 'refused errno=' . $d->connect_errno : 'ok', "\n";
