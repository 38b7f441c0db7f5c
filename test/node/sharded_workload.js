// Reads and writes over the sharded tables of test/sharding through the two
// Node.js drivers, printed one labelled JSON line each, so the test can
// compare Strata (sharded) with the single server holding every row
// (test/sharding/node_test.go). The rows it writes are deleted again, so
// the data stays the loaded one.
// usage: node sharded_workload.js HOST PORT USER PASSWORD DRIVER
// DRIVER is mysql2 or mariadb. Both bind values in server-side prepared
// statements their own way: mysql2 sends every number as a DOUBLE and a
// Buffer as a string, the mariadb connector an integer as a BIGINT and a
// Buffer as a BLOB; both send a Date as a DATETIME.
'use strict';

const [host, port, user, password, driver] = process.argv.slice(2);
const opts = { host, port: Number(port), user, password, database: 'blog', charset: 'utf8mb4', dateStrings: true, timezone: 'Z' };

// BigInt (the mariadb driver's counts and BIGINT columns) prints as a
// string, a Buffer as its hex.
const show = (label, value) =>
  console.log(
    label +
      ': ' +
      JSON.stringify(value, function (k, v) {
        if (typeof v === 'bigint') return v.toString();
        const raw = this[k];
        if (Buffer.isBuffer(raw)) return 'x' + raw.toString('hex');
        return v;
      }),
  );

async function connect() {
  if (driver === 'mysql2') {
    const mysql = require('mysql2/promise');
    const c = await mysql.createConnection({ ...opts, supportBigNumbers: true, bigNumberStrings: true, decimalNumbers: false });
    return {
      query: async (sql, args) => (await c.query(sql, args))[0],
      execute: async (sql, args) => (await c.execute(sql, args))[0],
      begin: () => c.beginTransaction(),
      commit: () => c.commit(),
      rollback: () => c.rollback(),
      end: () => c.end(),
    };
  }
  const mariadb = require('mariadb');
  const c = await mariadb.createConnection({ ...opts, bigIntAsNumber: false, decimalAsNumber: false });
  return {
    query: (sql, args) => c.query(sql, args),
    execute: (sql, args) => c.execute(sql, args),
    batch: (sql, rows) => c.batch(sql, rows),
    begin: () => c.beginTransaction(),
    commit: () => c.commit(),
    rollback: () => c.rollback(),
    end: () => c.end(),
  };
}

// A write's outcome, without the fields one server and Strata may word
// differently (the info text, the server status).
const outcome = (res) => ({ affectedRows: Number(res.affectedRows) });

