package frontend

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"

	"github.com/strata-proxy/strata/config"
)

// credential is what Strata knows of one user's password: only
// SHA1(SHA1(password)), the hash MariaDB keeps for mysql_native_password.
// It is enough to check both plugins' answers (a native scramble directly,
// a caching_sha2_password full-path password by hashing it), so a user's
// users[].password_hash works exactly as users[].password does and the
// config file need not hold the secret.
type credential struct {
	none   bool // the user has no password: only an empty answer passes
	stage2 [sha1.Size]byte
}

func credentialOf(u config.User) credential {
	h, ok := u.NativeHash()
	return credential{none: !ok, stage2: h}
}

// checkNative verifies a mysql_native_password answer,
// SHA1(password) XOR SHA1(salt + stage2): undoing the XOR must give a
// value whose SHA1 is stage2.
func (c credential) checkNative(auth, salt []byte) bool {
	if c.none {
		return len(auth) == 0
	}
	if len(auth) != sha1.Size {
		return false
	}
	h := sha1.New()
	h.Write(salt)
	h.Write(c.stage2[:])
	stage1 := h.Sum(nil)
	for i := range stage1 {
		stage1[i] ^= auth[i]
	}
	got := sha1.Sum(stage1)
	return subtle.ConstantTimeCompare(got[:], c.stage2[:]) == 1
}

// matches reports whether password is the user's (the caching_sha2_password
// full path, where the client sends the password itself).
func (c credential) matches(password string) bool {
	if c.none {
		return password == ""
	}
	got := config.NativePasswordHash(password)
	return subtle.ConstantTimeCompare(got[:], c.stage2[:]) == 1
}

// sha2Digest is SHA256(SHA256(password)): what the caching_sha2_password
// fast path is checked against, kept (like MySQL's cache) once a full
// authentication proved the password, instead of the password itself.
type sha2Digest [sha256.Size]byte

func sha2DigestOf(password string) sha2Digest {
	m := sha256.Sum256([]byte(password))
	return sha256.Sum256(m[:])
}

// checkFast verifies a caching_sha2_password fast-path answer,
// SHA256(password) XOR SHA256(digest + salt): undoing the XOR must give a
// value whose SHA256 is the digest.
func (d sha2Digest) checkFast(auth, salt []byte) bool {
	if len(auth) != sha256.Size {
		return false
	}
	h := sha256.New()
	h.Write(d[:])
	h.Write(salt)
	m := h.Sum(nil)
	for i := range m {
		m[i] ^= auth[i]
	}
	got := sha256.Sum256(m)
	return subtle.ConstantTimeCompare(got[:], d[:]) == 1
}
