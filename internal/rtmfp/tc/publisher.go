package tc

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
)

// Bounds on what one session's far end may make a Publisher keep. A
// player opens one play flow per stream it plays and sends commands of a
// few hundred bytes on it (play, feedback, its own data); anything beyond
// is refused before it costs a goroutine or a large buffer.
const (
	// MaxPlayFlows is the most play flows one session may have served at
	// once; more are rejected and counted (Publisher.RefusedFlows).
	MaxPlayFlows = 4
	// playWindow is the receive buffer of a play flow (the default of a
	// flow is the endpoint's, 1 MiB, made for media).
	playWindow = 16 << 10
	// playWait bounds the wait for the play command on a new flow.
	playWait = 10 * time.Second
)

// PlayRequest describes a peer asking to play the published stream, and,
// once accepted, a subscriber.
type PlayRequest struct {
	Session  *rtmfp.Session
	PeerID   flashcrypto.PeerID
	Addr     netip.AddrPort // the far end's address when it asked
	StreamID StreamID       // from the play flow's TC metadata
	Name     string         // the stream name it asked for
}

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// Name is the stream name players must ask for; empty accepts any.
	// Another name is answered with NetStream.Play.StreamNotFound.
	Name string
	// Accept decides whether a peer may play, like Flash's
	// NetStream.onPeerConnect: nil accepts, an error refuses. A refused
	// peer gets NetStream.Play.Failed with err.Error() as the description
	// ("room is full"), which its player reads as
	// StreamMessage.Status.Description. A nil Accept accepts everyone. It
	// runs on the request's goroutine and may block only briefly.
	Accept func(PlayRequest) error
	// AudioConfig is the OpusHead of the Opus sequence start each
	// subscriber receives first on its audio flow (zero: DefaultOpusHead).
	AudioConfig OpusHead
	// VideoConfig is the body of the VP8 sequence start each subscriber
	// receives first on its video flow (nil: DefaultVP8Config).
	VideoConfig []byte
	// Media sets the audio and video lifetimes.
	Media MediaOptions
	// OnSubscribe, if set, is called after a subscriber joined (the
	// encoder should send a keyframe: the newcomer's video starts at the
	// next one) and OnUnsubscribe after one left. They run on the
	// subscriber's goroutine and must not block.
	OnSubscribe, OnUnsubscribe func(PlayRequest)
	// OnCommand, if set, receives the commands a subscriber sends on its
	// play flow that the Publisher does not handle itself (it handles
	// closeStream, play, pause, receiveAudio and receiveVideo): the
	// feedback commands (ParseKeyframeRequest, ParseReceiverReport) and
	// any other. It runs on the subscriber's goroutine, in the order the
	// commands were sent, and must not block.
	OnCommand func(PlayRequest, Command)
	// Limits bound the AMF0 decoding of the players' commands.
	Limits Limits
}

// Publisher publishes one stream directly to peers (RFC 7425 §5.4):
// players open a session to it (directly, or introduced by a
// rendezvous server) and a flow carrying "play"; it answers each accepted
// player on three return flows of that flow and sends every media message
// to all its subscribers, each with its own flows, video groups and
// deadlines.
//
// Goroutines: one per served session accepting its flows, one per play
// request and subscriber reading its play flow. Close stops them all and
// waits. Methods are safe for concurrent use; media writes never block,
// and data sends wait for a stalled subscriber only until their context
// ends, after serving the others.
type Publisher struct {
	cfg    PublisherConfig
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex             // guards the fields below
	served  map[*rtmfp.Session]int // sessions whose flows are being accepted: play flows being handled
	subs    []*subscriber
	scratch []*subscriber // a spare copy of subs for the audio path
	closed  bool
	changed chan struct{} // signalled (capacity 1) when subs changes

	refused atomic.Uint64 // play flows rejected: over MaxPlayFlows, not TC, or silent
}

