#!/usr/bin/perl
# Reads and writes over the sharded tables of test/sharding through Perl's
# DBI with DBD::MariaDB, printed one labelled line each, so the test can
# compare Strata (sharded) with the single server holding every row
# (test/sharding/perl_test.go). The rows it writes are deleted again.
#
# usage: perl sharded_workload.pl HOST PORT USER PASSWORD MODE
#
# MODE is "client" (placeholders filled in by the driver) or "server"
# (mariadb_server_prepare: server-side prepared statements, values bound
# as strings unless bind_param gives them a type).
use strict;
use warnings;
use utf8;
use DBI qw(:sql_types);

my ($host, $port, $user, $password, $mode) = @ARGV;
binmode(STDOUT, ':encoding(UTF-8)');

my $dsn = "DBI:MariaDB:database=blog;host=$host;port=$port";
$dsn .= ';mariadb_server_prepare=1' if $mode eq 'server';
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

sub write_ {
	my ($label, $sql, @args) = @_;
	my $n = eval { $dbh->do($sql, undef, @args) };
	print "$label: " . (defined $n ? "$n rows" : 'error ' . $dbh->err . ' ' . $dbh->state) . "\n";
}

$dbh->do("DELETE FROM comments WHERE author LIKE 'perl-%'");
for my $entry (1, 2, 3) {
	show("comments of $entry", 'SELECT id, author, votes, created FROM comments WHERE entry_id = ? ORDER BY id', $entry);
}
show('votes by entry', 'SELECT entry_id, COUNT(*), SUM(votes), AVG(votes) FROM comments WHERE votes > ? GROUP BY entry_id ORDER BY SUM(votes) DESC, entry_id LIMIT 5', 3);
show('page', 'SELECT id, entry_id FROM comments ORDER BY id DESC LIMIT ?, ?', 10, 5);
show('computed', "SELECT ? / 3, ? + 1, CONCAT(?, ''), ? + INTERVAL 1 DAY, COUNT(*) FROM comments WHERE votes > ?", '1.5', 41, "it's \\ \"q\" ünï", '2024-06-03', 3);
# Values bound with SQL types: in server mode they go as numbers.
my $st = $dbh->prepare('SELECT ? + 1 AS n, ? / 4 AS d, COUNT(*) FROM comments WHERE entry_id IN (?, ?)');
$st->bind_param(1, 41, SQL_INTEGER);
$st->bind_param(2, 2.5, SQL_DOUBLE);
$st->bind_param(3, 1, SQL_BIGINT);
$st->bind_param(4, 2, SQL_BIGINT);
$st->execute;
print 'typed: ' . render($st->fetchall_arrayref) . "\n";
show('posts by time', 'SELECT id, title, created_at FROM posts WHERE created_at >= ? ORDER BY created_at, id LIMIT 3', '2024-03-01 00:00:00');

# Writes: rows over every shard, one at a time and several in one INSERT.
my $ins = $dbh->prepare('INSERT INTO comments (id, entry_id, author, body, votes) VALUES (?, ?, ?, ?, ?)');
for my $i (0 .. 5) {
	$ins->execute(950100 + $i, 1 + $i, 'perl-' . $mode, "row $i ünïcödé", $i);
}
write_('multi-row insert', 'INSERT INTO comments (id, entry_id, author, body) VALUES (?, 1, ?, ?), (?, 2, ?, ?), (?, 7, ?, ?)',
	950110, 'perl-' . $mode, 'a', 950111, 'perl-' . $mode, "b'c", 950112, 'perl-' . $mode, 'd\\e');
write_('duplicate', 'INSERT INTO comments (id, entry_id, author, body) VALUES (?, ?, ?, ?)', 950100, 1, 'perl-dup', 'x');
write_('update', 'UPDATE comments SET votes = COALESCE(votes, 0) + ? WHERE author = ?', 10, 'perl-' . $mode);
$dbh->begin_work;
$dbh->do("INSERT INTO comments (id, entry_id, author, body) VALUES (950120, 2, 'perl-tx', 'kept')");
$dbh->commit;
$dbh->begin_work;
$dbh->do("INSERT INTO comments (id, entry_id, author, body) VALUES (950121, 2, 'perl-tx', 'undone')");
$dbh->rollback;
show('written', 'SELECT id, entry_id, author, body, votes FROM comments WHERE author LIKE ? ORDER BY id', 'perl-%');
write_('delete', "DELETE FROM comments WHERE author LIKE ?", 'perl-%');
show('left', 'SELECT COUNT(*) FROM comments WHERE author LIKE ?', 'perl-%');
$dbh->disconnect;
