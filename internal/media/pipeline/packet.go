package pipeline

import (
	"time"

	"camchat/internal/media/audio"
	"camchat/internal/media/codec"
	"camchat/internal/media/playout"
)

// Audio format of every pipeline: 48 kHz mono int16, 10 ms device frames and
// 20 ms Opus packets.
const (
	SampleRate = codec.OpusSampleRate
	// FrameSamples is one 10 ms device frame, the unit of AudioSender.Process
	// and Playback.ReadFrame: the audio devices' period.
	FrameSamples = audio.FrameSamples
	// FrameDuration is the duration of one device frame.
	FrameDuration = audio.FrameDuration
	// PacketDuration is the audio carried by one AudioPacket.
	PacketDuration = 20 * time.Millisecond
	packetSamples  = 2 * FrameSamples
)

// AudioPacket is one 20 ms Opus frame, as an AudioSender emits it and an
// AudioReceiver takes it.
type AudioPacket struct {
	// Seq counts sent packets and wraps at 2^16. A DTX frame that is not
	// sent consumes no number, so a gap always means loss.
	Seq playout.SeqNum
	// Timestamp is the capture time of the first sample the decoder
	// outputs for this packet, relative to the sender's Epoch.
	Timestamp time.Duration
	// Quiet is the sender's voice-activity verdict: no speech in the
	// packet. The receiver's jitter buffer changes its delay at quiet
	// packets only, where a dropped or inserted frame is inaudible. A
	// transport that does not carry it leaves it false (safe: the buffer
	// then adjusts only when forced).
	Quiet bool
	// Payload is the Opus packet. From a sender it is valid only during
	// the Send callback; a receiver copies it.
	Payload []byte
}

// DepVector says which reference-updating frames a video frame may depend
// on: element l is the number (mod 256) of non-droppable frames of temporal
// layer l that the sender had emitted before this frame, a keyframe counting
// in every layer. A frame of layer L reads only references written by layers
// 0..L, so a receiver can decode it exactly when it has decoded that many
// non-droppable frames of each of those layers. Elements above the frame's
// layer are zero, except on a keyframe, which carries every layer's count so
// that a receiver can start from it.
type DepVector [codec.MaxTemporalLayers]uint8

// VideoPacket is one VP8 frame, as a VideoSender emits it and a
// VideoReceiver takes it.
type VideoPacket struct {
	// Timestamp is the capture time of the picture, relative to the
	// sender's Epoch (the same clock as its audio timestamps).
	Timestamp time.Duration
	// Keyframe is set on an intra frame: a decoder may start here.
	Keyframe bool
	// Layer is the frame's temporal layer; a receiver given only layers
	// 0..n still decodes every frame it gets.
	Layer codec.TemporalLayerID
	// Droppable frames update no reference: losing one harms no other
	// frame, so the network may discard them first.
	Droppable bool
	// Deps is the frame's dependency vector (see DepVector).
	Deps DepVector
	// Payload is the VP8 frame. From a sender it is valid only during the
	// Send callback; a receiver does not keep it.
	Payload []byte
}
