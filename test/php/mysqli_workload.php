<?php
// A blog's page loads through mysqli (the API WordPress uses), for Strata's
// integration tests.
// usage: php mysqli_workload.php HOST PORT USER PASSWORD PREFIX PART
// PART is read or write. The read part prints every answer so the test can
// compare Strata with a direct connection; the write part prints "ok" or why not.
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
[$_, $host, $port, $user, $pass, $p, $part] = $argv;
$m = new mysqli($host, $user, $pass, 'blog', (int)$port);
$m->set_charset('utf8mb4');

function show(string $label, $value): void {
    echo $label, ': ', json_encode($value, JSON_UNESCAPED_UNICODE), "\n";
}

if ($part === 'read') {
    show('home', $m->query("SELECT e.id, e.title, u.name FROM {$p}entries e JOIN {$p}users u ON u.id = e.user_id ORDER BY e.created_at DESC LIMIT 10")->fetch_all(MYSQLI_ASSOC));
    // Permalink with a bound parameter, read with get_result and with
    // bind_result after store_result.
    $entry = $m->prepare("SELECT title, body, created_at FROM {$p}entries WHERE id = ?");
    foreach ([1, 2, 3] as $id) {
        $entry->bind_param('i', $id);
        $entry->execute();
        show("entry $id", $entry->get_result()->fetch_all(MYSQLI_ASSOC));
    }
    $comments = $m->prepare("SELECT c.body, u.name FROM {$p}comments c LEFT JOIN {$p}users u ON u.id = c.user_id WHERE c.entry_id = ? ORDER BY c.id");
    $entryId = 1;
    $comments->bind_param('i', $entryId);
    $comments->execute();
    $comments->store_result();
    $comments->bind_result($body, $name);
    $rows = [];
    while ($comments->fetch()) $rows[] = [$body, $name];
    show('comments 1 (' . $comments->num_rows . ' rows)', $rows);
    show('users', $m->execute_query("SELECT name, email FROM {$p}users WHERE email IS NULL OR name = ?", ['cé'])->fetch_all());
    // A read-only cursor: the rows come by COM_STMT_FETCH, or all at once.
    $cur = $m->stmt_init();
    $cur->prepare("SELECT id, title FROM {$p}entries ORDER BY id");
    $cur->attr_set(MYSQLI_STMT_ATTR_CURSOR_TYPE, MYSQLI_CURSOR_TYPE_READ_ONLY);
    $cur->execute();
    $cur->bind_result($id, $title);
    $rows = [];
    while ($cur->fetch()) $rows[] = [$id, $title];
    show('cursor', $rows);
    // Several statements, several result sets.
    $m->multi_query("SELECT COUNT(*) FROM {$p}users; SELECT title FROM {$p}entries WHERE id = 2");
    $sets = [];
    do {
        if ($res = $m->store_result()) { $sets[] = $res->fetch_all(); $res->free(); }
    } while ($m->more_results() && $m->next_result());
    show('multi', $sets);
    // WordPress's archive pages: a page of posts, then the total.
    show('page', $m->query("SELECT SQL_CALC_FOUND_ROWS id FROM {$p}entries ORDER BY id LIMIT 1, 2")->fetch_all());
    show('found', $m->query("SELECT FOUND_ROWS()")->fetch_row());
    // mysqli's warning count and get_warnings (a SHOW WARNINGS).
    $m->query("SELECT CAST('3 cats' AS SIGNED)")->free();
    $w = $m->get_warnings();
    show('warnings', [$m->warning_count, $w ? [$w->errno, $w->message] : null]);
    show('ping', $m->ping());
    $m->change_user($user, $pass, 'blog');
    show('after change_user', $m->query("SELECT DATABASE(), @@autocommit, (SELECT name FROM {$p}users WHERE id = 3)")->fetch_row());
    exit(0);
}

// Writes: a comment in a transaction, one in autocommit, a rolled-back one.
$m->begin_transaction();
$ins = $m->prepare("INSERT INTO {$p}comments (entry_id, user_id, body, created_at) VALUES (?, ?, ?, NOW())");
$e = 1; $u = 2; $b = 'mysqli tx';
$ins->bind_param('iis', $e, $u, $b);
$ins->execute();
$id = $m->insert_id;
$own = $m->execute_query("SELECT body FROM {$p}comments WHERE id = ?", [$id])->fetch_row();
if ($own !== ['mysqli tx']) { echo "own write not visible in the transaction\n"; exit(1); }
$m->commit();
$m->query("INSERT INTO {$p}comments (entry_id, user_id, body) VALUES (2, 1, 'mysqli autocommit')");
if ($m->insert_id <= $id || $m->affected_rows !== 1) { echo "insert_id or affected_rows wrong\n"; exit(1); }
$m->begin_transaction();
$m->query("INSERT INTO {$p}comments (entry_id, user_id, body) VALUES (2, 1, 'rolled back mysqli')");
$m->rollback();
try {
    $m->query("SELECT * FROM {$p}no_such_table");
    echo "missing table gave no error\n";
    exit(1);
} catch (mysqli_sql_exception $ex) {
    if ($ex->getCode() !== 1146 || $ex->getSqlState() !== '42S02') { echo "wrong error: ", $ex->getMessage(), "\n"; exit(1); }
}
echo "ok\n";
