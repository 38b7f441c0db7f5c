// Reads and writes over the sharded tables of test/sharding as a Node.js
// app writes them through Sequelize, the ORM most Node.js teams run,
// printed one labelled JSON line each, so the test can compare Strata
// (sharded) with the single server holding every row
// (test/sharding/node_test.go). The rows it writes are deleted again.
// usage: node sharded_sequelize.js HOST PORT USER PASSWORD DIALECT
// DIALECT is mysql (Sequelize on mysql2) or mariadb (on the mariadb
// connector).
'use strict';

const { Sequelize, DataTypes, Op, QueryTypes, Transaction } = require('sequelize');

const [host, port, user, password, dialect] = process.argv.slice(2);

const sequelize = new Sequelize('blog', user, password, {
  host,
  port: Number(port),
  dialect,
  logging: false,
  timezone: '+00:00',
  pool: { max: 2, min: 0 },
  dialectOptions: dialect === 'mysql' ? { dateStrings: true, typeCast: true, supportBigNumbers: true, bigNumberStrings: true } : { dateStrings: true },
});

const Entry = sequelize.define('Entry', { user_id: DataTypes.INTEGER, title: DataTypes.STRING, score: DataTypes.INTEGER, status: DataTypes.STRING }, { tableName: 'entries', timestamps: false });
const Comment = sequelize.define(
  'Comment',
  { entry_id: DataTypes.INTEGER, author: DataTypes.STRING, body: DataTypes.STRING, votes: DataTypes.INTEGER, created: DataTypes.DATE },
  { tableName: 'comments', timestamps: false },
);
const Post = sequelize.define('Post', { created_at: DataTypes.DATE, author: DataTypes.STRING, title: DataTypes.STRING, views: DataTypes.INTEGER }, { tableName: 'posts', timestamps: false });
Entry.hasMany(Comment, { foreignKey: 'entry_id', constraints: false });
Comment.belongsTo(Entry, { foreignKey: 'entry_id', constraints: false });

// A value as the app sees it: BigInt and Date as strings, so both drivers
// print alike whatever they return.
const show = (label, value) =>
  console.log(
    label +
      ': ' +
      JSON.stringify(value, (k, v) => {
        if (typeof v === 'bigint') return v.toString();
        return v;
      }),
  );

// attempt shows what a call returns, or the MariaDB error it failed with.
async function attempt(label, fn) {
  try {
    show(label, await fn());
  } catch (e) {
    const cause = e.parent || e.original || e;
    show(label, `${e.name} ${cause.errno} ${cause.sqlState}`);
  }
}

const plain = (rows) => rows.map((r) => (r.get ? r.get({ plain: true }) : r));
const mine = { author: { [Op.like]: 'sq-%' } };

