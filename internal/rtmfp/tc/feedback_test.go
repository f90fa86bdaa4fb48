package tc

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"
)

func parseFeedback(b []byte) (Command, error) {
	m, err := ParseMessage(b)
	if err != nil {
		return Command{}, err
	}
	return ParseCommandMessage(m, Limits{})
}

// TestFeedbackGolden checks the feedback commands byte by byte.
func TestFeedbackGolden(t *testing.T) {
	num := func(h string) string { return "00" + h }
	kf := unhex(t, "14 00000000"+amfStr("requestKeyframe")+num("0000000000000000")+"05"+ // transaction 0, null
		"03"+key("reason")+amfStr("loss")+"000009") // { reason: "loss" }
	if got := (KeyframeRequest{Reason: KeyframeForLoss}).AppendMessage(nil); !bytes.Equal(got, kf) {
		t.Fatalf("keyframe request\n %s\nwant\n %s", hexOf(got), hexOf(kf))
	}
	kf0 := unhex(t, "14 00000000"+amfStr("requestKeyframe")+num("0000000000000000")+"05 03 000009") // {}
	if got := (KeyframeRequest{}).AppendMessage(nil); !bytes.Equal(got, kf0) {
		t.Fatalf("bare keyframe request\n %s\nwant\n %s", hexOf(got), hexOf(kf0))
	}

	rr := unhex(t, "14 00000000"+amfStr("receiverReport")+num("0000000000000000")+"05"+
		"03"+
		key("interval")+num("408f400000000000")+ // 1000 ms
		key("audioLost")+num("3fd0000000000000")+ // 0.25
		key("videoLost")+num("0000000000000000")+ // 0
		key("jitter")+num("4004000000000000")+ // 2.5 ms
		key("delayTrend")+num("c010000000000000")+ // -4 ms
		key("playout")+num("404e000000000000")+ // 60 ms
		key("layers")+num("4000000000000000")+ // 2
		key("bitrate")+num("41124f8000000000")+ // 300000 bit/s
		"000009")
	r := ReceiverReport{
		Interval: time.Second, AudioLost: 0.25, Jitter: 2500 * time.Microsecond,
		DelayTrend: -4 * time.Millisecond, Playout: 60 * time.Millisecond, Layers: 2, Bitrate: 300000,
	}
	if got := r.AppendMessage(nil); !bytes.Equal(got, rr) {
		t.Fatalf("receiver report\n %s\nwant\n %s", hexOf(got), hexOf(rr))
	}

	c, err := parseFeedback(kf)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := ParseKeyframeRequest(c); err != nil || k.Reason != KeyframeForLoss {
		t.Fatalf("keyframe request %+v, %v", k, err)
	}
	if c, _ := parseFeedback(kf0); c.Name != CommandRequestKeyframe {
		t.Fatal(c.Name)
	}
	c, err = parseFeedback(rr)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseReceiverReport(c)
	if err != nil {
		t.Fatal(err)
	}
	want := r
	want.Present = ReportInterval | ReportAudioLost | ReportVideoLost | ReportJitter | ReportDelayTrend | ReportPlayout | ReportLayers | ReportBitrate
	if got != want {
		t.Fatalf("parsed %+v\nwant   %+v", got, want)
	}
	if _, err := ParseReceiverReport(Command{Name: CommandRequestKeyframe}); !errors.Is(err, ErrBadCommand) {
		t.Fatalf("another command as a report: %v", err)
	}
	if _, err := ParseKeyframeRequest(c); !errors.Is(err, ErrBadCommand) {
		t.Fatalf("a report as a keyframe request: %v", err)
	}
	// Every proper prefix fails.
	for i := range rr {
		if c, err := parseFeedback(rr[:i]); err == nil {
			if _, err := ParseReceiverReport(c); err == nil {
				t.Fatalf("prefix %s parsed", hexOf(rr[:i]))
			}
		}
	}
}

