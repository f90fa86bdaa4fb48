package identity

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
)

// The trust store is a JSON file, so that a user can read what they
// verified:
//
//	{
//	  "format": "camchat trust",
//	  "version": 1,
//	  "peers": [
//	    {"id":"<peer ID>","verdict":"match","key":"<KeyDigest>","name":"Alice","time":"<RFC 3339>"},
//	    …
//	  ]
//	}
//
// id and key are 64 lowercase hex digits, verdict "match" or "differ", name
// the peer's display name when the verdict was given, time that moment in
// UTC. Peers are listed oldest first, one per line. A later format changes "version"; an
// older camchat then refuses the file instead of misreading it.
const (
	trustFormat  = "camchat trust"
	trustVersion = 1
)

type trustFile struct {
	Format  string      `json:"format"`
	Version int         `json:"version"`
	Peers   []trustPeer `json:"peers"`
}

type trustPeer struct {
	ID      string `json:"id"`
	Verdict string `json:"verdict"`
	Key     string `json:"key"`
	Name    string `json:"name"`
	Time    string `json:"time"`
}

// encodeTrust writes the file one peer per line: easy to read, and much
// cheaper than indenting every field.
func encodeTrust(entries []Entry) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(80 + len(entries)*256)
	fmt.Fprintf(&buf, "{\n  \"format\": %q,\n  \"version\": %d,\n  \"peers\": [", trustFormat, trustVersion)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // names stay readable: "<b>", not "\u003cb\u003e"
	for i, e := range entries {
		if i > 0 {
			buf.Truncate(buf.Len() - 1) // the encoder's newline
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		err := enc.Encode(trustPeer{
			ID:      e.PeerID.String(),
			Verdict: e.Verdict.String(),
			Key:     hex.EncodeToString(e.Key[:]),
			Name:    e.Name,
			Time:    e.Time.UTC().Format(time.RFC3339Nano),
		})
		if err != nil {
			return nil, err
		}
	}
	if len(entries) > 0 {
		buf.Truncate(buf.Len() - 1)
		buf.WriteString("\n  ")
	}
	buf.WriteString("]\n}\n")
	return buf.Bytes(), nil
}

// decodeTrust parses the trust file's bytes; every entry is checked, so
// that a damaged file is reported rather than half used.
func decodeTrust(b []byte) ([]Entry, error) {
	if !json.Valid(b) {
		if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '{' {
			return nil, &decodeError{kind: ErrCorrupt, detail: "not valid JSON; the file may be truncated"}
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return nil, &decodeError{kind: ErrCorrupt, detail: "the file is empty"}
		}
		return nil, &decodeError{kind: ErrFormat}
	}
	var head struct {
		Format  any `json:"format"`
		Version any `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil || head.Format != trustFormat {
		return nil, &decodeError{kind: ErrFormat}
	}
	v, ok := head.Version.(float64)
	if !ok || v != float64(int(v)) || v < 1 {
		return nil, &decodeError{kind: ErrCorrupt, detail: "no valid format version"}
	}
	if v > trustVersion {
		return nil, &decodeError{kind: ErrVersion, version: int(min(v, 1<<30))}
	}
	var f trustFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, &decodeError{kind: ErrCorrupt, detail: "a field has the wrong type"}
	}
	if len(f.Peers) > MaxTrustEntries {
		return nil, &decodeError{kind: ErrCorrupt, detail: fmt.Sprintf("%d peers, more than the %d kept", len(f.Peers), MaxTrustEntries)}
	}
	entries := make([]Entry, 0, len(f.Peers))
	seen := make(map[flashcrypto.PeerID]bool, len(f.Peers))
	for i, p := range f.Peers {
		e, detail := p.entry()
		if detail == "" && seen[e.PeerID] {
			detail = "peer ID listed twice"
		}
		if detail != "" {
			return nil, &decodeError{kind: ErrCorrupt, detail: fmt.Sprintf("peer %d: %s", i+1, detail)}
		}
		seen[e.PeerID] = true
		entries = append(entries, e)
	}
	return entries, nil
}

func (p trustPeer) entry() (Entry, string) {
	var e Entry
	if !lowerHex(p.ID, len(e.PeerID)) {
		return e, "bad peer ID"
	}
	hex.Decode(e.PeerID[:], []byte(p.ID))
	switch p.Verdict {
	case "match":
		e.Verdict = VerdictMatch
	case "differ":
		e.Verdict = VerdictDiffer
	default:
		return e, "bad verdict"
	}
	if !lowerHex(p.Key, len(e.Key)) {
		return e, "bad key digest"
	}
	hex.Decode(e.Key[:], []byte(p.Key))
	if cleanName(p.Name) != p.Name {
		return e, "bad name"
	}
	e.Name = p.Name
	t, err := time.Parse(time.RFC3339Nano, p.Time)
	if err != nil || t.IsZero() {
		return e, "bad time"
	}
	e.Time = t.UTC()
	return e, ""
}

// lowerHex reports whether s is exactly n bytes in lowercase hex.
func lowerHex(s string, n int) bool {
	if len(s) != 2*n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
