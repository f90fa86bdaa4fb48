package wire

import "fmt"

// NextUserData is the Next User Data chunk (RFC 7016 §2.3.12): the next
// fragment of the flow of the User Data or Next User Data chunk just before
// it in the same packet, with sequence number one more and the same FSN.
//
//	+------+--------+-------+----------------------/-+-----------------/-+
//	| 0x11 | length | flags | options + marker (OPT) | user data (rest)  |
//	+------+--------+-------+----------------------/-+-----------------/-+
type NextUserData struct {
	Flags   UserDataFlags
	Options []byte // options before the marker
	Data    []byte
}

// Type returns ChunkNextUserData.
func (NextUserData) Type() ChunkType { return ChunkNextUserData }

func (c NextUserData) hasOptions() bool { return c.Flags&FlagOPT != 0 || len(c.Options) > 0 }

// HeaderLength returns the encoded length of the chunk without its data.
func (c NextUserData) HeaderLength() int {
	n := ChunkHeaderLength + 1
	if c.hasOptions() {
		n += len(c.Options) + 1
	}
	return n
}

// Length returns the encoded chunk length.
func (c NextUserData) Length() int { return c.HeaderLength() + len(c.Data) }

// Append appends the chunk. It does not allocate when b has the capacity.
func (c NextUserData) Append(b []byte) []byte {
	flags := c.Flags
	if c.hasOptions() {
		flags |= FlagOPT
	}
	b = AppendChunkHeader(b, ChunkNextUserData, c.Length()-ChunkHeaderLength)
	b = append(b, byte(flags))
	if flags&FlagOPT != 0 {
		b = append(b, c.Options...)
		b = AppendMarker(b)
	}
	return append(b, c.Data...)
}

// ParseNextUserData decodes a Next User Data payload without allocating.
func ParseNextUserData(p []byte) (NextUserData, error) {
	if len(p) < 1 {
		return NextUserData{}, fmt.Errorf("NextUserData flags: %w", ErrTruncated)
	}
	c := NextUserData{Flags: UserDataFlags(p[0])}
	opts, data, err := parseUserDataTail(c.Flags, p[1:])
	if err != nil {
		return NextUserData{}, err
	}
	c.Options, c.Data = opts, data
	return c, nil
}

// Follow returns the fragment c describes, given the previous fragment prev
// in the same packet: the same flow, seq# prev.SeqNum+1, and the same FSN
// (so the offset grows by one).
func (c NextUserData) Follow(prev UserData) UserData {
	return UserData{
		Flags:     c.Flags,
		FlowID:    prev.FlowID,
		SeqNum:    prev.SeqNum + 1,
		FSNOffset: prev.FSNOffset + 1,
		Options:   c.Options,
		Data:      c.Data,
	}
}
