package restauth

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestCheckPlainAndBcrypt(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "users.properties")
	text := "# Kafka's PropertyFileLoginModule format\nadmin=admin-pass\nops: " + string(hash) + "\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		user, password string
		want           bool
	}{
		{"admin", "admin-pass", true},
		{"admin", "admin-pass ", false},
		{"admin", "", false},
		{"ops", "s3cret", true},
		{"ops", string(hash), false},
		{"nobody", "admin-pass", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := c.Check(tt.user, tt.password); got != tt.want {
			t.Errorf("Check(%q, %q) = %v, want %v", tt.user, tt.password, got, tt.want)
		}
	}
}

func TestParseRefusesUselessFiles(t *testing.T) {
	if _, err := Parse("# nobody\n"); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty file: %v", err)
	}
	if _, err := Parse("ops=$2a$10$short\n"); err == nil {
		t.Fatal("a malformed bcrypt hash must be refused at start")
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("a missing file must be refused")
	}
}

// FuzzParse checks that no credentials file crashes the parser and that a parsed user's own
// stored plain password logs it in.
func FuzzParse(f *testing.F) {
	f.Add("admin=admin\n")
	f.Add("a: b\nc=$2a$04$abcdefghijklmnopqrstuu5Lh3CDmKOm3Rw5HCLCJ3FCHbk0Bqhq\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text)
		if err != nil {
			return
		}
		for user, stored := range c.users {
			if !isBcrypt(stored) && !c.Check(user, stored) {
				t.Fatalf("user %q cannot log in with its own password", user)
			}
		}
	})
}
