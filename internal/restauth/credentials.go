// Package restauth checks REST users' credentials as Kafka Connect's
// BasicAuthSecurityRestExtension does: HTTP Basic authentication against a properties file of
// user=password lines, the format of Kafka's PropertyFileLoginModule. A password may also be
// stored as a bcrypt hash, so that the file need not hold it in clear.
package restauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/magiconair/properties"
	"golang.org/x/crypto/bcrypt"
)

// ErrEmpty is returned for a credentials file that lists no user: nobody could log in.
var ErrEmpty = errors.New("the credentials file lists no user")

// Credentials are the users allowed on the REST API.
type Credentials struct {
	users map[string]string
}

// Load reads a PropertyFileLoginModule credentials file.
func Load(path string) (*Credentials, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rest.basic.auth.credentials.file: %w", err)
	}
	c, err := Parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("rest.basic.auth.credentials.file %s: %w", path, err)
	}
	return c, nil
}

// Parse reads credentials in the properties format.
func Parse(text string) (*Credentials, error) {
	p, err := properties.LoadString(text)
	if err != nil {
		return nil, err
	}
	p.DisableExpansion = true
	users := p.Map()
	if len(users) == 0 {
		return nil, ErrEmpty
	}
	for user, password := range users {
		if isBcrypt(password) {
			if _, err := bcrypt.Cost([]byte(password)); err != nil {
				return nil, fmt.Errorf("user %s: malformed bcrypt hash: %w", user, err)
			}
		}
	}
	return &Credentials{users: users}, nil
}

// Check reports whether user and password match an entry. A plain password is compared in
// constant time (of equal-length digests) so that timing tells nothing of it.
func (c *Credentials) Check(user, password string) bool {
	stored, ok := c.users[user]
	if !ok {
		return false
	}
	if isBcrypt(stored) {
		return bcrypt.CompareHashAndPassword([]byte(stored), []byte(password)) == nil
	}
	a, b := sha256.Sum256([]byte(stored)), sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func isBcrypt(s string) bool {
	return strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")
}
