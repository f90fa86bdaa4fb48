package room

import (
	"math"
	"time"

	"camchat/internal/media/codec"
	"camchat/internal/media/pipeline"
	"camchat/internal/media/playout"
	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/tc"
)

// Bitrate and layers. One VP8 encoder with three temporal layers (40, 60
// and 100 % of its bitrate: DESIGN.md "Media decisions") feeds everyone;
// each member gets the layers its path carries, never decided for the whole
// room. For each member the room keeps an estimate of the video rate its
// path takes, moved like a delay-based congestion controller (GCC's
// ideas, RFC 8698's spirit): it backs off to what actually left when the
// session shows a standing queue (smoothed RTT well over the base RTT),
// media waiting in the send queue, messages skipped for back pressure, or
// heavy loss; it grows about 10 % a second while the path is quiet. Random
// loss alone is not congestion: audio FEC and retransmission handle it.
// The encoder aims at the best path (so that nobody is held down by the
// weakest) but not above what lets every path take at least the base
// layer; a path that cannot carry even that gets audio only. Audio is
// never thinned.
const (
	controlInterval = 500 * time.Millisecond
	// Overuse signals.
	queueDelayLimit = 100 * time.Millisecond // srtt over base RTT
	sendQueueLimit  = 150 * time.Millisecond // of the path's rate waiting to be sent
	heavyLoss       = 0.10
	// The estimate: start, bounds, back-off and growth.
	pathRateStart   = 300_000
	pathRateMin     = 20_000
	backoffFactor   = 0.85
	growthPerTick   = 1.05 // about 10 % a second
	quietQueueDelay = 40 * time.Millisecond
	holdAfterCut    = time.Second
	layerUpHold     = 2 * time.Second
	minVideoBitrate = 60_000
	// baseLayerShare is the share of the encoder's bitrate in temporal
	// layer 0 (of 3); layerShare[n] is what n layers take.
	baseLayerShare = 0.4
	// audioAllowance is what one copy of our audio takes with headers.
	audioAllowance = 40_000
	// reportInterval is how often we tell each member how its stream
	// reaches us.
	reportInterval = time.Second
)

// layerShare is the fraction of the encoder's bitrate carried by layers
// 0..n-1 (DESIGN.md: 3 layers 0,2,1,2 take 40/60/100 %).
var layerShare = [codec.MaxTemporalLayers + 1]float64{0, baseLayerShare, 0.6, 1}

// control is the room-wide bitrate state (guarded by Room.mu).
type control struct {
	bitrate    int // the encoder's target
	lossReport int // the loss percentage the encoder sizes FEC for
	// outBytes and outRate measure what the encoder actually produces
	// (bits/s, smoothed): VP8 in CBR undershoots its target on simple
	// pictures, and the layers a path takes are judged by what is sent.
	outBytes uint64
	outAt    time.Time
	outRate  float64
}

// memberControl is one member's statistics and rate decision (guarded by
// Room.mu; written by the tick).
type memberControl struct {
	prevAt           time.Time
	prevShown        uint64
	prevSkipped      uint64 // back-pressure skips seen so far
	sendBps, recvBps int
	loss             float64 // our packets lost on the way to it
	fps              float64
	rate             float64 // the video rate its path takes (estimate)
	lastCut          time.Time
	layers           int       // temporal layers it gets from us
	upSince          time.Time // since when more layers would fit
	lastReport       time.Time
	prevAudio        pipeline.AudioReceiverStats // for the reports we send
	reportedLoss     float64                     // what it told us
	reportedLayers   int                         // what it asked for (-1: no opinion)
	reportedAt       time.Time
}

