# Reads and writes over the sharded tables of test/sharding as a Rails app
# writes them, through ActiveRecord on Ruby's mysql2, and through mysql2's
# own server-side prepared statements, printed one labelled line each, so
# the test can compare Strata (sharded) with the single server holding
# every row (test/sharding/ruby_test.go). The rows it writes are deleted
# again.
#
# usage: ruby sharded_workload.rb HOST PORT USER PASSWORD
require 'mysql2'
require 'active_record'

host, port, user, password = ARGV
$stdout.sync = true

def show(label, value)
  puts "#{label}: #{render(value)}"
end

def render(v)
  case v
  when Array then '[' + v.map { |x| render(x) }.join(', ') + ']'
  when Hash then '{' + v.map { |k, x| "#{render(k)}=>#{render(x)}" }.join(', ') + '}'
  when nil then 'NULL'
  when Time then "Time:#{v.utc.strftime('%F %T.%6N')}"
  when BigDecimal then "BigDecimal:#{v.to_s('F')}"
  else "#{v.class}:#{v}"
  end
end

def attempt(label)
  show(label, yield)
rescue ActiveRecord::ActiveRecordError, Mysql2::Error => e
  cause = e.is_a?(Mysql2::Error) ? e : e.cause
  show(label, "#{e.class.name} #{cause&.error_number} #{cause&.sql_state}")
end

ActiveRecord::Base.establish_connection(adapter: 'mysql2', host: host, port: port.to_i, username: user, password: password,
                                        database: 'blog', encoding: 'utf8mb4', pool: 2)
ActiveRecord::Base.default_timezone = :utc

class Comment < ActiveRecord::Base; end

class Post < ActiveRecord::Base; end

class Entry < ActiveRecord::Base
  has_many :comments
end

Comment.where("author LIKE 'ruby-%'").delete_all
Post.where("author LIKE 'ruby-%'").delete_all

# Reads as models write them.
[1, 2, 3].each do |entry|
  show("comments of #{entry}", Comment.where(entry_id: entry).order(:id).pluck(:id, :author, :votes, :created))
end
show('some entries', Comment.where(entry_id: [1, 2, 3]).order(id: :desc).limit(4).pluck(:id, :entry_id))
show('page', Comment.order(id: :desc).limit(5).offset(10).pluck(:id, :entry_id))
show('count', [Comment.count, Comment.where('votes > ?', 3).count, Comment.distinct.count(:entry_id)])
show('aggregates', [Comment.sum(:votes), Comment.average(:votes), Comment.minimum(:created), Comment.maximum(:votes)])
show('votes by entry', Comment.where('votes > ?', 3).group(:entry_id).order('SUM(votes) DESC', :entry_id).limit(5).sum(:votes))
show('count by entry', Comment.group(:entry_id).having('COUNT(*) > 1').order(:entry_id).limit(5).count)
show('by id', Comment.find(Comment.order(:id).first.id).attributes.to_a)
show('exists', [Comment.exists?(entry_id: 1), Comment.where(entry_id: 1, votes: -99).exists?])
batches = []
Comment.where('votes > ?', 2).find_in_batches(batch_size: 50) { |b| batches << [b.size, b.first.id, b.last.id] }
show('batches', batches)
ids = Entry.order(:id).limit(3).pluck(:id)
show('preloaded', Entry.includes(:comments).where(id: ids).order(:id).map { |e| [e.id, e.comments.map(&:id).sort.first(3)] })
show('posts by time', Post.where('created_at >= ?', Time.utc(2024, 3, 1)).order(:created_at, :id).limit(3).pluck(:id, :title, :created_at))
show('columns', Comment.columns.map { |c| [c.name, c.sql_type, c.null, c.default] })

# Writes: rows over every shard, one at a time and several in one INSERT.
6.times { |i| Comment.create!(id: 960100 + i, entry_id: 1 + i, author: 'ruby-ar', body: "row #{i} ünïcödé", votes: i) }
attempt('duplicate') { Comment.create!(id: 960100, entry_id: 1, author: 'ruby-dup', body: 'x') }
attempt('insert_all') do
  Comment.insert_all([{ id: 960110, entry_id: 1, author: 'ruby-ar', body: 'a' }, { id: 960100, entry_id: 1, author: 'ruby-ar', body: 'dup skipped' },
                      { id: 960111, entry_id: 7, author: 'ruby-ar', body: "b'c" }]).rows
end
attempt('upsert_all') do
  # 960110 is on entry 1's shard, as is entry 5 (modulo 4): the upsert
  # changes its shard key, and the row stays where it is.
  Comment.upsert_all([{ id: 960110, entry_id: 5, author: 'ruby-ar', body: 'upserted' }, { id: 960112, entry_id: 2, author: 'ruby-ar', body: 'new' }]).rows
end
show('update_all', Comment.where(author: 'ruby-ar').update_all('votes = COALESCE(votes, 0) + 10'))
c = Comment.find(960103)
c.update!(body: 'changed', votes: 42)
Comment.increment_counter(:votes, 960104)
Comment.transaction do
  Comment.lock.where(entry_id: 2).where(author: 'ruby-ar').to_a
  Comment.create!(id: 960120, entry_id: 2, author: 'ruby-ar', body: 'kept')
end
# Locked by primary key (comments are sharded by entry_id): the locking
# read finds the row's shard, and the transaction goes on there.
Comment.transaction do
  Comment.lock.find(960104).update!(body: 'locked')
end
attempt('find_or_create_by') { [Comment.find_or_create_by!(id: 960130) { |c| c.assign_attributes(entry_id: 3, author: 'ruby-ar', body: 'found or created') }.body,
                                 Comment.find_or_create_by!(id: 960130) { |c| c.body = 'again' }.body] }
attempt('increment!') { Comment.find(960102).increment!(:votes, 2).votes }
attempt('with_lock') do
  c = Comment.find(960103)
  c.with_lock { c.update!(votes: 43) }
  c.votes
end
Comment.transaction do
  Comment.create!(id: 960121, entry_id: 2, author: 'ruby-ar', body: 'undone')
  raise ActiveRecord::Rollback
end
Comment.find(960105).destroy
Post.create!(id: 960200, created_at: Time.utc(2025, 5, 3, 10, 0, 0), author: 'ruby-ar', title: 'dated')
attempt('post by id') { Post.find(960200).attributes.to_a }
show('written', Comment.where(author: 'ruby-ar').order(:id).pluck(:id, :entry_id, :body, :votes))

# mysql2's own server-side prepared statements with bound Ruby values.
db = Mysql2::Client.new(host: host, port: port.to_i, username: user, password: password, database: 'blog', encoding: 'utf8mb4')
st = db.prepare('SELECT ? + 1 AS n, ? / 4 AS d, ? AS s, ? + INTERVAL 1 DAY AS t, COUNT(*) FROM comments WHERE entry_id IN (?, ?)')
show('bound', st.execute(41, 2.5, 'ünï', Time.utc(2024, 6, 3, 10, 0, 0), 1, 2, as: :array).to_a)
st.close
st = db.prepare('SELECT id, votes FROM comments WHERE author = ? ORDER BY id LIMIT ?')
show('bound rows', st.execute('ruby-ar', 3, as: :array).to_a)
st.close
db.close

show('deleted', Comment.where("author LIKE 'ruby-%'").delete_all + Post.where("author LIKE 'ruby-%'").delete_all)
show('left', Comment.where("author LIKE 'ruby-%'").count)
