// Package video captures frames from V4L2 webcams and converts them to I420.
//
// Role: the camera end of camchat's video path (design: "V4L2 capture (MJPEG
// or YUYV, converted to I420)"). Everything downstream (the VP8 encoder, the
// preview tile) sees *image.YCbCr frames with image.YCbCrSubsampleRatio420.
//
// Parts, one concept per file:
//   - format.go: pixel formats, advertised modes and Choose, a pure function
//     that picks the capture mode (MJPEG or YUYV, 640x480 or 320x240,
//     15–30 fps) without touching a device.
//   - yuyv.go: packed 4:2:2 YUYV to I420.
//   - dht.go, mjpeg.go: MJPEG to I420 through image/jpeg, inserting the
//     default Huffman tables (ITU-T T.81 Annex K.3) that webcams leave out.
//   - scale.go: centre crop and nearest/box scaling to the send size.
//   - convert.go: Converter, raw frame of one format to I420 at the send
//     size; i420.go: allocation and reuse of I420 images.
//   - camera.go: listing /dev/video* and opening a camera via
//     github.com/blackjack/webcam; capture.go: the capture loop.
//   - lifecycle.go: Lifecycle, the start-once, close-once state of a
//     camera's frame goroutine (also used by synth.Camera).
//   - errors.go: sentinels and the user-facing DeviceError.
//
// Goroutine model: Camera.Start runs one capture goroutine that owns the
// device and the conversion buffers. It waits for a frame with a short poll
// timeout so that it notices Close promptly, converts the frame into a reused
// I420 buffer and calls the deliver callback synchronously; the frame's image
// is valid only until the callback returns (CopyI420 into a pooled image to
// keep it). Close
// signals the goroutine, waits for it to exit and only then closes the
// device, so no ioctl races with close(2). The converters themselves are
// plain functions with no goroutines; a decoder value (MJPEGDecoder, Scaler)
// must not be shared between goroutines.
//
// Capture time: the library does not expose the V4L2 buffer timestamp, so a
// frame's Time is the injected clock read right after the buffer is dequeued.
//
// Library limits: blackjack/webcam v0.6.1 returns the requested size from
// SetImageFormat, not the size the driver settled on, so Open requests only
// sizes the device advertised; a YUYV frame of another size is counted as a
// bad frame rather than misread. StartStreaming folds the errno into its
// message, so EBUSY there is recognised by its text (errors.go).
package video
