// A blog's page loads through an unchanged Node.js driver, for Strata's
// integration tests (test/node_test.go).
// usage: node blog_workload.js HOST PORT USER PASSWORD PREFIX DRIVER PART
// DRIVER is mysql2 or mariadb (the two drivers Node.js apps use), maybe
// followed by _compress; PART is
// read or write. The read part prints every answer, one labelled JSON line
// each, so the test can compare Strata with a direct connection; the write
// part prints "ok" or why not and exits non-zero.
'use strict';

const [host, port, user, password, p, driverArg, part] = process.argv.slice(2);
// DRIVER_compress: the same driver over the compressed protocol.
const [driver, compressed] = driverArg.split('_');
const opts = { host, port: Number(port), user, password, database: 'blog', charset: 'utf8mb4', dateStrings: true, compress: compressed === 'compress' };

// BigInt (the mariadb driver's insert ids and counts) prints as a string.
const show = (label, value) =>
  console.log(label + ': ' + JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));

function fail(why) {
  console.log(why);
  process.exit(1);
}

// Each driver behind the same few calls: text queries with client-side
// placeholders, server-side prepared statements, and the rest.
const drivers = {
  async mysql2() {
    const mysql = require('mysql2/promise');
    const c = await mysql.createConnection({ ...opts, multipleStatements: true });
    return {
      query: async (sql, args) => (await c.query(sql, args))[0],
      execute: async (sql, args) => (await c.execute(sql, args))[0],
      insertId: (res) => res.insertId,
      begin: () => c.beginTransaction(),
      commit: () => c.commit(),
      rollback: () => c.rollback(),
      ping: () => c.ping(),
      reset: () => c.changeUser({ user, password, database: 'blog' }),
      pool: () => mysql.createPool({ ...opts, connectionLimit: 3 }),
      // Several statements in one query, several result sets back.
      multi: async (sql) => (await c.query(sql))[0],
      end: () => c.end(),
    };
  },
  async mariadb() {
    const mariadb = require('mariadb');
    // The connector pipelines: it sends COM_STMT_PREPARE and the
    // COM_STMT_EXECUTE that refers to it (id -1) without waiting between.
    const c = await mariadb.createConnection({ ...opts, multipleStatements: true, pipelining: true });
    return {
      query: (sql, args) => c.query(sql, args),
      execute: (sql, args) => c.execute(sql, args),
      insertId: (res) => res.insertId,
      begin: () => c.beginTransaction(),
      commit: () => c.commit(),
      rollback: () => c.rollback(),
      ping: () => c.ping(),
      reset: () => c.reset(),
      pool: () => mariadb.createPool({ ...opts, connectionLimit: 3 }),
      multi: (sql) => c.query(sql),
      batch: (sql, rows) => c.batch(sql, rows),
      prepare: (sql) => c.prepare(sql),
      stream: (sql) => c.queryStream(sql),
      end: () => c.end(),
    };
  },
};

