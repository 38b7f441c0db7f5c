<?php
// Reads and writes over the sharded tables of test/sharding as a Laravel
// app writes them, through Eloquent (Debian's php-illuminate-database) on
// PDO, printed one labelled line each, so the test can compare Strata
// (sharded) with the single server holding every row
// (test/sharding/php_test.go). The rows it writes are deleted again.
//
// Eloquent runs with PDO's emulated prepares off (values bound on the
// server), saves a model by its primary key, wraps DB::transaction()
// around a closure (and retries it on a deadlock), and its upsert() is
// INSERT ... ON DUPLICATE KEY UPDATE col = VALUES(col) for every column.
// usage: php sharded_eloquent.php HOST PORT USER PASSWORD
require_once '/usr/share/php/Illuminate/Database/autoload.php';
require_once '/usr/share/php/Illuminate/Pagination/autoload.php';

use Illuminate\Database\Capsule\Manager as DB;
use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\QueryException;

[$_, $host, $port, $user, $pass] = $argv;
$db = new DB();
$db->addConnection(['driver' => 'mysql', 'host' => $host, 'port' => (int)$port, 'database' => 'blog', 'username' => $user,
    'password' => $pass, 'charset' => 'utf8mb4', 'collation' => 'utf8mb4_general_ci', 'strict' => true]);
$db->setAsGlobal();
$db->bootEloquent();

class Comment extends Model {
    protected $table = 'comments';
    public $timestamps = false;
    public $incrementing = false;
    protected $guarded = [];
}

class Post extends Model {
    protected $table = 'posts';
    public $timestamps = false;
    public $incrementing = false;
    protected $guarded = [];
}

class Entry extends Model {
    protected $table = 'entries';
    public $timestamps = false;
    protected $guarded = [];
    public function comments() { return $this->hasMany(Comment::class, 'entry_id'); }
}

function show(string $label, $value): void {
    echo $label, ': ', json_encode($value, JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION), "\n";
}

function attempt(string $label, callable $f): void {
    try {
        show($label, $f());
    } catch (QueryException $e) {
        show($label, 'error ' . ($e->errorInfo[1] ?? '?') . ' ' . ($e->errorInfo[0] ?? '?'));
    }
}

$mine = fn() => Comment::where('author', 'like', 'lv-%');
$mine()->delete();
Post::where('author', 'like', 'lv-%')->delete();

// Reads as the query builder writes them.
foreach ([1, 2, 3] as $entry) {
    show("comments of $entry", Comment::where('entry_id', $entry)->orderBy('id')->get(['id', 'author', 'votes', 'created'])->toArray());
}
show('some entries', Comment::whereIn('entry_id', [1, 2, 3])->orderByDesc('id')->limit(4)->pluck('entry_id', 'id'));
show('page', Comment::orderByDesc('id')->skip(10)->take(5)->pluck('id'));
show('count', [Comment::count(), Comment::where('votes', '>', 3)->count(), Comment::distinct()->count('entry_id')]);
show('aggregates', [Comment::sum('votes'), Comment::avg('votes'), Comment::min('created'), Comment::max('votes')]);
show('votes by entry', Comment::where('votes', '>', 3)->groupBy('entry_id')->selectRaw('entry_id, SUM(votes) AS total')
    ->orderByDesc('total')->orderBy('entry_id')->limit(5)->get()->toArray());
$paged = Comment::where('votes', '>', 2)->orderBy('id')->paginate(25, ['id'], 'page', 3);
show('paginate', [$paged->total(), $paged->lastPage(), $paged->pluck('id')]);
$first = Comment::orderBy('id')->first();
show('find', Comment::find($first->id)->only(['id', 'entry_id', 'body', 'votes']));
show('exists', [Comment::where('entry_id', 1)->exists(), Comment::where('entry_id', 1)->where('votes', -99)->exists()]);
$sum = 0;
Comment::where('votes', '>', 2)->chunkById(100, function ($rows) use (&$sum) { $sum += $rows->sum('id'); });
show('chunkById', $sum);
$ids = Entry::orderBy('id')->limit(3)->pluck('id');
show('eager', Entry::with('comments')->whereIn('id', $ids)->orderBy('id')->get()
    ->map(fn($e) => [$e->id, $e->comments->pluck('id')->sort()->take(3)->values()]));
