package tenant

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fitment/fitment/journal"
)

// KeyKind tells what an API key may do.
type KeyKind uint8

const (
	// Publishable keys are read-only and safe to embed in a storefront theme.
	Publishable KeyKind = iota + 1
	// Secret keys read and write.
	Secret
)

func (k KeyKind) String() string {
	switch k {
	case Publishable:
		return "publishable"
	case Secret:
		return "secret"
	}
	return "unknown"
}

// Keys is a tenant's pair of API keys, as handed out once.
type Keys struct {
	Publishable string `json:"publishableKey"`
	Secret      string `json:"secretKey"`
}

// keyEncoding is lower-case base32 without padding: URL- and header-safe, no look-alike
// pairs to mistype.
var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newSecret returns prefix followed by 40 characters (200 bits) from crypto/rand.
func newSecret(prefix string) (string, error) {
	var b [25]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	return prefix + keyEncoding.EncodeToString(b[:]), nil
}

func newKeys() (Keys, error) {
	pk, err := newSecret("pk_")
	if err != nil {
		return Keys{}, err
	}
	sk, err := newSecret("sk_")
	if err != nil {
		return Keys{}, err
	}
	return Keys{Publishable: pk, Secret: sk}, nil
}

type keyHash [sha256.Size]byte

func hashKey(key string) keyHash { return sha256.Sum256([]byte(key)) }

// LoadAdminToken returns the admin token kept in dir/admin-token, generating and storing
// one (mode 0600) when the file does not exist yet; generated reports that it did. The
// caller decides whether an environment variable overrides it.
func LoadAdminToken(dir string) (token, path string, generated bool, err error) {
	path = filepath.Join(dir, "admin-token")
	b, err := os.ReadFile(path)
	if err == nil {
		token = strings.TrimSpace(string(b))
		if token == "" {
			return "", path, false, fmt.Errorf("admin token file %s is empty", path)
		}
		return token, path, false, nil
	}
	if !os.IsNotExist(err) {
		return "", path, false, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", path, false, err
	}
	token, err = newSecret("adm_")
	if err != nil {
		return "", path, false, err
	}
	if err := writeFileSync(journal.OS, path, []byte(token+"\n"), 0o600); err != nil {
		return "", path, false, err
	}
	if err := journal.OS.SyncDir(dir); err != nil {
		return "", path, false, err
	}
	return token, path, true, nil
}

// writeFileSync writes a file under a temporary name, fsyncs it and renames it into place,
// so a crash never leaves a half-written file behind. The caller fsyncs the directory to
// make the rename durable (once, for many files).
func writeFileSync(fsys journal.FS, path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	f, err := fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return fsys.Rename(tmp, path)
}
