package pipeline

import (
	"time"

	"camchat/internal/media/audio"
)

// deviceSource adapts a Playback to the speaker's pull interface.
type deviceSource struct {
	p   *Playback
	now func() time.Time
}

// DeviceSource returns the audio.Source that an audio.Playback pulls the
// mix from: at each 10 ms device period it mixes the next frame for the time
// now() returns (the real clock in a call, time.Now). The mix decodes up to
// four Opus packets every second period, a fraction of a millisecond, and
// allocates nothing, as the audio thread requires. On an error the device
// plays silence for that period.
func (p *Playback) DeviceSource(now func() time.Time) audio.Source {
	return deviceSource{p: p, now: now}
}

func (s deviceSource) ReadFrame(dst *[audio.FrameSamples]int16) bool {
	return s.p.ReadFrame(s.now(), dst[:]) == nil
}
