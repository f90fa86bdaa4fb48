package tc

import (
	"errors"
	"fmt"
	"math"

	"camchat/internal/rtmfp/wire"
)

// StreamID is an RTMP message stream ID. 0 is the NetConnection; NetStreams
// are 1 and up. Over RTMFP it is carried in the flow metadata, not in each
// message (RFC 7425 §5.1.1).
type StreamID uint32

// ReceiveIntent is the sender's wish for the order in which the receiver
// delivers the flow's messages (RFC 7425 §5.1.1, bit 0 of the TC flags).
type ReceiveIntent uint8

const (
	// IntentOriginalOrder asks for delivery in the original queuing
	// order (RFC 7016 §3.6.3.3), as for commands and data.
	IntentOriginalOrder ReceiveIntent = 0
	// IntentNetworkOrder asks for delivery as soon as each message is
	// complete, for media that tolerates reordering.
	IntentNetworkOrder ReceiveIntent = 1
)

func (r ReceiveIntent) String() string {
	switch r {
	case IntentOriginalOrder:
		return "original order"
	case IntentNetworkOrder:
		return "network order"
	}
	return fmt.Sprintf("ReceiveIntent(%d)", uint8(r))
}

// TC metadata flag bits.
const (
	metadataFlagSID = 0x04 // stream ID present; required (rtmfp-cpp TCMETADATA_FLAG_SID)
	metadataRXIMask = 0x01 // receive intent; rtmfp-cpp reads only bit 0
)

// FlowMetadata is the TC flow metadata (RFC 7425 §5.1.1) that marks a flow as
// belonging to a NetConnection (StreamID 0) or NetStream. The transport
// carries these bytes in the flow's metadata option, type 0x00 (RFC 7016
// §2.3.11.1.1), so a flow for stream 2000001 starts its options with
// 07 00 54 43 04 fa 89 01.
//
//	+-----+-----+-------+--------------------+
//	| 'T' | 'C' | flags | stream ID (VLU)    |
//	+-----+-----+-------+--------------------+
//	flags: 0x04 stream ID present (required); bit 0 receive intent
//	       (0 original order, 1 network order); other bits reserved
type FlowMetadata struct {
	StreamID StreamID
	Intent   ReceiveIntent
}

// Append appends the metadata bytes (without the option framing).
func (m FlowMetadata) Append(b []byte) []byte {
	b = append(b, 'T', 'C', metadataFlagSID|byte(m.Intent&metadataRXIMask))
	return wire.AppendVLU(b, uint64(m.StreamID))
}

// Length returns the number of bytes Append writes.
func (m FlowMetadata) Length() int { return 3 + wire.VLULen(uint64(m.StreamID)) }

// ParseFlowMetadata decodes TC flow metadata and returns it with the number
// of bytes read. Bytes after the stream ID are left to the caller (rtmfp-cpp
// ignores them). Metadata of another application profile, or without the
// stream ID flag, fails with ErrNotTC.
func ParseFlowMetadata(b []byte) (FlowMetadata, int, error) {
	for i, c := range [...]byte{'T', 'C'} {
		if i >= len(b) {
			return FlowMetadata{}, 0, fmt.Errorf("tc: flow metadata: %w", ErrTruncated)
		}
		if b[i] != c {
			return FlowMetadata{}, 0, fmt.Errorf("tc: flow metadata: %w", ErrNotTC)
		}
	}
	if len(b) < 3 {
		return FlowMetadata{}, 0, fmt.Errorf("tc: flow metadata flags: %w", ErrTruncated)
	}
	flags := b[2]
	if flags&metadataFlagSID == 0 {
		return FlowMetadata{}, 0, fmt.Errorf("tc: flow metadata flags 0x%02x: %w: no stream ID", flags, ErrNotTC)
	}
	sid, n, err := wire.ParseVLU(b[3:])
	switch {
	case errors.Is(err, wire.ErrTruncated):
		return FlowMetadata{}, 0, fmt.Errorf("tc: flow metadata stream ID: %w", ErrTruncated)
	case err != nil:
		return FlowMetadata{}, 0, fmt.Errorf("tc: flow metadata stream ID: %w: %w", ErrMalformed, err)
	case sid > math.MaxUint32:
		return FlowMetadata{}, 0, fmt.Errorf("tc: flow metadata stream ID %d: %w: above 2^32-1", sid, ErrMalformed)
	}
	return FlowMetadata{StreamID: StreamID(sid), Intent: ReceiveIntent(flags & metadataRXIMask)}, 3 + n, nil
}
