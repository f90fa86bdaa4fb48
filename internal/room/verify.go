package room

import (
	"fmt"
	"slices"

	"camchat/internal/room/identity"
	"camchat/internal/rtmfp/flashcrypto"
)

// SetVerdict records what the user decided after comparing codes with a
// member: identity.VerdictMatch marks it verified (remembered for its peer
// ID and key), identity.VerdictDiffer raises the alarm (an
// EventVerification whose status is a warning). Others in the call learn
// which pairs are verified, for the call-wide mark.
func (r *Room) SetVerdict(peer flashcrypto.PeerID, v identity.Verdict) error {
	r.mu.Lock()
	m := r.members[peer]
	if m == nil || m.state != StateConnected {
		r.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrNotMember, shortID(peer))
	}
	cert, name := m.sess.FarCertificate(), m.name
	r.mu.Unlock()
	if err := r.cfg.Trust.Set(peer, v, cert, name); err != nil {
		return fmt.Errorf("room: remember verdict: %w", err)
	}
	status := r.cfg.Trust.Check(peer, cert, name)
	r.mu.Lock()
	changed := m.status.State != status.State
	m.status = status
	r.mu.Unlock()
	if changed {
		r.emit(Event{Kind: EventVerification, Peer: peer, Name: name, Status: status})
	}
	r.broadcastState()
	return nil
}

// verification is what a member's tile shows to compare codes. r.mu is
// held.
func verificationOf(m *member) Verification {
	v := Verification{Status: m.status}
	if m.sess != nil {
		n := m.sess.Nonces()
		v.NearNonce, v.FarNonce = m.sess.NearNonce(), m.sess.FarNonce()
		v.Code = flashcrypto.ShortAuthCode(n).Words()
	}
	return v
}

// allVerified reports whether every pair in the call compared codes and
// found them equal: our pairs by our verdicts, the others' by their
// reports. r.mu is held.
func (r *Room) allVerified() bool {
	live := r.liveMembers()
	if len(live) == 0 {
		return false
	}
	self := r.ep.PeerID()
	for _, m := range live {
		if m.state != StateConnected || m.status.State != identity.Verified {
			return false
		}
		// m must have verified us and every other member.
		for _, x := range live {
			want := x.id
			if x == m {
				want = self
			}
			if !slices.Contains(m.verified, want) {
				return false
			}
		}
	}
	return true
}
