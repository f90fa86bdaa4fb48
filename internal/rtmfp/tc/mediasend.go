package tc

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flow"
)

// Flow priorities of a NetStream's per-type flows (RFC 7425 §5.3, and the design card):
// audio, data and commands at IMMEDIATE (5), video at PRIORITY (4), both
// time critical (RFC 7016 §3.5.2.1), so audio and commands overtake video.
const (
	PriorityAudio   = flow.PriorityImmediate
	PriorityVideo   = flow.PriorityPriority
	PriorityData    = flow.PriorityImmediate
	PriorityControl = flow.PriorityImmediate
)

// Default media lifetimes (design: audio that cannot be played in time is
// abandoned after about 300 ms; rtmfp-cpp's TC tools give video 2 s).
const (
	DefaultAudioLifetime = 300 * time.Millisecond
	DefaultVideoLifetime = 2 * time.Second
)

// DefaultMaxQueue is MediaOptions.MaxQueue's default: a couple of seconds
// of media (rtmfp-cpp's tcserver drops a subscriber's media when its
// oldest unsent message is older than twice the lifetime).
const DefaultMaxQueue = 2 * time.Second

// MediaOptions set the partial reliability of a stream's media (RFC 7016
// §3.6.2.3.1). A zero field selects its default; a negative one
// means no deadline.
type MediaOptions struct {
	// AudioLifetime is the FinishBy of each coded audio frame: a frame
	// not delivered within it is abandoned, never delivered late.
	AudioLifetime time.Duration
	// VideoLifetime is the FinishBy of each coded video frame. Besides,
	// every frame is chained to its group's keyframe (WriteOptions.Parent)
	// and the previous group is abandoned when a new keyframe is sent.
	VideoLifetime time.Duration
	// MaxQueue bounds what the audio or the video flow may hold: when it
	// holds more than MaxQueue of its recent media (bytes written per
	// second of media timestamps, times MaxQueue), a new coded frame is
	// skipped (ErrBackPressure) instead of queued behind it, so that a
	// stalled path costs memory and work for at most that much media.
	// Zero selects DefaultMaxQueue; negative means no bound. The
	// lifetimes bound the queues too; this bound matters when they are
	// long or off.
	MaxQueue time.Duration
	// AudioNetworkOrder asks the receiver to deliver the audio flow in
	// network order (the receive intent of its TC metadata, RFC 7425
	// §5.1.1): a frame is delivered as soon as it is complete instead of
	// waiting behind a lost one for its retransmission. For players that
	// reorder by sequence number (camchat's jitter buffer, with
	// AudioExt.Seq); Flash-era peers send original order, so it is off by
	// default.
	AudioNetworkOrder bool
}

func (o MediaOptions) audio() time.Duration { return lifetime(o.AudioLifetime, DefaultAudioLifetime) }
func (o MediaOptions) queue() time.Duration { return lifetime(o.MaxQueue, DefaultMaxQueue) }
func (o MediaOptions) video() time.Duration { return lifetime(o.VideoLifetime, DefaultVideoLifetime) }

func lifetime(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// msgPool holds scratch buffers for encoding media messages: the transport
// copies what it is given, so one buffer serves every write.
var msgPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

func getBuf() *[]byte { return msgPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) <= 1<<20 { // do not keep a huge keyframe's buffer
		*b = (*b)[:0]
		msgPool.Put(b)
	}
}

// mediaSender is the sending half of one NetStream: the data, audio and
// video flows, opened on first use with the stream's TC metadata, and the
// video group chain. It is used by server NetStreams, by a peer player
// (data flow only) and once per subscriber by a Publisher.
type mediaSender struct {
	id   StreamID
	opts MediaOptions
	// open opens a flow for the stream; nil means only the preset data
	// flow exists.
	open func(md []byte, pri rtmfp.Priority) (*rtmfp.SendFlow, error)

	mu                 sync.Mutex // guards the fields below
	data, audio, video *rtmfp.SendFlow
	closed             bool
	nextSync           uint32

	amu    sync.Mutex // guards ameter
	ameter queueMeter

	vmu       sync.Mutex       // serialises video writes; guards the fields below
	key       *rtmfp.Receipt   // the current group's keyframe
	group     []*rtmfp.Receipt // receipts of the current group not yet resolved
	sawKey    bool             // a keyframe went out (inter frames before it are useless)
	abandoned int              // receipts abandoned because a new group began
	vmeter    queueMeter
}

