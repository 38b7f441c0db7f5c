"""A blog's page loads through an unchanged Python driver, for Strata's
integration tests (test/python_test.go).

usage: python3 blog_workload.py HOST PORT USER PASSWORD PREFIX DRIVER PART

DRIVER is pymysql (pure Python; SQLAlchemy's and many scripts' driver) or
mysqldb (mysqlclient over libmariadb, Django's driver; mysqldb_compress
over the compressed protocol); PART is read or
write. The read part prints every answer, one labelled line each, so the
test can compare Strata with a direct connection; the write part prints
"ok" or why not and exits non-zero.
"""

import datetime
import decimal
import sys

host, port, user, password, p, driver, part = sys.argv[1:]
# mysqldb_compress: mysqlclient over the compressed protocol.
driver, _, compress = driver.partition("_")


def show(label, value):
    print(f"{label}: {render(value)}")


def render(v):
    """Rows as text a test can compare: tuples, Decimal, datetime, bytes."""
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(render(x) for x in v) + "]"
    if isinstance(v, (decimal.Decimal, datetime.datetime, datetime.date)):
        return f"{type(v).__name__}({v})"
    if isinstance(v, bytes):
        return "b" + repr(v.decode("utf-8", "replace"))
    return repr(v)


def fail(why):
    print(why)
    sys.exit(1)


def connect(autocommit=True, **extra):
    """A connection as a Django or SQLAlchemy app opens one: utf8mb4, the
    database named, autocommit as the app sets it."""
    if driver == "pymysql":
        import pymysql
        from pymysql.constants import CLIENT

        c = pymysql.connect(host=host, port=int(port), user=user, password=password, database="blog",
                            charset="utf8mb4", autocommit=autocommit,
                            client_flag=CLIENT.MULTI_STATEMENTS, **extra)
        return c
    import MySQLdb
    from MySQLdb.constants import CLIENT

    if compress:
        extra["compress"] = 1
    c = MySQLdb.connect(host=host, port=int(port), user=user, passwd=password, db="blog",
                        charset="utf8mb4", client_flag=CLIENT.MULTI_STATEMENTS, **extra)
    c.autocommit(autocommit)
    return c


def errors():
    if driver == "pymysql":
        import pymysql
        return pymysql.err
    import MySQLdb
    return MySQLdb


def streaming_cursor(c):
    if driver == "pymysql":
        import pymysql.cursors
        return c.cursor(pymysql.cursors.SSCursor)
    import MySQLdb.cursors
    return c.cursor(MySQLdb.cursors.SSCursor)


