package room

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/tc"
)

// SendChat sends a message to everyone in the call. It returns the message
// as kept in the history (ID, addressees); an EventChatDelivered follows for
// each member that confirms it. Sending never waits for a slow member.
func (r *Room) SendChat(text string) (ChatMessage, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return ChatMessage{}, fmt.Errorf("%w: empty", ErrRefused)
	case len(text) > MaxChatBytes:
		return ChatMessage{}, fmt.Errorf("%w: %d bytes, at most %d", ErrChatTooLong, len(text), MaxChatBytes)
	case !utf8.ValidString(text):
		return ChatMessage{}, fmt.Errorf("%w: not valid UTF-8", ErrRefused)
	}
	now := r.cfg.Now()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ChatMessage{}, ErrClosed
	}
	r.nextChat++
	msg := ChatMessage{ID: r.nextChat, From: r.ep.PeerID(), Name: r.name, Text: text, Sent: now, Received: now, Mine: true}
	var to []flashcrypto.PeerID
	for _, m := range r.liveMembers() {
		if m.state == StateConnected {
			to = append(to, m.id)
		}
	}
	msg.To = to
	r.appendChat(msg)
	dm := chatMsg{ID: msg.ID, Text: text, Sent: now}.data()
	for _, id := range to {
		r.members[id].send(dm, func(err error) {
			if err != nil {
				r.errorf(fmt.Errorf("chat to %s not sent: %w", shortID(id), err))
			}
		})
	}
	r.mu.Unlock()
	r.emit(Event{Kind: EventChat, Chat: msg, Peer: msg.From, Name: msg.Name})
	return cloneChat(msg), nil
}

// appendChat keeps msg in the bounded history. r.mu is held.
func (r *Room) appendChat(msg ChatMessage) {
	if len(r.chat) >= chatHistory {
		r.chat = slices.Delete(r.chat, 0, len(r.chat)-chatHistory+1)
	}
	r.chat = append(r.chat, msg)
}

// receiveChat takes a chat message from m and confirms it.
func (r *Room) receiveChat(m *member, c chatMsg) {
	now := r.cfg.Now()
	r.mu.Lock()
	msg := ChatMessage{ID: c.ID, From: m.id, Name: m.name, Text: c.Text, Sent: c.Sent, Received: now}
	if msg.Sent.IsZero() {
		msg.Sent = now
	}
	r.appendChat(msg)
	play := m.play
	r.mu.Unlock()
	if play != nil {
		play.Command(chatAck(c.ID))
	}
	r.emit(Event{Kind: EventChat, Chat: msg, Peer: m.id, Name: m.name})
}

// onCommand handles commands players send back on their play flows: chat
// receipts, keyframe requests and receiver reports.
func (r *Room) onCommand(req tc.PlayRequest, c tc.Command) {
	switch c.Name {
	case commandChatAck:
		id, err := parseChatAck(c)
		if err != nil {
			r.malformed.Add(1)
			return
		}
		r.chatDelivered(req.PeerID, id)
	case commandForward:
		r.onForwardRequest(req, c) // forward.go
	default:
		r.onFeedback(req, c)
	}
}

func (r *Room) chatDelivered(from flashcrypto.PeerID, id uint64) {
	r.mu.Lock()
	var msg ChatMessage
	found := false
	for i := len(r.chat) - 1; i >= 0; i-- {
		c := &r.chat[i]
		if c.Mine && c.ID == id {
			if slices.Contains(c.To, from) && !slices.Contains(c.DeliveredTo, from) {
				c.DeliveredTo = append(c.DeliveredTo, from)
				msg, found = cloneChat(*c), true
			}
			break
		}
	}
	name := ""
	if m := r.members[from]; m != nil {
		name = m.name
	}
	r.mu.Unlock()
	if found {
		r.emit(Event{Kind: EventChatDelivered, Chat: msg, Peer: from, Name: name})
	}
}

// Chat returns the chat history, oldest first.
func (r *Room) Chat() []ChatMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]ChatMessage, len(r.chat))
	for i, c := range r.chat {
		out[i] = cloneChat(c)
	}
	return out
}

func cloneChat(c ChatMessage) ChatMessage {
	c.To = slices.Clone(c.To)
	c.DeliveredTo = slices.Clone(c.DeliveredTo)
	return c
}
