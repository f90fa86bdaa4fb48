package tc

import (
	"context"
	"sync"

	"camchat/internal/rtmfp"
)

// NetStream is one Flash NetStream over RTMFP (RFC 7425 §5.4): a stream ID
// with per-type send flows (data and commands, audio, video; RFC 7425 §5.3)
// and the receive flows the far end opens for it. It is created by
// NetConnection.CreateStream (a stream through a server) or by PlayPeer (a
// stream played directly from a peer's Publisher).
//
// Every method is safe for concurrent use. Sending never waits for the
// network except a reliable message (command, data) on a flow holding
// more than rtmfp.SendBufferLimit unacknowledged bytes; audio and video
// carry deadlines and never wait.
type NetStream struct {
	id StreamID
	tx *mediaSender
	rx *streamReceiver

	// release runs once on Close: it tells the far end (deleteStream, or
	// the end of the play flow) and forgets the stream.
	release   func()
	closeOnce sync.Once
	// wait, if set, waits for the stream's own goroutines (a peer stream
	// has them; a server stream's belong to its NetConnection).
	wait func()
}

// ID returns the stream ID.
func (s *NetStream) ID() StreamID { return s.id }

// Publish asks the far end to publish what this stream sends under name
// (answered by NetStream.Publish.Start or Publish.BadName). An empty name
// unpublishes.
func (s *NetStream) Publish(name string) error {
	return s.Command(Publish{Name: name}.Command())
}

// Play asks the far end for the stream called name (answered by
// NetStream.Play.Reset and Play.Start, then the media). An empty name stops
// playing.
func (s *NetStream) Play(name string) error {
	return s.Command(Play{Name: name}.Command())
}

// CloseStream stops publishing or playing without deleting the stream.
func (s *NetStream) CloseStream() error { return s.Command(CloseStream()) }

// Command sends a stream command (publish, play, closeStream, pause,
// receiveAudio, receiveVideo, …) on the stream's data flow, as a type-20
// message with timestamp 0 (RFC 7425 §5.3; rtmfp-cpp src/TCConnection.cpp).
func (s *NetStream) Command(c Command) error {
	msg, err := c.AppendMessage(nil, 0)
	if err != nil {
		return err
	}
	_, err = s.tx.writeData(msg)
	return err
}

// RequestKeyframe asks the publisher of a played stream for a keyframe
// (KeyframeRequest) on the stream's data flow.
func (s *NetStream) RequestKeyframe(reason string) error {
	return s.Command(KeyframeRequest{Reason: reason}.Command())
}

// SendReport sends a receiver report to the publisher of a played stream
// on the stream's data flow.
func (s *NetStream) SendReport(r ReceiverReport) error {
	return s.Command(r.Command())
}

// Send sends a data message (NetStream.send: chat, roster) reliably on the
// data flow, with timestamp 0.
func (s *NetStream) Send(dm DataMessage) (*rtmfp.Receipt, error) {
	msg, err := dm.AppendMessage(nil, 0)
	if err != nil {
		return nil, err
	}
	return s.tx.writeData(msg)
}

// WriteAudioConfig sends the Opus sequence start carrying h, reliably: a
// player needs it before the first frame.
func (s *NetStream) WriteAudioConfig(ts Timestamp, h OpusHead) (*rtmfp.Receipt, error) {
	return s.WriteAudioPacket(ts, opusConfig(h))
}

// WriteAudio sends one Opus packet captured at ts (ms on the stream's
// capture clock) as Enhanced-RTMP coded frames. It is abandoned when it
// cannot be delivered within the audio lifetime.
func (s *NetStream) WriteAudio(ts Timestamp, frame []byte) (*rtmfp.Receipt, error) {
	b := getBuf()
	defer putBuf(b)
	*b = AppendOpusMessage((*b)[:0], ts, frame)
	return s.tx.writeAudio(*b, false)
}

// WriteAudioExt is WriteAudio with camchat's per-packet fields (sequence
// number, quiet) in a ModEx entry of the message (mediaext.go), which
// Enhanced-RTMP v2 parsers read past. A player that does not understand
// Enhanced RTMP v2 (v1-only parsers such as rtmfp-cpp's, or a relaying
// server built on one) misreads such messages: send them to camchat
// peers.
func (s *NetStream) WriteAudioExt(ts Timestamp, x AudioExt, frame []byte) (*rtmfp.Receipt, error) {
	b := getBuf()
	defer putBuf(b)
	*b = AppendOpusMessageExt((*b)[:0], ts, x, frame)
	return s.tx.writeAudio(*b, false)
}

// WriteAudioPacket sends any audio packet; sequence starts and ends go
// reliably, coded frames with the audio lifetime.
func (s *NetStream) WriteAudioPacket(ts Timestamp, p AudioPacket) (*rtmfp.Receipt, error) {
	return s.tx.writeAudio(AppendAudioMessage(nil, ts, p), p.SequenceSpecial())
}

// WriteVideoConfig sends the VP8 sequence start with body (a
// VPCodecConfigurationRecord; nil selects DefaultVP8Config), reliably.
func (s *NetStream) WriteVideoConfig(ts Timestamp, body []byte) (*rtmfp.Receipt, error) {
	return s.WriteVideoPacket(ts, vp8Config(body))
}