// subscriber is one accepted player.
type subscriber struct {
	req    PlayRequest
	tx     *mediaSender
	audio  atomic.Bool // receiveAudio (true unless the player turned it off)
	video  atomic.Bool // receiveVideo
	paused atomic.Bool // pause, independent of the two above (as tcserver keeps them)

	lmu        sync.Mutex // guards layers and wantLayers
	layers     int        // video temporal layers it receives now
	wantLayers int        // SetVideoLayers; a raise waits for a keyframe

	// Counters (SubscriberStats).
	audioSent, videoSent, audioSkipped, videoSkipped atomic.Uint64
	videoNoKey, videoSkippedLayer, dataSent          atomic.Uint64
}

// takesVideo reports whether the subscriber receives a video frame of
// layer l. A keyframe applies a pending raise of its layers: frames of the
// added layers depend on references it did not receive before.
func (s *subscriber) takesVideo(l uint8, keyframe bool) bool {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if keyframe {
		s.layers = s.wantLayers
	}
	return int(l) < s.layers
}

// SubscriberStats are the Publisher's counters for one subscriber (summed
// over a peer's subscriptions).
type SubscriberStats struct {
	AudioSent uint64 // audio frames queued on its audio flow
	VideoSent uint64 // video frames queued on its video flow
	// AudioSkipped and VideoSkipped count frames not queued because its
	// flow held more than MediaOptions.MaxQueue of media (back pressure).
	AudioSkipped uint64
	VideoSkipped uint64
	// VideoSkippedLayer counts frames of layers it does not take
	// (SetVideoLayers), VideoNoKeyframe inter frames before its first
	// keyframe (nothing could decode them).
	VideoSkippedLayer uint64
	VideoNoKeyframe   uint64
	// AudioAbandoned and VideoAbandoned count frames the transport gave
	// up: not delivered by their deadline, or (video) left pending when a
	// new keyframe began a new group or after their keyframe was lost.
	AudioAbandoned uint64
	VideoAbandoned uint64
	DataSent       uint64 // data messages (Send, SendTo) queued to it
	VideoLayers    int    // video temporal layers it takes now
}

// NewPublisher returns a Publisher with no subscribers.
func NewPublisher(cfg PublisherConfig) *Publisher {
	if cfg.AudioConfig == (OpusHead{}) {
		cfg.AudioConfig = DefaultOpusHead()
	}
	if cfg.VideoConfig == nil {
		cfg.VideoConfig = DefaultVP8Config()
	}
	p := &Publisher{cfg: cfg, changed: make(chan struct{}, 1), served: map[*rtmfp.Session]int{}}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p
}

// Serve accepts sessions on ep and serves each (ServeSession) until ctx
// ends, the Publisher closes or the endpoint closes. Use it when the
// endpoint does nothing else; otherwise hand sessions to ServeSession.
func (p *Publisher) Serve(ctx context.Context, ep *rtmfp.Endpoint) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(p.ctx, cancel)
	defer stop()
	for {
		s, err := ep.Accept(ctx)
		if err != nil {
			if p.ctx.Err() != nil {
				return ErrPublisherClosed
			}
			return err
		}
		p.ServeSession(s)
	}
}

// ServeSession serves the play requests that arrive on s: every flow the
// far end opens that is not associated to one of ours. s may have been
// opened by either end (Endpoint.Connect or Endpoint.Accept): in a mesh
// the session to a peer is whichever survived the handshake glare (RFC
// 7016 §3.5.1.1.2), and that peer plays over it all the same. It returns
// at once; a goroutine accepts the flows until the session ends or the
// Publisher closes. Serving a session that is already served does nothing.
func (p *Publisher) ServeSession(s *rtmfp.Session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if _, ok := p.served[s]; ok {
		return
	}
	p.served[s] = 0
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer func() {
			p.mu.Lock()
			delete(p.served, s)
			p.mu.Unlock()
		}()
		for {
			rf, err := s.AcceptFlow(p.ctx)
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.closed {
				p.mu.Unlock()
				rf.Reject(0)
				return
			}
			if p.served[s] >= MaxPlayFlows {
				p.mu.Unlock()
				p.refused.Add(1)
				rf.Reject(0)
				continue
			}
			p.served[s]++
			p.wg.Add(1)
			p.mu.Unlock()
			go p.handlePlay(s, rf)
		}
	}()
}

