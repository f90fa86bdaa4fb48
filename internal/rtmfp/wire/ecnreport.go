package wire

import "fmt"

// ECNReport is rtmfp-cpp's experimental ECN report chunk (not in RFC 7016):
// the count of packets received with ECN-CE, modulo 256.
//
//	+------+--------+----------+
//	| 0xec | 0x0001 | CE count |
//	+------+--------+----------+
type ECNReport struct {
	CECount uint8
}

// Type returns ChunkECNReport.
func (ECNReport) Type() ChunkType { return ChunkECNReport }

// Length returns the encoded chunk length.
func (ECNReport) Length() int { return ChunkHeaderLength + 1 }

// Append appends the chunk.
func (c ECNReport) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkECNReport, 1)
	return append(b, c.CECount)
}

// ParseECNReport decodes an ECN report payload. Trailing bytes are ignored.
func ParseECNReport(p []byte) (ECNReport, error) {
	if len(p) < 1 {
		return ECNReport{}, fmt.Errorf("ECN report count: %w", ErrTruncated)
	}
	return ECNReport{CECount: p[0]}, nil
}