// TestReceiverReportExtensible: unknown properties are ignored; a known one
// that is missing, of another type or out of range reads as absent.
func TestReceiverReportExtensible(t *testing.T) {
	report := func(props Properties) (ReceiverReport, error) {
		return ParseReceiverReport(Command{Name: CommandReceiverReport, Object: nil, Args: []Value{&Object{Properties: props}}})
	}
	r, err := report(Properties{
		{"futureField", "x"}, {"interval", 500.0}, {"audioLost", 1.5}, {"videoLost", -0.1},
		{"jitter", "3"}, {"delayTrend", math.Inf(1)}, {"playout", math.NaN()}, {"layers", 1.5},
		{"bitrate", 64000.0}, {"nested", &Object{Properties: Properties{{"a", 1.0}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := ReceiverReport{Interval: 500 * time.Millisecond, Layers: -1, Bitrate: 64000, Present: ReportInterval | ReportBitrate}
	if r != want {
		t.Fatalf("parsed %+v\nwant   %+v", r, want)
	}
	if r.Has(ReportLayers) || !r.Has(ReportBitrate) {
		t.Fatal("Has")
	}
	// Layers out of range or absent: no preference; 0 is audio only.
	for _, c := range []struct {
		v    Value
		want int
	}{{0.0, 0}, {3.0, 3}, {4.0, -1}, {-1.0, -1}, {nil, -1}} {
		props := Properties{}
		if c.v != nil {
			props = Properties{{"layers", c.v}}
		}
		if r, _ := report(props); r.Layers != c.want {
			t.Errorf("layers %v: %d, want %d", c.v, r.Layers, c.want)
		}
	}
	// No preference is not written.
	if c := (ReceiverReport{Layers: -1}).Command(); c.Args[0].(*Object).Properties.Has("layers") {
		t.Fatal("layers written without a preference")
	}
	// An ECMA array serves as well as an object; anything else is not a report.
	if r, err := ParseReceiverReport(Command{Name: CommandReceiverReport, Args: []Value{&ECMAArray{Properties: Properties{{"jitter", 4.0}}}}}); err != nil || r.Jitter != 4*time.Millisecond {
		t.Fatalf("ECMA array: %+v %v", r, err)
	}
	for _, arg := range []Value{nil, "x", 1.0, []Value{}} {
		if _, err := ParseReceiverReport(Command{Name: CommandReceiverReport, Args: []Value{arg}}); !errors.Is(err, ErrBadCommand) {
			t.Errorf("argument %#v: %v", arg, err)
		}
	}
	// A keyframe request's argument is optional.
	if k, err := ParseKeyframeRequest(Command{Name: CommandRequestKeyframe}); err != nil || k != (KeyframeRequest{}) {
		t.Fatalf("bare request: %+v %v", k, err)
	}
}

// checkFeedback runs the feedback parsers on a command and checks that
// what parses re-encodes to the same values (durations to the microsecond).
func checkFeedback(t *testing.T, c Command) {
	if k, err := ParseKeyframeRequest(c); err == nil {
		c2, err := parseFeedback(k.AppendMessage(nil))
		if err != nil {
			t.Fatal(err)
		}
		if k2, err := ParseKeyframeRequest(c2); err != nil || k2 != k {
			t.Fatalf("keyframe request %+v: %+v %v", k, k2, err)
		}
	}
	if r, err := ParseReceiverReport(c); err == nil {
		c2, err := parseFeedback(r.AppendMessage(nil))
		if err != nil {
			t.Fatal(err)
		}
		r2, err := ParseReceiverReport(c2)
		if err != nil {
			t.Fatal(err)
		}
		want := r
		want.Present, r2.Present = 0, 0
		if !reflect.DeepEqual(r2, want) {
			t.Fatalf("report %+v\nre-parsed %+v", r, r2)
		}
		if r.AudioLost < 0 || r.AudioLost > 1 || r.VideoLost < 0 || r.VideoLost > 1 ||
			r.Layers < -1 || r.Layers > MaxVideoLayers || r.Jitter < 0 || r.Interval < 0 || r.Playout < 0 || r.Bitrate < 0 {
			t.Fatalf("report out of range: %+v", r)
		}
	}
}