// handlePlay answers one play flow and, for an accepted player, serves it
// until it leaves.
func (p *Publisher) handlePlay(s *rtmfp.Session, rf *rtmfp.RecvFlow) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		if _, ok := p.served[s]; ok {
			p.served[s]--
		}
		p.mu.Unlock()
	}()
	md, _, err := ParseFlowMetadata(rf.Metadata())
	if err != nil || md.StreamID == 0 {
		p.refused.Add(1)
		rf.Reject(0)
		return
	}
	rf.SetBufferCapacity(playWindow)
	ctx, cancel := context.WithTimeout(p.ctx, playWait)
	b, err := rf.Read(ctx)
	cancel()
	if err != nil {
		if p.ctx.Err() == nil {
			p.refused.Add(1)
			rf.Reject(0)
		}
		return
	}
	play, err := parsePlayMessage(b, p.cfg.Limits)
	if err != nil || play.Name == "" {
		rf.Reject(0)
		return
	}
	req := PlayRequest{Session: s, PeerID: s.FarPeerID(), Addr: s.FarAddr(), StreamID: md.StreamID, Name: play.Name}
	tx := &mediaSender{id: md.StreamID, opts: p.cfg.Media, open: rf.OpenReturnFlow}
	if p.cfg.Name != "" && play.Name != p.cfg.Name {
		p.refuse(tx, CodePlayStreamNotFound, "No such stream", play.Name)
		return
	}
	if p.cfg.Accept != nil {
		if err := p.cfg.Accept(req); err != nil {
			why := err.Error()
			if why == "" {
				why = "Refused by the publisher"
			}
			p.refuse(tx, CodePlayFailed, why, play.Name)
			return
		}
	}
	sub := &subscriber{req: req, tx: tx, layers: MaxVideoLayers, wantLayers: MaxVideoLayers}
	sub.audio.Store(true)
	sub.video.Store(true)
	if err := p.start(sub); err != nil {
		tx.close()
		return
	}
	if !p.add(sub) {
		tx.close()
		return
	}
	if p.cfg.OnSubscribe != nil {
		p.cfg.OnSubscribe(req)
	}
	p.serveSubscriber(sub, rf)
	p.remove(sub)
	tx.close()
	if p.cfg.OnUnsubscribe != nil {
		p.cfg.OnUnsubscribe(req)
	}
}

func parsePlayMessage(b []byte, lim Limits) (Play, error) {
	m, err := ParseMessage(b)
	if err != nil {
		return Play{}, err
	}
	c, err := ParseCommandMessage(m, lim)
	if err != nil {
		return Play{}, err
	}
	return ParsePlay(c)
}

// refuse answers a play request with an error status on a data flow and
// ends that flow.
func (p *Publisher) refuse(tx *mediaSender, code, description, name string) {
	if msg, err := StreamStatus(LevelError, code, description, name).AppendMessage(nil, 0); err == nil {
		tx.writeData(msg)
	}
	tx.close()
}

// start sends what a player receives before any media (RFC 7425 §5.4): on
// the data flow StreamBegin, NetStream.Play.Reset, NetStream.Play.Start and
// |RtmpSampleAccess; the audio flow opens with the Opus sequence start and
// the video flow with the VP8 sequence start.
func (p *Publisher) start(sub *subscriber) error {
	name := sub.req.Name
	msgs := [][]byte{AppendStreamEventMessage(nil, EventStreamBegin, sub.req.StreamID)}
	for _, c := range []Command{
		StreamStatus(LevelStatus, CodePlayReset, "Playing and resetting "+name, name),
		StreamStatus(LevelStatus, CodePlayStart, "Started playing "+name, name),
	} {
		b, err := c.AppendMessage(nil, 0)
		if err != nil {
			return err
		}
		msgs = append(msgs, b)
	}
	b, err := SampleAccess(true, true).AppendMessage(nil, 0)
	if err != nil {
		return err
	}
	msgs = append(msgs, b)
	for _, m := range msgs {
		if _, err := sub.tx.writeData(m); err != nil {
			return err
		}
	}
	if _, err := sub.tx.writeAudio(AppendAudioMessage(nil, 0, opusConfig(p.cfg.AudioConfig)), true); err != nil {
		return err
	}
	_, err = sub.tx.writeVideo(AppendVideoMessage(nil, 0, vp8Config(p.cfg.VideoConfig)), false, true, false)
	return err
}

