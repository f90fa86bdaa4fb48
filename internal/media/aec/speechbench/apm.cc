//go:build webrtcapm

#include "apm.h"

#include <cstring>

#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>

using namespace webrtc;

struct apm {
	AudioProcessing *p;
	int rate;
	AudioFrame far, mic;
};

// The configuration the issue compares against: the legacy echo canceller
// with its extended filter and delay-agnostic mode (it estimates the echo
// delay itself), high suppression, and noise suppression high.
apm *apm_new(int rate) {
	Config cfg;
	cfg.Set<ExtendedFilter>(new ExtendedFilter(true));
	cfg.Set<DelayAgnostic>(new DelayAgnostic(true));
	AudioProcessing *p = AudioProcessing::Create(cfg);
	if (!p) return nullptr;
	if (p->echo_cancellation()->Enable(true) != 0 ||
	    p->echo_cancellation()->enable_drift_compensation(false) != 0 ||
	    p->echo_cancellation()->set_suppression_level(EchoCancellation::kHighSuppression) != 0 ||
	    p->noise_suppression()->set_level(NoiseSuppression::kHigh) != 0 ||
	    p->noise_suppression()->Enable(true) != 0) {
		delete p;
		return nullptr;
	}
	apm *a = new apm;
	a->p = p;
	a->rate = rate;
	return a;
}

void apm_process(apm *a, const short *mic, const short *far, short *out, int n) {
	a->far.UpdateFrame(0, 0, far, n, a->rate, AudioFrame::kNormalSpeech, AudioFrame::kVadUnknown, 1);
	a->p->ProcessReverseStream(&a->far);
	a->mic.UpdateFrame(0, 0, mic, n, a->rate, AudioFrame::kNormalSpeech, AudioFrame::kVadUnknown, 1);
	a->p->set_stream_delay_ms(0);
	a->p->ProcessStream(&a->mic);
	memcpy(out, a->mic.data_, n * sizeof(short));
}

void apm_free(apm *a) {
	delete a->p;
	delete a;
}
