package identity

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
)

// The identity file holds the user's static-key identity:
//
//	+--------------------+---------+-----------+---------------------------+
//	| "camchat identity" | version | peer ID   | identity                  |
//	| 16 bytes           | 1 byte  | 32 bytes  | flashcrypto MarshalBinary |
//	+--------------------+---------+-----------+---------------------------+
//
// Version 1 is the only one so far; a later format changes the version
// byte, so an older camchat says "written by a newer camchat" instead of
// misreading it. The peer ID is redundant on purpose: it is checked against
// the one the keys give, so that a damaged key, which would still decode
// to a valid key of another peer ID, is reported as corruption instead of
// silently changing who the user is.
const (
	identityMagic   = "camchat identity"
	identityVersion = 1
	identityHeader  = len(identityMagic) + 1 + flashcrypto.PeerIDLen
)

// NewIdentity creates a static-key identity with one key for each group
// the transport supports (flashcrypto.PreferredGroups: 16, 14 and 2, so
// that sessions between camchat peers use group 16 and Flash-era peers can
// still use group 2) and no certificate options: a peer's certificate is
// only its keys.
func NewIdentity() (*flashcrypto.Identity, error) {
	return flashcrypto.NewStaticIdentity(rand.Reader, nil, flashcrypto.CertOptions{})
}

// encodeIdentity returns the identity file's bytes for id.
func encodeIdentity(id *flashcrypto.Identity) ([]byte, error) {
	m, err := id.MarshalBinary()
	if err != nil {
		return nil, err
	}
	pid := id.PeerID()
	b := make([]byte, 0, identityHeader+len(m))
	b = append(b, identityMagic...)
	b = append(b, identityVersion)
	b = append(b, pid[:]...)
	return append(b, m...), nil
}

// decodeError says why bytes are not a valid file of ours; load turns it
// into a *FileError that names the file.
type decodeError struct {
	kind    error  // ErrCorrupt, ErrFormat or ErrVersion
	detail  string // ErrCorrupt: what is wrong
	version int    // ErrVersion: the file's version
}

func (e *decodeError) Error() string {
	switch e.kind {
	case ErrCorrupt:
		return "corrupt: " + e.detail
	case ErrVersion:
		return fmt.Sprintf("format version %d", e.version)
	}
	return e.kind.Error()
}

func (e *decodeError) Unwrap() error { return e.kind }

func (k fileKind) fileError(path string, err error) error {
	var de *decodeError
	if !errors.As(err, &de) {
		return err
	}
	switch de.kind {
	case ErrCorrupt:
		return k.corrupt(path, de.detail)
	case ErrVersion:
		return k.tooNew(path, de.version)
	}
	return k.wrongFormat(path)
}

// decodeIdentity parses the identity file's bytes.
func decodeIdentity(b []byte) (*flashcrypto.Identity, error) {
	if len(b) == 0 {
		return nil, &decodeError{kind: ErrCorrupt, detail: "the file is empty"}
	}
	if len(b) < len(identityMagic) {
		if identityMagic[:len(b)] == string(b) {
			return nil, &decodeError{kind: ErrCorrupt, detail: "the file is truncated"}
		}
		return nil, &decodeError{kind: ErrFormat}
	}
	if string(b[:len(identityMagic)]) != identityMagic {
		return nil, &decodeError{kind: ErrFormat}
	}
	b = b[len(identityMagic):]
	if len(b) == 0 {
		return nil, &decodeError{kind: ErrCorrupt, detail: "the file is truncated"}
	}
	switch v := int(b[0]); {
	case v == 0:
		return nil, &decodeError{kind: ErrCorrupt, detail: "format version 0"}
	case v > identityVersion:
		return nil, &decodeError{kind: ErrVersion, version: v}
	}
	b = b[1:]
	if len(b) < flashcrypto.PeerIDLen {
		return nil, &decodeError{kind: ErrCorrupt, detail: "the file is truncated"}
	}
	var stored flashcrypto.PeerID
	copy(stored[:], b)
	id, err := flashcrypto.UnmarshalIdentity(b[flashcrypto.PeerIDLen:])
	if err != nil {
		return nil, &decodeError{kind: ErrCorrupt, detail: "the keys cannot be decoded; the file may be truncated"}
	}
	if id.PeerID() != stored {
		return nil, &decodeError{kind: ErrCorrupt, detail: "the keys do not give the peer ID stored with them"}
	}
	return id, nil
}

