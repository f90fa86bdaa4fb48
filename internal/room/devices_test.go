package room

import (
	"context"
	"net"
	"testing"
	"time"

	"camchat/internal/media/audio"
	"camchat/internal/rtmfp/rtmfptest"
)

// TestDevicesDuringCall: a member on real sound devices (miniaudio's null
// backend: a microphone of silence and a speaker into nothing) switches its
// microphone to the test tone and back, and turns its microphone and camera
// off and on, during a call over loopback UDP; the other member keeps
// receiving (the tone when it is on, nothing while it is off) and sees the
// toggles.
func TestDevicesDuringCall(t *testing.T) {
	actx, err := audio.NewContext(audio.ModeNull)
	if err != nil {
		t.Fatal(err)
	}
	defer actx.Close()
	open := func(i int, name string, actx *audio.Context) *Room {
		conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		r, err := New(Config{Identity: rtmfptest.Identity(i), Name: name, Conn: conn, Audio: actx})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ada := open(0, "Ada", actx)
	defer ada.Close()
	bob := open(1, "Bob", nil)
	defer bob.Close()
	if s := ada.Snapshot(); s.Devices.Microphone != "" || s.MicrophoneName == "" || s.SpeakerName == "" {
		t.Fatalf("Ada's devices: %+v %q %q", s.Devices, s.MicrophoneName, s.SpeakerName)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := bob.Join(ctx, ada.Snapshot().Invite); err != nil {
		t.Fatal(err)
	}
	member := func(r *Room) Member {
		for _, m := range r.Snapshot().Members {
			if m.State == StateConnected {
				return m
			}
		}
		return Member{}
	}
	played := func() uint64 { m := member(bob); return m.AudioPlayed + m.AudioFEC }
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		for start := time.Now(); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Since(start) > 5*time.Second {
				t.Fatalf("not within 5 s: %s", what)
			}
		}
	}
	// The null microphone's silence still makes packets.
	n0 := played()
	waitUntil("audio from the null microphone", func() bool { return played() > n0+20 })

	ada.SetDevices(Devices{Microphone: Synthetic, Speaker: ""})
	if s := ada.Snapshot(); s.Devices.Microphone != Synthetic || s.MicrophoneName != "test tone" {
		t.Fatalf("after switching: %+v %q", s.Devices, s.MicrophoneName)
	}
	waitUntil("Bob hears Ada's tone", func() bool { return member(bob).Level.Speaking })

	ada.SetMic(false)
	ada.SetCamera(false)
	waitUntil("Bob sees Ada's toggles", func() bool { m := member(bob); return !m.MicOn && !m.CameraOn })
	time.Sleep(300 * time.Millisecond)
	n1 := played()
	time.Sleep(500 * time.Millisecond)
	if n := played(); n > n1+1 {
		t.Errorf("%d audio frames played while Ada's microphone was off", n-n1)
	}
	ada.SetMic(true)
	ada.SetCamera(true)
	shown := member(bob).VideoShown
	waitUntil("audio and video back", func() bool {
		m := member(bob)
		return m.MicOn && m.CameraOn && played() > n1+20 && m.VideoShown > shown+5
	})

	ada.SetDevices(Devices{Microphone: "", Speaker: ""})
	if s := ada.Snapshot(); s.Devices.Microphone != "" || s.MicrophoneName == "test tone" {
		t.Fatalf("back on the device: %+v %q", s.Devices, s.MicrophoneName)
	}
	n2 := played()
	waitUntil("audio from the device again", func() bool { return played() > n2+20 })
}