// control runs one bitrate decision for every member.
func (r *Room) control(now time.Time, members []*member) {
	type sample struct {
		m     *member
		st    rtmfp.SessionStats
		sub   tc.SubscriberStats
		shown uint64
		audio pipeline.AudioReceiverStats
	}
	samples := make([]sample, 0, len(members))
	for _, m := range members {
		r.mu.Lock()
		sess, pm, state := m.sess, m.pm, m.state
		r.mu.Unlock()
		if sess == nil || state != StateConnected {
			continue
		}
		s := sample{m: m, st: sess.Stats()}
		s.sub, _ = r.pub.SubscriberStats(m.id)
		if pm != nil {
			pm.mu.Lock()
			s.shown = pm.shown
			pm.mu.Unlock()
			s.audio = pm.ar.Stats()
		}
		samples = append(samples, s)
	}
	encoded := r.media.vs.Stats().Bytes
	r.mu.Lock()
	if c := &r.ctl; !c.outAt.IsZero() && now.After(c.outAt) {
		rate := float64(encoded-c.outBytes) * 8 / now.Sub(c.outAt).Seconds()
		if c.outRate == 0 {
			c.outRate = rate
		}
		c.outRate += (rate - c.outRate) / 4 // about 2 s
	}
	r.ctl.outBytes, r.ctl.outAt = encoded, now
	type report struct {
		m    *member
		loss float64
	}
	var reports []report
	maxLoss := 0.0
	for _, s := range samples {
		mc := &s.m.ctl
		skipped := s.sub.VideoSkipped + s.sub.AudioSkipped
		if mc.prevAt.IsZero() {
			mc.prevAt, mc.prevShown, mc.prevSkipped = now, s.shown, skipped
			mc.rate, mc.layers, mc.reportedLayers = pathRateStart, codec.MaxTemporalLayers, -1
			mc.prevAudio = s.audio
			continue
		}
		dt := now.Sub(mc.prevAt).Seconds()
		if dt <= 0 {
			continue
		}
		mc.sendBps, mc.recvBps = int(s.st.SendRate*8), int(s.st.RecvRate*8)
		mc.fps = float64(s.shown-mc.prevShown) / dt
		mc.loss = s.st.Loss
		if !mc.reportedAt.IsZero() && now.Sub(mc.reportedAt) < 3*reportInterval {
			mc.loss = max(mc.loss, mc.reportedLoss)
		}
		maxLoss = max(maxLoss, mc.loss)

		queue := time.Duration(0)
		if s.st.BaseRTT > 0 {
			queue = s.st.SRTT - s.st.BaseRTT
		}
		// What waits drains at the transport's pacing rate when it
		// paces (it holds a keyframe's burst at the sender so that
		// audio overtakes it), otherwise at about the path's rate.
		waiting := time.Duration(float64(s.st.SendQueue*8) / max(mc.rate+audioAllowance, s.st.PacingRate*8, 1) * float64(time.Second))
		overuse := queue > queueDelayLimit || waiting > sendQueueLimit || skipped > mc.prevSkipped || mc.loss > heavyLoss
		switch {
		case overuse && now.Sub(mc.lastCut) >= holdAfterCut:
			// Back off below what actually left for it.
			sent := float64(mc.sendBps) - audioAllowance
			mc.rate = max(pathRateMin, min(mc.rate, sent)*backoffFactor)
			mc.lastCut = now
			r.cfg.Logger.Debug("path backs off", "peer", shortID(s.m.id), "rate", int(mc.rate),
				"queue", queue, "waiting", waiting, "skipped", skipped-mc.prevSkipped, "loss", mc.loss, "pacing", int(s.st.PacingRate*8))
		case !overuse && queue < quietQueueDelay && now.Sub(mc.lastCut) >= holdAfterCut:
			mc.rate = min(float64(r.cfg.Video.MaxBitrate), mc.rate*growthPerTick)
		}
		mc.prevAt, mc.prevShown, mc.prevSkipped = now, s.shown, skipped
		if now.Sub(mc.lastReport) >= reportInterval {
			mc.lastReport = now
			a, p := s.audio, mc.prevAudio
			got := (a.Jitter.Received - p.Jitter.Received) + (a.Jitter.Lost - p.Jitter.Lost)
			loss := 0.0
			if got > 0 {
				loss = float64(a.Jitter.Lost-p.Jitter.Lost) / float64(got)
			}
			mc.prevAudio = a
			reports = append(reports, report{s.m, loss})
		}
	}
	// The encoder: the best path's rate, but low enough that every path
	// that can take a base layer gets one.
	best, floor := 0.0, math.Inf(1)
	for _, s := range samples {
		mc := &s.m.ctl
		if mc.prevAt.IsZero() {
			continue
		}
		best = max(best, mc.rate)
		if mc.rate >= minVideoBitrate*baseLayerShare {
			floor = min(floor, mc.rate/baseLayerShare)
		}
	}
	bitrate := r.ctl.bitrate
	if best > 0 {
		bitrate = int(min(best, floor))
		bitrate = min(r.cfg.Video.MaxBitrate, max(minVideoBitrate, bitrate))
	}
	// Layers: what fits the path, judged by what the encoder actually
	// sends (never more than its target). Fewer at once; more only after
	// they have fitted for layerUpHold, and with a keyframe (a player
	// takes added layers from the next keyframe on).
	full := float64(bitrate)
	if r.ctl.outRate > 0 {
		full = min(full, r.ctl.outRate)
	}
	var layers []func()
	keyframe := false
	for _, s := range samples {
		mc := &s.m.ctl
		n := 0
		for l := codec.MaxTemporalLayers; l >= 1; l-- {
			if layerShare[l]*full <= mc.rate {
				n = l
				break
			}
		}
		if mc.reportedLayers >= 0 && n > mc.reportedLayers {
			n = mc.reportedLayers
		}
		switch {
		case n > mc.layers && mc.upSince.IsZero():
			mc.upSince = now
			n = mc.layers
		case n > mc.layers && now.Sub(mc.upSince) < layerUpHold:
			n = mc.layers
		case n > mc.layers:
			keyframe = true
			mc.upSince = time.Time{}
		default:
			mc.upSince = time.Time{}
		}
		// Told every tick, not only on a change: a member that came back
		// on a new session starts with the Publisher's default.
		mc.layers = n
		id := s.m.id
		layers = append(layers, func() { r.pub.SetVideoLayers(id, n) })
	}
	lossPct := min(100, int(maxLoss*100+0.5))
	setBitrate := bitrate != r.ctl.bitrate && bitrate > 0
	setLoss := lossPct != r.ctl.lossReport
	r.ctl.bitrate, r.ctl.lossReport = bitrate, lossPct
	r.mu.Unlock()
	for _, f := range layers {
		f()
	}
	if keyframe {
		r.media.vs.RequestKeyframe(now)
	}
	if setBitrate {
		r.media.vs.SetBitrate(bitrate)
	}
	if setLoss {
		r.media.as.SetPacketLossPercent(lossPct)
	}
	for _, rep := range reports {
		r.sendReport(rep.m, rep.loss)
	}
}