async function run() {
  await Comment.destroy({ where: mine });
  await Post.destroy({ where: mine });

  // Reads as models write them.
  for (const entry of [1, 2, 3]) {
    show(`comments of ${entry}`, plain(await Comment.findAll({ where: { entry_id: entry }, order: [['id', 'ASC']], attributes: ['id', 'author', 'votes', 'created'] })));
  }
  show('page', plain(await Comment.findAll({ order: [['id', 'DESC']], limit: 5, offset: 10, attributes: ['id', 'entry_id'] })));
  const counted = await Comment.findAndCountAll({ where: { votes: { [Op.gt]: 3 } }, order: [['id', 'ASC']], limit: 3, attributes: ['id'] });
  show('findAndCountAll', [counted.count, plain(counted.rows)]);
  show('counts', [await Comment.count(), await Comment.count({ distinct: true, col: 'entry_id' }), await Comment.count({ where: { entry_id: [1, 2] } })]);
  show('aggregates', [await Comment.sum('votes'), await Comment.max('votes'), await Comment.min('created')]);
  show(
    'votes by entry',
    plain(
      await Comment.findAll({
        attributes: ['entry_id', [sequelize.fn('SUM', sequelize.col('votes')), 'total'], [sequelize.fn('COUNT', sequelize.col('id')), 'n']],
        where: { votes: { [Op.gt]: 3 } },
        group: ['entry_id'],
        order: [[sequelize.literal('total'), 'DESC'], ['entry_id', 'ASC']],
        limit: 5,
        raw: true,
      }),
    ),
  );
  const first = await Comment.findOne({ order: [['id', 'ASC']] });
  show('by primary key', (await Comment.findByPk(first.id)).get({ plain: true }));
  // Eager loading: each entry with its comments, in one query with a
  // JOIN, and in two (separate: true) as an app with big lists does.
  // Entries whose ids are comments' entry_ids (comments are sharded by
  // entry_id, entries hashed by id: not on the same shards).
  const ids = [1, 2, 3];
  await Entry.destroy({ where: { id: ids, status: 'sq' } });
  await Entry.bulkCreate(ids.map((id) => ({ id, user_id: 1, title: `sq entry ${id}`, status: 'sq', score: id })));
  const withComments = (entries) => entries.map((e) => [e.id, e.Comments.map((c) => c.id).sort((a, b) => a - b).slice(0, 3)]);
  show('included', withComments(await Entry.findAll({ where: { id: ids }, include: [{ model: Comment, attributes: ['id'] }], order: [['id', 'ASC']] })));
  show('included separately', withComments(await Entry.findAll({ where: { id: ids }, include: [{ model: Comment, attributes: ['id'], separate: true }], order: [['id', 'ASC']] })));
  show('comment with its entry', plain(await Comment.findAll({ where: { entry_id: 2 }, include: [{ model: Entry, attributes: ['id', 'title'] }], order: [['id', 'ASC']], limit: 3 })));
  show('posts by time', plain(await Post.findAll({ where: { created_at: { [Op.gte]: '2025-03-01' } }, order: [['created_at', 'ASC'], ['id', 'ASC']], limit: 3, attributes: ['id', 'title', 'created_at'] })));
  const described = await sequelize.getQueryInterface().describeTable('comments');
  show('described', Object.keys(described).map((k) => [k, described[k].type, described[k].allowNull, described[k].primaryKey]));

  // Writes: rows over every shard, one at a time and in one INSERT.
  for (let i = 0; i < 6; i++) {
    await Comment.create({ id: 985100 + i, entry_id: 1 + i, author: 'sq-orm', body: `row ${i} ünïcödé`, votes: i, created: '2024-06-03 10:00:00' });
  }
  await attempt('duplicate', () => Comment.create({ id: 985100, entry_id: 1, author: 'sq-dup', body: 'x' }).then((c) => c.id));
  await Comment.bulkCreate([0, 1, 2, 3].map((i) => ({ id: 985110 + i, entry_id: 1 + i * 3, author: 'sq-orm', body: `bulk ${i}` })));
  // 985110 is on entry 1's shard, as is entry 5 (modulo 4): the upsert
  // sets its shard key, and the row stays where it is.
  await attempt('bulkCreate updateOnDuplicate', async () =>
    (
      await Comment.bulkCreate(
        [
          { id: 985110, entry_id: 5, author: 'sq-orm', body: 'upserted' },
          { id: 985114, entry_id: 2, author: 'sq-orm', body: 'new' },
        ],
        { updateOnDuplicate: ['entry_id', 'body'] },
      )
    ).length,
  );
  await attempt('upsert', async () => (await Comment.upsert({ id: 985115, entry_id: 3, author: 'sq-orm', body: 'upsert' }))[0].id);
  await attempt('findOrCreate', async () => [
    (await Comment.findOrCreate({ where: { id: 985120 }, defaults: { entry_id: 2, author: 'sq-orm', body: 'found or created' } }))[1],
    (await Comment.findOrCreate({ where: { id: 985120 }, defaults: { entry_id: 2, author: 'sq-orm', body: 'again' } }))[1],
  ]);
  show('update', await Comment.update({ votes: sequelize.literal('COALESCE(votes, 0) + 10') }, { where: { author: 'sq-orm', entry_id: { [Op.lte]: 3 } } }));
  const c = await Comment.findByPk(985103);
  c.body = 'saved';
  c.votes = 42;
  await c.save(); // UPDATE comments SET body = ?, votes = ? WHERE id = ?
  await Comment.increment('votes', { by: 5, where: { id: 985104 } });
  await c.reload();
  show('reloaded', c.get({ plain: true }));

  // Transactions as Sequelize runs them: managed (committed when the
  // callback resolves), a lock by primary key first, and one rolled back.
  await attempt('managed transaction', () =>
    sequelize.transaction(async (t) => {
      const locked = await Comment.findByPk(985101, { lock: t.LOCK.UPDATE, transaction: t });
      locked.body = 'in transaction';
      await locked.save({ transaction: t });
      // Entry 6 is on entry 2's shard, where the transaction went.
      await Comment.create({ id: 985130, entry_id: 6, author: 'sq-orm', body: 'tx insert' }, { transaction: t });
      return locked.votes;
    }),
  );
  await attempt('rolled back', () =>
    sequelize.transaction(async (t) => {
      await Comment.create({ id: 985131, entry_id: 2, author: 'sq-orm', body: 'undone' }, { transaction: t });
      throw Object.assign(new Error('roll back'), { errno: 'app', sqlState: 'app' });
    }),
  );
  await attempt('unmanaged transaction', async () => {
    const t = await sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.READ_COMMITTED });
    try {
      const rows = await Comment.findAll({ where: { entry_id: 2, author: 'sq-orm' }, lock: true, transaction: t, order: [['id', 'ASC']] });
      await Comment.update({ votes: 7 }, { where: { id: rows.map((r) => r.id) }, transaction: t });
      await t.commit();
      return rows.map((r) => r.id);
    } catch (e) {
      await t.rollback();
      throw e;
    }
  });
  await Comment.destroy({ where: { id: 985105 } });
  await Post.create({ id: 985200, created_at: '2025-05-03 10:00:00', author: 'sq-orm', title: 'dated' });
  await attempt('post by id', async () => (await Post.findByPk(985200)).get({ plain: true }));
  show('raw', await sequelize.query('SELECT entry_id, COUNT(*) AS n FROM comments WHERE author = :author GROUP BY entry_id ORDER BY entry_id', { replacements: { author: 'sq-orm' }, type: QueryTypes.SELECT }));
  show('written', plain(await Comment.findAll({ where: mine, order: [['id', 'ASC']], attributes: ['id', 'entry_id', 'body', 'votes'] })));
  show('deleted', [await Comment.destroy({ where: mine }), await Post.destroy({ where: mine })]);
  show('entries deleted', await Entry.destroy({ where: { id: ids, status: 'sq' } }));
  show('left', await Comment.count({ where: mine }));
}

run()
  .then(() => sequelize.close())
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