async function run(db) {
  await db.query("DELETE FROM comments WHERE author LIKE 'node-%'");
  // An entry's comments (one shard), a scatter with merged aggregates,
  // and a page over every shard, each bound as the driver binds numbers.
  for (const entry of [1, 2, 3, 4]) {
    show(`comments of ${entry}`, await db.execute('SELECT id, author, votes, created FROM comments WHERE entry_id = ? ORDER BY id', [entry]));
  }
  show('votes by entry', await db.execute('SELECT entry_id, COUNT(*) AS n, SUM(votes) AS s, AVG(votes) AS a FROM comments WHERE votes > ? GROUP BY entry_id ORDER BY SUM(votes) DESC, entry_id LIMIT 5', [3]));
  show('page', await db.execute('SELECT id, entry_id FROM comments ORDER BY id DESC LIMIT ?, ?', [10, 5]));
  show('in list', await db.execute('SELECT id, entry_id FROM comments WHERE entry_id IN (?, ?, ?) ORDER BY id LIMIT 8', [5, 6, 7]));
  // Bound values computed with over every shard: fractions, whole
  // numbers, booleans, text with quotes and backslashes, bytes that are
  // not text, NULL, a Date.
  show(
    'computed',
    await db.execute(
      "SELECT ? / 3 AS third, ? / 3 AS half, ? + 1 AS whole, ? AS yes, CONCAT(?, '') AS s, HEX(?) AS bytes, ? IS NULL AS nul, ? + INTERVAL 1 DAY AS next, COUNT(*) AS n FROM comments WHERE votes > ?",
      [1, 1.5, 41, true, "it's a \\ path", Buffer.from([0xff, 0x00, 0x80, 0x27]), null, new Date(Date.UTC(2024, 5, 3, 10, 20, 30)), 3],
    ),
  );
  // The same kinds of values quoted into the text by the driver (query,
  // not execute): an array as a list, a Date, a Buffer, booleans.
  show('text in list', await db.query('SELECT id, entry_id FROM comments WHERE entry_id IN (?) ORDER BY id LIMIT 8', [[5, 6, 7]]));
  show(
    'text computed',
    await db.query("SELECT ? / 3 AS third, ? + 1 AS whole, ? AS yes, HEX(?) AS bytes, ? + INTERVAL 1 DAY AS next, COUNT(*) AS n FROM comments WHERE votes > ?", [
      1.5,
      41,
      true,
      Buffer.from([0xff, 0x00, 0x80, 0x27, 0x5c]),
      new Date(Date.UTC(2024, 5, 3, 10, 20, 30, 7)),
      3,
    ]),
  );
  // A table sharded by time, read by bound Dates.
  const [bounds] = await db.query('SELECT MIN(created_at) AS first, MAX(created_at) AS last FROM posts');
  const at = (s) => new Date(s.replace(' ', 'T') + 'Z');
  show('posts at', await db.execute('SELECT id, title FROM posts WHERE created_at = ? OR created_at = ? ORDER BY id', [at(bounds.first), at(bounds.last)]));
  show('posts from', await db.execute('SELECT COUNT(*) AS n, MIN(id) AS first FROM posts WHERE created_at >= ? AND created_at < ? + INTERVAL 40 DAY', [at(bounds.first), at(bounds.first)]));
  show('text posts at', await db.query('SELECT id, title FROM posts WHERE created_at IN (?, ?) ORDER BY id', [at(bounds.first), at(bounds.last)]));

  // Twelve rows over all four shards in one prepared INSERT.
  const rows = Array.from({ length: 12 }, (_, i) => [920000 + i, 1 + (i % 6), `node-${driver}`, `row ${i} ünïcödé`, i]);
  show('multi-row insert', outcome(await db.execute(`INSERT INTO comments (id, entry_id, author, body, votes) VALUES ${rows.map(() => '(?, ?, ?, ?, ?)').join(', ')}`, rows.flat())));
  if (db.batch) {
    // The connector's batch, which one server takes as one bulk execution
    // and Strata, not offering it over sharded tables, as the driver's
    // fallback.
    const more = Array.from({ length: 8 }, (_, i) => [920100 + i, 1 + (i % 4), `node-${driver}-batch`, `batch ${i}`, i]);
    show('batch', outcome(await db.batch('INSERT INTO comments (id, entry_id, author, body, votes) VALUES (?, ?, ?, ?, ?)', more)));
    // A duplicate key in its fourth row: one server inserts none of the
    // batch's rows.
    const dup = [0, 1, 2, 3, 4].map((i) => [920110 + i, 1 + i, `node-${driver}-batch`, 'dup', null]);
    dup[3][0] = 920100;
    dup[3][1] = 1;
    try {
      await db.batch('INSERT INTO comments (id, entry_id, author, body, votes) VALUES (?, ?, ?, ?, ?)', dup);
      show('batch duplicate', 'no error');
    } catch (e) {
      show('batch duplicate', `${e.errno} ${e.sqlState}`);
    }
    // Updates and deletes by key, a row at a time on their shards, with
    // one answer for the batch.
    show('batch update', outcome(await db.batch('UPDATE comments SET votes = votes * ? WHERE entry_id = ? AND id = ?', [[10, 1, 920100], [10, 2, 920101], [10, 3, 920102], [10, 4, 999999]])));
    show('batch delete', outcome(await db.batch('DELETE FROM comments WHERE entry_id = ? AND id = ?', [[4, 920103], [4, 920107], [1, 999999]])));
    // An update that fails at its second row (a duplicate id): the first
    // row's change stays, as on one server.
    try {
      await db.batch('UPDATE comments SET id = ? WHERE entry_id = ? AND id = ?', [[920150, 1, 920104], [920101, 2, 920105], [920151, 3, 920106]]);
      show('batch update duplicate', 'no error');
    } catch (e) {
      show('batch update duplicate', `${e.errno} ${e.sqlState}`);
    }
    // A batch into the table sharded by month, by bound Dates, and one
    // into a reference table, which every shard holds.
    const t0 = at(bounds.first).getTime();
    const posts = [0, 1, 2, 3].map((i) => [990000 + i, new Date(t0 + i * 17 * 86400000 + 1000), `node-${driver}`, `post ${i}`]);
    // (The connector sends Dates row by row, to one server too.)
    await db.batch('INSERT INTO posts (id, created_at, author, title) VALUES (?, ?, ?, ?)', posts);
    show('posts written', await db.query('SELECT id, created_at, title FROM posts WHERE author = ? ORDER BY id', [`node-${driver}`]));
    await db.batch('DELETE FROM posts WHERE created_at = ? AND id = ?', posts.map((p) => [p[1], p[0]]));
    show('posts left', await db.query('SELECT COUNT(*) AS n FROM posts WHERE author = ?', [`node-${driver}`]));
    show('batch countries', outcome(await db.batch('INSERT INTO countries (code, name) VALUES (?, ?)', [['Q1', 'Node one'], ['Q2', 'Node two']])));
    show('countries written', await db.query("SELECT code, name FROM countries WHERE code IN ('Q1', 'Q2') ORDER BY code"));
    show('countries delete', outcome(await db.batch('DELETE FROM countries WHERE code = ?', [['Q1'], ['Q2']])));
    // A read cannot be batched.
    try {
      await db.batch('SELECT ? + 1', [[1], [2]]);
      show('batch select', 'no error');
    } catch (e) {
      show('batch select', `${e.errno} ${e.sqlState}`);
    }
  }
  if (driver === 'mysql2') {
    // mysql2's idiom for many rows: VALUES ? with an array of rows, which
    // the driver writes as one multi-row INSERT.
    const text = Array.from({ length: 6 }, (_, i) => [920300 + i, 1 + (i % 6), `node-${driver}`, `text ${i} 'q' \\`, null]);
    show('text rows', outcome(await db.query('INSERT INTO comments (id, entry_id, author, body, votes) VALUES ?', [text])));
  }
  show('written', await db.execute("SELECT id, entry_id, author, body, votes FROM comments WHERE author LIKE ? ORDER BY id", [`node-${driver}%`]));
  // An update of every shard by a bound value, and one row by its key.
  show('update all', outcome(await db.execute('UPDATE comments SET votes = votes + ? WHERE author = ?', [100, `node-${driver}`])));
  show('update one', outcome(await db.execute('UPDATE comments SET body = ? WHERE entry_id = ? AND id = ?', ['changed', 2, 920001])));
  show('after update', await db.execute('SELECT SUM(votes) AS s, MAX(votes) AS m, MAX(body) AS b FROM comments WHERE author = ?', [`node-${driver}`]));

  // A transaction on one entry's shard, committed, and one rolled back.
  await db.begin();
  await db.execute("INSERT INTO comments (id, entry_id, author, body) VALUES (?, 2, 'node-tx', ?)", [920200, 'kept']);
  show('inside', await db.execute("SELECT body FROM comments WHERE entry_id = 2 AND author = 'node-tx'"));
  await db.commit();
  await db.begin();
  await db.execute("INSERT INTO comments (id, entry_id, author, body) VALUES (?, 2, 'node-tx', ?)", [920201, 'undone']);
  await db.rollback();
  show('after tx', await db.execute('SELECT id, body FROM comments WHERE author = ? ORDER BY id', ['node-tx']));

  // A duplicate key on its shard: the server's error, and the connection
  // goes on.
  try {
    await db.execute("INSERT INTO comments (id, entry_id, author, body) VALUES (?, ?, 'node-dup', 'x')", [920000, 1]);
    show('duplicate', 'no error');
  } catch (e) {
    show('duplicate', `${e.errno} ${e.sqlState}`);
  }

  // The rows deleted again, by key and by a scatter.
  show('delete one entry', outcome(await db.execute('DELETE FROM comments WHERE entry_id = ? AND author LIKE ?', [1, 'node-%'])));
  show('delete rest', outcome(await db.query("DELETE FROM comments WHERE author LIKE 'node-%'")));
  show('left', await db.execute('SELECT COUNT(*) AS n FROM comments WHERE author LIKE ?', ['node-%']));
}

(async () => {
  const db = await connect();
  try {
    await run(db);
  } catch (e) {
    console.log(`error ${e.errno} ${e.sqlState}: ${e.message}`);
    process.exitCode = 1;
  } finally {
    await db.end();
  }
})();