// serveSubscriber reads the player's commands until it leaves: closeStream,
// play with no name, the end of its play flow or of its session. pause,
// receiveAudio and receiveVideo turn its media off and on; other commands
// go to OnCommand.
func (p *Publisher) serveSubscriber(sub *subscriber, rf *rtmfp.RecvFlow) {
	for {
		b, err := rf.Read(p.ctx)
		if err != nil {
			return
		}
		m, err := ParseMessage(b)
		if err != nil {
			continue
		}
		c, err := ParseCommandMessage(m, p.cfg.Limits)
		if err != nil {
			continue
		}
		switch c.Name {
		case CommandCloseStream:
			return
		case CommandPlay:
			if pl, _ := ParsePlay(c); pl.Name == "" {
				return
			}
		case CommandPause:
			// pause(true) stops the media, pause(false) resumes what
			// receiveAudio and receiveVideo let through.
			if paused, err := ParseToggle(c); err == nil {
				sub.paused.Store(paused)
			}
		case CommandReceiveAudio, CommandReceiveVideo:
			on, err := ParseToggle(c)
			if err != nil {
				continue
			}
			if c.Name == CommandReceiveAudio {
				sub.audio.Store(on)
			} else {
				sub.video.Store(on)
			}
		default:
			if p.cfg.OnCommand != nil {
				p.cfg.OnCommand(sub.req, c)
			}
		}
	}
}

func (p *Publisher) add(sub *subscriber) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.subs = append(p.subs, sub)
	p.signal()
	return true
}

func (p *Publisher) remove(sub *subscriber) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, s := range p.subs {
		if s == sub {
			p.subs = append(p.subs[:i], p.subs[i+1:]...)
			p.signal()
			return
		}
	}
}

// signal notes a change of subscribers; p.mu is held.
func (p *Publisher) signal() {
	select {
	case p.changed <- struct{}{}:
	default:
	}
}

// RefusedFlows counts the flows rejected before any play: beyond
// MaxPlayFlows on their session, without TC metadata, or without a play
// command within 10 s.
func (p *Publisher) RefusedFlows() uint64 { return p.refused.Load() }

// Changed returns a channel that receives a value after the subscribers
// changed (coalesced: one value may stand for several changes).
func (p *Publisher) Changed() <-chan struct{} { return p.changed }

// Subscribers returns the current subscribers in the order they joined.
func (p *Publisher) Subscribers() []PlayRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]PlayRequest, len(p.subs))
	for i, s := range p.subs {
		out[i] = s.req
	}
	return out
}

func (p *Publisher) snapshot() []*subscriber {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*subscriber(nil), p.subs...)
}

// WriteAudio sends one Opus packet captured at ts to every subscriber that
// receives audio, time critical with the audio lifetime (abandoned rather
// than delivered late). It returns the receipts in subscriber order.
func (p *Publisher) WriteAudio(ts Timestamp, frame []byte) []*rtmfp.Receipt {
	return p.AppendWriteAudio(nil, ts, frame)
}

// AppendWriteAudio is WriteAudio appending the receipts to rcs, so that a
// caller reusing rcs does not allocate for them.
func (p *Publisher) AppendWriteAudio(rcs []*rtmfp.Receipt, ts Timestamp, frame []byte) []*rtmfp.Receipt {
	return p.AppendWriteAudioExt(rcs, ts, AudioExt{}, frame)
}

