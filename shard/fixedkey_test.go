package shard

import "testing"

// Every spelling MariaDB reads as one UUID or address gives the text the
// server writes it as (the INET6 cases are the server's own answers to
// CAST(... AS INET6)), so a key is placed alike however a client spells it.
func TestFixedKeyTextIsTheServersSpelling(t *testing.T) {
	for _, tc := range []struct {
		kt       KeyType
		in, want string
		ok       bool
	}{
		{KeyTypeUUID, "aaaaaaaa-0000-1000-8000-000000000008", "aaaaaaaa-0000-1000-8000-000000000008", true},
		{KeyTypeUUID, "AAAAAAAA-0000-1000-8000-000000000008", "aaaaaaaa-0000-1000-8000-000000000008", true},
		{KeyTypeUUID, "aaaaaaaa000010008000000000000008", "aaaaaaaa-0000-1000-8000-000000000008", true},
		{KeyTypeUUID, "aa-aaaaaa-0000-1000-8000-00000--0000008", "aaaaaaaa-0000-1000-8000-000000000008", true},
		{KeyTypeUUID, "-aaaaaaa000010008000000000000008", "", false},
		{KeyTypeUUID, "aaaaaaaa000010008000000000000008-", "", false},
		{KeyTypeUUID, "{aaaaaaaa-0000-1000-8000-000000000008}", "", false},
		{KeyTypeUUID, "aaaaaaaa00001000800000000000008", "", false},
		{KeyTypeUUID, "gaaaaaaa000010008000000000000008", "", false},
		{KeyTypeINET6, "::1.2.3.4", "::1.2.3.4", true},
		{KeyTypeINET6, "::FFFF:1.2.3.4", "::ffff:1.2.3.4", true},
		{KeyTypeINET6, "0:0:0:0:0:0:0:1", "::1", true},
		{KeyTypeINET6, "1:0:0:1:0:0:0:1", "1:0:0:1::1", true},
		{KeyTypeINET6, "1:0:1:0:1:0:1:0", "1::1:0:1:0:1:0", true},
		{KeyTypeINET6, "::", "::", true},
		{KeyTypeINET6, "2001:DB8::", "2001:db8::", true},
		{KeyTypeINET6, "::0.0.0.1", "::1", true},
		{KeyTypeINET6, "::0.0.1.0", "::100", true},
		{KeyTypeINET6, "::ffff:0:0", "::ffff:0.0.0.0", true},
		{KeyTypeINET6, "::fffe:1.2.3.4", "::fffe:102:304", true},
		{KeyTypeINET6, "0:0:0:0:0:ffff:102:304", "::ffff:1.2.3.4", true},
		{KeyTypeINET6, "::1:2:3:4:5:6:7", "::1:2:3:4:5:6:7", true},
		{KeyTypeINET6, "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7::", true},
		{KeyTypeINET6, "1.2.3.4", "", false},
		{KeyTypeINET6, "fe80::1%eth0", "", false},
		{KeyTypeText, "AbC", "AbC", true},
	} {
		got, ok := FixedKeyText(tc.kt, tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("FixedKeyText(%s, %q) = %q, %v; want %q, %v", tc.kt, tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
