package identity

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
)

// peer returns a reproducible static identity (group 2, to keep tests fast).
func peer(t testing.TB, seed byte) *flashcrypto.Identity {
	t.Helper()
	id, err := flashcrypto.NewStaticIdentity(rand.NewChaCha8([32]byte{seed}), []flashcrypto.Group{flashcrypto.Group2}, flashcrypto.CertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// fakeClock returns a clock that advances a second per call.
func fakeClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

func openTrust(t *testing.T, path string) *Trust {
	t.Helper()
	tr, err := OpenTrust(path)
	if err != nil {
		t.Fatal(err)
	}
	tr.now = fakeClock()
	return tr
}

func TestTrustPersistsAcrossReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "camchat")
	path := filepath.Join(dir, TrustFile)
	tr := openTrust(t, path)
	if tr.Len() != 0 {
		t.Fatal("new store not empty")
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("OpenTrust created the file before any verdict")
	}
	alice, bob := peer(t, 1), peer(t, 2)
	if err := tr.Set(alice.PeerID(), VerdictMatch, alice.Cert(), "Alice"); err != nil {
		t.Fatal(err)
	}
	if err := tr.Set(bob.PeerID(), VerdictDiffer, bob.Cert(), "Bob\n"); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, path); m != 0o600 {
		t.Errorf("trust file mode %o, want 600", m)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("directory mode %o, want 700", m)
	}

	again := openTrust(t, path)
	want := tr.Entries()
	got := again.Entries()
	if len(got) != 2 || len(want) != 2 {
		t.Fatalf("reopened store has %d entries, want 2", len(got))
	}
	for i := range want {
		if got[i].PeerID != want[i].PeerID || got[i].Verdict != want[i].Verdict || got[i].Key != want[i].Key ||
			got[i].Name != want[i].Name || !got[i].Time.Equal(want[i].Time) {
			t.Errorf("entry %d after reopen %+v, want %+v", i, got[i], want[i])
		}
	}
	e, ok := again.Verdict(bob.PeerID())
	if !ok || e.Verdict != VerdictDiffer || e.Name != "Bob " || e.Key != KeyDigestOf(bob.Cert()) {
		t.Errorf("Verdict(bob) = %+v, %v", e, ok)
	}

	// A new verdict replaces the old one; Forget removes it; both persist.
	if err := again.Set(bob.PeerID(), VerdictMatch, bob.Cert(), "Bob"); err != nil {
		t.Fatal(err)
	}
	if err := again.Forget(alice.PeerID()); err != nil {
		t.Fatal(err)
	}
	third := openTrust(t, path)
	if _, ok := third.Verdict(alice.PeerID()); ok {
		t.Error("forgotten verdict came back")
	}
	if e, ok := third.Verdict(bob.PeerID()); !ok || e.Verdict != VerdictMatch {
		t.Errorf("replaced verdict = %+v, %v", e, ok)
	}
	if third.Len() != 1 {
		t.Errorf("Len = %d, want 1", third.Len())
	}
	if err := third.Forget(bob.PeerID()); err != nil {
		t.Fatal(err)
	}
	if empty := openTrust(t, path); empty.Len() != 0 {
		t.Errorf("store emptied by Forget reopens with %d entries", empty.Len())
	}
}

func TestTrustFileFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), TrustFile)
	tr := openTrust(t, path)
	alice, bob := peer(t, 1), peer(t, 2)
	if err := tr.Set(alice.PeerID(), VerdictMatch, alice.Cert(), "Alice"); err != nil {
		t.Fatal(err)
	}
	if err := tr.Set(bob.PeerID(), VerdictDiffer, bob.Cert(), `Bob "B" <b>`); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	key, bobKey := KeyDigestOf(alice.Cert()), KeyDigestOf(bob.Cert())
	want := fmt.Sprintf(`{
  "format": "camchat trust",
  "version": 1,
  "peers": [
    {"id":"%s","verdict":"match","key":"%x","name":"Alice","time":"2025-03-01T12:00:01Z"},
    {"id":"%s","verdict":"differ","key":"%x","name":"Bob \"B\" <b>","time":"2025-03-01T12:00:02Z"}
  ]
}
`, alice.PeerID(), key[:], bob.PeerID(), bobKey[:])
	if string(b) != want {
		t.Errorf("trust file:\n%s\nwant:\n%s", b, want)
	}
}

func TestCheckStatuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), TrustFile)
	tr := openTrust(t, path)
	alice, bob, carol, dave := peer(t, 1), peer(t, 2), peer(t, 3), peer(t, 4)
	aliceNew := peer(t, 5)
	server, err := flashcrypto.NewEphemeralIdentity(rand.NewChaCha8([32]byte{9}), nil, flashcrypto.CertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Set(alice.PeerID(), VerdictMatch, alice.Cert(), "Alice Smith"); err != nil {
		t.Fatal(err)
	}
	if err := tr.Set(bob.PeerID(), VerdictDiffer, bob.Cert(), "Bob"); err != nil {
		t.Fatal(err)
	}

	// A cert claiming Alice's peer ID but carrying Dave's bytes.
	forged := *dave.Cert()
	forged.PeerID = alice.PeerID()
	forgedCarol := *dave.Cert()
	forgedCarol.PeerID = carol.PeerID()

	cases := []struct {
		name  string
		id    *flashcrypto.Identity
		pid   flashcrypto.PeerID
		cert  *flashcrypto.Cert
		shown string
		want  State
		was   flashcrypto.PeerID
	}{
		{"never seen", carol, carol.PeerID(), carol.Cert(), "Carol", Unknown, flashcrypto.PeerID{}},
		{"never seen, no session yet", carol, carol.PeerID(), nil, "Carol", Unknown, flashcrypto.PeerID{}},
		{"verified", alice, alice.PeerID(), alice.Cert(), "Alice Smith", Verified, flashcrypto.PeerID{}},
		{"verified, renamed", alice, alice.PeerID(), alice.Cert(), "Ally", Verified, flashcrypto.PeerID{}},
		{"verified, no session yet", alice, alice.PeerID(), nil, "Alice Smith", Verified, flashcrypto.PeerID{}},
		{"they differ", bob, bob.PeerID(), bob.Cert(), "Bob", Differ, flashcrypto.PeerID{}},
		{"cert of another peer ID", alice, alice.PeerID(), dave.Cert(), "Alice Smith", KeyChanged, flashcrypto.PeerID{}},
		{"cert with a forged peer ID field", alice, alice.PeerID(), &forged, "Alice Smith", KeyChanged, flashcrypto.PeerID{}},
		{"unknown ID, cert of another", carol, carol.PeerID(), dave.Cert(), "Carol", KeyChanged, flashcrypto.PeerID{}},
		{"unknown ID, forged peer ID field", carol, carol.PeerID(), &forgedCarol, "Carol", KeyChanged, flashcrypto.PeerID{}},
		{"verified name under a new ID", aliceNew, aliceNew.PeerID(), aliceNew.Cert(), "Alice Smith", IdentityChanged, alice.PeerID()},
		{"same name, other case and spacing", aliceNew, aliceNew.PeerID(), aliceNew.Cert(), "  alice\tSMITH ", IdentityChanged, alice.PeerID()},
		{"same name with a zero-width space", aliceNew, aliceNew.PeerID(), nil, "Alice\u200b Smith", IdentityChanged, alice.PeerID()},
		{"name of a peer that differed", dave, dave.PeerID(), dave.Cert(), "Bob", Unknown, flashcrypto.PeerID{}},
		{"empty name", dave, dave.PeerID(), dave.Cert(), " ", Unknown, flashcrypto.PeerID{}},
		{"server certificate", nil, server.PeerID(), server.Cert(), "server", Unbound, flashcrypto.PeerID{}},
	}
	for _, c := range cases {
		st := tr.Check(c.pid, c.cert, c.shown)
		if st.State != c.want || st.PeerID != c.pid || st.Was.PeerID != c.was {
			t.Errorf("%s: Check = %v (was %v), want %v (was %v)", c.name, st.State, st.Was.PeerID, c.want, c.was)
		}
		if e, ok := tr.Verdict(c.pid); ok != st.Stored || e != st.Entry {
			t.Errorf("%s: Status entry %+v/%v, stored %+v/%v", c.name, st.Entry, st.Stored, e, ok)
		}
	}
	if !Differ.Warning() || !KeyChanged.Warning() || !IdentityChanged.Warning() || Verified.Warning() || Unknown.Warning() || Unbound.Warning() {
		t.Error("Warning() is wrong")
	}

	// The most recently verified peer ID of a name is the one named.
	if err := tr.Set(aliceNew.PeerID(), VerdictMatch, aliceNew.Cert(), "Alice Smith"); err != nil {
		t.Fatal(err)
	}
	if st := tr.Check(dave.PeerID(), dave.Cert(), "alice smith"); st.State != IdentityChanged || st.Was.PeerID != aliceNew.PeerID() {
		t.Errorf("Check = %v was %v, want identity changed from the newest", st.State, st.Was.PeerID)
	}
}