// WriteAudioExt is WriteAudio with camchat's per-packet fields (sequence
// number, quiet) in a ModEx entry of each message (mediaext.go).
func (p *Publisher) WriteAudioExt(ts Timestamp, x AudioExt, frame []byte) []*rtmfp.Receipt {
	return p.AppendWriteAudioExt(nil, ts, x, frame)
}

// AppendWriteAudioExt is WriteAudioExt appending the receipts to rcs.
func (p *Publisher) AppendWriteAudioExt(rcs []*rtmfp.Receipt, ts Timestamp, x AudioExt, frame []byte) []*rtmfp.Receipt {
	b := getBuf()
	defer putBuf(b)
	*b = AppendOpusMessageExt((*b)[:0], ts, x, frame)
	msg := *b
	p.mu.Lock()
	subs := append(p.scratch[:0], p.subs...)
	p.scratch = nil // in use; concurrent writers make their own
	p.mu.Unlock()
	for _, s := range subs {
		if !s.audio.Load() || s.paused.Load() {
			continue
		}
		rc, err := s.tx.writeAudio(msg, false)
		switch {
		case errors.Is(err, ErrBackPressure):
			s.audioSkipped.Add(1)
		case err == nil:
			s.audioSent.Add(1)
			rcs = append(rcs, rc)
		}
	}
	clear(subs)
	p.mu.Lock()
	p.scratch = subs[:0]
	p.mu.Unlock()
	return rcs
}

// WriteVideo sends one VP8 frame captured at ts to every subscriber that
// receives video: a keyframe starts a new group (abandoning what is left
// of the previous one), other frames are chained to their group's
// keyframe. A subscriber that joined after the last keyframe receives
// nothing until the next one. The frame counts as temporal layer 0. It
// returns the receipts in subscriber order.
func (p *Publisher) WriteVideo(ts Timestamp, keyframe bool, frame []byte) []*rtmfp.Receipt {
	return p.WriteVideoExt(ts, keyframe, VideoExt{}, frame)
}

// WriteVideoExt is WriteVideo with camchat's per-frame fields (temporal
// layer, droppable, dependency vector) in a ModEx entry of each message
// (mediaext.go). A subscriber receives the frame only when x.Layer is
// below the layers it takes (SetVideoLayers); each subscriber's group
// chain holds only the frames it was sent.
func (p *Publisher) WriteVideoExt(ts Timestamp, keyframe bool, x VideoExt, frame []byte) []*rtmfp.Receipt {
	b := getBuf()
	defer putBuf(b)
	*b = AppendVP8MessageExt((*b)[:0], ts, keyframe, x, frame)
	msg := *b
	layer := x.Layer
	if !x.Present {
		layer = 0
	}
	var rcs []*rtmfp.Receipt
	for _, s := range p.snapshot() {
		if !s.video.Load() || s.paused.Load() {
			continue
		}
		if !s.takesVideo(layer, keyframe) {
			s.videoSkippedLayer.Add(1)
			continue
		}
		rc, err := s.tx.writeVideo(msg, keyframe, false, x.Present && x.Droppable)
		switch {
		case errors.Is(err, ErrBackPressure):
			s.videoSkipped.Add(1)
		case err != nil:
		case rc == nil:
			s.videoNoKey.Add(1)
		default:
			s.videoSent.Add(1)
			rcs = append(rcs, rc)
		}
	}
	return rcs
}

// SetVideoLayers sets how many temporal layers of the video the
// subscribers of peer id receive: frames of layers 0..n-1 (WriteVideoExt;
// frames without the extension are layer 0). n = 0 sends audio only and
// leaves the video flow idle; n ≥ MaxVideoLayers, the default, sends
// everything. Fewer layers apply at once (lower layers never depend on
// higher ones); more wait for the next keyframe, since frames of the added
// layers refer to frames the subscriber did not receive (so after a raise
// the encoder should send one).
func (p *Publisher) SetVideoLayers(id flashcrypto.PeerID, n int) {
	n = min(max(n, 0), MaxVideoLayers)
	for _, s := range p.snapshot() {
		if s.req.PeerID != id {
			continue
		}
		s.lmu.Lock()
		s.wantLayers = n
		if n < s.layers {
			s.layers = n
		}
		s.lmu.Unlock()
	}
}

