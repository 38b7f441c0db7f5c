# A blog's page loads through Ruby's mysql2 (the driver of Rails apps) and
# through Rails' ActiveRecord on top of it, for Strata's integration tests
# (test/ruby_test.go).
#
# usage: ruby blog_workload.rb HOST PORT USER PASSWORD PREFIX MODE PART
#
# MODE is "mysql2" (the driver itself: escaped text queries, server-side
# prepared statements, several statements in one query, a streamed
# result) or "activerecord" (models, associations, batches, locks and
# transactions as a Rails app writes them), maybe followed by "_compress"
# (the compressed protocol). PART is read or write. The
# read part prints every answer, one labelled line each, so the test can
# compare Strata with a direct connection; the write part prints "ok" or
# why not and exits non-zero.
require 'mysql2'

host, port, user, password, prefix, mode, part = ARGV
# MODE_compress: the same over the compressed protocol.
mode, compressed = mode.split('_', 2)
flags = compressed == 'compress' ? Mysql2::Client::COMPRESS : 0
$stdout.sync = true

def fail!(why)
  puts why
  exit 1
end

def show(label, rows)
  cells = rows.map { |r| '(' + r.map { |v| v.nil? ? 'NULL' : "#{v.class}:#{v}" }.join(', ') + ')' }
  puts "#{label}: [#{cells.join(', ')}]"
end

def driver_reads(c, p)
  show('home', c.query("SELECT e.id, e.title, u.name FROM #{p}entries e JOIN #{p}users u ON u.id = e.user_id ORDER BY e.created_at DESC LIMIT 10", as: :array).to_a)
  byid = c.prepare("SELECT title, body, created_at FROM #{p}entries WHERE id = ?")
  [1, 2, 3].each do |id|
    show("entry #{id}", byid.execute(id, as: :array).to_a)
    show("comments #{id}", c.query("SELECT c.body, u.name FROM #{p}comments c LEFT JOIN #{p}users u ON u.id = c.user_id WHERE c.entry_id = #{id} ORDER BY c.id", as: :array).to_a)
  end
  byid.close
  name = c.escape("it's \\ \"quoted\"")
  show('types', c.query("SELECT -5 AS n, '#{name}' AS s, NULL AS nul, CAST('12.345' AS DECIMAL(10,2)) AS d, CAST('2024-06-01 10:00:00' AS DATETIME) AS t, 1.5e0 AS f", as: :array).to_a)
  typed = c.prepare('SELECT ? AS n, ? AS s, ? AS nul, ? AS f, ? AS t')
  show('bound', typed.execute(-7, 'cé', nil, 2.5, Time.utc(2024, 6, 1, 10, 0, 0), as: :array).to_a)
  typed.close
  show('hash', c.query("SELECT id, name FROM #{p}users ORDER BY id").map { |h| h.to_a.flatten })
  puts "fields: #{c.query("SELECT id, name AS who FROM #{p}users LIMIT 1").fields.inspect}"
  # Several statements in one query, each result read in turn.
  multi = Mysql2::Client.new(host: c.query_options[:host], port: c.query_options[:port].to_i, username: c.query_options[:username],
                             password: c.query_options[:password], database: 'blog', flags: Mysql2::Client::MULTI_STATEMENTS)
  results = [multi.query("SELECT COUNT(*) FROM #{p}users; SELECT name FROM #{p}users WHERE id = 2", as: :array).to_a]
  while multi.next_result
    results << multi.store_result.to_a
  end
  puts "multi: #{results.inspect}"
  multi.close
  # A 20,000-row result streamed row by row, not held in memory.
  rows = sum = 0
  c.query('SELECT seq FROM seq_1_to_20000', stream: true, cache_rows: false, as: :array).each do |(seq)|
    rows += 1
    sum += seq
  end
  puts "stream: #{rows} #{sum}"
  puts "ping: #{c.ping}"
  puts "server: #{c.server_info[:version] =~ /MariaDB/ ? 'MariaDB' : c.server_info[:version]}"
end

def driver_writes(c, p)
  c.query('BEGIN')
  ins = c.prepare("INSERT INTO #{p}comments (entry_id, user_id, body, created_at) VALUES (?, ?, ?, NOW())")
  ins.execute(1, 2, 'ruby mysql2 tx')
  first = c.last_id
  own = c.query("SELECT body FROM #{p}comments WHERE id = #{first}", as: :array).to_a
  fail!("own write not visible in the transaction: #{own.inspect}") unless own == [['ruby mysql2 tx']]
  c.query('COMMIT')
  c.query("INSERT INTO #{p}comments (entry_id, user_id, body) VALUES (2, 1, 'ruby mysql2 autocommit')")
  second = c.last_id
  fail!("insert id did not advance: #{first} then #{second}") unless second > first
  fail!("affected rows #{c.affected_rows}") unless c.affected_rows == 1
  c.query('BEGIN')
  c.query("INSERT INTO #{p}comments (entry_id, user_id, body) VALUES (2, 1, 'rolled back mysql2')")
  c.query('ROLLBACK')
  begin
    c.query("SELECT * FROM #{p}no_such_table")
    fail!('no error for a missing table')
  rescue Mysql2::Error => e
    fail!("missing table: #{e.error_number} #{e.sql_state}") unless e.error_number == 1146 && e.sql_state == '42S02'
  end
  n = c.query("SELECT /* strata:primary */ COUNT(*) FROM #{p}comments WHERE body LIKE 'ruby %'", as: :array).first.first
  puts "rows #{n}"