show('posts by time', Post::where('created_at', '>=', '2025-03-01 00:00:00')->orderBy('created_at')->orderBy('id')->limit(3)
    ->get(['id', 'title', 'created_at'])->toArray());

// Writes: models over every shard, a batch insert, upserts, updates by key.
for ($i = 0; $i < 6; $i++) {
    Comment::create(['id' => 980100 + $i, 'entry_id' => 1 + $i, 'author' => 'lv-orm', 'body' => "row $i ünïcödé", 'votes' => $i]);
}
attempt('duplicate', fn() => Comment::create(['id' => 980100, 'entry_id' => 1, 'author' => 'lv-dup', 'body' => 'x'])->id);
show('insert', Comment::insert([['id' => 980110, 'entry_id' => 1, 'author' => 'lv-orm', 'body' => 'a'],
    ['id' => 980111, 'entry_id' => 7, 'author' => 'lv-orm', 'body' => "b'c"]]));
// 980110 is on entry 1's shard, as is entry 5 (modulo 4).
attempt('upsert', fn() => Comment::upsert([['id' => 980110, 'entry_id' => 5, 'author' => 'lv-orm', 'body' => 'upserted'],
    ['id' => 980112, 'entry_id' => 2, 'author' => 'lv-orm', 'body' => 'new']], ['id'], ['entry_id', 'body']));
attempt('firstOrCreate', fn() => [Comment::firstOrCreate(['id' => 980120], ['entry_id' => 2, 'author' => 'lv-orm', 'body' => 'made'])->wasRecentlyCreated,
    Comment::firstOrCreate(['id' => 980120], ['entry_id' => 2, 'author' => 'lv-orm', 'body' => 'again'])->wasRecentlyCreated]);
attempt('updateOrCreate', fn() => Comment::updateOrCreate(['id' => 980121], ['entry_id' => 3, 'author' => 'lv-orm', 'body' => 'upd'])->wasRecentlyCreated);
$c = Comment::find(980103);
$c->body = 'saved';
$c->votes = 42;
show('save', $c->save()); // UPDATE comments SET body, votes WHERE id = 980103
show('increment', Comment::where('id', 980104)->increment('votes', 5));
show('update', Comment::where('author', 'lv-orm')->where('entry_id', '<=', 3)->update(['votes' => DB::raw('COALESCE(votes, 0) + 10')]));
attempt('transaction', fn() => DB::connection()->transaction(function () {
    $c = Comment::find(980101);
    $c->body = 'in transaction';
    $c->save();
    Comment::where('id', 980101)->increment('votes');
    // Entry 6 is on entry 2's shard, where the transaction went.
    return Comment::create(['id' => 980130, 'entry_id' => 6, 'author' => 'lv-orm', 'body' => 'tx insert'])->id;
}));
try {
    DB::connection()->transaction(function () {
        Comment::create(['id' => 980131, 'entry_id' => 2, 'author' => 'lv-orm', 'body' => 'undone']);
        throw new RuntimeException('roll back');
    });
} catch (RuntimeException $e) {
}
attempt('locked', fn() => DB::connection()->transaction(fn() => Comment::where('entry_id', 2)->where('author', 'lv-orm')
    ->lockForUpdate()->orderBy('id')->pluck('id')));
// Locked by primary key alone: the locking read finds the row's shard,
// and the transaction goes on there.
attempt('locked by key', fn() => DB::connection()->transaction(function () {
    $c = Comment::lockForUpdate()->find(980104);
    $c->body = 'locked';
    $c->save();
    return $c->votes;
}));
show('delete', Comment::find(980105)->delete());
attempt('post', fn() => Post::create(['id' => 980200, 'created_at' => '2025-05-03 10:00:00', 'author' => 'lv-orm', 'title' => 'dated'])->id);
show('written', $mine()->orderBy('id')->get(['id', 'entry_id', 'body', 'votes'])->toArray());
show('deleted', [$mine()->delete(), Post::where('author', 'like', 'lv-%')->delete()]);
show('left', $mine()->count());
