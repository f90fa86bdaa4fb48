//go:build webrtcapm

package main

/*
#cgo pkg-config: webrtc-audio-processing
#cgo CXXFLAGS: -std=c++11 -O2
#cgo LDFLAGS: -lstdc++
#include "apm.h"
*/
import "C"

import (
	"errors"
	"unsafe"
)

var webrtc = &contender{name: "WebRTC", make: newWebRTC}

type apm struct{ p *C.apm }

func newWebRTC() (processor, error) {
	p := C.apm_new(C.int(rate))
	if p == nil {
		return nil, errors.New("webrtc: AudioProcessing::Create failed")
	}
	return apm{p}, nil
}

func (a apm) Process(mic, far, out []int16) {
	C.apm_process(a.p, (*C.short)(unsafe.Pointer(&mic[0])), (*C.short)(unsafe.Pointer(&far[0])),
		(*C.short)(unsafe.Pointer(&out[0])), C.int(len(mic)))
}

func (a apm) Close() { C.apm_free(a.p) }