end

def record_reads(p)
  entries = Entry.includes(:user, :comments).order(created_at: :desc).limit(10).map do |e|
    [e.id, e.title, e.user.name, e.comments.map(&:body).sort.join('|')]
  end
  show('home', entries)
  [1, 2, 3].each do |id|
    e = Entry.find(id)
    show("entry #{id}", [[e.title, e.body, e.created_at.utc.iso8601]])
  end
  show('count', [[Comment.count, Comment.where(entry_id: [1, 2]).count, Comment.maximum(:created_at)&.utc&.iso8601]])
  show('group', Comment.group(:entry_id).order(:entry_id).count.to_a)
  show('pluck', User.where('email IS NULL OR name = ?', 'cé').order(:id).pluck(:name, :email))
  show('exists', [[User.exists?(name: 'ann'), User.exists?(name: 'nobody')]])
  show('batches', User.find_in_batches(batch_size: 2).map { |batch| batch.map(&:id) })
  show('missing', [[Entry.find_by(id: 999).inspect]])
  begin
    Entry.find(999)
  rescue ActiveRecord::RecordNotFound => e
    show('not found', [[e.class.name]])
  end
  show('columns', Entry.columns.map { |col| [col.name, col.sql_type, col.null] })
  show('primary key', [[Entry.primary_key, User.primary_key]])
  show('sql', ActiveRecord::Base.connection.select_rows("SELECT @@session.sql_auto_is_null, @@session.sql_mode LIKE '%STRICT_ALL_TABLES%', @@session.time_zone"))
end

def record_writes(p)
  first = nil
  ActiveRecord::Base.transaction do
    c = Comment.create!(entry_id: 1, user_id: 2, body: 'ruby activerecord tx', created_at: Time.now)
    first = c.id
    fail!('own write not visible in the transaction') unless Comment.find(first).body == 'ruby activerecord tx'
  end
  second = Comment.create!(entry_id: 2, user_id: 1, body: 'ruby activerecord autocommit').id
  fail!("insert id did not advance: #{first} then #{second}") unless second > first
  ActiveRecord::Base.transaction do
    Comment.create!(entry_id: 2, user_id: 1, body: 'rolled back activerecord')
    raise ActiveRecord::Rollback
  end
  # A row locked for update, changed, saved.
  ActiveRecord::Base.transaction do
    c = Comment.lock.find(second)
    c.update!(body: 'ruby activerecord locked')
  end
  changed = Comment.where(id: [first, second]).update_all(user_id: 3)
  fail!("update_all changed #{changed} rows") unless changed == 2
  begin
    ActiveRecord::Base.connection.execute("SELECT * FROM #{p}no_such_table")
    fail!('no error for a missing table')
  rescue ActiveRecord::StatementInvalid => e
    fail!("missing table: #{e.cause.inspect}") unless e.cause.is_a?(Mysql2::Error) && e.cause.error_number == 1146 && e.cause.sql_state == '42S02'
  end
  n = ActiveRecord::Base.connection.select_value("SELECT /* strata:primary */ COUNT(*) FROM #{p}comments WHERE body LIKE 'ruby %'")
  puts "rows #{n}"
end

case mode
when 'mysql2'
  c = Mysql2::Client.new(host: host, port: port.to_i, username: user, password: password, database: 'blog', encoding: 'utf8mb4', flags: flags)
  part == 'read' ? driver_reads(c, prefix) : driver_writes(c, prefix)
  c.close
when 'activerecord'
  require 'active_record'
  ActiveRecord::Base.establish_connection(adapter: 'mysql2', host: host, port: port.to_i, username: user, password: password,
                                          database: 'blog', encoding: 'utf8mb4', pool: 2, flags: flags)
  ActiveRecord::Base.default_timezone = :utc
  Object.const_set(:User, Class.new(ActiveRecord::Base) { self.table_name = "#{prefix}users" })
  Object.const_set(:Entry, Class.new(ActiveRecord::Base) do
    self.table_name = "#{prefix}entries"
    belongs_to :user
    has_many :comments
  end)
  Object.const_set(:Comment, Class.new(ActiveRecord::Base) do
    self.table_name = "#{prefix}comments"
    belongs_to :entry
  end)
  part == 'read' ? record_reads(prefix) : record_writes(prefix)
else
  fail!("unknown mode #{mode}")
end
puts 'ok' if part == 'write'