// SubscriberStats returns the counters of peer id's subscribers, summed
// when it plays more than once; false when it is not subscribed.
func (p *Publisher) SubscriberStats(id flashcrypto.PeerID) (SubscriberStats, bool) {
	var st SubscriberStats
	found := false
	for _, s := range p.snapshot() {
		if s.req.PeerID != id {
			continue
		}
		found = true
		st.AudioSent += s.audioSent.Load()
		st.VideoSent += s.videoSent.Load()
		st.AudioSkipped += s.audioSkipped.Load()
		st.VideoSkipped += s.videoSkipped.Load()
		st.VideoSkippedLayer += s.videoSkippedLayer.Load()
		st.VideoNoKeyframe += s.videoNoKey.Load()
		st.DataSent += s.dataSent.Load()
		a, v := s.tx.abandonedMedia()
		st.AudioAbandoned += a
		st.VideoAbandoned += v
		s.lmu.Lock()
		st.VideoLayers = s.wantLayers
		s.lmu.Unlock()
	}
	return st, found
}

// Send sends a data message (NetStream.send) reliably to every
// subscriber. A subscriber whose data flow is full (more than
// rtmfp.SendBufferLimit unacknowledged bytes: its path has stalled) is
// served last and only until ctx ends, so it never holds up the others;
// the error then names it and wraps ctx's error.
func (p *Publisher) Send(ctx context.Context, dm DataMessage) error {
	return p.send(ctx, nil, dm)
}

// SendTo sends a data message to the subscribers of peer id only, waiting
// for room in a full data flow only until ctx ends. It fails with
// ErrNoSubscriber when id is not subscribed.
func (p *Publisher) SendTo(ctx context.Context, id flashcrypto.PeerID, dm DataMessage) error {
	return p.send(ctx, &id, dm)
}

func (p *Publisher) send(ctx context.Context, to *flashcrypto.PeerID, dm DataMessage) error {
	msg, err := dm.AppendMessage(nil, 0)
	if err != nil {
		return err
	}
	var errs []error
	write := func(s *subscriber) {
		if _, err := s.tx.writeDataContext(ctx, msg); err != nil {
			errs = append(errs, fmt.Errorf("tc: data to %.8s…: %w", s.req.PeerID, err))
			return
		}
		s.dataSent.Add(1)
	}
	var full []*subscriber
	found := false
	for _, s := range p.snapshot() {
		if to != nil && s.req.PeerID != *to {
			continue
		}
		found = true
		if s.tx.dataFull() {
			full = append(full, s) // after the others: it may wait
			continue
		}
		write(s)
	}
	for _, s := range full {
		write(s)
	}
	if to != nil && !found {
		return ErrNoSubscriber
	}
	return errors.Join(errs...)
}

// Sync writes a flow sync barrier on every subscriber's flows (RFC 7425
// §5.2), so each player aligns what it received before it. It waits for
// room in a full flow only until ctx ends.
func (p *Publisher) Sync(ctx context.Context) error {
	var errs []error
	for _, s := range p.snapshot() {
		if err := s.tx.sync(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// VideoGroupAbandoned returns, over the current subscribers, how many video
// messages were given up (Receipt.Abandon) because a newer keyframe began a
// new group before they were delivered.
func (p *Publisher) VideoGroupAbandoned() int {
	n := 0
	for _, s := range p.snapshot() {
		s.tx.vmu.Lock()
		n += s.tx.abandoned
		s.tx.vmu.Unlock()
	}
	return n
}

// Close ends every subscriber's flows, stops serving and waits for the
// Publisher's goroutines. The sessions stay open.
func (p *Publisher) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
	return nil
}