// WriteVideo sends one VP8 frame captured at ts as Enhanced-RTMP coded
// frames. A keyframe starts a new group and abandons what is left of the
// previous one; other frames are chained to their group's keyframe. An
// inter frame before the first keyframe is not sent (nil receipt, nil
// error): nothing could decode it.
func (s *NetStream) WriteVideo(ts Timestamp, keyframe bool, frame []byte) (*rtmfp.Receipt, error) {
	b := getBuf()
	defer putBuf(b)
	*b = AppendVP8Message((*b)[:0], ts, keyframe, frame)
	return s.tx.writeVideo(*b, keyframe, false, false)
}

// WriteVideoExt is WriteVideo with camchat's per-frame fields (temporal
// layer, droppable, dependency vector) in a ModEx entry of the message
// (mediaext.go); see WriteAudioExt for who can read it.
func (s *NetStream) WriteVideoExt(ts Timestamp, keyframe bool, x VideoExt, frame []byte) (*rtmfp.Receipt, error) {
	b := getBuf()
	defer putBuf(b)
	*b = AppendVP8MessageExt((*b)[:0], ts, keyframe, x, frame)
	return s.tx.writeVideo(*b, keyframe, false, x.Present && x.Droppable)
}

// WriteVideoPacket sends any video packet, grouped like WriteVideo when it
// carries coded frames.
func (s *NetStream) WriteVideoPacket(ts Timestamp, p VideoPacket) (*rtmfp.Receipt, error) {
	return s.tx.writeVideo(AppendVideoMessage(nil, ts, p), p.Keyframe(), p.SequenceSpecial(), p.Ext.Present && p.Ext.Droppable)
}

// Sync aligns the stream's flows at the receiver (RFC 7425 §5.2): the
// far end holds each flow at the barrier until all the stream's flows
// reach it, so everything sent before Sync on any flow is delivered before
// anything sent after it. It can invert priorities; use it sparingly.
func (s *NetStream) Sync() error { return s.tx.sync(context.Background()) }

// Read returns the next message the far end sent on the stream: status
// events, data messages, user control events, audio and video, each flow in
// its own order (flows are aligned only by Sync). After the stream ends it
// returns what was still queued, then ErrStreamClosed (closed here),
// io.EOF (a peer publisher ended every flow) or the session's error.
func (s *NetStream) Read(ctx context.Context) (StreamMessage, error) { return s.rx.readMsg(ctx) }

// Done is closed when the stream's receive side ends.
func (s *NetStream) Done() <-chan struct{} { return s.rx.done }

// Stats returns the receive counters.
func (s *NetStream) Stats() ReceiveStats { return s.rx.statsNow() }

// VideoGroupAbandoned returns how many video messages were given up
// (Receipt.Abandon) because a newer keyframe started a new group before they
// were delivered; one acknowledged in the meantime is delivered instead.
func (s *NetStream) VideoGroupAbandoned() int {
	s.tx.vmu.Lock()
	defer s.tx.vmu.Unlock()
	return s.tx.abandoned
}

// Close ends the stream: its send flows finish what they hold, its receive
// goroutines stop, and the far end is told (deleteStream on a server
// connection; the end of the play flow for a peer). It waits for the
// stream's goroutines.
func (s *NetStream) Close() error {
	s.closeOnce.Do(func() {
		s.rx.fail(ErrStreamClosed)
		if s.release != nil {
			s.release()
		}
		s.tx.close()
	})
	if s.wait != nil {
		s.wait()
	}
	return nil
}

// DefaultVP8Config is the VPCodecConfigurationRecord ('vpcC', VP Codec ISO
// Media File Format Binding §2.3) sent in a VP8 sequence start when the
// caller gives none: version 1, profile 0, level 3.1, 8-bit 4:2:0
// (colocated), limited range, BT.709 colour, no initialisation data.
//
//	01 000000 | 00 profile | 1f level | 82 bitDepth 8, chroma 1, range 0 |
//	01 primaries | 01 transfer | 01 matrix | 0000 init size
func DefaultVP8Config() []byte {
	return []byte{0x01, 0x00, 0x00, 0x00, 0x00, 0x1f, 0x82, 0x01, 0x01, 0x01, 0x00, 0x00}
}

// DefaultOpusHead describes camchat's audio: 48 kHz mono with the
// encoder's usual 312-sample pre-skip (RFC 7845 §5.1).
func DefaultOpusHead() OpusHead { return OpusHead{Channels: 1, PreSkip: 312, InputRate: 48000} }

func opusConfig(h OpusHead) AudioPacket {
	return AudioPacket{Codec: AudioOpus, Enhanced: true, PacketType: AudioSequenceStart, Payload: h.Append(nil)}
}

func vp8Config(body []byte) VideoPacket {
	if body == nil {
		body = DefaultVP8Config()
	}
	return VideoPacket{Codec: VideoVP8, Enhanced: true, FrameType: FrameKey, PacketType: VideoSequenceStart, Payload: body}
}
