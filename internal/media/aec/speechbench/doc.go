// Command speechbench measures camchat's echo canceller and Opus on speech,
// side by side with WebRTC's audio processing, and prints one table.
// `make bench` runs it.
//
// The scene: two talkers synthesized with espeak-ng (different voices and
// texts, about 20 s each, resampled to 48 kHz mono by sox), and a room made
// in code. The far talker plays on a loudspeaker that clips at 0.8 of full
// scale (and, in one run, is driven 6 dB harder); its sound reaches the
// microphone over a direct path of 40, 80 or 120 ms at gain 0.5, 0.3 or 0.7
// followed by an exponentially decaying reverberant tail (RT60 300 ms, as
// much energy as the direct path); the microphone adds white noise at
// -65 dBFS. Scenes: the far talker alone; both talking (the near talker
// starts after 3 s); the echo path jumping from 80 to 120 ms halfway.
// Measures use 500 ms windows from 2 s on, aligned by each processor's own
// latency, and count a window as echo when the echo alone is at least 20 dB
// above the noise.
//
// Opus rows: the far talker at the call's 24 kbit/s under 5 % and 15 %
// random loss and 5 % in bursts of 3, with the encoder told the loss (as
// it was) and told what pipeline.AudioSender tells it now: the segmental
// SNR of the lost spans against the loss-free decode, rebuilt from FEC
// where the next packet carries it against concealment only, and the
// bursts (the 40 ms after a concealed packet peaking at twice the
// loss-free decode and above -20 dBFS).
//
// WebRTC's AudioProcessing comes from Debian's libwebrtc-audio-processing
// (0.3: the legacy echo canceller, here with its extended filter and
// delay-agnostic mode, high suppression, noise suppression high). It is
// compiled in only with the build tag webrtcapm, so the app's build and
// `make test` never need it; without the tag the table has camchat alone.
//
// In double talk the near talker's level is its projection in the output
// against the same talker processed alone, and what came through of the
// echo is measured by phase inversion (Hagerman and Olofsson): the scene
// is processed again with the near talker inverted, and half the sum of
// the two outputs is the echo's part, the near talker's cancelling.
//
// CPU figures are this thread's CPU time (getrusage RUSAGE_THREAD) per
// 10 ms frame over whole scenes (the far talker alone in the 80 ms room,
// and noise at the same level that never pauses), repeated and
// interleaved between the two processors; the machine's load average is
// printed with them.
//
// espeak-ng and sox must be installed (`scripts/deps.sh bench` does it).
package main
