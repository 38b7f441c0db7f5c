// A blog's page loads through an unchanged JDBC driver (MariaDB
// Connector/J, Debian's libmariadb-java), for Strata's integration tests
// (test/java_test.go). Run with the single-file source launcher:
//
//   java -cp /usr/share/java/mariadb-java-client.jar BlogWorkload.java \
//       HOST PORT USER PASSWORD PREFIX MODE PART
//
// MODE is "text" (the driver's default: it fills placeholders in on the
// client, pipelines a batch's statements, and here rewrites a batch into
// one multi-row INSERT) or "server" (useServerPrepStmts: server-side
// prepared statements, and with useBulkStmts, which this driver version
// leaves off by default, a batch sent as one COM_STMT_BULK_EXECUTE),
// maybe followed by "_compress" (useCompression: the compressed protocol).
// PART is read or write. The read part prints every answer, one labelled
// line each, so the test can compare Strata with a direct connection; the
// write part prints "ok" or why not and exits non-zero.

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;

public class BlogWorkload {
    static String host, port, user, password, p, mode;

    public static void main(String[] args) {
        host = args[0];
        port = args[1];
        user = args[2];
        password = args[3];
        p = args[4];
        mode = args[5];
        try {
            if (args[6].equals("read")) {
                readPart();
            } else {
                writePart();
            }
        } catch (Exception e) {
            fail(mode + " " + args[6] + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    static void fail(String why) {
        System.out.println(why);
        System.exit(1);
    }

    static void show(String label, Object value) {
        System.out.println(label + ": " + value);
    }

    /** A connection as a Spring app's pool opens one: the database named, utf8mb4. */
    static Connection connect() throws SQLException {
        String url = "jdbc:mariadb://" + host + ":" + port + "/blog?user=" + user + "&password=" + password
                + "&allowMultiQueries=true&useSsl=false";
        if (mode.startsWith("server")) {
            url += "&useServerPrepStmts=true&useBulkStmts=true";
        } else {
            url += "&rewriteBatchedStatements=true";
        }
        if (mode.endsWith("_compress")) {
            url += "&useCompression=true";
        }
        return DriverManager.getConnection(url);
    }

    /** Every row of rs as text, each value with the Java type the driver chose. */
    static String rows(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        List<String> out = new ArrayList<>();
        while (rs.next()) {
            List<String> row = new ArrayList<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                Object v = rs.getObject(i);
                if (v == null) {
                    row.add("null");
                } else if (v instanceof byte[]) {
                    StringBuilder hex = new StringBuilder("0x");
                    for (byte b : (byte[]) v) {
                        hex.append(String.format("%02x", b));
                    }
                    row.add(hex.toString());
                } else {
                    row.add(v.getClass().getSimpleName() + "(" + v + ")");
                }
            }
            out.add(row.toString());
        }
        return out.toString();
    }

    static String columns(ResultSetMetaData md) throws SQLException {
        List<String> out = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
            out.add(md.getColumnLabel(i) + " " + md.getColumnTypeName(i) + " " + md.isNullable(i));
        }
        return out.toString();
    }

    static void readPart() throws SQLException {
        try (Connection c = connect()) {
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            try (Statement st = c.createStatement()) {
                show("session", rows(st.executeQuery("SELECT @@session.tx_isolation, @@session.autocommit")));
                // Home page: latest entries with their authors.
                ResultSet rs = st.executeQuery("SELECT e.id, e.title, u.name, e.created_at FROM " + p + "entries e JOIN "
                        + p + "users u ON u.id = e.user_id ORDER BY e.created_at DESC LIMIT 10");
                show("home columns", columns(rs.getMetaData()));
                show("home", rows(rs));
            }
            // Permalink and its comments, bound values.
            try (PreparedStatement entry = c.prepareStatement("SELECT title, body, created_at FROM " + p + "entries WHERE id = ?");
                 PreparedStatement comments = c.prepareStatement("SELECT c.body, u.name FROM " + p
                         + "comments c LEFT JOIN " + p + "users u ON u.id = c.user_id WHERE c.entry_id = ? ORDER BY c.id")) {
                for (int id = 1; id <= 3; id++) {
                    entry.setInt(1, id);
                    show("entry " + id, rows(entry.executeQuery()));
                    comments.setInt(1, id);
                    show("comments " + id, rows(comments.executeQuery()));
                }
            }
            try (PreparedStatement types = c.prepareStatement(
                    "SELECT ? AS n, ? AS s, ? AS nul, CAST(? AS DECIMAL(10,2)) AS d, CAST(? AS BINARY) AS b, ? AS big")) {
                types.setInt(1, -5);
                types.setString(2, "it's \\ \"quoted\" ünïcödé");
                types.setNull(3, Types.VARCHAR);
                types.setBigDecimal(4, new BigDecimal("12.345"));
                types.setBytes(5, new byte[] {0, (byte) 0xff});
                types.setLong(6, 9007199254740993L);
                show("types", rows(types.executeQuery()));
            }
            try (Statement st = c.createStatement()) {
                // Several statements in one query, several result sets back.
                List<String> sets = new ArrayList<>();
                boolean isSet = st.execute("SELECT COUNT(*) FROM " + p + "users; SELECT title FROM " + p + "entries WHERE id = 2");
                while (isSet) {
                    sets.add(rows(st.getResultSet()));
                    isSet = st.getMoreResults();
                }
                show("multi", sets);
            }
            // setCatalog, as a multi-schema app switches databases, and back.
            c.setCatalog("mysql");
            try (Statement st = c.createStatement()) {
                show("catalog", rows(st.executeQuery("SELECT DATABASE()")));
            }
            c.setCatalog("blog");
            // A 20,000-row result streamed (the driver reads it in batches
            // of the fetch size instead of all at once).
            try (Statement st = c.createStatement()) {
                st.setFetchSize(100);
                ResultSet rs = st.executeQuery("SELECT seq FROM seq_1_to_20000");
                long n = 0, total = 0;
                while (rs.next()) {
                    n++;
                    total += rs.getLong(1);
                }
                show("stream", n + " " + total);
            }
            // What Hibernate's schema validation and tools read.
            DatabaseMetaData md = c.getMetaData();
            try (ResultSet rs = md.getColumns("blog", null, p + "comments", "%")) {
                List<String> cols = new ArrayList<>();
                while (rs.next()) {
                    cols.add(rs.getString("COLUMN_NAME") + " " + rs.getString("TYPE_NAME") + " " + rs.getString("IS_NULLABLE")
                            + " " + rs.getString("IS_AUTOINCREMENT"));
                }
                show("metadata columns", cols);
            }
            try (ResultSet rs = md.getPrimaryKeys("blog", null, p + "entries")) {
                List<String> keys = new ArrayList<>();
                while (rs.next()) {
                    keys.add(rs.getString("COLUMN_NAME"));
                }
                show("metadata keys", keys);
            }
            show("valid", c.isValid(5));
        }
    }

    static void writePart() throws SQLException {
        String mark = "java " + mode;
        try (Connection c = connect()) {
            // A comment in a transaction, with its generated id, read back inside it.
            c.setAutoCommit(false);
            long first;
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + p
                    + "comments (entry_id, user_id, body, created_at) VALUES (?, ?, ?, NOW())", Statement.RETURN_GENERATED_KEYS)) {
                ins.setInt(1, 1);
                ins.setInt(2, 2);
                ins.setString(3, mark + " tx");
                ins.executeUpdate();
                ResultSet keys = ins.getGeneratedKeys();
                keys.next();
                first = keys.getLong(1);
            }
            try (PreparedStatement own = c.prepareStatement("SELECT body FROM " + p + "comments WHERE id = ?")) {
                own.setLong(1, first);
                ResultSet rs = own.executeQuery();
                if (!rs.next() || !rs.getString(1).equals(mark + " tx")) {
                    fail("own write not visible in the transaction");
                }
            }
            c.commit();
            c.setAutoCommit(true);

            // A batch of 20: one multi-row INSERT (text) or one bulk
            // execution of the prepared statement (server).
            try (PreparedStatement batch = c.prepareStatement("INSERT INTO " + p
                    + "comments (entry_id, user_id, body) VALUES (?, ?, ?)")) {
                for (int i = 0; i < 20; i++) {
                    batch.setInt(1, 3);
                    batch.setInt(2, 1);
                    batch.setString(3, mark + " batch " + i);
                    batch.addBatch();
                }
                int done = 0;
                for (int n : batch.executeBatch()) {
                    done += n == Statement.SUCCESS_NO_INFO ? 1 : n;
                }
                if (done != 20) {
                    fail("the batch inserted " + done + " rows, want 20");
                }
            }

            // One rolled back.
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.executeUpdate("INSERT INTO " + p + "comments (entry_id, user_id, body) VALUES (2, 1, 'rolled back " + mode + "')");
            }
            c.rollback();
            c.setAutoCommit(true);

