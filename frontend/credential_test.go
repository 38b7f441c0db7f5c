package frontend

import (
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/strata-proxy/strata/config"
)

// A user's credential checks what clients send — answers computed here as
// a client does (go-mysql's client side) — the same whether the config
// holds the password or only its hash, and refuses anything else.
func TestCredentialChecksClientAnswers(t *testing.T) {
	salt := []byte("0123456789abcdefghij")
	hash := config.FormatPasswordHash(config.NativePasswordHash("s3cret"))
	users := map[string]config.User{
		"password":      {Name: "u", Password: "s3cret"},
		"password_hash": {Name: "u", PasswordHash: hash},
	}
	for kind, u := range users {
		cred := credentialOf(u)
		tests := []struct {
			name string
			ok   bool
			got  bool
		}{
			{"native, right password", true, cred.checkNative(mysql.CalcNativePassword(salt, []byte("s3cret")), salt)},
			{"native, wrong password", false, cred.checkNative(mysql.CalcNativePassword(salt, []byte("s3creT")), salt)},
			{"native, answer to another salt", false, cred.checkNative(mysql.CalcNativePassword([]byte("jihgfedcba9876543210"), []byte("s3cret")), salt)},
			{"native, empty answer", false, cred.checkNative(nil, salt)},
			{"native, truncated answer", false, cred.checkNative(mysql.CalcNativePassword(salt, []byte("s3cret"))[:19], salt)},
			{"full path, right password", true, cred.matches("s3cret")},
			{"full path, wrong password", false, cred.matches("s3cret ")},
			{"full path, empty password", false, cred.matches("")},
		}
		for _, tt := range tests {
			if tt.got != tt.ok {
				t.Errorf("%s: %s: accepted %v, want %v", kind, tt.name, tt.got, tt.ok)
			}
		}
	}
	none := credentialOf(config.User{Name: "open"})
	if !none.checkNative(nil, salt) || none.checkNative(mysql.CalcNativePassword(salt, []byte("x")), salt) || !none.matches("") || none.matches("x") {
		t.Error("a user without a password: want only an empty answer accepted")
	}
}

// The caching_sha2_password fast path is checked against the digest kept
// from a full authentication, not the password.
func TestSha2DigestChecksFastAnswers(t *testing.T) {
	salt := []byte("0123456789abcdefghij")
	d := sha2DigestOf("s3cret")
	tests := []struct {
		name string
		auth []byte
		ok   bool
	}{
		{"right password", mysql.CalcCachingSha2Password(salt, []byte("s3cret")), true},
		{"wrong password", mysql.CalcCachingSha2Password(salt, []byte("s3creT")), false},
		{"another salt", mysql.CalcCachingSha2Password([]byte("jihgfedcba9876543210"), []byte("s3cret")), false},
		{"a native answer", mysql.CalcNativePassword(salt, []byte("s3cret")), false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		if got := d.checkFast(tt.auth, salt); got != tt.ok {
			t.Errorf("%s: accepted %v, want %v", tt.name, got, tt.ok)
		}
	}
}
