<?php
// WordPress (Debian's package, unchanged) run through Strata: each call is
// one "request" of a blog — a new PHP process on a new connection, as
// under a web server — that installs the site, writes its content, lets a
// visitor comment, or reads pages the way the themes do. It prints what
// the request saw as JSON, so a run through Strata can be compared with a
// run straight against the primary; any database error fails the request.
//
//   php wordpress.php WORDPRESS_DIR HOST:PORT USER PASSWORD DATABASE STEP
//   STEP: install | write | comment | read | delete
//   STRATA_WP_VISITOR: the commenting visitor's number (step comment)
//
// A PHP warning fails the request too: WordPress that reads a row it has
// just written and finds nothing (a replica behind) warns as it goes on
// with null.

[$_, $wordpress, $host, $user, $password, $database, $step] = $argv;

$warnings = [];
set_error_handler(function (int $no, string $msg, string $file, int $line) use (&$warnings) {
    $warnings[] = "$msg at $file:$line";
    return true;
}, E_WARNING | E_USER_WARNING);

// The site sends no mail (pluggable: defined before WordPress loads).
function wp_mail()
{
    return true;
}

define('DB_NAME', $database);
define('DB_USER', $user);
define('DB_PASSWORD', $password);
define('DB_HOST', $host);
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as $key) {
    define($key, 'strata-test-' . $key);
}
$table_prefix = 'wp_';
define('WP_DEBUG', false);
define('DISABLE_WP_CRON', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_CONTENT_DIR', sys_get_temp_dir() . '/strata-wp-content');
define('ABSPATH', rtrim($wordpress, '/') . '/');
$_SERVER['HTTP_HOST'] = 'blog.test';
$_SERVER['SERVER_NAME'] = 'blog.test';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
if ($step === 'install') {
    define('WP_INSTALLING', true);
}
require ABSPATH . 'wp-settings.php';

// titles lists the titles of a query's posts, in its order.
function titles(array $posts): array
{
    return array_map(fn($p) => $p->post_title, $posts);
}

// page runs a WP_Query as a theme's loop would and returns what a page
// shows: the titles, and the totals its pagination prints.
function page(array $args): array
{
    $q = new WP_Query($args);
    return ['titles' => titles($q->posts), 'found' => (int) $q->found_posts, 'pages' => (int) $q->max_num_pages];
}

$out = [];
switch ($step) {
case 'install':
    require_once ABSPATH . 'wp-admin/includes/upgrade.php';
    $r = wp_install('Strata Blog', 'admin', 'admin@example.com', false, '', 'Secret-pass-123');
    $out = ['user_id' => (int) $r['user_id'], 'blogname' => get_option('blogname'), 'tables' => count($wpdb->get_col('SHOW TABLES'))];
    break;

case 'write':
    $scaling = wp_insert_term('Scaling', 'category', ['slug' => 'scaling']);
    $ops = wp_insert_term('Operations', 'category', ['slug' => 'operations']);
    $editor = wp_insert_user(['user_login' => 'editor', 'user_pass' => 'Editor-pass-1', 'user_email' => 'editor@example.com', 'role' => 'editor', 'display_name' => 'Edith']);
    $posts = [];
    for ($i = 1; $i <= 12; $i++) {
        $id = wp_insert_post([
            'post_title' => sprintf('Post %02d: %s', $i, $i % 3 ? 'replicas for reads' : 'sharding by key'),
            'post_content' => str_repeat("Strata routes statement $i. ", 20) . ($i % 4 ? '' : 'Ünïcödé ✓ 日本語'),
            'post_status' => 'publish',
            'post_author' => $i % 2 ? 1 : $editor,
            'post_date' => sprintf('2026-11-%02d 10:00:00', $i),
            'post_category' => [$i % 3 ? $scaling['term_id'] : $ops['term_id']],
            'tags_input' => $i % 2 ? ['replicas'] : ['pools', 'replicas'],
        ], true);
        if (is_wp_error($id)) {
            fwrite(STDERR, "wp_insert_post: " . $id->get_error_message() . "\n");
            exit(1);
        }
        update_post_meta($id, 'views', $i * 37 % 100);
        $posts[] = $id;
    }
    wp_insert_post(['post_title' => 'A draft', 'post_status' => 'draft', 'post_content' => 'not yet']);
    $page = wp_insert_post(['post_title' => 'About', 'post_type' => 'page', 'post_status' => 'publish', 'post_content' => 'About this blog']);
    update_option('strata_test_option', ['pools' => ['primary', 'batch', 'comments']]);
    set_transient('strata_test_transient', 'cached value', 3600);
    $out = ['posts' => $posts, 'page' => $page, 'editor' => $editor];
    break;

case 'comment':
    // A visitor's comment, through the checks wp_new_comment makes
    // (duplicates, flooding) on the post a reader is looking at.
    $post = get_page_by_title('Post 03: sharding by key', OBJECT, 'post');
    $id = wp_new_comment([
        'comment_post_ID' => $post->ID,
        'comment_author' => 'Visitor ' . getenv('STRATA_WP_VISITOR'),
        'comment_author_email' => 'visitor' . getenv('STRATA_WP_VISITOR') . '@example.com',
        'comment_author_url' => '',
        'comment_content' => 'Does it keep my comment? #' . getenv('STRATA_WP_VISITOR'),
        'comment_type' => 'comment',
        'comment_parent' => 0,
        'comment_author_IP' => '192.0.2.' . getenv('STRATA_WP_VISITOR'),
        'comment_agent' => 'strata-test',
        'user_id' => 0,
    ], true);
    if (is_wp_error($id)) {
        fwrite(STDERR, "wp_new_comment: " . $id->get_error_message() . "\n");
        exit(1);
    }
    wp_set_comment_status($id, 'approve');
    $out = ['comment' => (int) $id];
    break;

case 'read':
    $post = get_page_by_title('Post 03: sharding by key', OBJECT, 'post');
    $out = [
        'home' => page(['posts_per_page' => 5]),
        'page 2' => page(['posts_per_page' => 5, 'paged' => 2]),
        'search' => page(['s' => 'sharding']),
        'category' => page(['category_name' => 'operations']),
        'tag' => page(['tag' => 'pools', 'posts_per_page' => 3]),
        'author' => page(['author_name' => 'editor']),
        'most viewed' => page(['meta_key' => 'views', 'orderby' => 'meta_value_num', 'order' => 'DESC', 'posts_per_page' => 3]),
        'month' => page(['year' => 2026, 'monthnum' => 11, 'posts_per_page' => -1, 'order' => 'ASC']),
        'pages' => titles(get_pages()),
        'post' => [$post->post_title, strlen($post->post_content), substr($post->post_content, -20)],
        'comments' => array_map(fn($c) => $c->comment_author . ': ' . $c->comment_content, get_comments(['post_id' => $post->ID, 'status' => 'approve', 'order' => 'ASC'])),
        'comment count' => (int) get_comments_number($post->ID),
        'counts' => (array) wp_count_posts(),
        'comment counts' => (array) wp_count_comments(),
        'categories' => array_map(fn($t) => $t->name . ' ' . $t->count, get_terms(['taxonomy' => 'category', 'hide_empty' => false])),
        'tags' => array_map(fn($t) => $t->name . ' ' . $t->count, get_terms(['taxonomy' => 'post_tag'])),
        'editors' => array_map(fn($u) => $u->display_name, get_users(['role' => 'editor'])),
        'recent' => array_map(fn($p) => $p['post_title'], wp_get_recent_posts(['numberposts' => 3])),
        'option' => get_option('strata_test_option'),
        'transient' => get_transient('strata_test_transient'),
        'blogname' => get_option('blogname'),
        'login' => !is_wp_error(wp_authenticate('editor', 'Editor-pass-1')),
        'bad login' => is_wp_error(wp_authenticate('editor', 'wrong')),
    ];
    break;

case 'delete':
    $post = get_page_by_title('Post 12: sharding by key', OBJECT, 'post');
    wp_delete_post($post->ID, true);
    $trash = get_page_by_title('Post 11: replicas for reads', OBJECT, 'post');
    wp_trash_post($trash->ID);
    delete_transient('strata_test_transient');
    require_once ABSPATH . 'wp-admin/includes/user.php';
    wp_delete_user(get_user_by('login', 'editor')->ID, 1);
    $out = ['deleted' => true];
    break;

default:
    fwrite(STDERR, "unknown step $step\n");
    exit(2);
}

$errors = array_filter($EZSQL_ERROR ?? [], fn($e) =>
    // The installer looks for its tables before it creates them.
    !($step === 'install' && str_contains($e['error_str'], "doesn't exist")));
if ($errors || $warnings) {
    foreach ($errors as $e) {
        fwrite(STDERR, "database error: {$e['error_str']}\n    in: {$e['query']}\n");
    }
    foreach ($warnings as $w) {
        fwrite(STDERR, "warning: $w\n");
    }
    exit(1);
}
echo json_encode($out, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\n";
