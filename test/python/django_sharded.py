"""Reads and writes over the sharded tables of test/sharding as a Django app
writes them, through Django's ORM on mysqlclient, printed one labelled line
each, so the test can compare Strata (sharded) with the single server
holding every row (test/sharding/python_test.go). The rows it writes are
deleted again.

usage: python3 django_sharded.py HOST PORT USER PASSWORD

Django sets its connection up with a strict sql_mode and READ COMMITTED,
runs transaction.atomic() blocks with autocommit off (SET autocommit=0,
the statements, COMMIT) and nested blocks as savepoints, saves a model
by its primary key (UPDATE, then INSERT when no row matched), and
update_or_create() locks the row with SELECT ... FOR UPDATE first.
"""

import datetime
import decimal
import sys

import django
from django.conf import settings

host, port, user, password = sys.argv[1:]
settings.configure(
    DATABASES={"default": {
        "ENGINE": "django.db.backends.mysql", "NAME": "blog", "HOST": host, "PORT": port,
        "USER": user, "PASSWORD": password,
        "OPTIONS": {"charset": "utf8mb4", "isolation_level": "read committed",
                    "init_command": "SET sql_mode = 'STRICT_TRANS_TABLES'"},
    }},
    INSTALLED_APPS=[], USE_TZ=False, DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
)
django.setup()

from django.core.paginator import Paginator  # noqa: E402
from django.db import IntegrityError, connection, models, transaction  # noqa: E402
from django.db.models import Avg, Count, F, Max, Min, Sum  # noqa: E402


class Entry(models.Model):
    title = models.CharField(max_length=100, null=True)
    score = models.IntegerField(null=True)
    status = models.CharField(max_length=10)

    class Meta:
        app_label = "blog"
        db_table = "entries"
        managed = False


class Comment(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.DO_NOTHING, db_constraint=False, related_name="comments")
    author = models.CharField(max_length=50, null=True)
    body = models.CharField(max_length=200)
    votes = models.IntegerField(null=True)
    created = models.DateTimeField(null=True)

    class Meta:
        app_label = "blog"
        db_table = "comments"
        managed = False


class Post(models.Model):
    created_at = models.DateTimeField()
    author = models.CharField(max_length=50, null=True)
    title = models.CharField(max_length=100)
    views = models.IntegerField(null=True)

    class Meta:
        app_label = "blog"
        db_table = "posts"
        managed = False


