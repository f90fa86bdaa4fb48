package audio

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// Mode chooses how a Context picks its backend.
type Mode int

const (
	// ModeAuto lets miniaudio try its backends in its own order (on Linux:
	// PulseAudio, ALSA, JACK) and take the first that initializes.
	ModeAuto Mode = iota
	// ModeNull uses miniaudio's null backend: one playback and one capture
	// device driven by a timer, no sound card. Capture delivers silence.
	ModeNull
)

func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeNull:
		return "null"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Backend is miniaudio's ma_backend, numbered exactly as the enum in
// miniaudio.h (v0.11.23, bundled by malgo v0.11.24):
//
//	wasapi, dsound, winmm, coreaudio, sndio, audio4, oss, pulseaudio,
//	alsa, jack, aaudio, opensl, webaudio, custom, null
//
// malgo's own constants stop one short: they omit ma_backend_custom, so
// malgo.BackendNull is 13, which miniaudio reads as ma_backend_custom, and
// asking malgo for "BackendNull" initializes a custom backend with no
// callbacks instead of the null one. This package passes its own values.
type Backend uint32

const (
	BackendWASAPI Backend = iota
	BackendDirectSound
	BackendWinMM
	BackendCoreAudio
	BackendSndio
	BackendAudio4
	BackendOSS
	BackendPulseAudio
	BackendALSA
	BackendJACK
	BackendAAudio
	BackendOpenSL
	BackendWebAudio
	BackendCustom
	BackendNull
)

var backendNames = [...]string{
	"WASAPI", "DirectSound", "WinMM", "Core Audio", "sndio", "audio(4)", "OSS",
	"PulseAudio", "ALSA", "JACK", "AAudio", "OpenSL|ES", "Web Audio", "Custom", "Null",
}

func (b Backend) String() string {
	if int(b) < len(backendNames) {
		return backendNames[b]
	}
	return fmt.Sprintf("Backend(%d)", uint32(b))
}

// backends returns the list handed to ma_context_init for a mode; nil means
// miniaudio's default order.
func (m Mode) backends() []malgo.Backend {
	if m == ModeNull {
		return []malgo.Backend{malgo.Backend(BackendNull)}
	}
	return nil
}

// Layout of the start of struct ma_context (miniaudio.h v0.11.23):
//
//	struct ma_context {
//	    ma_backend_callbacks callbacks;  // 13 function pointers
//	    ma_backend backend;              // uint32 enum
//	    ma_log* pLog;                    // malgo always installs a log
//	    ...
//	};
//
// malgo exposes no accessor for the backend, so contextBackend reads the
// field at this offset. It also checks that the value is a valid ma_backend
// and that pLog, the pointer after it, is set (malgo's context config always
// installs a log), so that a layout change in a malgo upgrade shows up as
// ErrBackendUnknown rather than a plausible wrong answer. The tests pin the
// offset down further: a null context must read back Null and list the null
// backend's devices, a PulseAudio context must read back PulseAudio.
const (
	ptrSize          = unsafe.Sizeof(uintptr(0))
	ctxBackendOffset = 13 * ptrSize
	ctxLogPtrOffset  = (ctxBackendOffset + 4 + ptrSize - 1) &^ (ptrSize - 1)
)

// contextPointer returns the ma_context* inside a malgo context. malgo keeps
// it in the unexported field ptr (*unsafe.Pointer); reflection reads it
// without copying the struct's layout by hand.
func contextPointer(ctx *malgo.AllocatedContext) (unsafe.Pointer, error) {
	f := reflect.ValueOf(&ctx.Context).Elem().FieldByName("ptr")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.Type().Elem().Kind() != reflect.UnsafePointer {
		return nil, fmt.Errorf("%w: malgo.Context has no ptr *unsafe.Pointer field", ErrBackendUnknown)
	}
	pp := (*unsafe.Pointer)(f.UnsafePointer())
	if pp == nil || *pp == nil {
		return nil, fmt.Errorf("%w: context is not initialized", ErrBackendUnknown)
	}
	return *pp, nil
}

// contextBackend reads ma_context.backend; see the layout note above.
func contextBackend(ctx *malgo.AllocatedContext) (Backend, error) {
	p, err := contextPointer(ctx)
	if err != nil {
		return 0, err
	}
	if *(*unsafe.Pointer)(unsafe.Add(p, ctxLogPtrOffset)) == nil {
		return 0, fmt.Errorf("%w: no ma_context.pLog at offset %d", ErrBackendUnknown, ctxLogPtrOffset)
	}
	b := Backend(*(*uint32)(unsafe.Add(p, ctxBackendOffset)))
	if b > BackendNull {
		return 0, fmt.Errorf("%w: ma_context.backend = %d", ErrBackendUnknown, uint32(b))
	}
	return b, nil
}
