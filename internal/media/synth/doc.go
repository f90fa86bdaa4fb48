// Package synth makes a synthetic camera and microphone whose output can be
// measured from the media alone.
//
// The camera (Camera, Pattern) draws colour bars, a luma ramp and a square
// that moves a few pixels each frame, and into every frame a stamp: two rows
// of 40 black or white cells at the top that carry the frame number, the
// capture time in milliseconds and a CRC-16 (stamp.go). The cells are
// width/40 pixels square (8 at 320x240), large enough to survive VP8 at a
// few hundred kbit/s, so a receiver calls ReadStamp on the decoded picture to
// measure delay and count lost frames. The same numbers are printed in small
// digits under the stamp for people looking at the preview.
//
// The microphone (Mic) produces 48 kHz mono int16: a quiet tone plus a loud
// 1 ms click at the first sample on or after every 500 ms boundary of the
// clock, so the receiver's FindClicks positions give the audio delay and
// reveal gaps.
//
// Time is injected: each source takes a Now function (and an Epoch from which
// stamps count), so tests run under testing/synctest in virtual time.
//
// Goroutine model: Camera.Start runs one goroutine that paces frames with a
// timer from the start time (no drift: frame n is due at start + n/fps),
// renders into one reused image and calls deliver synchronously; the image
// is valid until deliver returns. Close stops the goroutine and waits for it.
// Pattern, ReadStamp, Mic and FindClicks are plain code with no goroutines; a
// Pattern or Mic must not be shared between goroutines.
package synth