def render(v):
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(render(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {render(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (decimal.Decimal, datetime.datetime, datetime.date)):
        return f"{type(v).__name__}({v})"
    return repr(v)


def show(label, value):
    print(f"{label}: {render(value)}")


def attempt(label, f):
    try:
        show(label, f())
    except Exception as e:  # the error a Django app sees: its class and MariaDB's code
        code = e.args[0] if e.args and isinstance(e.args[0], int) else None
        show(label, f"{type(e).__name__} {code}")


mine = Comment.objects.filter(author__startswith="dj-")
mine.delete()
Post.objects.filter(author__startswith="dj-").delete()

# Reads as the ORM writes them.
for e in (1, 2, 3):
    show(f"comments of {e}", list(Comment.objects.filter(entry_id=e).order_by("id").values_list("id", "author", "votes", "created")))
show("some entries", list(Comment.objects.filter(entry_id__in=[1, 2, 3]).order_by("-id").values_list("id", "entry_id")[:4]))
show("page", list(Comment.objects.order_by("-id").values_list("id", "entry_id")[10:15]))
show("count", [Comment.objects.count(), Comment.objects.filter(votes__gt=3).count(),
               Comment.objects.values("entry_id").distinct().count()])
show("aggregate", Comment.objects.aggregate(Sum("votes"), Avg("votes"), Min("created"), Max("votes")))
show("votes by entry", list(Comment.objects.filter(votes__gt=3).values("entry_id").annotate(total=Sum("votes"))
                            .order_by("-total", "entry_id")[:5]))
show("busy entries", list(Comment.objects.values("entry_id").annotate(n=Count("id")).filter(n__gt=5).order_by("entry_id")[:5]))
pages = Paginator(Comment.objects.filter(votes__gt=2).order_by("id").values_list("id", flat=True), 25)
show("paginator", [pages.count, pages.num_pages, list(pages.page(3).object_list)])
first = Comment.objects.order_by("id").first()
show("by id", [first.id, first.entry_id, first.body, first.votes])
show("exists", [Comment.objects.filter(entry_id=1).exists(), Comment.objects.filter(entry_id=1, votes=-99).exists()])
show("iterator", sum(c.id for c in Comment.objects.filter(votes__gt=2).iterator(chunk_size=100)))
ids = list(Entry.objects.order_by("id").values_list("id", flat=True)[:3])
show("prefetched", [[e.id, sorted(c.id for c in e.comments.all())[:3]] for e in Entry.objects.filter(id__in=ids).prefetch_related("comments").order_by("id")])
show("posts by time", list(Post.objects.filter(created_at__gte=datetime.datetime(2025, 3, 1)).order_by("created_at", "id")
                           .values_list("id", "title", "created_at")[:3]))

# Writes: rows over every shard, one at a time and in one bulk INSERT.
for i in range(6):
    Comment(id=970100 + i, entry_id=1 + i, author="dj-orm", body=f"row {i} ünïcödé", votes=i).save(force_insert=True)
Comment.objects.bulk_create([Comment(id=970110 + i, entry_id=1 + i * 3, author="dj-orm", body=f"bulk {i}") for i in range(4)])
attempt("duplicate", lambda: Comment.objects.create(id=970100, entry_id=1, author="dj-dup", body="x").id)
show("get_or_create", [Comment.objects.get_or_create(id=970120, entry_id=2, defaults={"author": "dj-orm", "body": "got"})[1],
                       Comment.objects.get_or_create(id=970120, entry_id=2, defaults={"author": "dj-orm", "body": "again"})[1]])
attempt("update_or_create", lambda: Comment.objects.update_or_create(id=970121, entry_id=3, defaults={"author": "dj-orm", "body": "upd"})[1])
# By primary key alone: select_for_update().get(id=...) finds the row's
# shard, and the transaction goes on there.
attempt("get_or_create by pk", lambda: [Comment.objects.get_or_create(id=970140, defaults={"entry_id": 3, "author": "dj-orm", "body": "got by pk"})[1],
                                        Comment.objects.get_or_create(id=970140, defaults={"entry_id": 3, "author": "dj-orm", "body": "again"})[1]])
with transaction.atomic():
    show("locked two of one shard", list(Comment.objects.select_for_update().filter(id__in=[970100, 970104]).order_by("id").values_list("id", flat=True)))
    Comment.objects.filter(id__in=[970100, 970104]).update(votes=F("votes") + 1)
attempt("update_or_create by pk", lambda: Comment.objects.update_or_create(id=970102, defaults={"body": "locked upd"})[1])
with transaction.atomic():
    show("locked by pk", Comment.objects.select_for_update().get(pk=970101).body)
    Comment.objects.filter(pk=970101).update(votes=F("votes") + 1)
c = Comment.objects.get(id=970103)
c.body, c.votes = "saved", 42
c.save()  # UPDATE ... WHERE id = 970103
show("update F", Comment.objects.filter(author="dj-orm", entry_id__lte=3).update(votes=F("votes") + 10))
with transaction.atomic():
    # Django's transaction: autocommit off, the model saved by its key.
    c = Comment.objects.get(id=970104)
    c.body = "in atomic"
    c.save()
    Comment.objects.create(id=970130, entry_id=5, author="dj-orm", body="atomic insert")
try:
    with transaction.atomic():
        Comment.objects.create(id=970131, entry_id=2, author="dj-orm", body="undone")
        raise RuntimeError("roll back")
except RuntimeError:
    pass
with transaction.atomic():
    locked = list(Comment.objects.select_for_update().filter(entry_id=2, author="dj-orm").values_list("id", flat=True))
    show("locked", locked)
    with transaction.atomic():  # a savepoint
        Comment.objects.filter(id__in=locked).update(votes=7)
Comment.objects.filter(id=970105).delete()
Post.objects.create(id=970200, created_at=datetime.datetime(2025, 5, 3, 10, 0), author="dj-orm", title="dated")
show("post", list(Post.objects.filter(id=970200).values_list("id", "created_at", "title")))
show("written", list(mine.order_by("id").values_list("id", "entry_id", "body", "votes")))
with connection.cursor() as cur:
    cur.execute("SELECT @@session.tx_isolation, @@session.sql_mode, @@session.autocommit")
    show("session", cur.fetchall())
show("deleted", [mine.delete()[0], Post.objects.filter(author__startswith="dj-").delete()[0]])
show("left", mine.count())