            // A server error reaches the app with its code; the connection goes on.
            try (Statement st = c.createStatement()) {
                st.executeQuery("SELECT * FROM " + p + "no_such_table");
                fail("missing table gave no error");
            } catch (SQLException e) {
                if (e.getErrorCode() != 1146 || !"42S02".equals(e.getSQLState())) {
                    fail("wrong error: " + e.getErrorCode() + " " + e.getSQLState() + " " + e.getMessage());
                }
            }
            try (Statement st = c.createStatement()) {
                st.executeUpdate("INSERT INTO " + p + "users (id, name) VALUES (1, 'dup')");
                fail("duplicate key gave no error");
            } catch (SQLIntegrityConstraintViolationException e) {
                if (e.getErrorCode() != 1062) {
                    fail("wrong error: " + e.getErrorCode() + " " + e.getMessage());
                }
            }

            // An uncommitted row is not seen by another connection; once committed it is.
            try (Connection manual = connect(); Connection other = connect()) {
                manual.setAutoCommit(false);
                try (PreparedStatement ins = manual.prepareStatement("INSERT INTO " + p
                        + "comments (entry_id, user_id, body) VALUES (2, 3, ?)")) {
                    ins.setString(1, mark + " manual");
                    ins.executeUpdate();
                }
                String count = "SELECT /* strata:primary */ COUNT(*) FROM " + p + "comments WHERE body = ?";
                try (PreparedStatement q = other.prepareStatement(count)) {
                    q.setString(1, mark + " manual");
                    ResultSet rs = q.executeQuery();
                    rs.next();
                    if (rs.getInt(1) != 0) {
                        fail("a row of an uncommitted transaction was seen by another connection");
                    }
                    manual.commit();
                    rs = q.executeQuery();
                    rs.next();
                    if (rs.getInt(1) != 1) {
                        fail("the committed row is not seen by another connection");
                    }
                }
                // Reads go to replicas, which may not have applied the
                // writes yet: the hint reads the primary.
                try (PreparedStatement q = other.prepareStatement("SELECT /* strata:primary */ COUNT(*) FROM " + p
                        + "comments WHERE body LIKE ?")) {
                    q.setString(1, mark + " %");
                    ResultSet rs = q.executeQuery();
                    rs.next();
                    System.out.println("rows " + rs.getInt(1));
                }
            }
        }
        System.out.println("ok");
    }
}
