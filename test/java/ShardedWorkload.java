// Reads and writes over the sharded tables of test/sharding through MariaDB
// Connector/J, printed so the test can compare Strata (sharded) with the
// single server holding every row (test/sharding/java_test.go). The rows
// it writes are deleted again, so the data stays the loaded one.
//
//   java -cp /usr/share/java/mariadb-java-client.jar ShardedWorkload.java \
//       HOST PORT USER PASSWORD MODE
//
// MODE is "text" (placeholders filled in by the driver, a batch rewritten
// into one multi-row statement) or "server" (server-side prepared
// statements, a batch sent as one bulk execution).

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

public class ShardedWorkload {
    public static void main(String[] args) throws Exception {
        String url = "jdbc:mariadb://" + args[0] + ":" + args[1] + "/blog?user=" + args[2] + "&password=" + args[3]
                + "&useSsl=false&allowMultiQueries=true"
                + (args[4].equals("server") ? "&useServerPrepStmts=true&useBulkStmts=true" : "&rewriteBatchedStatements=true");
        try (Connection c = DriverManager.getConnection(url)) {
            run(c);
        } catch (SQLException e) {
            System.out.println("error " + e.getErrorCode() + " " + e.getSQLState() + ": " + e.getMessage());
            System.exit(1);
        }
    }

    static void show(String label, Object value) {
        System.out.println(label + ": " + value);
    }

