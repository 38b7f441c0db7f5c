#!/usr/bin/perl
# A blog's page loads through Perl's DBI with DBD::MariaDB (the driver of
# Perl web applications), for Strata's integration tests (test/perl_test.go).
#
# usage: perl blog_workload.pl HOST PORT USER PASSWORD PREFIX MODE PART
#
# MODE is "client" (DBD::MariaDB's default: placeholders filled in by the
# driver) or "server" (mariadb_server_prepare: server-side prepared
# statements), maybe followed by "_compress" (mariadb_compression: the
# compressed protocol); PART is read or write. The read part prints every answer,
# one labelled line each, so the test can compare Strata with a direct
# connection; the write part prints "ok" or why not and exits non-zero.
use strict;
use warnings;
use utf8;
use DBI;

my ($host, $port, $user, $password, $p, $mode, $part) = @ARGV;
binmode(STDOUT, ':encoding(UTF-8)');

my $dsn = "DBI:MariaDB:database=blog;host=$host;port=$port";
$dsn .= ';mariadb_server_prepare=1' if $mode =~ /^server/;
$dsn .= ';mariadb_compression=1' if $mode =~ /_compress$/;
my $dbh = DBI->connect($dsn, $user, $password,
	{RaiseError => 1, PrintError => 0, AutoCommit => 1})
	or die "connect: $DBI::errstr\n";

sub render {
	my ($rows) = @_;
	return '[' . join(', ', map { '(' . join(', ', map { defined $_ ? "'$_'" : 'NULL' } @$_) . ')' } @$rows) . ']';
}

sub show {
	my ($label, $sql, @args) = @_;
	print "$label: " . render($dbh->selectall_arrayref($sql, undef, @args)) . "\n";
}

sub fail {
	print "$_[0]\n";
	exit 1;
}

if ($part eq 'read') {
	show('home', "SELECT e.id, e.title, u.name FROM ${p}entries e JOIN ${p}users u ON u.id = e.user_id ORDER BY e.created_at DESC LIMIT 10");
	for my $id (1, 2, 3) {
		show("entry $id", "SELECT title, body, created_at FROM ${p}entries WHERE id = ?", $id);
		show("comments $id", "SELECT c.body, u.name FROM ${p}comments c LEFT JOIN ${p}users u ON u.id = c.user_id WHERE c.entry_id = ? ORDER BY c.id", $id);
	}
	show('stats', "SELECT COUNT(*), MAX(created_at) FROM ${p}comments WHERE entry_id IN (?, ?)", 1, 2);
	show('users', "SELECT name, email FROM ${p}users WHERE email IS NULL OR name = ?", 'cé');
	show('types', 'SELECT ? AS n, ? AS s, ? AS nul, CAST(? AS DECIMAL(10,2)) AS d', -5, "it's \\ \"quoted\"", undef, '12.345');
	$dbh->ping or fail('ping failed');
	# A statement prepared once, executed with several values.
	my $again = $dbh->prepare("SELECT name FROM ${p}users WHERE id = ?");
	my @names;
	for my $id (3, 1, 2) {
		$again->execute($id);
		push @names, $again->fetchrow_array;
	}
	$again->finish;
	print 'prepared: ' . join(' ', @names) . "\n";
	# A 20,000-row result, read row by row. (DBD::MariaDB 1.22's
	# unbuffered mariadb_use_result fails here with "Commands out of sync"
	# or hangs, directly against MariaDB as through Strata.)
	my $big = $dbh->prepare('SELECT seq FROM seq_1_to_20000');
	$big->execute;
	my ($rows, $sum) = (0, 0);
	while (my ($seq) = $big->fetchrow_array) {
		$rows++;
		$sum += $seq;
	}
	print "stream: $rows $sum\n";
} else {
	# A comment in a transaction, read back inside it.
	$dbh->begin_work;
	$dbh->do("INSERT INTO ${p}comments (entry_id, user_id, body, created_at) VALUES (?, ?, ?, NOW())", undef, 1, 2, "perl $mode tx");
	my $first = $dbh->last_insert_id(undef, undef, undef, undef);
	my ($own) = $dbh->selectrow_array("SELECT body FROM ${p}comments WHERE id = ?", undef, $first);
	fail("own write not visible in the transaction: " . ($own // 'none')) unless defined $own && $own eq "perl $mode tx";
	$dbh->commit;
	# One in autocommit: its id comes after the first.
	$dbh->do("INSERT INTO ${p}comments (entry_id, user_id, body) VALUES (?, ?, ?)", undef, 2, 1, "perl $mode autocommit");
	my $second = $dbh->last_insert_id(undef, undef, undef, undef);
	fail("insert id did not advance: $first then $second") unless $second > $first;
	# One rolled back.
	$dbh->begin_work;
	$dbh->do("INSERT INTO ${p}comments (entry_id, user_id, body) VALUES (2, 1, ?)", undef, "rolled back $mode");
	$dbh->rollback;
	# A server error reaches the app with its code and SQLSTATE.
	eval { $dbh->do("SELECT * FROM ${p}no_such_table") };
	fail("missing table: " . ($dbh->err // 'no error') . ' ' . ($dbh->state // '')) unless $dbh->err && $dbh->err == 1146 && $dbh->state eq '42S02';
	# Reads go to replicas, which may not have applied the writes yet: the
	# hint reads the primary.
	my ($n) = $dbh->selectrow_array("SELECT /* strata:primary */ COUNT(*) FROM ${p}comments WHERE body LIKE 'perl %'");
	print "rows $n\n";
	print "ok\n";
}
$dbh->disconnect;
