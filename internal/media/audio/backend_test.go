package audio

import (
	"errors"
	"testing"

	"github.com/gen2brain/malgo"
)

// TestMalgoBackendNullIsNotNull records the malgo v0.11.24 bug this package
// works around: malgo.BackendNull is 13, miniaudio's ma_backend_custom,
// because malgo's enum omits the custom backend. Asked for it, miniaudio
// initializes no null backend.
func TestMalgoBackendNullIsNotNull(t *testing.T) {
	if malgo.BackendNull == int(BackendNull) {
		t.Logf("malgo.BackendNull = %d now matches ma_backend_null; the workaround is no longer needed", malgo.BackendNull)
		return
	}
	if malgo.BackendNull != int(BackendCustom) {
		t.Fatalf("malgo.BackendNull = %d, want %d (ma_backend_custom) or %d (ma_backend_null)", malgo.BackendNull, BackendCustom, BackendNull)
	}
	mctx, err := malgo.InitContext([]malgo.Backend{malgo.BackendNull}, malgo.ContextConfig{}, nil)
	if err != nil {
		t.Logf("malgo.BackendNull (= ma_backend_custom, no callbacks): InitContext fails: %v", err)
		return
	}
	defer func() { mctx.Uninit(); mctx.Free() }()
	got, err := contextBackend(mctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("malgo.BackendNull initializes backend %v", got)
	if got == BackendNull {
		t.Fatalf("malgo.BackendNull = %d yielded the null backend; the enum analysis is wrong", malgo.BackendNull)
	}
}

// TestNullContextBackend is the regression test for the workaround: the
// backend is read back from the initialized ma_context, and the devices are
// the null backend's own.
func TestNullContextBackend(t *testing.T) {
	ctx, err := NewContext(ModeNull)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	if got := ctx.Backend(); got != BackendNull {
		t.Fatalf("Backend() = %v (%d), want Null (%d)", got, uint32(got), uint32(BackendNull))
	}
	for _, tc := range []struct {
		kind DeviceKind
		name string
	}{{Microphone, "NULL Capture Device"}, {Speaker, "NULL Playback Device"}} {
		devs, err := ctx.Devices(tc.kind)
		if err != nil {
			t.Fatal(err)
		}
		if len(devs) != 1 || devs[0].Name != tc.name || !devs[0].IsDefault || devs[0].Kind != tc.kind {
			t.Fatalf("%v devices = %+v, want one default %q", tc.kind, devs, tc.name)
		}
	}
}

func TestBackendNames(t *testing.T) {
	for b, want := range map[Backend]string{
		BackendWASAPI: "WASAPI", BackendPulseAudio: "PulseAudio", BackendALSA: "ALSA",
		BackendCustom: "Custom", BackendNull: "Null", Backend(15): "Backend(15)",
	} {
		if got := b.String(); got != want {
			t.Errorf("Backend(%d).String() = %q, want %q", uint32(b), got, want)
		}
	}
	// Values fixed by miniaudio.h's ma_backend enum.
	if BackendPulseAudio != 7 || BackendALSA != 8 || BackendCustom != 13 || BackendNull != 14 {
		t.Fatalf("enum drifted: pulseaudio %d alsa %d custom %d null %d", BackendPulseAudio, BackendALSA, BackendCustom, BackendNull)
	}
}

func TestContextBackendRejectsUninitialized(t *testing.T) {
	var mctx malgo.AllocatedContext
	if _, err := contextBackend(&mctx); !errors.Is(err, ErrBackendUnknown) {
		t.Fatalf("contextBackend(zero) = %v, want ErrBackendUnknown", err)
	}
}

func TestContextCloseRefusesWithOpenDevices(t *testing.T) {
	ctx, err := NewContext(ModeNull)
	if err != nil {
		t.Fatal(err)
	}
	capt, err := ctx.OpenCapture(CaptureConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ctx.Close(); !errors.Is(err, ErrBusy) {
		t.Fatalf("Close with a microphone open: %v, want ErrBusy", err)
	}
	capt.Close()
	capt.Close() // idempotent, counted once
	if err := ctx.Close(); err != nil {
		t.Fatalf("Close after the microphone closed: %v", err)
	}
	if _, err := ctx.Devices(Microphone); !errors.Is(err, ErrClosed) {
		t.Fatalf("Devices after Close: %v, want ErrClosed", err)
	}
	if _, err := ctx.OpenPlayback(PlaybackConfig{Source: NewFrameQueue(1)}); !errors.Is(err, ErrClosed) {
		t.Fatalf("OpenPlayback after Close: %v, want ErrClosed", err)
	}
	if _, err := ctx.OpenPlayback(PlaybackConfig{}); !errors.Is(err, ErrNoSource) {
		t.Fatalf("OpenPlayback without a source: %v, want ErrNoSource", err)
	}
}
