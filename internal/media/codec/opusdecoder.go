package codec

import (
	"fmt"
	"sync"

	"gopkg.in/hraban/opus.v2"
)

// OpusDecoder decompresses 48 kHz mono Opus into int16 PCM and fills gaps
// left by lost packets, from the next packet's in-band FEC when it has
// arrived in time and by packet-loss concealment otherwise.
type OpusDecoder struct {
	mu  sync.Mutex // guards dec
	dec *opus.Decoder
}

// NewOpusDecoder creates a decoder. Its state lives in Go memory; Close only
// marks it unusable.
func NewOpusDecoder() (*OpusDecoder, error) {
	dec, err := opus.NewDecoder(OpusSampleRate, OpusChannels)
	if err != nil {
		return nil, fmt.Errorf("codec: opus decoder: %w: %w", err, ErrDecode)
	}
	return &OpusDecoder{dec: dec}, nil
}

// Decode decodes one packet into pcm and returns the number of samples
// written. pcm must hold the packet's duration (OpusMaxFrameSamples is
// always enough).
func (d *OpusDecoder) Decode(pkt []byte, pcm []int16) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dec == nil {
		return 0, ErrClosed
	}
	if len(pkt) == 0 || len(pcm) == 0 {
		return 0, fmt.Errorf("codec: opus decode %d bytes into %d samples: %w", len(pkt), len(pcm), ErrDecode)
	}
	// The binding reads the capacity, not the length, as the output size.
	n, err := d.dec.Decode(pkt, pcm[:len(pcm):len(pcm)])
	if err != nil {
		return 0, fmt.Errorf("codec: opus decode %d bytes: %w: %w", len(pkt), err, ErrDecode)
	}
	return n, nil
}

// DecodeFEC rebuilds a lost frame from the in-band FEC data carried by the
// packet that followed it (next), writing exactly len(pcm) samples, the
// lost frame's duration. Call it before decoding next itself. libopus falls
// back to concealment when next carries no FEC.
func (d *OpusDecoder) DecodeFEC(next []byte, pcm []int16) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dec == nil {
		return 0, ErrClosed
	}
	if len(next) == 0 || len(pcm) == 0 {
		return 0, fmt.Errorf("codec: opus fec %d bytes into %d samples: %w", len(next), len(pcm), ErrDecode)
	}
	if err := d.dec.DecodeFEC(next, pcm[:len(pcm):len(pcm)]); err != nil {
		return 0, fmt.Errorf("codec: opus fec %d bytes: %w: %w", len(next), err, ErrDecode)
	}
	return len(pcm), nil
}

// DecodePLC conceals a lost frame of len(pcm) samples (a multiple of 2.5 ms)
// by extrapolating from the audio decoded so far.
func (d *OpusDecoder) DecodePLC(pcm []int16) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dec == nil {
		return 0, ErrClosed
	}
	if len(pcm) == 0 {
		return 0, fmt.Errorf("codec: opus plc into 0 samples: %w", ErrDecode)
	}
	if err := d.dec.DecodePLC(pcm[:len(pcm):len(pcm)]); err != nil {
		return 0, fmt.Errorf("codec: opus plc %d samples: %w: %w", len(pcm), err, ErrDecode)
	}
	return len(pcm), nil
}

// Close makes the decoder unusable. Its memory belongs to the Go heap.
func (d *OpusDecoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dec = nil
	return nil
}