// The stored key digest is checked against the session's certificate:
// edit the file as an attacker with write access, or a broken binding,
// would make it.
func TestCheckKeyChangedAgainstStoredDigest(t *testing.T) {
	path := filepath.Join(t.TempDir(), TrustFile)
	tr := openTrust(t, path)
	alice := peer(t, 1)
	if err := tr.Set(alice.PeerID(), VerdictMatch, alice.Cert(), "Alice"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	key := KeyDigestOf(alice.Cert())
	other := KeyDigestOf(peer(t, 2).Cert())
	b = []byte(strings.Replace(string(b), fmt.Sprintf("%x", key[:]), fmt.Sprintf("%x", other[:]), 1))
	os.WriteFile(path, b, 0o600)

	tr = openTrust(t, path)
	st := tr.Check(alice.PeerID(), alice.Cert(), "Alice")
	if st.State != KeyChanged || !st.Stored {
		t.Fatalf("Check = %v, want key changed", st.State)
	}
	if msg := st.Message("Alice"); !strings.HasPrefix(msg, "Warning: “Alice” presents a key that does not belong to their peer ID.") {
		t.Errorf("message %q", msg)
	}
	// Without a session there is no key to compare: the verdict stands.
	if st := tr.Check(alice.PeerID(), nil, "Alice"); st.State != Verified {
		t.Errorf("Check without cert = %v, want verified", st.State)
	}
}

func TestSetRefusesCertsThatDoNotFit(t *testing.T) {
	tr := openTrust(t, filepath.Join(t.TempDir(), TrustFile))
	alice, bob := peer(t, 1), peer(t, 2)
	server, _ := flashcrypto.NewEphemeralIdentity(rand.NewChaCha8([32]byte{9}), nil, flashcrypto.CertOptions{})
	for name, err := range map[string]error{
		"nil cert":       tr.Set(alice.PeerID(), VerdictMatch, nil, "Alice"),
		"another's cert": tr.Set(alice.PeerID(), VerdictMatch, bob.Cert(), "Alice"),
		"server cert":    tr.Set(server.PeerID(), VerdictMatch, server.Cert(), "server"),
	} {
		if !errors.Is(err, ErrCert) {
			t.Errorf("%s: Set = %v, want ErrCert", name, err)
		}
	}
	if err := tr.Set(alice.PeerID(), 0, alice.Cert(), "Alice"); err == nil {
		t.Error("Set with verdict 0 succeeded")
	}
	if tr.Len() != 0 {
		t.Errorf("refused verdicts were stored: %d entries", tr.Len())
	}
}

func TestSetFailureLeavesStoreUnchanged(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "camchat")
	path := filepath.Join(parent, TrustFile)
	tr := openTrust(t, path)
	alice := peer(t, 1)
	// A file where the directory must go: the write cannot happen.
	os.WriteFile(parent, []byte("x"), 0o600)
	err := tr.Set(alice.PeerID(), VerdictMatch, alice.Cert(), "Alice")
	if !errors.Is(err, ErrWrite) {
		t.Fatalf("Set = %v, want ErrWrite", err)
	}
	if !strings.HasPrefix(err.Error(), "cannot write "+path+" (not a directory): check that "+parent+" is writable") {
		t.Errorf("message %q", err)
	}
	if _, ok := tr.Verdict(alice.PeerID()); ok || tr.Len() != 0 {
		t.Error("a verdict that was not written is in the store")
	}
}

func TestTrustIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), TrustFile)
	tr := openTrust(t, path)
	tr.max = 3
	p := make([]*flashcrypto.Identity, 6)
	for i := range p {
		p[i] = peer(t, byte(10+i))
	}
	set := func(i int, v Verdict) {
		t.Helper()
		if err := tr.Set(p[i].PeerID(), v, p[i].Cert(), fmt.Sprint("p", i)); err != nil {
			t.Fatal(err)
		}
	}
	set(0, VerdictMatch)
	set(1, VerdictDiffer)
	set(2, VerdictMatch)
	set(3, VerdictMatch) // full: the oldest "differ" (1) goes, not the older match (0)
	has := func(want ...int) {
		t.Helper()
		var got []int
		for i := range p {
			if _, ok := tr.Verdict(p[i].PeerID()); ok {
				got = append(got, i)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("entries %v, want %v", got, want)
		}
	}
	has(0, 2, 3)
	set(4, VerdictDiffer) // no "differ" left to drop: the oldest match (0) goes
	has(2, 3, 4)
	set(5, VerdictMatch) // the oldest "differ" (4) goes, though newer than 2 and 3
	has(2, 3, 5)
	if reopened := openTrust(t, path); reopened.Len() != 3 {
		t.Errorf("file holds %d entries, want 3", reopened.Len())
	}
}

func expectTrustRefused(t *testing.T, path string, kind error, message string) {
	t.Helper()
	before, _ := os.ReadFile(path)
	_, err := OpenTrust(path)
	if !errors.Is(err, kind) || err.Error() != message {
		t.Errorf("OpenTrust error:\n got  %v\n want %s (%v)", err, message, kind)
	}
	if after, _ := os.ReadFile(path); string(before) != string(after) {
		t.Error("the file was changed")
	}
}

const trustRedo = ": move it away to start with an empty trust store (every peer will show as not verified until you verify them again)"

func TestCorruptTrustFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), TrustFile)
	tr := openTrust(t, path)
	alice := peer(t, 1)
	if err := tr.Set(alice.PeerID(), VerdictMatch, alice.Cert(), "Alice"); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)

	os.WriteFile(path, good[:len(good)/2], 0o600)
	expectTrustRefused(t, path, ErrCorrupt, path+" is corrupt (not valid JSON; the file may be truncated)"+trustRedo)

	os.WriteFile(path, nil, 0o600)
	expectTrustRefused(t, path, ErrCorrupt, path+" is corrupt (the file is empty)"+trustRedo)

	os.WriteFile(path, []byte("\x00\x01binary"), 0o600)
	expectTrustRefused(t, path, ErrFormat, path+" is not a camchat trust store"+trustRedo)

	os.WriteFile(path, []byte(`{"format": "something else", "version": 1}`), 0o600)
	expectTrustRefused(t, path, ErrFormat, path+" is not a camchat trust store"+trustRedo)

	os.WriteFile(path, []byte(strings.Replace(string(good), `"version": 1`, `"version": 7`, 1)), 0o600)
	expectTrustRefused(t, path, ErrVersion, path+" was written by a newer camchat (format 7): update camchat, or move it away to start with an empty trust store (every peer will show as not verified until you verify them again)")

	os.WriteFile(path, []byte(strings.Replace(string(good), `"match"`, `"maybe"`, 1)), 0o600)
	expectTrustRefused(t, path, ErrCorrupt, path+" is corrupt (peer 1: bad verdict)"+trustRedo)

	os.WriteFile(path, []byte(strings.Replace(string(good), `"version": 1`, `"version": "1"`, 1)), 0o600)
	expectTrustRefused(t, path, ErrCorrupt, path+" is corrupt (no valid format version)"+trustRedo)

	dup := strings.Replace(string(good), "  ]", "  ,"+string(good[strings.Index(string(good), "    {"):strings.Index(string(good), "  ]")])+"  ]", 1)
	os.WriteFile(path, []byte(dup), 0o600)
	expectTrustRefused(t, path, ErrCorrupt, path+" is corrupt (peer 2: peer ID listed twice)"+trustRedo)

	os.Remove(path)
	os.Mkdir(path, 0o700)
	expectTrustRefused(t, path, ErrUnreadable, path+" is a directory, not a camchat trust store"+trustRedo)
}

func TestTrustConcurrentUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), TrustFile)
	tr := openTrust(t, path)
	peers := make([]*flashcrypto.Identity, 8)
	for i := range peers {
		peers[i] = peer(t, byte(20+i))
	}
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Go(func() {
			for range 5 {
				if err := tr.Set(p.PeerID(), Verdict(1+i%2), p.Cert(), fmt.Sprint("peer ", i)); err != nil {
					t.Error(err)
				}
				tr.Check(peers[(i+1)%len(peers)].PeerID(), nil, "peer 0")
				tr.Entries()
			}
		})
	}
	wg.Wait()
	reopened := openTrust(t, path)
	if reopened.Len() != len(peers) {
		t.Fatalf("file holds %d entries, want %d", reopened.Len(), len(peers))
	}
	for i, p := range peers {
		if e, ok := reopened.Verdict(p.PeerID()); !ok || e.Verdict != Verdict(1+i%2) {
			t.Errorf("peer %d: %+v, %v", i, e, ok)
		}
	}
}

func TestStatusMessages(t *testing.T) {
	alice, other := peer(t, 1), peer(t, 2)
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.Local)
	verified := Entry{PeerID: alice.PeerID(), Verdict: VerdictMatch, Name: "Alice", Time: when}
	cases := []struct {
		st   Status
		name string
		want string
	}{
		{Status{State: Unknown}, "Carol", `Not verified: compare the words with “Carol” on the call, then press "They match" or "They differ".`},
		{Status{State: Unknown}, "", `Not verified: compare the words with this peer on the call, then press "They match" or "They differ".`},
		{Status{State: Verified, Entry: verified, Stored: true}, "Alice", "Verified: you compared the words with “Alice” on 1 Mar 2025 and they matched."},
		{Status{State: Verified, Entry: verified, Stored: true}, "Ally", "Verified: you compared the words with “Ally” (then named “Alice”) on 1 Mar 2025 and they matched."},
		{Status{State: Differ, Entry: verified, Stored: true}, "Alice", "Warning: when you compared the words with “Alice” on 1 Mar 2025, they differed. Someone may be in the middle of your calls with this peer ID: do not trust this call."},
		{Status{State: IdentityChanged, PeerID: other.PeerID(), Was: verified}, "Alice", fmt.Sprintf("Warning: “Alice” has a new identity. You verified “Alice” on 1 Mar 2025 under peer ID %s…; this is peer ID %s…. Either they made a new identity or someone is posing as them: compare the words again before you trust this call.", alice.PeerID().String()[:8], other.PeerID().String()[:8])},
		{Status{State: Unbound}, "srv", "The peer ID of “srv” is not tied to a key (a server certificate): a verification cannot be remembered."},
	}
	for _, c := range cases {
		if got := c.st.Message(c.name); got != c.want {
			t.Errorf("%v message:\n got  %s\n want %s", c.st.State, got, c.want)
		}
	}
}

func TestCleanName(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	cases := map[string]string{
		"Alice":            "Alice",
		"Al\x00ice\x1b[0m": "Alice[0m",
		"Alice\nSmith":     "Alice Smith",
		"bad\xffutf8":      "bad\uFFFDutf8",
		long:               strings.Repeat("é", MaxNameLen/2),
	}
	for in, want := range cases {
		if got := cleanName(in); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := cleanName(strings.Repeat("a", MaxNameLen-1) + "é"); len(got) != MaxNameLen-1 {
		t.Errorf("cut inside a character: %q", got)
	}
}

// TestMemoryTrust: a memory store keeps verdicts for its life and writes no
// file.
func TestMemoryTrust(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	tr := MemoryTrust()
	id := peer(t, 1)
	if err := tr.Set(id.PeerID(), VerdictMatch, id.Cert(), "Bob"); err != nil {
		t.Fatal(err)
	}
	if st := tr.Check(id.PeerID(), id.Cert(), "Bob"); st.State != Verified {
		t.Fatalf("state %v, want verified", st.State)
	}
	if tr.Path() != "" {
		t.Errorf("path %q", tr.Path())
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("a memory store wrote %v", files)
	}
}
