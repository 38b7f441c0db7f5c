<?php
// COM_CHANGE_USER over TLS to a caching_sha2_password account that has not
// logged in yet: the full path sends the password in clear over the TLS
// connection, which Strata must take. Prints the server account the new
// user's statements run as.
// usage: php change_user_tls.php HOST PORT USER PASSWORD [plain|compress]
// ("plain": the connection does without TLS; "compress": TLS with the
// compressed protocol inside it)
[$_, $host, $port, $user, $password] = $argv;
$plain = ($argv[5] ?? '') === 'plain';
mysqli_report(MYSQLI_REPORT_OFF);
$m = mysqli_init();
$flags = 0;
if (!$plain) {
	$m->ssl_set(null, null, null, null, null);
	$flags = MYSQLI_CLIENT_SSL | MYSQLI_CLIENT_SSL_DONT_VERIFY_SERVER_CERT;
}
if (($argv[5] ?? '') === 'compress') {
	$flags |= MYSQLI_CLIENT_COMPRESS;
}
if (!$m->real_connect($host, 'app', 'app', 'blog', (int)$port, null, $flags)) {
	echo "connect: ", $m->connect_error, "\n";
	exit(1);
}
$ok = $m->change_user($user, $password, 'blog');
echo "change_user: ", $ok ? 'ok' : 'refused errno=' . $m->errno . ' ' . $m->error, "\n";
if ($ok) {
	$r = $m->query("SELECT CURRENT_USER() AS account")->fetch_assoc();
	echo "server account: ", $r['account'], "\n";
}
