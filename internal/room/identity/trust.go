package identity

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"camchat/internal/rtmfp/flashcrypto"
)

// Verdict is what the user said after comparing the short authentication
// code (flashcrypto.ShortAuthCode) with a peer on a call.
type Verdict uint8

const (
	// VerdictMatch: "They match". The peer ID is verified.
	VerdictMatch Verdict = 1
	// VerdictDiffer: "They differ". Someone may sit in the middle of
	// sessions with this peer ID; the UI warns loudly whenever it appears.
	VerdictDiffer Verdict = 2
)

func (v Verdict) String() string {
	switch v {
	case VerdictMatch:
		return "match"
	case VerdictDiffer:
		return "differ"
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// KeyDigest identifies the static keys of a certificate: SHA-256 over a
// label and, for each static key option in order, its group and key. It is
// computed from the keys themselves, not from the bytes the peer ID hashes,
// so that it checks the binding of peer ID to key independently.
type KeyDigest [sha256.Size]byte

const keyDigestLabel = "camchat key digest v1\x00"

// KeyDigestOf returns the digest of c's static keys (of a certificate with
// no static key: the digest of none).
func KeyDigestOf(c *flashcrypto.Cert) KeyDigest {
	h := sha256.New()
	h.Write([]byte(keyDigestLabel))
	var n [8]byte
	for _, k := range c.StaticKeys {
		binary.BigEndian.PutUint32(n[:4], uint32(k.Group))
		binary.BigEndian.PutUint32(n[4:], uint32(len(k.Key)))
		h.Write(n[:])
		h.Write(k.Key)
	}
	var d KeyDigest
	h.Sum(d[:0])
	return d
}

// Entry is what the trust store holds for one peer ID.
type Entry struct {
	PeerID  flashcrypto.PeerID
	Verdict Verdict
	Key     KeyDigest // KeyDigestOf the certificate the verdict was given for
	Name    string    // the peer's display name when the verdict was given
	Time    time.Time // when the verdict was given (UTC)
}

// State is what the UI must say about a peer that appears in a call; see
// Trust.Check for the rules.
type State uint8

const (
	// Unknown: never verified. Offer the comparison.
	Unknown State = iota
	// Verified: the user said "They match" for this peer ID and key.
	Verified
	// Differ: the user said "They differ" for this peer ID. Loud warning.
	Differ
	// KeyChanged: the session's certificate does not give this peer ID, or
	// its keys are not those stored with the verdict. The handshake binds
	// peer IDs to keys, so this means that binding failed somewhere. Loud
	// warning; the verdict does not apply.
	KeyChanged
	// IdentityChanged: a peer ID the user never judged appears with the
	// display name of a peer ID they verified: the friend made a new
	// identity, or someone is posing as them. Loud warning, verify again.
	IdentityChanged
	// Unbound: the certificate has no static key (a server's), so its peer
	// ID is bound to no key and a verdict could not be remembered.
	Unbound
)

func (s State) String() string {
	switch s {
	case Unknown:
		return "unknown"
	case Verified:
		return "verified"
	case Differ:
		return "differ"
	case KeyChanged:
		return "key changed"
	case IdentityChanged:
		return "identity changed"
	case Unbound:
		return "unbound"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Warning reports whether the UI must warn loudly.
func (s State) Warning() bool {
	return s == Differ || s == KeyChanged || s == IdentityChanged
}

// Status is Trust.Check's answer.
type Status struct {
	State  State
	PeerID flashcrypto.PeerID // the peer ID checked
	// Entry is the stored entry of PeerID, if there is one (Stored).
	Entry  Entry
	Stored bool
	// Was is, for IdentityChanged, the most recent verified entry whose
	// display name the peer now uses.
	Was Entry
}

// Message is what the UI says about the peer, named name (its display name
// now), in one or two sentences.
func (s Status) Message(name string) string {
	who := quoteName(name)
	switch s.State {
	case Verified:
		then := ""
		if nameKey(s.Entry.Name) != nameKey(name) {
			then = " (then named " + quoteName(s.Entry.Name) + ")"
		}
		return fmt.Sprintf("Verified: you compared the words with %s%s on %s and they matched.", who, then, day(s.Entry.Time))
	case Differ:
		return fmt.Sprintf("Warning: when you compared the words with %s on %s, they differed. Someone may be in the middle of your calls with this peer ID: do not trust this call.", who, day(s.Entry.Time))
	case KeyChanged:
		return fmt.Sprintf("Warning: %s presents a key that does not belong to their peer ID. Someone may be posing as them: do not trust this call.", who)
	case IdentityChanged:
		return fmt.Sprintf("Warning: %s has a new identity. You verified %s on %s under peer ID %s…; this is peer ID %s…. Either they made a new identity or someone is posing as them: compare the words again before you trust this call.",
			who, quoteName(s.Was.Name), day(s.Was.Time), s.Was.PeerID.String()[:8], s.PeerID.String()[:8])
	case Unbound:
		return fmt.Sprintf("The peer ID of %s is not tied to a key (a server certificate): a verification cannot be remembered.", who)
	}
	return fmt.Sprintf("Not verified: compare the words with %s on the call, then press \"They match\" or \"They differ\".", who)
}

func quoteName(name string) string {
	if nameKey(name) == "" {
		return "this peer"
	}
	return "“" + cleanName(name) + "”"
}

func day(t time.Time) string { return t.Local().Format("2 Jan 2006") }

// Bounds of the trust store.
const (
	// MaxTrustEntries is the most entries a trust store keeps. Beyond it
	// the oldest "they differ" entry goes first, then the oldest verified.
	MaxTrustEntries = 4096
	// MaxNameLen is the most bytes of a display name stored.
	MaxNameLen = 128
)

// Trust is the store of verdicts, kept in a file (see the package
// documentation for how it is written). It is safe for concurrent use.
// Set and Forget write the file (with fsync) before they return, so call
// them off the GUI goroutine; Check, Verdict, Entries and Len read an
// immutable snapshot and never wait for the disk.
type Trust struct {
	path string           // constant
	max  int              // MaxTrustEntries; smaller in tests
	now  func() time.Time // time.Now; fixed in tests

	mu    sync.Mutex                 // serialises Set and Forget, held across the file write
	state atomic.Pointer[trustState] // replaced, never modified, after a write succeeds
}

// trustState is one immutable version of the store.
type trustState struct {
	entries map[flashcrypto.PeerID]record
}

// record is an Entry with its name's nameKey, computed once.
type record struct {
	Entry
	nameKey string
}

func newRecord(e Entry) record { return record{e, nameKey(e.Name)} }

// OpenTrust reads the trust store at path; a missing file is an empty
// store, created by the first Set. A file that cannot be read or decoded
// gives a *FileError that says what to do, and is never replaced.
func OpenTrust(path string) (*Trust, error) {
	t := &Trust{path: path, max: MaxTrustEntries, now: time.Now}
	st := &trustState{entries: map[flashcrypto.PeerID]record{}}
	b, err := trustKind.readFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		entries, err := decodeTrust(b)
		if err != nil {
			return nil, trustKind.fileError(path, err)
		}
		for _, e := range entries {
			st.entries[e.PeerID] = newRecord(e)
		}
	}
	t.state.Store(st)
	return t, nil
}

// MemoryTrust returns an empty store that is never written to a file: the
// verdicts of one run (a headless participant without a config directory,
// tests).
func MemoryTrust() *Trust {
	t := &Trust{max: MaxTrustEntries, now: time.Now}
	t.state.Store(&trustState{entries: map[flashcrypto.PeerID]record{}})
	return t
}

// Path returns the file the store is kept in ("" for MemoryTrust).
func (t *Trust) Path() string { return t.path }

// Verdict returns the stored entry of id.
func (t *Trust) Verdict(id flashcrypto.PeerID) (Entry, bool) {
	r, ok := t.state.Load().entries[id]
	return r.Entry, ok
}

// Len returns the number of entries.
func (t *Trust) Len() int { return len(t.state.Load().entries) }

// Entries returns every entry, oldest first.
func (t *Trust) Entries() []Entry { return t.state.Load().sorted() }

func (st *trustState) sorted() []Entry {
	out := make([]Entry, 0, len(st.entries))
	for _, r := range st.entries {
		out = append(out, r.Entry)
	}
	slices.SortFunc(out, compareEntries)
	return out
}

func compareEntries(a, b Entry) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	return slices.Compare(a.PeerID[:], b.PeerID[:])
}

// Set records the user's verdict on id, given in a session whose far end
// presented cert (which must be static and give id) and display name name.
// It replaces an earlier verdict on id and writes the file before it
// returns; if writing fails, the store is left as it was.
func (t *Trust) Set(id flashcrypto.PeerID, v Verdict, cert *flashcrypto.Cert, name string) error {
	if v != VerdictMatch && v != VerdictDiffer {
		return fmt.Errorf("identity: trust: verdict %v is neither match nor differ", v)
	}
	if cert == nil || !bindsPeerID(cert, id) {
		return fmt.Errorf("%w: %s", ErrCert, id)
	}
	if !cert.IsStatic() {
		return fmt.Errorf("%w: %s has no static key", ErrCert, id)
	}
	e := Entry{PeerID: id, Verdict: v, Key: KeyDigestOf(cert), Name: cleanName(name), Time: t.now().UTC()}

	t.mu.Lock()
	defer t.mu.Unlock()
	next := t.state.Load().clone()
	next.entries[id] = newRecord(e)
	for len(next.entries) > t.max {
		delete(next.entries, next.dropFirst(id))
	}
	return t.commit(next)
}

// Forget removes the verdict on id (the peer shows as Unknown again) and
// writes the file.
func (t *Trust) Forget(id flashcrypto.PeerID) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.state.Load().entries[id]; !ok {
		return nil
	}
	next := t.state.Load().clone()
	delete(next.entries, id)
	return t.commit(next)
}

// commit writes next and then makes it the current state; the caller
// holds mu.
func (t *Trust) commit(next *trustState) error {
	b, err := encodeTrust(next.sorted())
	if err != nil {
		return err
	}
	if t.path != "" {
		if err := trustKind.writeFile(t.path, b, false); err != nil {
			return err
		}
	}
	t.state.Store(next)
	return nil
}

func (st *trustState) clone() *trustState {
	return &trustState{entries: maps.Clone(st.entries)}
}

// dropFirst returns the peer ID to drop first from a full store: the
// oldest "they differ", else the oldest verified; never keep.
func (st *trustState) dropFirst(keep flashcrypto.PeerID) flashcrypto.PeerID {
	var best Entry
	found := false
	for _, r := range st.entries {
		if r.PeerID == keep {
			continue
		}
		if !found || dropBefore(r.Entry, best) {
			best, found = r.Entry, true
		}
	}
	return best.PeerID
}

func dropBefore(a, b Entry) bool {
	if (a.Verdict == VerdictDiffer) != (b.Verdict == VerdictDiffer) {
		return a.Verdict == VerdictDiffer
	}
	return compareEntries(a, b) < 0
}

// Check says what the UI must show when a peer with peer ID id appears in
// a call: cert is the certificate its session presented (nil when there is
// no session with it yet, e.g. a peer listed in a roster), name its display
// name. The rules, first that applies:
//
//  1. KeyChanged: cert does not hash to id, or an entry for id is stored
//     and cert's keys are not those it was given for. The handshake makes
//     both impossible (RFC 7425 §4.3.2, §4.4); this is defence in depth.
//  2. Unbound: cert has no static key.
//  3. Differ: the stored verdict on id is "they differ".
//  4. Verified: the stored verdict on id is "they match". Another name
//     than the one stored does not change this (people rename themselves);
//     Status.Message mentions the old name.
//  5. IdentityChanged: nothing is stored for id, and name, compared
//     without case, spacing or invisible characters, equals the stored
//     name of a verified peer ID. (Look-alike letters from other scripts
//     are not caught; the words on the call are the real check.)
//  6. Unknown.
func (t *Trust) Check(id flashcrypto.PeerID, cert *flashcrypto.Cert, name string) Status {
	entries := t.state.Load().entries
	st := Status{PeerID: id}
	r, stored := entries[id]
	st.Entry, st.Stored = r.Entry, stored
	switch {
	case cert != nil && !bindsPeerID(cert, id):
		st.State = KeyChanged
	case cert != nil && st.Stored && KeyDigestOf(cert) != st.Entry.Key:
		st.State = KeyChanged
	case cert != nil && !cert.IsStatic():
		st.State = Unbound
	case st.Stored && st.Entry.Verdict == VerdictDiffer:
		st.State = Differ
	case st.Stored:
		st.State = Verified
	default:
		key := nameKey(name)
		if key == "" {
			break
		}
		for _, r := range entries {
			if r.Verdict == VerdictMatch && r.nameKey == key &&
				(st.State != IdentityChanged || compareEntries(r.Entry, st.Was) > 0) {
				st.State, st.Was = IdentityChanged, r.Entry
			}
		}
	}
	return st
}

// bindsPeerID reports whether cert is the certificate of id, recomputing
// the hash rather than trusting the parsed field.
func bindsPeerID(cert *flashcrypto.Cert, id flashcrypto.PeerID) bool {
	if cert.CanonicalLen < 0 || cert.CanonicalLen > len(cert.Raw) {
		return false
	}
	return cert.PeerID == id && flashcrypto.PeerIDOf(cert.Raw[:cert.CanonicalLen]) == id
}

// cleanName is a display name as stored: valid UTF-8, spaces for tabs and
// line breaks, no other control characters, at most MaxNameLen bytes (cut at a character boundary).
func cleanName(name string) string {
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, "\uFFFD"))
	if len(name) > MaxNameLen {
		cut := MaxNameLen
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut]
	}
	return name
}

// nameKey is what two display names must share to count as the same name
// for IdentityChanged: case folded, runs of spaces as one, invisible
// format characters (zero-width spaces and joiners, direction marks)
// removed.
func nameKey(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, cleanName(name))
	return strings.ToLower(strings.Join(strings.Fields(name), " "))
}
