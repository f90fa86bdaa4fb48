package tc

import (
	"fmt"
	"math"
	"time"
)

// Feedback command names: what a player sends back to the publisher on its
// play flow (the stream's data flow), as type-20 commands with transaction
// 0 and a null command object, like the other NetStream commands (RFC 7425
// §5.3). Publishers that do not know them ignore them: Flash-era peers and
// rtmfp-cpp's tcserver (onStreamCommand) drop stream commands with names
// they do not handle.
const (
	CommandRequestKeyframe = "requestKeyframe"
	CommandReceiverReport  = "receiverReport"
)

// MaxVideoLayers is the number of temporal layers camchat's video has at
// most (VideoExt.Layer is below it).
const MaxVideoLayers = 3

// KeyframeRequest asks the publisher for a keyframe: the player cannot
// decode what it receives (it joined, or lost a frame others depend on).
// The publisher's encoder decides when, and should coalesce requests from
// several players.
//
//	"requestKeyframe", 0, null, { [reason: string] }
type KeyframeRequest struct {
	// Reason says why, for logs and statistics: KeyframeForJoin,
	// KeyframeForLoss, … Empty is omitted.
	Reason string
}

// Keyframe request reasons.
const (
	KeyframeForJoin   = "join"   // the player has not decoded a frame yet
	KeyframeForLoss   = "loss"   // a frame it needs was lost or abandoned
	KeyframeForDecode = "decode" // its decoder failed
)

// Command returns the requestKeyframe command.
func (k KeyframeRequest) Command() Command {
	o := &Object{}
	if k.Reason != "" {
		o.Properties = Properties{{"reason", k.Reason}}
	}
	return Command{Name: CommandRequestKeyframe, Object: nil, Args: []Value{o}}
}

// AppendMessage appends the request as a whole TC command message.
func (k KeyframeRequest) AppendMessage(b []byte) []byte {
	b, _ = k.Command().AppendMessage(b, 0) // a string in an object always encodes
	return b
}

// ParseKeyframeRequest reads a requestKeyframe command. Its argument is
// optional; properties it does not know are ignored.
func ParseKeyframeRequest(c Command) (KeyframeRequest, error) {
	if c.Name != CommandRequestKeyframe {
		return KeyframeRequest{}, fmt.Errorf("tc: %q is not %s: %w", c.Name, CommandRequestKeyframe, ErrBadCommand)
	}
	var k KeyframeRequest
	if props, ok := objectProperties(c.Arg(0)); ok {
		k.Reason, _ = props.String("reason")
	}
	return k, nil
}

// ReportField names one field of a ReceiverReport.
type ReportField uint16

// Receiver report fields.
const (
	ReportInterval ReportField = 1 << iota
	ReportAudioLost
	ReportVideoLost
	ReportJitter
	ReportDelayTrend
	ReportPlayout
	ReportLayers
	ReportBitrate
)

// ReceiverReport is what a player measured over the last interval, sent to
// the publisher about once a second so that it can adapt (Opus FEC and
// bitrate to the loss, video bitrate and layers to the path), as RTCP
// receiver reports do (RFC 3550 §6.4.2).
//
// On the wire it is one AMF0 object of numbers, durations in milliseconds:
//
//	"receiverReport", 0, null, {
//	    interval:   ms the report covers
//	    audioLost:  fraction of audio packets lost in it, 0..1, before FEC
//	                or concealment (from AudioExt.Seq gaps)
//	    videoLost:  fraction of video frames lost or abandoned in it, 0..1
//	    jitter:     ms, audio interarrival jitter (RFC 3550 §6.4.1)
//	    delayTrend: ms, change of the one-way delay (arrival − capture
//	                time) across the interval; positive when a queue
//	                builds up on the path
//	    playout:    ms, the player's current playout (jitter buffer) delay
//	    layers:     video temporal layers the player wants, 0..3 (0: audio
//	                only); absent: no preference
//	    bitrate:    bits per second of media received in the interval
//	}
//
// The object is the extension point: a reader ignores properties it does
// not know and treats a known one that is missing, not a number or out of
// range as absent, so fields can be added without breaking older peers.
type ReceiverReport struct {
	Interval   time.Duration
	AudioLost  float64
	VideoLost  float64
	Jitter     time.Duration
	DelayTrend time.Duration
	Playout    time.Duration
	// Layers is the number of video temporal layers wanted; negative
	// means no preference (not written).
	Layers  int
	Bitrate int64 // bits per second

	// Present says which fields the parsed report carried; Append
	// ignores it (it writes every field, Layers only when not negative).
	Present ReportField
}

