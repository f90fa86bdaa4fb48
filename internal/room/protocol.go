package room

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/tc"
)

// The call protocol rides on the Flash direct-connection model (RFC 7425
// §5.4): every member publishes one stream, StreamName, and plays every
// other member's. What the room itself says travels the way the Flash chat
// demos carried theirs, as NetStream.send data messages from a publisher to
// its players, and as commands from a player back to the publisher on its
// play flow:
//
//	publisher -> player (data messages, reliable, in order)
//	  camchatState  {v, room, name, mic, cam, syn, verified[], members[]}
//	  camchatChat   {id, text, sent}
//	  camchatBye    {reason}
//	player -> publisher (commands on the play flow)
//	  camchatChatAck {id}
//
// A member sends camchatState to a new player first, then again whenever
// something in it changes; it is always the whole state, so a lost
// intermediate never matters and the newest wins. The play request names
// the stream with a query that says which room the player is in and how
// big it is, so the publisher can admit or refuse it before sending any
// media (StreamName?v=1&room=<hex>&n=<members>).
//
// Every field is bounded and checked; a malformed message is dropped and
// counted, never an error for the room.
const (
	StreamName = "camchat"

	protocolVersion = 1

	handlerState   = "camchatState"
	handlerChat    = "camchatChat"
	handlerBye     = "camchatBye"
	commandChatAck = "camchatChatAck"

	// Bounds of what a peer may tell us.
	maxRosterEntries = 2 * MaxMembers
	maxAddrsPerEntry = 4
	maxVerified      = 2 * MaxMembers
)

var errMalformed = errors.New("room: malformed call-protocol message")

// roomID identifies a call: 128 random bits, chosen by whoever is alone
// and kept by everyone who joins.
type roomID [16]byte

func (id roomID) String() string { return hex.EncodeToString(id[:]) }

func parseRoomID(s string) (roomID, error) {
	var id roomID
	if len(s) != 2*len(id) {
		return id, errMalformed
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, errMalformed
	}
	return id, nil
}

// less orders room IDs, so that two people alone who join each other at
// the same moment both keep the same one.
func (id roomID) less(o roomID) bool {
	for i := range id {
		if id[i] != o[i] {
			return id[i] < o[i]
		}
	}
	return false
}

// playQuery is what a player says about itself in its play request.
type playQuery struct {
	Version int
	Room    roomID
	Members int // people in the player's call, itself included
}

func (q playQuery) streamName() string {
	v := url.Values{}
	v.Set("v", strconv.Itoa(q.Version))
	v.Set("room", q.Room.String())
	v.Set("n", strconv.Itoa(q.Members))
	return StreamName + "?" + v.Encode()
}

func parsePlayName(name string) (playQuery, error) {
	base, query, ok := cutQuery(name)
	if !ok || base != StreamName || len(name) > 256 {
		return playQuery{}, errMalformed
	}
	v, err := url.ParseQuery(query)
	if err != nil {
		return playQuery{}, errMalformed
	}
	var q playQuery
	if q.Version, err = strconv.Atoi(v.Get("v")); err != nil || q.Version < 1 {
		return playQuery{}, errMalformed
	}
	if q.Room, err = parseRoomID(v.Get("room")); err != nil {
		return playQuery{}, err
	}
	if q.Members, err = strconv.Atoi(v.Get("n")); err != nil || q.Members < 1 || q.Members > maxRosterEntries {
		return playQuery{}, errMalformed
	}
	return q, nil
}

