package room

import (
	"time"

	"camchat/internal/media/codec"
	"camchat/internal/media/pipeline"
	"camchat/internal/media/playout"
	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/tc"
)

// Bitrate and layers. One VP8 encoder with three temporal layers (40, 60
// and 100 % of its bitrate: DESIGN.md "Media decisions") feeds everyone;
// each member gets the layers its path carries, decided from its session
// (queueing delay over the base RTT, retransmissions, messages given up)
// and its receiver reports (loss), never for the whole room. Audio is
// never thinned: when a path cannot carry even the base layer, that member
// gets audio only. The encoder's bitrate follows an uplink budget shared by
// all copies (each member sends one per other member): it shrinks when
// paths at full layers show congestion and grows slowly while all is calm.
const (
	controlInterval = 500 * time.Millisecond
	// A path is congested when its smoothed RTT exceeds the base RTT by
	// this much (a standing queue), or it loses or abandons data.
	queueDelayLimit = 120 * time.Millisecond
	lossLimit       = 0.05
	// After a step down, a path must be calm this long to step up again.
	layerUpHold = 3 * time.Second
	// The uplink budget for all video copies: start, floor and ceiling,
	// with its multiplicative decrease and increase per decision.
	budgetStart      = 1_000_000
	budgetMin        = 150_000
	budgetMax        = 4_000_000
	budgetDecrease   = 0.8
	budgetIncrease   = 1.06
	budgetIncreaseIn = 2 * time.Second
	minVideoBitrate  = 60_000
	// audioAllowance is what one copy of our audio takes (Opus plus
	// headers), left out of the video budget.
	audioAllowance = 40_000
	// reportInterval is how often we tell each member how its stream
	// reaches us.
	reportInterval = time.Second
)

// control is the room-wide bitrate state (guarded by Room.mu).
type control struct {
	budget     int
	lastCut    time.Time
	calmSince  time.Time
	bitrate    int // the encoder's target
	lossReport int // the loss percentage the encoder sizes FEC for
}

// memberControl is one member's statistics and layer decision (guarded by
// Room.mu; written by the tick).
type memberControl struct {
	prev             rtmfp.SessionStats
	prevAt           time.Time
	sendBps, recvBps int
	loss             float64 // our packets lost on the way to it, from its reports or retransmissions
	prevShown        uint64
	fps              float64
	layers           int // temporal layers it gets from us
	stableSince      time.Time
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
		if pm != nil {
			pm.mu.Lock()
			s.shown = pm.shown
			pm.mu.Unlock()
			s.audio = pm.ar.Stats()
		}
		samples = append(samples, s)
	}
	r.mu.Lock()
	c := &r.ctl
	if c.budget == 0 {
		c.budget, c.calmSince = budgetStart, now
	}
	congestedAtFull := false
	anyCongested := false
	maxLoss := 0.0
	type report struct {
		m    *member
		loss float64
	}
	var reports []report
	for _, s := range samples {
		mc := &s.m.ctl
		if mc.prevAt.IsZero() {
			mc.prev, mc.prevAt, mc.prevShown = s.st, now, s.shown
			mc.layers, mc.stableSince, mc.reportedLayers = codec.MaxTemporalLayers, now, -1
			mc.prevAudio = s.audio
			continue
		}
		dt := now.Sub(mc.prevAt).Seconds()
		if dt <= 0 {
			continue
		}
		mc.sendBps = int(float64(s.st.BytesSent-mc.prev.BytesSent) * 8 / dt)
		mc.recvBps = int(float64(s.st.BytesReceived-mc.prev.BytesReceived) * 8 / dt)
		mc.fps = float64(s.shown-mc.prevShown) / dt
		sent := s.st.PacketsSent - mc.prev.PacketsSent
		rtx := s.st.Retransmits - mc.prev.Retransmits
		abandoned := s.st.Abandoned - mc.prev.Abandoned
		if sent > 0 {
			mc.loss = 0.8*mc.loss + 0.2*min(1, float64(rtx)/float64(sent))
		}
		if !mc.reportedAt.IsZero() && now.Sub(mc.reportedAt) < 3*reportInterval {
			mc.loss = max(mc.loss, mc.reportedLoss)
		}
		maxLoss = max(maxLoss, mc.loss)
		queue := time.Duration(0)
		if s.st.BaseRTT > 0 {
			queue = s.st.SRTT - s.st.BaseRTT
		}
		congested := queue > queueDelayLimit || mc.loss > lossLimit || abandoned > 0
		if congested {
			anyCongested = true
			if mc.layers == codec.MaxTemporalLayers {
				congestedAtFull = true
			}
			if mc.layers > 0 {
				mc.layers--
			}
			mc.stableSince = now
		} else if now.Sub(mc.stableSince) >= layerUpHold && mc.layers < codec.MaxTemporalLayers {
			mc.layers++
			mc.stableSince = now
		}
		if mc.reportedLayers >= 0 && mc.layers > mc.reportedLayers {
			mc.layers = mc.reportedLayers
		}
		mc.prev, mc.prevAt, mc.prevShown = s.st, now, s.shown
		if now.Sub(mc.lastReport) >= reportInterval {
			mc.lastReport = now
			a, p := s.audio, mc.prevAudio
			got := (a.Decoded - p.Decoded) + (a.FEC - p.FEC) + (a.Concealed - p.Concealed)
			lost := (a.Jitter.Lost - p.Jitter.Lost)
			loss := 0.0
			if got > 0 {
				loss = float64(lost) / float64(got)
			}
			mc.prevAudio = a
			reports = append(reports, report{s.m, loss})
		}
		r.pub.SetVideoLayers(s.m.id, mc.layers)
	}
	switch {
	case congestedAtFull && now.Sub(c.lastCut) > time.Second:
		c.budget = max(budgetMin, int(float64(c.budget)*budgetDecrease))
		c.lastCut, c.calmSince = now, now
	case anyCongested:
		c.calmSince = now
	case now.Sub(c.calmSince) >= budgetIncreaseIn:
		c.budget = min(budgetMax, int(float64(c.budget)*budgetIncrease))
		c.calmSince = now
	}
	n := max(1, len(samples))
	bitrate := min(r.cfg.Video.MaxBitrate, max(minVideoBitrate, c.budget/n-audioAllowance))
	lossPct := min(100, int(maxLoss*100+0.5))
	setBitrate := bitrate != c.bitrate
	setLoss := lossPct != c.lossReport
	c.bitrate, c.lossReport = bitrate, lossPct
	r.mu.Unlock()
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
