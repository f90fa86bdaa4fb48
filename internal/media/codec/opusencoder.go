package codec

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"gopkg.in/hraban/opus.v2"
)

// Opus stream format used throughout camchat.
const (
	OpusSampleRate = 48000
	OpusChannels   = 1
	// OpusMaxPacket bounds one encoded frame; at 32 kbit/s a 20 ms frame is
	// about 80 bytes, and libopus never exceeds 1275 bytes per frame.
	OpusMaxPacket = 1275
	// OpusMaxFrameSamples is the longest frame a decoder may meet (120 ms).
	OpusMaxFrameSamples = OpusSampleRate * 120 / 1000
)

// Bitrate bounds accepted by the Opus encoder, in bits per second. Speech
// at 48 kHz is wideband-or-better from about 16 kbit/s; camchat runs 24–32.
const (
	MinOpusBitrate     = 6_000
	MaxOpusBitrate     = 128_000
	DefaultOpusBitrate = 24_000
)

// OpusEncoderConfig sets up an OpusEncoder. Zero values select defaults.
type OpusEncoderConfig struct {
	// FrameDuration is 20 ms (default) or 10 ms.
	FrameDuration time.Duration
	// Bitrate in bits per second; 0 means DefaultOpusBitrate.
	Bitrate int
	// PacketLossPercent is the initial expected loss, 0..100, which sets
	// how much in-band FEC the encoder spends.
	PacketLossPercent int
	// DTX sends almost nothing during silence (packets of at most 2 bytes,
	// see IsOpusDTX) which the sender may skip.
	DTX bool
}

// OpusEncoder compresses 48 kHz mono int16 PCM in VoIP mode with in-band FEC.
type OpusEncoder struct {
	frameSamples int // constant

	// Written by any goroutine, applied by Encode; -1 when nothing pending.
	pendingBitrate atomic.Int64
	pendingLoss    atomic.Int64

	mu      sync.Mutex // guards everything below
	enc     *opus.Encoder
	bitrate int
	loss    int
}

// NewOpusEncoder creates an encoder. Its state lives in Go memory; Close
// only marks it unusable.
func NewOpusEncoder(cfg OpusEncoderConfig) (*OpusEncoder, error) {
	if cfg.FrameDuration == 0 {
		cfg.FrameDuration = 20 * time.Millisecond
	}
	if cfg.Bitrate == 0 {
		cfg.Bitrate = DefaultOpusBitrate
	}
	if cfg.FrameDuration != 20*time.Millisecond && cfg.FrameDuration != 10*time.Millisecond {
		return nil, fmt.Errorf("codec: opus frame duration %v: %w", cfg.FrameDuration, ErrInvalidConfig)
	}
	if err := checkOpusBitrate(cfg.Bitrate); err != nil {
		return nil, err
	}
	if err := checkLoss(cfg.PacketLossPercent); err != nil {
		return nil, err
	}
	enc, err := opus.NewEncoder(OpusSampleRate, OpusChannels, opus.AppVoIP)
	if err != nil {
		return nil, fmt.Errorf("codec: opus encoder: %w: %w", err, ErrInvalidConfig)
	}
	e := &OpusEncoder{
		frameSamples: int(int64(OpusSampleRate) * int64(cfg.FrameDuration) / int64(time.Second)),
		enc:          enc,
	}
	e.pendingBitrate.Store(-1)
	e.pendingLoss.Store(-1)
	if err := e.ctl(enc.SetInBandFEC(true), "fec"); err != nil {
		return nil, err
	}
	if err := e.ctl(enc.SetDTX(cfg.DTX), "dtx"); err != nil {
		return nil, err
	}
	if err := e.setBitrate(cfg.Bitrate); err != nil {
		return nil, err
	}
	if err := e.setLoss(cfg.PacketLossPercent); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *OpusEncoder) ctl(err error, what string) error {
	if err != nil {
		return fmt.Errorf("codec: opus set %s: %w: %w", what, err, ErrEncode)
	}
	return nil
}

func checkOpusBitrate(bps int) error {
	if bps < MinOpusBitrate || bps > MaxOpusBitrate {
		return fmt.Errorf("codec: opus bitrate %d: %w", bps, ErrInvalidConfig)
	}
	return nil
}

func checkLoss(p int) error {
	if p < 0 || p > 100 {
		return fmt.Errorf("codec: opus packet loss %d%%: %w", p, ErrInvalidConfig)
	}
	return nil
}

// FrameSamples is the number of samples Encode takes (960 for 20 ms).
func (e *OpusEncoder) FrameSamples() int { return e.frameSamples }

// SetBitrate changes the bitrate (bits per second) from the next Encode on.
// Safe from any goroutine.
func (e *OpusEncoder) SetBitrate(bps int) error {
	if err := checkOpusBitrate(bps); err != nil {
		return err
	}
	e.pendingBitrate.Store(int64(bps))
	return nil
}

// SetPacketLossPercent tells the encoder the loss the receivers report, from
// the next Encode on; libopus sizes its in-band FEC from it. Safe from any
// goroutine.
func (e *OpusEncoder) SetPacketLossPercent(p int) error {
	if err := checkLoss(p); err != nil {
		return err
	}
	e.pendingLoss.Store(int64(p))
	return nil
}

// Bitrate returns the bitrate in force (bits per second).
func (e *OpusEncoder) Bitrate() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.bitrate
}

// PacketLossPercent returns the expected loss in force.
func (e *OpusEncoder) PacketLossPercent() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.loss
}

func (e *OpusEncoder) setBitrate(bps int) error {
	if err := e.ctl(e.enc.SetBitrate(bps), "bitrate"); err != nil {
		return err
	}
	e.bitrate = bps
	return nil
}

func (e *OpusEncoder) setLoss(p int) error {
	if err := e.ctl(e.enc.SetPacketLossPerc(p), "packet loss"); err != nil {
		return err
	}
	e.loss = p
	return nil
}

// Encode compresses exactly FrameSamples samples and appends the packet to
// dst (pass buf[:0] to reuse a buffer; with cap ≥ len+OpusMaxPacket nothing
// is allocated).
func (e *OpusEncoder) Encode(dst []byte, pcm []int16) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc == nil {
		return dst, ErrClosed
	}
	if len(pcm) != e.frameSamples {
		return dst, fmt.Errorf("codec: opus encode %d samples, want %d: %w", len(pcm), e.frameSamples, ErrFrameFormat)
	}
	if bps := e.pendingBitrate.Swap(-1); bps >= 0 && int(bps) != e.bitrate {
		if err := e.setBitrate(int(bps)); err != nil {
			return dst, err
		}
	}
	if p := e.pendingLoss.Swap(-1); p >= 0 && int(p) != e.loss {
		if err := e.setLoss(int(p)); err != nil {
			return dst, err
		}
	}
	n0 := len(dst)
	if cap(dst)-n0 < OpusMaxPacket {
		dst = append(dst, make([]byte, OpusMaxPacket)...)[:n0]
	}
	n, err := e.enc.Encode(pcm, dst[n0:n0+OpusMaxPacket])
	if err != nil {
		return dst, fmt.Errorf("codec: opus encode: %w: %w", err, ErrEncode)
	}
	return dst[:n0+n], nil
}

// IsOpusDTX reports whether an encoded packet is a DTX (silence) frame,
// which carries no audio and need not be sent.
func IsOpusDTX(pkt []byte) bool { return len(pkt) <= 2 }

// Close makes the encoder unusable. Its memory belongs to the Go heap.
func (e *OpusEncoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.enc = nil
	return nil
}