func cutQuery(s string) (base, query string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '?' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// rosterEntry is one member of a call as a state message lists it.
type rosterEntry struct {
	ID    flashcrypto.PeerID
	Name  string
	Addrs []netip.AddrPort // where the sender reaches it, and what it reported
	// Joined is when the member entered the call, as first recorded by
	// the member that admitted it (Unix milliseconds). When a race lets
	// more than MaxMembers in, everyone keeps the earliest by (Joined,
	// ID), so all members reach the same verdict.
	Joined int64
}

// stateMsg is a member's whole state as it tells its players.
type stateMsg struct {
	Room      roomID
	Name      string
	Mic, Cam  bool
	Synthetic bool // the camera is the test pattern
	// Verified lists the members whose codes the sender found equal.
	Verified []flashcrypto.PeerID
	// Members is the sender's roster, the sender included.
	Members []rosterEntry
	// Relay is the sender's relayed address on a TURN server, if it
	// has one, and Public its own address as that server sees it
	// (relay.go).
	Relay, Public netip.AddrPort
}

func peerIDString(id flashcrypto.PeerID) string { return hex.EncodeToString(id[:]) }

func (m stateMsg) data() tc.DataMessage {
	members := make([]tc.Value, 0, len(m.Members))
	for _, e := range m.Members {
		addrs := make([]tc.Value, 0, len(e.Addrs))
		for _, a := range e.Addrs {
			addrs = append(addrs, a.String())
		}
		members = append(members, tc.NewObject(
			tc.Property{Key: "id", Value: peerIDString(e.ID)},
			tc.Property{Key: "name", Value: e.Name},
			tc.Property{Key: "addrs", Value: addrs},
			tc.Property{Key: "joined", Value: float64(e.Joined)},
		))
	}
	verified := make([]tc.Value, 0, len(m.Verified))
	for _, id := range m.Verified {
		verified = append(verified, peerIDString(id))
	}
	props := []tc.Property{
		{Key: "v", Value: float64(protocolVersion)},
		{Key: "room", Value: m.Room.String()},
		{Key: "name", Value: m.Name},
		{Key: "mic", Value: m.Mic},
		{Key: "cam", Value: m.Cam},
		{Key: "syn", Value: m.Synthetic},
		{Key: "verified", Value: verified},
		{Key: "members", Value: members},
	}
	if m.Relay.IsValid() {
		props = append(props, tc.Property{Key: "relay", Value: m.Relay.String()})
	}
	if m.Public.IsValid() {
		props = append(props, tc.Property{Key: "public", Value: m.Public.String()})
	}
	return tc.Send(handlerState, tc.NewObject(props...))
}

func argObject(args []tc.Value) (tc.Properties, error) {
	if len(args) < 1 {
		return nil, errMalformed
	}
	return objectProps(args[0])
}

// objectProps returns the properties of an object or ECMA array: AMF0
// writers use either where an object is expected.
func objectProps(v tc.Value) (tc.Properties, error) {
	switch o := v.(type) {
	case *tc.Object:
		return o.Properties, nil
	case *tc.ECMAArray:
		return o.Properties, nil
	}
	return nil, errMalformed
}

func parseState(args []tc.Value) (stateMsg, error) {
	p, err := argObject(args)
	if err != nil {
		return stateMsg{}, err
	}
	var m stateMsg
	if v, ok := p.Number("v"); !ok || v < 1 {
		return m, errMalformed
	}
	s, _ := p.String("room")
	if m.Room, err = parseRoomID(s); err != nil {
		return m, err
	}
	name, _ := p.String("name")
	m.Name = cutName(name)
	m.Mic, _ = p.Bool("mic")
	m.Cam, _ = p.Bool("cam")
	m.Synthetic, _ = p.Bool("syn")
	if s, ok := p.String("relay"); ok {
		if a, err := netip.ParseAddrPort(s); err == nil && usableHint(a) {
			m.Relay = a // a bad one is ignored, like a bad hint
		}
	}
	if s, ok := p.String("public"); ok {
		if a, err := netip.ParseAddrPort(s); err == nil && usableHint(a) {
			m.Public = a
		}
	}
	if v, ok := p.Get("verified"); ok {
		list, ok := v.([]tc.Value)
		if !ok || len(list) > maxVerified {
			return m, errMalformed
		}
		for _, x := range list {
			id, err := parsePeerIDValue(x)
			if err != nil {
				return m, err
			}
			m.Verified = append(m.Verified, id)
		}
	}
	v, ok := p.Get("members")
	list, isList := v.([]tc.Value)
	if !ok || !isList || len(list) == 0 || len(list) > maxRosterEntries {
		return m, errMalformed
	}
	for _, x := range list {
		props, err := objectProps(x)
		if err != nil {
			return m, err
		}
		e, err := parseRosterEntry(props)
		if err != nil {
			return m, err
		}
		m.Members = append(m.Members, e)
	}
	return m, nil
}

func parseRosterEntry(p tc.Properties) (rosterEntry, error) {
	var e rosterEntry
	v, _ := p.Get("id")
	id, err := parsePeerIDValue(v)
	if err != nil {
		return e, err
	}
	e.ID = id
	name, _ := p.String("name")
	e.Name = cutName(name)
	if j, ok := p.Number("joined"); ok && j >= 0 && j < 1<<53 {
		e.Joined = int64(j)
	}
	if v, ok := p.Get("addrs"); ok {
		list, ok := v.([]tc.Value)
		if !ok {
			return e, errMalformed
		}
		for _, x := range list {
			s, ok := x.(string)
			if !ok {
				return e, errMalformed
			}
			a, err := netip.ParseAddrPort(s)
			if err != nil || !usableHint(a) {
				continue // a bad hint is skipped, not fatal
			}
			if len(e.Addrs) < maxAddrsPerEntry {
				e.Addrs = append(e.Addrs, a)
			}
		}
	}
	return e, nil
}

// usableHint reports whether an address another member gave us is worth
// an IHello: never unspecified, multicast, broadcast or port 0 (the
// transport filters the rest, as it does for Redirect candidates).
func usableHint(a netip.AddrPort) bool {
	ip := a.Addr().Unmap()
	return a.IsValid() && a.Port() != 0 && !ip.IsUnspecified() && !ip.IsMulticast() &&
		ip != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

func parsePeerIDValue(v tc.Value) (flashcrypto.PeerID, error) {
	s, ok := v.(string)
	if !ok {
		return flashcrypto.PeerID{}, errMalformed
	}
	id, err := flashcrypto.ParsePeerID(s)
	if err != nil {
		return id, fmt.Errorf("%w: %w", errMalformed, err)
	}
	return id, nil
}

// chatMsg is one chat message on the wire.
type chatMsg struct {
	ID   uint64
	Text string
	Sent time.Time
}

func (m chatMsg) data() tc.DataMessage {
	return tc.Send(handlerChat, tc.NewObject(
		tc.Property{Key: "id", Value: float64(m.ID)},
		tc.Property{Key: "text", Value: m.Text},
		tc.Property{Key: "sent", Value: tc.DateOf(m.Sent)},
	))
}

func parseChat(args []tc.Value) (chatMsg, error) {
	p, err := argObject(args)
	if err != nil {
		return chatMsg{}, err
	}
	var m chatMsg
	id, ok := p.Number("id")
	if !ok || id < 1 || id >= 1<<53 || id != float64(uint64(id)) {
		return m, errMalformed
	}
	m.ID = uint64(id)
	if m.Text, ok = p.String("text"); !ok || len(m.Text) > MaxChatBytes {
		return m, errMalformed
	}
	if d, ok := p.Get("sent"); ok {
		if d, ok := d.(tc.Date); ok {
			m.Sent = d.Time()
		}
	}
	return m, nil
}

func chatAck(id uint64) tc.Command {
	return tc.Command{Name: commandChatAck, Args: []tc.Value{tc.NewObject(tc.Property{Key: "id", Value: float64(id)})}}
}

func parseChatAck(c tc.Command) (uint64, error) {
	p, err := argObject(c.Args)
	if err != nil {
		return 0, err
	}
	id, ok := p.Number("id")
	if !ok || id < 1 || id >= 1<<53 || id != float64(uint64(id)) {
		return 0, errMalformed
	}
	return uint64(id), nil
}

func byeMsg(reason string) tc.DataMessage {
	return tc.Send(handlerBye, tc.NewObject(tc.Property{Key: "reason", Value: reason}))
}

func parseBye(args []tc.Value) string {
	p, err := argObject(args)
	if err != nil {
		return ""
	}
	s, _ := p.String("reason")
	return cutName(s)
}