// sendReport tells a member how its stream reaches us.
func (r *Room) sendReport(m *member, loss float64) {
	r.mu.Lock()
	play, pm := m.play, m.pm
	r.mu.Unlock()
	if play == nil || pm == nil {
		return
	}
	js := pm.ar.Stats().Jitter
	play.SendReport(tc.ReceiverReport{
		Interval:  reportInterval,
		AudioLost: loss,
		Playout:   js.CurrentDelay,
		Layers:    -1,
	})
}

// onFeedback handles a keyframe request or a receiver report from a
// member that plays our stream.
func (r *Room) onFeedback(req tc.PlayRequest, c tc.Command) {
	switch c.Name {
	case tc.CommandRequestKeyframe:
		r.media.vs.RequestKeyframe(r.cfg.Now())
	case tc.CommandReceiverReport:
		rep, err := tc.ParseReceiverReport(c)
		if err != nil {
			r.malformed.Add(1)
			return
		}
		r.mu.Lock()
		if m := r.members[req.PeerID]; m != nil {
			if rep.Has(tc.ReportAudioLost) {
				m.ctl.reportedLoss = rep.AudioLost
			}
			m.ctl.reportedLayers = rep.Layers // -1 when absent
			m.ctl.reportedAt = r.cfg.Now()
		}
		r.mu.Unlock()
	}
	// Other commands: ignored, as Flash does.
}

// requestKeyframe asks a member's encoder for a keyframe (our video
// receiver for it lost a reference).
func (r *Room) requestKeyframe(m *member) {
	r.mu.Lock()
	play := m.play
	r.mu.Unlock()
	if play != nil {
		play.RequestKeyframe(tc.KeyframeForLoss)
	}
}

// pushAudio gives a member's audio message to its receiver, with the time
// it arrived.
func (r *Room) pushAudio(m *member, msg tc.StreamMessage) {
	r.mu.Lock()
	pm := m.pm
	r.mu.Unlock()
	if pm == nil {
		return // not in the call yet
	}
	pm.mu.Lock()
	ts := pm.audioTS.unwrap(uint32(msg.Timestamp))
	pm.mu.Unlock()
	p := pipeline.AudioPacket{Timestamp: ts, Payload: msg.Audio.Payload}
	if x := msg.Audio.Ext; x.Present {
		p.Seq, p.Quiet = playout.SeqNum(x.Seq), x.Quiet
	} else {
		// A peer that sends no sequence numbers (a Flash-era publisher):
		// number 20 ms frames by their timestamps.
		p.Seq = playout.SeqNum(ts / pipeline.PacketDuration)
	}
	pm.ar.Push(p, msg.Arrived)
}

// pushVideo gives a member's video message to its receiver.
func (r *Room) pushVideo(m *member, msg tc.StreamMessage) {
	r.mu.Lock()
	pm := m.pm
	r.mu.Unlock()
	if pm == nil {
		return
	}
	now := r.cfg.Now()
	pm.mu.Lock()
	ts := pm.videoTS.unwrap(uint32(msg.Timestamp))
	p := pipeline.VideoPacket{Timestamp: ts, Keyframe: msg.Video.Keyframe(), Payload: msg.Video.Payload}
	if x := msg.Video.Ext; x.Present {
		p.Layer, p.Droppable, p.Deps = codec.TemporalLayerID(x.Layer), x.Droppable, pipeline.DepVector(x.Deps)
	} else {
		// No dependency vector: treat every frame as one chain on layer 0.
		if p.Keyframe {
			pm.depCount = [codec.MaxTemporalLayers]uint8{}
		}
		p.Deps = pipeline.DepVector(pm.depCount)
		pm.depCount[0]++
	}
	if int(p.Layer) > pm.maxLayer || now.Sub(pm.layerSeenAt) > 2*time.Second {
		pm.maxLayer = int(p.Layer)
	}
	if int(p.Layer) == pm.maxLayer {
		pm.layerSeenAt = now
	}
	pm.mu.Unlock()
	pm.vr.Push(p, msg.Arrived)
}
