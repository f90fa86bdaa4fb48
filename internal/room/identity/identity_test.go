package identity

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
)

// mode returns the permission bits of path.
func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestLoadOrCreateCreatesPrivateFileAndKeepsPeerID(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "config", "camchat")
	path := filepath.Join(dir, IdentityFile)
	id, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("LoadOrCreate = %v, created %v", err, created)
	}
	if m := mode(t, path); m != 0o600 {
		t.Errorf("file mode %o, want 600", m)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("directory mode %o, want 700", m)
	}
	if !id.IsStatic() || !slicesEqual(id.Groups(), flashcrypto.PreferredGroups) {
		t.Errorf("identity static %v, groups %v; want static, %v", id.IsStatic(), id.Groups(), flashcrypto.PreferredGroups)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid := id.PeerID()
	if !bytes.HasPrefix(b, []byte("camchat identity\x01")) || !bytes.Equal(b[17:49], pid[:]) {
		t.Errorf("file starts %q, want magic, version 1 and the peer ID", b[:min(len(b), 49)])
	}
	if m, _ := id.MarshalBinary(); !bytes.Equal(b[49:], m) {
		t.Error("file does not end with the marshalled identity")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the identity (no temporary file left)", len(entries))
	}

	again, created, err := LoadOrCreate(path)
	if err != nil || created {
		t.Fatalf("second LoadOrCreate = %v, created %v", err, created)
	}
	if again.PeerID() != id.PeerID() || !bytes.Equal(again.Cert().Raw, id.Cert().Raw) {
		t.Error("peer ID changed across loads")
	}
	loaded, err := Load(path)
	if err != nil || loaded.PeerID() != id.PeerID() {
		t.Fatalf("Load = %v", err)
	}
}

func slicesEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLoadMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), IdentityFile)
	_, err := Load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing file = %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Error("Load created the file")
	}
}

// writeIdentityFile writes a valid identity file and returns its bytes.
func writeIdentityFile(t *testing.T, path string) []byte {
	t.Helper()
	if _, _, err := LoadOrCreate(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// expectRefused checks that both Load and LoadOrCreate fail on path with
// kind and message, and that the file is unchanged afterwards.
func expectRefused(t *testing.T, path string, kind error, message string) {
	t.Helper()
	before, _ := os.ReadFile(path)
	_, err := Load(path)
	if !errors.Is(err, kind) || err.Error() != message {
		t.Errorf("Load error:\n got  %v\n want %s (%v)", err, message, kind)
	}
	var fe *FileError
	if !errors.As(err, &fe) || fe.Path != path {
		t.Errorf("error %v is not a *FileError for %s", err, path)
	}
	_, created, err := LoadOrCreate(path)
	if !errors.Is(err, kind) || created {
		t.Errorf("LoadOrCreate = %v, created %v; want %v", err, created, kind)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("the file was changed")
	}
}

const redo = ": move it away to create a new identity (your peer ID will change and friends must verify you again)"

func TestCorruptIdentityFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), IdentityFile)
	good := writeIdentityFile(t, path)

	// A changed bit in a private key still decodes, to another peer ID:
	// the stored peer ID catches it.
	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 0x01
	os.WriteFile(path, bad, 0o600)
	expectRefused(t, path, ErrCorrupt, path+" is corrupt (the keys do not give the peer ID stored with them)"+redo)

	bad = bytes.Clone(good)
	bad[20] ^= 0x01 // in the stored peer ID
	os.WriteFile(path, bad, 0o600)
	expectRefused(t, path, ErrCorrupt, path+" is corrupt (the keys do not give the peer ID stored with them)"+redo)

	os.WriteFile(path, nil, 0o600)
	expectRefused(t, path, ErrCorrupt, path+" is corrupt (the file is empty)"+redo)
}

func TestTruncatedIdentityFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), IdentityFile)
	good := writeIdentityFile(t, path)
	for n := 1; n < len(good); n++ {
		_, err := decodeIdentity(good[:n])
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("prefix of %d of %d bytes: %v, want ErrCorrupt", n, len(good), err)
		}
	}
	os.WriteFile(path, good[:len(good)-7], 0o600)
	expectRefused(t, path, ErrCorrupt, path+" is corrupt (the keys cannot be decoded; the file may be truncated)"+redo)
	os.WriteFile(path, good[:30], 0o600)
	expectRefused(t, path, ErrCorrupt, path+" is corrupt (the file is truncated)"+redo)
}

func TestWrongFormatAndNewerVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), IdentityFile)
	good := writeIdentityFile(t, path)

	os.WriteFile(path, []byte("[identity]\nkey = 1234\n"), 0o600)
	expectRefused(t, path, ErrFormat, path+" is not a camchat identity file"+redo)

	// A bare flashcrypto encoding (a rendezvous server's -key file) is not
	// an identity file either.
	os.WriteFile(path, good[49:], 0o600)
	expectRefused(t, path, ErrFormat, path+" is not a camchat identity file"+redo)

	newer := bytes.Clone(good)
	newer[16] = 2
	os.WriteFile(path, newer, 0o600)
	expectRefused(t, path, ErrVersion, path+" was written by a newer camchat (format 2): update camchat, or move it away to create a new identity (your peer ID will change and friends must verify you again)")

	big := append(bytes.Clone(good), make([]byte, 64<<10)...)
	os.WriteFile(path, big, 0o600)
	expectRefused(t, path, ErrCorrupt, fmt.Sprintf("%s is corrupt (%d bytes, far larger than a camchat identity file)%s", path, len(big), redo))
}

// Root reads a file of mode 0000 anyway, so unreadable is tested with a
// directory where the file should be; TestUnreadableByPermissions covers
// permissions when the tests do not run as root.
func TestUnreadableIdentityFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), IdentityFile)
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(path, "x"), []byte("keep"), 0o600)
	expectRefused(t, path, ErrUnreadable, path+" is a directory, not a camchat identity file"+redo)
	if b, err := os.ReadFile(filepath.Join(path, "x")); err != nil || string(b) != "keep" {
		t.Error("the directory's content changed")
	}
	if _, _, err := Rotate(path); !errors.Is(err, ErrUnreadable) {
		t.Errorf("Rotate over a directory = %v, want ErrUnreadable", err)
	}

	link := filepath.Join(t.TempDir(), IdentityFile)
	os.Symlink(filepath.Join(t.TempDir(), "gone"), link)
	expectRefused(t, link, ErrUnreadable, link+" is a symbolic link to a missing file: remove it, or point it at your camchat identity file")
}

func TestUnreadableByPermissions(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files of any mode")
	}
	path := filepath.Join(t.TempDir(), IdentityFile)
	writeIdentityFile(t, path)
	os.Chmod(path, 0)
	expectRefused(t, path, ErrUnreadable, "cannot read "+path+" (permission denied): fix its permissions (chmod 600 "+path+"), or move it away to create a new identity (your peer ID will change and friends must verify you again)")
}

// A file we may read but not chmod: a system file, for a non-root user.
func TestWideModeThatCannotBeNarrowed(t *testing.T) {
	const path = "/etc/passwd"
	st, err := os.Stat(path)
	if err != nil || os.Geteuid() == 0 || st.Mode().Perm()&0o044 == 0 {
		t.Skip("needs a non-root user and a world-readable file it does not own")
	}
	_, err = Load(path)
	if !errors.Is(err, ErrInsecure) || err.Error() != path+" can be read by other users and cannot be made private (operation not permitted): run chmod 600 "+path {
		t.Errorf("Load(%s) = %v, want ErrInsecure", path, err)
	}
}

func TestWideModeIsNarrowed(t *testing.T) {
	path := filepath.Join(t.TempDir(), IdentityFile)
	writeIdentityFile(t, path)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, path); m != 0o600 {
		t.Errorf("mode after Load %o, want 600", m)
	}
}

