package identity

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// File names inside the config directory.
const (
	IdentityFile = "identity"
	TrustFile    = "trust.json"
)

// DefaultDir returns camchat's config directory: $XDG_CONFIG_HOME/camchat,
// or ~/.config/camchat when XDG_CONFIG_HOME is unset or not absolute (the
// XDG Base Directory specification says to ignore a relative value). It
// does not create the directory; writing a file there does, mode 0700.
func DefaultDir() (string, error) {
	if d := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "camchat"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil || !filepath.IsAbs(home) {
		return "", ErrNoConfigDir
	}
	return filepath.Join(home, ".config", "camchat"), nil
}

// fileKind describes one of our files for the messages users read.
type fileKind struct {
	noun   string // "identity file"
	redo   string // what moving the file away does, after "move it away to "
	maxLen int64  // a larger file is not one of ours
}

var (
	identityKind = fileKind{
		noun:   "camchat identity file",
		redo:   "create a new identity (your peer ID will change and friends must verify you again)",
		maxLen: 64 << 10,
	}
	trustKind = fileKind{
		noun:   "camchat trust store",
		redo:   "start with an empty trust store (every peer will show as not verified until you verify them again)",
		maxLen: 8 << 20,
	}
)

func (k fileKind) err(path string, kind, cause error, format string, args ...any) *FileError {
	return &FileError{Path: path, Kind: kind, Err: cause, msg: fmt.Sprintf(format, args...)}
}

// corrupt reports a damaged file; detail says what is wrong with it.
func (k fileKind) corrupt(path, detail string) *FileError {
	return k.err(path, ErrCorrupt, errors.New(detail), "%s is corrupt (%s): move it away to %s", path, detail, k.redo)
}

func (k fileKind) wrongFormat(path string) *FileError {
	return k.err(path, ErrFormat, nil, "%s is not a %s: move it away to %s", path, k.noun, k.redo)
}

func (k fileKind) tooNew(path string, version int) *FileError {
	return k.err(path, ErrVersion, nil, "%s was written by a newer camchat (format %d): update camchat, or move it away to %s", path, version, k.redo)
}

func (k fileKind) writeErr(path string, cause error) *FileError {
	return k.err(path, ErrWrite, cause, "cannot write %s (%s): check that %s is writable and the disk is not full", path, reason(cause), filepath.Dir(path))
}

// reason is the bare cause of an *fs.PathError ("permission denied").
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return err.Error()
}

// readFile reads one of our files. A missing file is an error for which
// errors.Is(err, fs.ErrNotExist) holds; every other failure is a
// *FileError. A file that other users may read is narrowed to 0600 first.
func (k fileKind) readFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		lst, lerr := os.Lstat(path)
		if lerr != nil {
			return nil, err
		}
		if lst.Mode()&fs.ModeSymlink != 0 {
			return nil, k.err(path, ErrUnreadable, nil, "%s is a symbolic link to a missing file: remove it, or point it at your %s", path, k.noun)
		}
		// Created since the Stat (another camchat starting at the same
		// moment): read what it wrote.
		st, err = os.Stat(path)
	}
	if err != nil {
		return nil, k.err(path, ErrUnreadable, err, "cannot read %s (%s): fix its permissions, or move it away to %s", path, reason(err), k.redo)
	}
	switch {
	case st.IsDir():
		return nil, k.err(path, ErrUnreadable, nil, "%s is a directory, not a %s: move it away to %s", path, k.noun, k.redo)
	case !st.Mode().IsRegular():
		return nil, k.err(path, ErrUnreadable, nil, "%s is not a regular file: move it away to %s", path, k.redo)
	case st.Size() > k.maxLen:
		return nil, k.corrupt(path, fmt.Sprintf("%d bytes, far larger than a %s", st.Size(), k.noun))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, k.err(path, ErrUnreadable, err, "cannot read %s (%s): fix its permissions (chmod 600 %s), or move it away to %s", path, reason(err), path, k.redo)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, k.maxLen+1))
	if err != nil {
		return nil, k.err(path, ErrUnreadable, err, "cannot read %s (%s): move it away to %s", path, reason(err), k.redo)
	}
	if int64(len(b)) > k.maxLen {
		return nil, k.corrupt(path, fmt.Sprintf("more than %d bytes, far larger than a %s", k.maxLen, k.noun))
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return nil, k.err(path, ErrInsecure, err, "%s can be read by other users and cannot be made private (%s): run chmod 600 %s", path, reason(err), path)
		}
	}
	return b, nil
}

// errExists: writeFile with exclusive set found a file already there.
var errExists = fs.ErrExist

// writeFile writes data to path atomically with mode 0600, creating the
// directory (mode 0700) if needed: a temporary file in the same directory
// is written, synced and then renamed over path, so that a crash leaves
// either the old file or the new one. With exclusive set an existing file
// is never replaced (the temporary file is hard-linked into place, which
// fails if path exists) and errExists is returned.
func (k fileKind) writeFile(path string, data []byte, exclusive bool) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return k.writeErr(path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return k.writeErr(path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a rename or link: nothing, or the extra name
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return k.writeErr(path, err)
	}
	if exclusive {
		err = os.Link(tmp, path)
		if errors.Is(err, fs.ErrExist) {
			return errExists
		}
		if err != nil {
			// A file system without hard links: check, then rename. Only
			// a creation racing this one in the same instant can be lost.
			if _, serr := os.Lstat(path); serr == nil {
				return errExists
			}
			err = os.Rename(tmp, path)
		}
	} else {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return k.writeErr(path, err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename or link in dir durable. Failures are ignored:
// the data itself is synced, and some file systems refuse to sync a
// directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