async function readPart(db) {
  // Home page: latest entries with their authors.
  show('home', await db.query(`SELECT e.id, e.title, u.name FROM ${p}entries e JOIN ${p}users u ON u.id = e.user_id ORDER BY e.created_at DESC LIMIT 10`));
  // Permalink: one entry and its comments, as a client-side placeholder
  // query and as a server-side prepared statement.
  for (const id of [1, 2, 3]) {
    show(`entry ${id}`, await db.query(`SELECT title, body, created_at FROM ${p}entries WHERE id = ?`, [id]));
    show(`comments ${id}`, await db.execute(`SELECT c.body, u.name FROM ${p}comments c LEFT JOIN ${p}users u ON u.id = c.user_id WHERE c.entry_id = ? ORDER BY c.id`, [id]));
  }
  show('stats', await db.execute(`SELECT COUNT(*) AS n, MAX(created_at) AS latest FROM ${p}comments WHERE entry_id IN (?, ?)`, [1, 2]));
  show('users', await db.execute(`SELECT name, email FROM ${p}users WHERE email IS NULL OR name = ?`, ['cé']));
  show('types', await db.execute('SELECT ? AS n, ? AS s, ? AS nul, CAST(? AS DECIMAL(10,2)) AS d', [-5, "it's", null, '12.345']));
  show('multi', await db.multi(`SELECT COUNT(*) AS users FROM ${p}users; SELECT title FROM ${p}entries WHERE id = 2`));
  await db.ping();
  // A connection reset (COM_CHANGE_USER or COM_RESET_CONNECTION) keeps the
  // connection usable.
  await db.reset();
  show('after reset', await db.execute(`SELECT name FROM ${p}users WHERE id = ?`, [3]));
  // A pool's connections answer concurrently.
  const pool = db.pool();
  const names = await Promise.all([1, 2, 3, 1, 2, 3].map((id) => pool.query(`SELECT name FROM ${p}users WHERE id = ?`, [id])));
  show('pool', names.map((r) => (Array.isArray(r[0]) ? r[0][0] : r[0]).name));
  await pool.end();
  if (db.prepare) {
    // The mariadb driver's explicit prepare, executed twice, then closed.
    const st = await db.prepare(`SELECT title FROM ${p}entries WHERE user_id = ? ORDER BY id`);
    show('prepared', [await st.execute([1]), await st.execute([2])]);
    st.close();
  }
  if (db.stream) {
    // A 20,000-row result, streamed row by row.
    let rows = 0;
    let sum = 0;
    for await (const row of db.stream('SELECT seq FROM seq_1_to_20000')) {
      rows++;
      sum += Number(row.seq);
    }
    show('stream', { rows, sum });
  }
}

async function writePart(db) {
  // A comment in a transaction, read back inside it.
  await db.begin();
  const res = await db.execute(`INSERT INTO ${p}comments (entry_id, user_id, body, created_at) VALUES (?, ?, ?, NOW())`, [1, 2, `node ${driver} tx`]);
  const id = Number(db.insertId(res));
  const own = await db.execute(`SELECT body FROM ${p}comments WHERE id = ?`, [id]);
  if (own.length !== 1 || own[0].body !== `node ${driver} tx`) fail('own write not visible in the transaction: ' + JSON.stringify(own));
  await db.commit();
  // One in autocommit: its id comes after the first.
  const res2 = await db.query(`INSERT INTO ${p}comments (entry_id, user_id, body) VALUES (?, ?, ?)`, [2, 1, `node ${driver} autocommit`]);
  if (!(Number(db.insertId(res2)) > id)) fail('insert id did not advance: ' + id + ' then ' + db.insertId(res2));
  // One rolled back.
  await db.begin();
  await db.execute(`INSERT INTO ${p}comments (entry_id, user_id, body) VALUES (?, ?, ?)`, [2, 1, `rolled back ${driver}`]);
  await db.rollback();
  if (db.batch) {
    // The mariadb driver's batch: many rows of one prepared INSERT.
    const rows = Array.from({ length: 50 }, (_, i) => [3, 1, `node batch ${i}`]);
    const b = await db.batch(`INSERT INTO ${p}comments (entry_id, user_id, body) VALUES (?, ?, ?)`, rows);
    if (Number(b.affectedRows) !== 50) fail('batch inserted ' + b.affectedRows + ' rows, want 50');
  }
  // A server error reaches the app with its code, text and prepared.
  for (const run of [db.query, db.execute]) {
    try {
      await run(`SELECT * FROM ${p}no_such_table`);
      fail('missing table gave no error');
    } catch (e) {
      if (e.errno !== 1146 || e.sqlState !== '42S02') fail('wrong error: ' + e.errno + ' ' + e.sqlState + ' ' + e.message);
    }
  }
  // The connection still works after the errors. Reads go to replicas,
  // which may not have applied the writes yet: the hint reads the primary.
  const n = await db.query(`SELECT /* strata:primary */ COUNT(*) AS n FROM ${p}comments WHERE body LIKE 'node %'`);
  console.log('rows', Number(n[0].n));
  console.log('ok');
}

(async () => {
  const db = await drivers[driver]();
  try {
    await (part === 'read' ? readPart(db) : writePart(db));
  } finally {
    await db.end();
  }
})().catch((e) => fail(`${driver} ${part}: ${e.stack || e}`));
