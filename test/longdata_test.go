package test

import (
	"bytes"
	"strings"
	"testing"
)

// go-sql-driver streams a parameter longer than its maxAllowedPacket share
// with COM_STMT_SEND_LONG_DATA before the EXECUTE, and Strata holds it
// until the EXECUTE picks a server. It used to hold any amount: a client
// could stream gigabytes into Strata's memory (300 MB of one parameter
// took Strata to 1.3 GB), and the value went on to the server in one
// packet, which a server with a smaller max_allowed_packet drops with the
// connection. Now a session holds at most limits.max_allowed_packet (40M
// here): past it, the EXECUTE gets MariaDB's error for a streamed
// parameter over max_allowed_packet, naming Strata's limit, and the
// statement and the session go on. Values under it reach the server, in
// chunks, and read as direct.
func TestStreamedParametersAreBounded(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t)
	const params = "maxAllowedPacket=65536"
	db := openStrata(t, params)
	db.SetMaxOpenConns(1)
	st, err := db.PrepareContext(ctx, "SELECT LENGTH(?), MD5(?)")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	tooLong := bytes.Repeat([]byte("x"), 41<<20)
	var n int
	var sum string
	err = st.QueryRowContext(ctx, tooLong, "a").Scan(&n, &sum)
	if mysqlErr(err) != 1105 || !strings.Contains(err.Error(), "longer than 'max_allowed_packet'") || !strings.Contains(err.Error(), "limits.max_allowed_packet") {
		t.Fatalf("41 MB streamed: %v, want error 1105 naming Strata's limit", err)
	}

	direct := openDirect(t, env.replicas[0], "")
	for _, size := range []int{5<<20 + 17, 100_000} {
		value := bytes.Repeat([]byte("ab"), size/2)
		var got, want [2]string
		if err := st.QueryRowContext(ctx, value, value).Scan(&got[0], &got[1]); err != nil {
			t.Fatalf("%d bytes streamed twice, after the error: %v", size, err)
		}
		if err := direct.QueryRowContext(ctx, "SELECT LENGTH(?), MD5(?)", value, value).Scan(&want[0], &want[1]); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%d bytes streamed: %v through Strata, %v direct", size, got, want)
		}
	}
	strataStillServes(t)
}