// Has reports whether the parsed report carried field f.
func (r ReceiverReport) Has(f ReportField) bool { return r.Present&f != 0 }

// maxReportDuration bounds the durations a report may carry.
const maxReportDuration = time.Minute

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Command returns the receiverReport command.
func (r ReceiverReport) Command() Command {
	props := make(Properties, 0, 8)
	props = append(props,
		Property{"interval", ms(r.Interval)},
		Property{"audioLost", r.AudioLost},
		Property{"videoLost", r.VideoLost},
		Property{"jitter", ms(r.Jitter)},
		Property{"delayTrend", ms(r.DelayTrend)},
		Property{"playout", ms(r.Playout)})
	if r.Layers >= 0 {
		props = append(props, Property{"layers", float64(r.Layers)})
	}
	props = append(props, Property{"bitrate", float64(r.Bitrate)})
	return Command{Name: CommandReceiverReport, Object: nil, Args: []Value{&Object{Properties: props}}}
}

// AppendMessage appends the report as a whole TC command message. Values
// that are not finite numbers are written as they are and read back as
// absent.
func (r ReceiverReport) AppendMessage(b []byte) []byte {
	b, _ = r.Command().AppendMessage(b, 0) // numbers in an object always encode
	return b
}

// ParseReceiverReport reads a receiverReport command. Its argument must be
// an object (or ECMA array); each known field is taken when it is a number
// in range and left absent otherwise; unknown properties are ignored.
func ParseReceiverReport(c Command) (ReceiverReport, error) {
	if c.Name != CommandReceiverReport {
		return ReceiverReport{}, fmt.Errorf("tc: %q is not %s: %w", c.Name, CommandReceiverReport, ErrBadCommand)
	}
	props, ok := objectProperties(c.Arg(0))
	if !ok {
		return ReceiverReport{}, fmt.Errorf("tc: %s argument is %s: %w", CommandReceiverReport, typeName(c.Arg(0)), ErrBadCommand)
	}
	r := ReceiverReport{Layers: -1}
	num := func(key string, lo, hi float64) (float64, bool) {
		v, ok := props.Number(key)
		if !ok || math.IsNaN(v) || v < lo || v > hi {
			return 0, false
		}
		return v, true
	}
	dur := func(key string, f ReportField, lo float64, d *time.Duration) {
		if v, ok := num(key, lo, ms(maxReportDuration)); ok {
			// Microseconds: a parsed report re-encodes to the same value.
			*d = time.Duration(math.Round(v*1000)) * time.Microsecond
			r.Present |= f
		}
	}
	dur("interval", ReportInterval, 0, &r.Interval)
	dur("jitter", ReportJitter, 0, &r.Jitter)
	dur("delayTrend", ReportDelayTrend, -ms(maxReportDuration), &r.DelayTrend)
	dur("playout", ReportPlayout, 0, &r.Playout)
	if v, ok := num("audioLost", 0, 1); ok {
		r.AudioLost, r.Present = v, r.Present|ReportAudioLost
	}
	if v, ok := num("videoLost", 0, 1); ok {
		r.VideoLost, r.Present = v, r.Present|ReportVideoLost
	}
	if v, ok := num("layers", 0, MaxVideoLayers); ok && v == math.Trunc(v) {
		r.Layers, r.Present = int(v), r.Present|ReportLayers
	}
	if v, ok := num("bitrate", 0, 1e12); ok {
		r.Bitrate, r.Present = int64(v), r.Present|ReportBitrate
	}
	return r, nil
}
