package wire

// FlowID identifies a flow within a session and direction (RFC 7016
// §2.3.11). It travels as a VLU.
type FlowID uint64

// SeqNum is a flow sequence number (RFC 7016 §2.3.11): one per user data
// fragment, starting at 1; 0 means "nothing yet". It travels as a VLU.
type SeqNum uint64

// SeqRange is an inclusive range [From, To] of sequence numbers.
type SeqRange struct {
	From, To SeqNum
}

// BufferBlockSize is the unit of the bufferBlocksAvailable field of the
// acknowledgement chunks (RFC 7016 §2.3.13, §2.3.14).
const BufferBlockSize = 1024