func TestRotateKeepsBackupAndChangesPeerID(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, IdentityFile)
	old, _, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	oldBytes, _ := os.ReadFile(path)

	id, backup, err := Rotate(path)
	if err != nil {
		t.Fatal(err)
	}
	if id.PeerID() == old.PeerID() {
		t.Fatal("Rotate kept the peer ID")
	}
	if filepath.Dir(backup) != dir || !strings.HasPrefix(filepath.Base(backup), IdentityFile+"."+time.Now().Format("20060102")) || !strings.HasSuffix(backup, ".bak") {
		t.Errorf("backup %q, want %s/identity.YYYYMMDD-HHMMSS.bak", backup, dir)
	}
	if b, err := os.ReadFile(backup); err != nil || !bytes.Equal(b, oldBytes) {
		t.Errorf("backup holds other bytes than the old file (%v)", err)
	}
	if b, err := Load(backup); err != nil || b.PeerID() != old.PeerID() {
		t.Errorf("backup does not load as the old identity: %v", err)
	}
	loaded, err := Load(path)
	if err != nil || loaded.PeerID() != id.PeerID() {
		t.Fatalf("Load after Rotate = %v", err)
	}
	if m := mode(t, path); m != 0o600 {
		t.Errorf("mode %o, want 600", m)
	}

	// A second rotation within the same second keeps both backups.
	_, backup2, err := Rotate(path)
	if err != nil {
		t.Fatal(err)
	}
	if backup2 == backup {
		t.Fatal("second rotation reused the backup name")
	}
	if b, _ := Load(backup); b == nil || b.PeerID() != old.PeerID() {
		t.Error("first backup was overwritten")
	}
	if b, _ := Load(backup2); b == nil || b.PeerID() != id.PeerID() {
		t.Error("second backup does not hold the second identity")
	}
}

func TestRotateOutOfCorruptAndMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), IdentityFile)
	os.WriteFile(path, []byte("camchat identity\x01garbage"), 0o600)
	id, backup, err := Rotate(path)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(backup); string(b) != "camchat identity\x01garbage" {
		t.Error("the corrupt file was not kept")
	}
	if l, err := Load(path); err != nil || l.PeerID() != id.PeerID() {
		t.Errorf("Load after Rotate = %v", err)
	}

	fresh := filepath.Join(t.TempDir(), "sub", IdentityFile)
	id, backup, err = Rotate(fresh)
	if err != nil || backup != "" {
		t.Fatalf("Rotate of a missing file = %v, backup %q", err, backup)
	}
	if l, err := Load(fresh); err != nil || l.PeerID() != id.PeerID() {
		t.Errorf("Load after Rotate = %v", err)
	}
}

func TestConcurrentCreationAgreesOnOneIdentity(t *testing.T) {
	path := filepath.Join(t.TempDir(), IdentityFile)
	const n = 4
	var wg sync.WaitGroup
	ids := make([]*flashcrypto.Identity, n)
	created := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { ids[i], created[i], errs[i] = LoadOrCreate(path) })
	}
	wg.Wait()
	creators := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if created[i] {
			creators++
		}
		if ids[i].PeerID() != ids[0].PeerID() {
			t.Errorf("caller %d got another peer ID", i)
		}
	}
	if creators != 1 {
		t.Errorf("%d callers created the file, want 1", creators)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/x/config")
	if d, err := DefaultDir(); err != nil || d != "/x/config/camchat" {
		t.Errorf("DefaultDir = %q, %v", d, err)
	}
	t.Setenv("HOME", "/home/u")
	t.Setenv("XDG_CONFIG_HOME", "relative/config")
	if d, err := DefaultDir(); err != nil || d != "/home/u/.config/camchat" {
		t.Errorf("DefaultDir with a relative XDG_CONFIG_HOME = %q, %v", d, err)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	if d, err := DefaultDir(); err != nil || d != "/home/u/.config/camchat" {
		t.Errorf("DefaultDir = %q, %v", d, err)
	}
	t.Setenv("HOME", "")
	if _, err := DefaultDir(); !errors.Is(err, ErrNoConfigDir) {
		t.Error("DefaultDir without HOME succeeded")
	}
}
