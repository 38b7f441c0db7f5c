package session

import "testing"

func TestPlainEnd(t *testing.T) {
	tests := []struct {
		text, word string
		want       bool
	}{
		{"COMMIT", "COMMIT", true},
		{"commit work;", "COMMIT", true},
		{"/* app: checkout */ COMMIT", "COMMIT", true},
		{"COMMIT -- done\n", "COMMIT", true},
		{"COMMIT AND NO CHAIN NO RELEASE", "COMMIT", true},
		{"ROLLBACK WORK NO RELEASE", "ROLLBACK", true},
		{"COMMIT AND CHAIN", "COMMIT", false},
		{"COMMIT RELEASE", "COMMIT", false},
		{"ROLLBACK TO SAVEPOINT a", "ROLLBACK", false},
		{"ROLLBACK", "COMMIT", false},
		{"/* unterminated COMMIT", "COMMIT", false},
	}
	for _, tt := range tests {
		if got := plainEnd(tt.text, tt.word); got != tt.want {
			t.Errorf("plainEnd(%q, %s) = %v, want %v", tt.text, tt.word, got, tt.want)
		}
	}
}