// queueMeter estimates how many bytes a flow's media amounts to per second
// of media time, from the sizes and timestamps of the messages offered to
// it, over windows of at least a second.
type queueMeter struct {
	start   Timestamp
	bytes   int
	started bool
	rate    float64 // bytes per second of media; 0 until a window closed
}

// add records a message of n bytes with timestamp ts.
func (q *queueMeter) add(ts Timestamp, n int) {
	d := ts.Sub(q.start)
	if !q.started || d < 0 || d > 10*time.Second { // first, or a jump: start over
		q.start, q.bytes, q.started, d = ts, 0, true, 0
	}
	q.bytes += n
	if d >= time.Second {
		q.rate = float64(q.bytes) / d.Seconds()
		q.start, q.bytes = ts, 0
	}
}

// full reports whether a flow holding buffered bytes holds more than d of
// media; never before the rate is known.
func (q *queueMeter) full(buffered int, d time.Duration) bool {
	return d > 0 && q.rate > 0 && float64(buffered) > q.rate*d.Seconds()
}

// msgTimestamp is the timestamp of a whole TC message.
func msgTimestamp(msg []byte) Timestamp {
	if len(msg) < MessageHeaderLen {
		return 0
	}
	return Timestamp(binary.BigEndian.Uint32(msg[1:]))
}

// flow returns the flow for messages of type t, opening it if needed.
func (m *mediaSender) flow(t MessageType) (*rtmfp.SendFlow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrStreamClosed
	}
	ref, pri := &m.data, PriorityData
	switch t {
	case TypeAudio:
		ref, pri = &m.audio, PriorityAudio
	case TypeVideo:
		ref, pri = &m.video, PriorityVideo
	}
	if *ref != nil {
		return *ref, nil
	}
	if m.open == nil {
		return nil, fmt.Errorf("tc: stream %d %s: %w", m.id, t, ErrNoFlow)
	}
	md := FlowMetadata{StreamID: m.id}
	if t == TypeAudio && m.opts.AudioNetworkOrder {
		md.Intent = IntentNetworkOrder
	}
	f, err := m.open(md.Append(nil), pri)
	if err != nil {
		return nil, fmt.Errorf("tc: stream %d: open %s flow: %w", m.id, t, err)
	}
	*ref = f
	return f, nil
}

// writeData writes a whole TC message (command, data, user control) on the
// data flow, reliably.
func (m *mediaSender) writeData(msg []byte) (*rtmfp.Receipt, error) {
	return m.writeDataContext(context.Background(), msg)
}

// writeDataContext is writeData waiting for room in the flow's buffer only
// until ctx ends.
func (m *mediaSender) writeDataContext(ctx context.Context, msg []byte) (*rtmfp.Receipt, error) {
	f, err := m.flow(TypeData)
	if err != nil {
		return nil, err
	}
	return f.WriteContext(ctx, msg, rtmfp.WriteOptions{})
}

// dataFull reports whether a write on the data flow would wait for room.
func (m *mediaSender) dataFull() bool {
	m.mu.Lock()
	f := m.data
	m.mu.Unlock()
	return f != nil && f.Buffered() >= rtmfp.SendBufferLimit
}

// writeAudio writes a whole TC audio message. Coded frames are time
// critical with the audio lifetime; sequence starts and ends must arrive
// and go without a deadline (rtmfp-cpp isAudioSequenceSpecial).
//
// A coded frame offered while the flow holds more than MaxQueue of audio
// is not written: ErrBackPressure.
func (m *mediaSender) writeAudio(msg []byte, special bool) (*rtmfp.Receipt, error) {
	f, err := m.flow(TypeAudio)
	if err != nil {
		return nil, err
	}
	var o rtmfp.WriteOptions
	if !special {
		o.FinishBy = m.opts.audio()
		m.amu.Lock()
		m.ameter.add(msgTimestamp(msg), len(msg))
		full := m.ameter.full(f.Buffered(), m.opts.queue())
		m.amu.Unlock()
		if full {
			return nil, ErrBackPressure
		}
	}
	return f.Write(msg, o)
}