    static String rows(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        List<String> out = new ArrayList<>();
        while (rs.next()) {
            List<String> row = new ArrayList<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                Object v = rs.getObject(i);
                row.add(v == null ? "null" : v.getClass().getSimpleName() + "(" + v + ")");
            }
            out.add(row.toString());
        }
        return out.toString();
    }

    static String query(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                st.setObject(i + 1, params[i]);
            }
            return rows(st.executeQuery());
        }
    }

    static void run(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.executeUpdate("DELETE FROM comments WHERE author LIKE 'java-%'");
        }
        // An entry's comments (one shard), a scatter with merged aggregates,
        // and a page over every shard.
        for (long entry = 1; entry <= 4; entry++) {
            show("comments of " + entry, query(c, "SELECT id, author, votes, created FROM comments WHERE entry_id = ? ORDER BY id", entry));
        }
        show("votes by entry", query(c, "SELECT entry_id, COUNT(*), SUM(votes), AVG(votes) FROM comments WHERE votes > ? GROUP BY entry_id ORDER BY SUM(votes) DESC, entry_id LIMIT 5", 3));
        show("page", query(c, "SELECT id, entry_id FROM comments ORDER BY id DESC LIMIT ?, ?", 10, 5));
        // Bound BigDecimals and doubles computed with over every shard.
        show("computed", query(c, "SELECT ? / 3 AS third, ? / 3 AS dthird, COUNT(*) FROM comments WHERE votes > ?",
                new java.math.BigDecimal("1.0"), 1.0, 3));
        show("dates", query(c, "SELECT CONCAT(?, '') AS d, ? + INTERVAL 1 DAY AS next, CONCAT(?, '') AS ts, COUNT(*) FROM comments WHERE votes > ?",
                java.sql.Date.valueOf("2024-06-03"), java.sql.Date.valueOf("2024-06-03"), java.sql.Timestamp.valueOf("2024-06-03 10:20:30.000007"), 3));
        show("times", query(c, "SELECT CONCAT(?, '') AS t, ? + INTERVAL 1 HOUR AS later, TIME_TO_SEC(?) AS secs, COUNT(*) FROM comments WHERE votes > ?",
                java.sql.Time.valueOf("10:20:30"), java.sql.Time.valueOf("10:20:30"), java.sql.Time.valueOf("23:59:59"), 3));
        // A table sharded by time, read by bound times and dates.
        try (Statement st = c.createStatement()) {
            ResultSet rs = st.executeQuery("SELECT MIN(created_at), MAX(created_at) FROM posts");
            rs.next();
            java.sql.Timestamp first = rs.getTimestamp(1), last = rs.getTimestamp(2);
            show("posts at", query(c, "SELECT id, title FROM posts WHERE created_at = ? OR created_at = ? ORDER BY id", first, last));
            show("posts from", query(c, "SELECT COUNT(*), MIN(id) FROM posts WHERE created_at >= ? AND created_at < ? + INTERVAL 40 DAY",
                    new java.sql.Date(first.getTime()), new java.sql.Date(first.getTime())));
        }

        // A batch of twelve rows over all four shards.
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO comments (id, entry_id, author, body, votes) VALUES (?, ?, ?, ?, ?)")) {
            for (int i = 0; i < 12; i++) {
                ins.setLong(1, 910000 + i);
                ins.setLong(2, 1 + i % 6);
                ins.setString(3, "java-batch");
                ins.setString(4, "row " + i + " ünïcödé");
                ins.setInt(5, i);
                ins.addBatch();
            }
            show("batch", counts(ins.executeBatch()));
        }
        show("batch rows", query(c, "SELECT id, entry_id, body, votes FROM comments WHERE author = ? ORDER BY id", "java-batch"));
        // A batch of updates, each row by its key.
        try (PreparedStatement up = c.prepareStatement("UPDATE comments SET votes = votes + ? WHERE entry_id = ? AND id = ?")) {
            for (int i = 0; i < 12; i += 3) {
                up.setInt(1, 100);
                up.setLong(2, 1 + i % 6);
                up.setLong(3, 910000 + i);
                up.addBatch();
            }
            show("update batch", counts(up.executeBatch()));
        }
        show("votes after", query(c, "SELECT SUM(votes), MAX(votes) FROM comments WHERE author = ?", "java-batch"));

        // A transaction on one entry's shard, committed, and one rolled back.
        c.setAutoCommit(false);
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO comments (id, entry_id, author, body) VALUES (?, 2, 'java-tx', ?)")) {
            ins.setLong(1, 910100);
            ins.setString(2, "kept");
            ins.executeUpdate();
        }
        show("inside", query(c, "SELECT body FROM comments WHERE entry_id = 2 AND author = 'java-tx'"));
        c.commit();
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO comments (id, entry_id, author, body) VALUES (?, 2, 'java-tx', ?)")) {
            ins.setLong(1, 910101);
            ins.setString(2, "undone");
            ins.executeUpdate();
        }
        c.rollback();
        c.setAutoCommit(true);
        show("after tx", query(c, "SELECT id, body FROM comments WHERE author = ? ORDER BY id", "java-tx"));

        // A duplicate key on its shard: the server's error, and the
        // connection goes on.
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO comments (id, entry_id, author, body) VALUES (?, ?, 'java-dup', 'x')")) {
            ins.setLong(1, 910000);
            ins.setLong(2, 1);
            ins.executeUpdate();
            show("duplicate", "no error");
        } catch (SQLException e) {
            show("duplicate", e.getErrorCode() + " " + e.getSQLState());
        }

        // The rows deleted again, by a batch of keys and by a scatter.
        try (PreparedStatement del = c.prepareStatement("DELETE FROM comments WHERE entry_id = ? AND author = ?")) {
            for (long entry = 1; entry <= 3; entry++) {
                del.setLong(1, entry);
                del.setString(2, "java-batch");
                del.addBatch();
            }
            show("delete batch", counts(del.executeBatch()));
        }
        try (Statement st = c.createStatement()) {
            show("delete rest", st.executeUpdate("DELETE FROM comments WHERE author LIKE 'java-%'"));
        }
        show("left", query(c, "SELECT COUNT(*) FROM comments WHERE author LIKE ?", "java-%"));
        // The schema as Hibernate reads it: the sharded table once.
        try (ResultSet rs = c.getMetaData().getColumns("blog", null, "comments", "%")) {
            List<String> cols = new ArrayList<>();
            while (rs.next()) {
                cols.add(rs.getString("COLUMN_NAME") + " " + rs.getString("TYPE_NAME"));
            }
            show("columns", cols);
        }
    }

    /**
     * A batch's update counts. With server-side prepares the driver sends a
     * batch as one bulk execution (COM_STMT_BULK_EXECUTE), which Strata
     * splits over the shards as one server runs it, and which reports
     * SUCCESS_NO_INFO per row.
     */
    static String counts(int[] n) {
        int rows = 0;
        boolean noInfo = false;
        for (int x : n) {
            if (x == Statement.SUCCESS_NO_INFO) {
                noInfo = true;
            } else {
                rows += x;
            }
        }
        return n.length + " statements, " + (noInfo ? "no info" : rows + " rows");
    }
}
