package room

import "errors"

// Sentinel errors. The room wraps them with the detail a user needs; callers
// test with errors.Is and may show err.Error() as it is: every message says
// what happened and, where there is something to do, what to do.
var (
	// ErrNotPeerID: a Join target that is neither a peer ID nor an invite.
	ErrNotPeerID = errors.New("not a peer ID or invite")
	// ErrSelf: a Join target naming this member.
	ErrSelf = errors.New("that is your own peer ID")
	// ErrRoomFull: the room joined already has MaxMembers people (or ours
	// has, when adding someone to it).
	ErrRoomFull = errors.New("the call is full (five people)")
	// ErrOtherCall: the peer is in a call with other people, and so are we;
	// two calls never merge.
	ErrOtherCall = errors.New("already in another call")
	// ErrUnreachable: no session could be opened to the peer.
	ErrUnreachable = errors.New("unreachable")
	// ErrNoRoute: neither a rendezvous server nor address hints say where
	// the peer is.
	ErrNoRoute = errors.New("no rendezvous server and no address hints")
	// ErrUDPBlocked: nothing at all came back over UDP, not even from the
	// rendezvous server.
	ErrUDPBlocked = errors.New("UDP appears blocked: configure a relay")
	// ErrRefused: the peer refused for a reason of its own (its words
	// follow).
	ErrRefused = errors.New("refused")
	// ErrNotCamchat: the peer answered but is not a camchat room member.
	ErrNotCamchat = errors.New("the peer does not speak camchat's call protocol")
	// ErrNotMember: a command naming a peer that is not in the call.
	ErrNotMember = errors.New("not in the call")
	// ErrClosed: the room was closed.
	ErrClosed = errors.New("room closed")
	// ErrSocket: the network socket failed; the room cannot go on.
	ErrSocket = errors.New("network socket failed")
	// ErrDevice: a microphone, speaker or camera could not be used.
	ErrDevice = errors.New("device unavailable")
	// ErrChatTooLong: a chat message over MaxChatBytes.
	ErrChatTooLong = errors.New("chat message too long")
	// ErrConfig: an invalid Config.
	ErrConfig = errors.New("invalid room configuration")
)
