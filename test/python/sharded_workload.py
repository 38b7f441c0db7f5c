"""Reads and writes over the sharded tables of test/sharding through an
unchanged Python driver, printed one labelled line each, so the test can
compare Strata (sharded) with the single server holding every row
(test/sharding/python_test.go). The rows it writes are deleted again, so
the data stays the loaded one.

usage: python3 sharded_workload.py HOST PORT USER PASSWORD DRIVER

DRIVER is pymysql or mysqldb. Both quote values into the text on the
client: bytes as _binary'...' with backslash escapes, dates and times as
strings, Decimal as its digits; executemany() of an INSERT sends one
multi-row statement.
"""

import datetime
import decimal
import sys

host, port, user, password, driver = sys.argv[1:]


def render(v):
    """Rows as text a test can compare: tuples, Decimal, datetime, bytes."""
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(render(x) for x in v) + "]"
    if isinstance(v, (decimal.Decimal, datetime.datetime, datetime.date, datetime.timedelta)):
        return f"{type(v).__name__}({v})"
    if isinstance(v, bytes):
        return "x" + v.hex()
    return repr(v)


def connect():
    if driver == "pymysql":
        import pymysql
        return pymysql.connect(host=host, port=int(port), user=user, password=password, database="blog",
                               charset="utf8mb4", autocommit=True)
    import MySQLdb
    c = MySQLdb.connect(host=host, port=int(port), user=user, passwd=password, db="blog", charset="utf8mb4")
    c.autocommit(True)
    return c


def errors():
    if driver == "pymysql":
        import pymysql
        return pymysql.err
    import MySQLdb
    return MySQLdb


c = connect()
cur = c.cursor()


def show(label, sql, args=None):
    cur.execute(sql, args)
    print(f"{label}: {render(cur.fetchall())} rowcount={cur.rowcount}")


def write(label, sql, args=None, many=False):
    try:
        (cur.executemany if many else cur.execute)(sql, args)
        print(f"{label}: rowcount={cur.rowcount}")
    except errors().Error as e:
        print(f"{label}: error {e.args[0]}")


author = f"py-{driver}"
cur.execute("DELETE FROM comments WHERE author LIKE 'py-%%'")
# An entry's comments (one shard), a scatter with merged aggregates, a
# page over every shard, an IN list of keys.
for entry in (1, 2, 3, 4):
    show(f"comments of {entry}", "SELECT id, author, votes, created FROM comments WHERE entry_id = %s ORDER BY id", (entry,))
show("votes by entry", "SELECT entry_id, COUNT(*), SUM(votes), AVG(votes) FROM comments WHERE votes > %s "
     "GROUP BY entry_id ORDER BY SUM(votes) DESC, entry_id LIMIT 5", (3,))
show("page", "SELECT id, entry_id FROM comments ORDER BY id DESC LIMIT %s, %s", (10, 5))
show("in list", "SELECT id, entry_id FROM comments WHERE entry_id IN %s ORDER BY id LIMIT 8", ((5, 6, 7),))
# Values the drivers quote, computed with over every shard.
show("computed", "SELECT %s / 3, %s / 3, %s + 1, CONCAT(%s, ''), HEX(%s), %s IS NULL, %s + INTERVAL 1 DAY, "
     "%s + INTERVAL 1 HOUR, %s + INTERVAL 1 SECOND, COUNT(*) FROM comments WHERE votes > %s",
     (decimal.Decimal("1.0"), 1.5, 41, "it's a \\ \"path\"", b"\xff\x00\x80'\\", None, datetime.date(2024, 6, 3),
      datetime.datetime(2024, 6, 3, 10, 20, 30, 7), datetime.timedelta(hours=10, minutes=20, seconds=30), 3))
# A table sharded by time, read by quoted datetimes and dates.
cur.execute("SELECT MIN(created_at), MAX(created_at) FROM posts")
first, last = cur.fetchone()
show("posts at", "SELECT id, title FROM posts WHERE created_at = %s OR created_at = %s ORDER BY id", (first, last))
show("posts from", "SELECT COUNT(*), MIN(id) FROM posts WHERE created_at >= %s AND created_at < %s + INTERVAL 40 DAY",
     (first.date(), first.date()))

# executemany: one multi-row INSERT over all four shards, bodies with
# bytes that need escaping.
rows = [(930000 + i, 1 + i % 6, author, f"row {i} ünïcödé \\ 'q'", i) for i in range(12)]
write("executemany", "INSERT INTO comments (id, entry_id, author, body, votes) VALUES (%s, %s, %s, %s, %s)", rows, many=True)
show("written", "SELECT id, entry_id, body, votes FROM comments WHERE author = %s ORDER BY id", (author,))
# A duplicate key in the batch: none of its rows.
dup = [(930100, 1, author, "new", 1), (930001, 2, author, "dup", 2)]
write("executemany duplicate", "INSERT INTO comments (id, entry_id, author, body, votes) VALUES (%s, %s, %s, %s, %s)", dup, many=True)
# executemany of an UPDATE: one statement per row.
write("update many", "UPDATE comments SET votes = votes + %s WHERE entry_id = %s AND id = %s",
      [(100, 1 + i % 6, 930000 + i) for i in range(0, 12, 3)], many=True)
write("update all", "UPDATE comments SET body = CONCAT(body, %s) WHERE author = %s", ("!", author))
show("after update", "SELECT SUM(votes), MAX(votes), MIN(body) FROM comments WHERE author = %s", (author,))

# A transaction on one entry's shard, committed, and one rolled back.
c.begin()
cur.execute("INSERT INTO comments (id, entry_id, author, body) VALUES (%s, 2, %s, 'kept')", (930200, author + "-tx"))
show("inside", "SELECT body FROM comments WHERE entry_id = 2 AND author = %s", (author + "-tx",))
c.commit()
c.begin()
cur.execute("INSERT INTO comments (id, entry_id, author, body) VALUES (%s, 2, %s, 'undone')", (930201, author + "-tx"))
c.rollback()
show("after tx", "SELECT id, body FROM comments WHERE author = %s ORDER BY id", (author + "-tx",))
write("duplicate", "INSERT INTO comments (id, entry_id, author, body) VALUES (%s, %s, %s, 'x')", (930000, 1, author))

write("delete one entry", "DELETE FROM comments WHERE entry_id = %s AND author LIKE %s", (1, "py-%"))
write("delete rest", "DELETE FROM comments WHERE author LIKE %s", ("py-%",))
show("left", "SELECT COUNT(*) FROM comments WHERE author LIKE %s", ("py-%",))
c.close()