// writeVideo writes a whole TC video message. A keyframe starts a new
// group: every receipt of the previous group still pending is abandoned
// (its frames are useless once a newer keyframe exists), and each later
// frame of the group names the keyframe's receipt as Parent, so that losing
// the keyframe abandons the frames that depend on it (RFC 7016 §3.6.2.3,
// WriteReceiptChain). Inter frames before the first keyframe are not sent:
// nothing could decode them. special messages (sequence start/end) go
// reliably, outside any group.
//
// A coded frame offered while the flow holds more than MaxQueue of video
// is not written (ErrBackPressure); unless it is droppable, the frames
// after it wait for the next keyframe, as after any lost reference
// (rtmfp-cpp tcserver relayStreamMessage: m_seenKeyframe = false).
func (m *mediaSender) writeVideo(msg []byte, keyframe, special, droppable bool) (*rtmfp.Receipt, error) {
	f, err := m.flow(TypeVideo)
	if err != nil {
		return nil, err
	}
	if special {
		return f.Write(msg, rtmfp.WriteOptions{})
	}
	m.vmu.Lock()
	defer m.vmu.Unlock()
	m.vmeter.add(msgTimestamp(msg), len(msg))
	if m.vmeter.full(f.Buffered(), m.opts.queue()) {
		if !droppable {
			m.sawKey = false
		}
		return nil, ErrBackPressure
	}
	if keyframe {
		for _, r := range m.group {
			if !r.Resolved() {
				r.Abandon()
				m.abandoned++
			}
		}
		clear(m.group)
		m.group = m.group[:0]
		m.key = nil
		m.sawKey = true
	} else if !m.sawKey {
		return nil, nil
	}
	o := rtmfp.WriteOptions{FinishBy: m.opts.video(), Parent: m.key}
	rc, err := f.Write(msg, o)
	if err != nil {
		return nil, err
	}
	if keyframe {
		m.key = rc
	}
	// Keep only unresolved receipts, so a long group stays small.
	live := m.group[:0]
	for _, r := range m.group {
		if !r.Resolved() {
			live = append(live, r)
		}
	}
	clear(m.group[len(live):])
	m.group = append(live, rc)
	return rc, nil
}

// sync writes a FlowSync barrier on every open flow of the stream (RFC 7425
// §5.2): the receiver holds each flow at the barrier until all have reached
// it, aligning what was sent before it on all flows.
func (m *mediaSender) sync(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrStreamClosed
	}
	var flows []*rtmfp.SendFlow
	for _, f := range []*rtmfp.SendFlow{m.video, m.audio, m.data} {
		if f != nil {
			flows = append(flows, f)
		}
	}
	id := m.nextSync
	m.nextSync++
	m.mu.Unlock()
	msg := FlowSync{SyncID: id, Count: uint32(len(flows))}.AppendMessage(nil)
	for _, f := range flows {
		if _, err := f.WriteContext(ctx, msg, rtmfp.WriteOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// abandonedMedia returns how many audio and video messages the transport
// abandoned on the stream's flows (deadline, new group, lost parent).
func (m *mediaSender) abandonedMedia() (audio, video uint64) {
	m.mu.Lock()
	a, v := m.audio, m.video
	m.mu.Unlock()
	if a != nil {
		audio = a.Stats().Abandoned
	}
	if v != nil {
		video = v.Stats().Abandoned
	}
	return audio, video
}

// close ends every flow after its queued messages (FIN).
func (m *mediaSender) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.closed = true
	for _, f := range []*rtmfp.SendFlow{m.data, m.audio, m.video} {
		if f != nil {
			f.Close()
		}
	}
}