def read_part():
    # Django's connection setup: READ COMMITTED, a strict sql_mode.
    c = connect(init_command="SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
    cur = c.cursor()
    cur.execute("SET SESSION sql_mode = 'STRICT_TRANS_TABLES'")
    cur.execute("SELECT @@session.tx_isolation, @@session.sql_mode")
    show("session", cur.fetchall())
    # Home page: latest entries with their authors.
    cur.execute(f"SELECT e.id, e.title, u.name FROM {p}entries e JOIN {p}users u ON u.id = e.user_id "
                "ORDER BY e.created_at DESC LIMIT 10")
    show("home", cur.fetchall())
    show("columns", [d[0] for d in cur.description])
    # Permalink: the driver quotes the values into the text (both drivers
    # interpolate on the client).
    for entry in (1, 2, 3):
        cur.execute(f"SELECT title, body, created_at FROM {p}entries WHERE id = %s", (entry,))
        show(f"entry {entry}", cur.fetchall())
        cur.execute(f"SELECT c.body, u.name FROM {p}comments c LEFT JOIN {p}users u ON u.id = c.user_id "
                    "WHERE c.entry_id = %s ORDER BY c.id", (entry,))
        show(f"comments {entry}", cur.fetchall())
    cur.execute(f"SELECT COUNT(*), MAX(created_at) FROM {p}comments WHERE entry_id IN %s", ((1, 2),))
    show("stats", cur.fetchall())
    cur.execute(f"SELECT name, email FROM {p}users WHERE email IS NULL OR name = %s", ("cé",))
    show("users", cur.fetchall())
    cur.execute("SELECT %s AS n, %s AS s, %s AS nul, CAST(%s AS DECIMAL(10,2)) AS d, CAST(%s AS BINARY) AS b",
                (-5, "it's \\ \"quoted\"", None, "12.345", b"\x00\xff"))
    show("types", cur.fetchall())
    show("rowcount", cur.rowcount)
    # Several statements in one query, several result sets back.
    cur.execute(f"SELECT COUNT(*) FROM {p}users; SELECT title FROM {p}entries WHERE id = 2")
    sets = [cur.fetchall()]
    while cur.nextset():
        sets.append(cur.fetchall())
    show("multi", sets)
    cur.close()
    c.ping()
    # COM_INIT_DB and back.
    c.select_db("mysql")
    cur = c.cursor()
    cur.execute("SELECT DATABASE()")
    show("select_db", cur.fetchall())
    c.select_db("blog")
    # A 20,000-row result read row by row (an unbuffered cursor).
    ss = streaming_cursor(c)
    ss.execute("SELECT seq FROM seq_1_to_20000")
    rows = total = 0
    for (seq,) in ss:
        rows += 1
        total += int(seq)
    ss.close()
    show("stream", (rows, total))
    c.close()


def write_part():
    c = connect()
    cur = c.cursor()
    # A comment in a transaction, read back inside it.
    c.begin()
    cur.execute(f"INSERT INTO {p}comments (entry_id, user_id, body, created_at) VALUES (%s, %s, %s, NOW())",
                (1, 2, f"py {driver} tx"))
    first = cur.lastrowid
    cur.execute(f"SELECT body FROM {p}comments WHERE id = %s", (first,))
    own = cur.fetchall()
    if len(own) != 1 or own[0][0] != f"py {driver} tx":
        fail(f"own write not visible in the transaction: {own!r}")
    c.commit()
    # executemany: both drivers send one multi-row INSERT.
    cur.executemany(f"INSERT INTO {p}comments (entry_id, user_id, body) VALUES (%s, %s, %s)",
                    [(3, 1, f"py {driver} many {i}") for i in range(20)])
    if cur.rowcount != 20:
        fail(f"executemany inserted {cur.rowcount} rows, want 20")
    if not cur.lastrowid > first:
        fail(f"insert id did not advance: {first} then {cur.lastrowid}")
    # One rolled back.
    c.begin()
    cur.execute(f"INSERT INTO {p}comments (entry_id, user_id, body) VALUES (2, 1, %s)", (f"rolled back {driver}",))
    c.rollback()
    # A server error reaches the app with its code; the connection goes on.
    try:
        cur.execute(f"SELECT * FROM {p}no_such_table")
        fail("missing table gave no error")
    except errors().ProgrammingError as e:
        if e.args[0] != 1146:
            fail(f"wrong error: {e.args!r}")
    # A duplicate key: IntegrityError 1062.
    try:
        cur.execute(f"INSERT INTO {p}users (id, name) VALUES (1, 'dup')")
        fail("duplicate key gave no error")
    except errors().IntegrityError as e:
        if e.args[0] != 1062:
            fail(f"wrong error: {e.args!r}")
    c.close()

    # The drivers' default: autocommit off (PEP 249), so every statement is
    # in a transaction until commit(): another connection does not see the
    # row before it, and does after.
    manual = connect(autocommit=False)
    mcur = manual.cursor()
    mcur.execute(f"INSERT INTO {p}comments (entry_id, user_id, body) VALUES (2, 3, %s)", (f"py {driver} manual",))
    other = connect()
    ocur = other.cursor()
    count = f"SELECT /* strata:primary */ COUNT(*) FROM {p}comments WHERE body = %s"
    ocur.execute(count, (f"py {driver} manual",))
    if ocur.fetchone()[0] != 0:
        fail("a row of an uncommitted transaction was seen by another connection")
    manual.commit()
    ocur.execute(count, (f"py {driver} manual",))
    if ocur.fetchone()[0] != 1:
        fail("the committed row is not seen by another connection")
    manual.close()
    # Reads go to replicas, which may not have applied the writes yet:
    # the hint reads the primary.
    ocur.execute(f"SELECT /* strata:primary */ COUNT(*) FROM {p}comments WHERE body LIKE 'py %%'")
    print("rows", ocur.fetchone()[0])
    other.close()
    print("ok")


try:
    read_part() if part == "read" else write_part()
except SystemExit:
    raise
except Exception as e:  # what failed, for the test's message
    fail(f"{driver} {part}: {type(e).__name__}: {e}")