// Load reads the identity file at path. A missing file gives an error for
// which errors.Is(err, fs.ErrNotExist) holds; any other failure is a
// *FileError that says what to do. Load never writes the file, except to
// narrow a mode wider than 0600 (see the package documentation).
func Load(path string) (*flashcrypto.Identity, error) {
	b, err := identityKind.readFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &FileError{Path: path, Kind: fs.ErrNotExist, msg: fmt.Sprintf("there is no identity file at %s", path)}
	}
	if err != nil {
		return nil, err
	}
	id, err := decodeIdentity(b)
	if err != nil {
		return nil, identityKind.fileError(path, err)
	}
	return id, nil
}

// LoadOrCreate loads the identity file at path, or, if there is no file
// there, creates a new identity (NewIdentity), writes it (directory 0700,
// file 0600, atomically) and reports created. A file that exists but
// cannot be used is never replaced: the error says what to do. When two
// processes create the identity at once, one file wins and both return its
// identity.
func LoadOrCreate(path string) (id *flashcrypto.Identity, created bool, err error) {
	id, err = Load(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return id, false, err
	}
	id, err = NewIdentity()
	if err != nil {
		return nil, false, fmt.Errorf("identity: new key: %w", err)
	}
	b, err := encodeIdentity(id)
	if err != nil {
		return nil, false, err
	}
	switch err := identityKind.writeFile(path, b, true); {
	case errors.Is(err, errExists):
		id, err := Load(path)
		return id, false, err
	case err != nil:
		return nil, false, err
	}
	return id, true, nil
}

// Rotate replaces the identity at path with a new one ("new identity") and
// returns it with the path of the backup of the old file, which is kept
// next to it as path.YYYYMMDD-HHMMSS.bak (backup is "" when there was no
// file). The old file is kept whatever its state, so Rotate is also the
// way out of a corrupt identity file. The caller must tell the user that
// their peer ID changed and that friends must verify them again.
func Rotate(path string) (id *flashcrypto.Identity, backup string, err error) {
	st, err := os.Lstat(path)
	switch {
	case err == nil && st.IsDir():
		return nil, "", identityKind.err(path, ErrUnreadable, nil, "%s is a directory, not a %s: move it away, then create a new identity", path, identityKind.noun)
	case err == nil:
		if backup, err = backupFile(path, time.Now()); err != nil {
			return nil, "", err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, "", identityKind.err(path, ErrUnreadable, err, "cannot read %s (%s): fix the permissions of %s", path, reason(err), filepath.Dir(path))
	}
	id, err = NewIdentity()
	if err != nil {
		return nil, backup, fmt.Errorf("identity: new key: %w", err)
	}
	b, err := encodeIdentity(id)
	if err != nil {
		return nil, backup, err
	}
	if err := identityKind.writeFile(path, b, false); err != nil {
		return nil, backup, err
	}
	return id, backup, nil
}

// backupFile keeps a copy of path as path.YYYYMMDD-HHMMSS.bak (with a
// counter if that name is taken): a hard link, or a synced copy where the
// file system has none. It never replaces an existing file.
func backupFile(path string, now time.Time) (string, error) {
	stamp := now.Format("20060102-150405")
	for n := 1; n <= 100; n++ {
		name := path + "." + stamp + ".bak"
		if n > 1 {
			name = fmt.Sprintf("%s.%s-%d.bak", path, stamp, n)
		}
		err := os.Link(path, name)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			err = copyFile(path, name)
		}
		switch {
		case err == nil:
			syncDir(filepath.Dir(path))
			return name, nil
		case !errors.Is(err, fs.ErrExist):
			return "", identityKind.err(name, ErrWrite, err, "cannot keep a backup of %s as %s (%s): nothing was changed; check that %s is writable", path, name, reason(err), filepath.Dir(path))
		}
	}
	return "", identityKind.err(path, ErrWrite, nil, "cannot keep a backup of %s: too many backups from %s; move some away", path, stamp)
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, src)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(to)
	}
	return err
}
