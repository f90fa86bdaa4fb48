package wire

import "fmt"

// UserData is the User Data chunk (RFC 7016 §2.3.11): one fragment of a flow.
//
//	+------+--------+-------+-----------/-+-----------/-+---------------/-+
//	| 0x10 | length | flags | flowID VLU  | seq# VLU    | fsnOffset VLU   |
//	+------+--------+-------+-----------/-+-----------/-+---------------/-+
//	+------------------------------------/-+------------------------/-+
//	| option list + marker (if OPT)        | user data (rest)         |
//	+------------------------------------/-+------------------------/-+
//
// The forward sequence number is FSN = seq# - fsnOffset; an offset larger
// than the sequence number is ErrFSNOffset. Options holds the option list
// without its marker; Append writes the list and the marker when OPT is set
// or Options is not empty (so setting Options sets OPT). ParseUserData
// does not allocate: Options and Data alias the payload.
type UserData struct {
	Flags     UserDataFlags
	FlowID    FlowID
	SeqNum    SeqNum
	FSNOffset uint64
	Options   []byte // options before the marker; see FlowOptions
	Data      []byte
}

// Type returns ChunkUserData.
func (UserData) Type() ChunkType { return ChunkUserData }

// FSN returns the forward sequence number, SeqNum - FSNOffset.
func (c UserData) FSN() SeqNum { return c.SeqNum - SeqNum(c.FSNOffset) }

func (c UserData) hasOptions() bool { return c.Flags&FlagOPT != 0 || len(c.Options) > 0 }

// HeaderLength returns the encoded length of the chunk without its data:
// a sender fills a packet with budget-HeaderLength() bytes of data.
func (c UserData) HeaderLength() int {
	n := ChunkHeaderLength + 1 + VLULen(uint64(c.FlowID)) + VLULen(uint64(c.SeqNum)) + VLULen(c.FSNOffset)
	if c.hasOptions() {
		n += len(c.Options) + 1
	}
	return n
}

// Length returns the encoded chunk length.
func (c UserData) Length() int { return c.HeaderLength() + len(c.Data) }

// Append appends the chunk. It does not allocate when b has the capacity.
func (c UserData) Append(b []byte) []byte {
	flags := c.Flags
	if c.hasOptions() {
		flags |= FlagOPT
	}
	b = AppendChunkHeader(b, ChunkUserData, c.Length()-ChunkHeaderLength)
	b = append(b, byte(flags))
	b = AppendVLU(b, uint64(c.FlowID))
	b = AppendVLU(b, uint64(c.SeqNum))
	b = AppendVLU(b, c.FSNOffset)
	if flags&FlagOPT != 0 {
		b = append(b, c.Options...)
		b = AppendMarker(b)
	}
	return append(b, c.Data...)
}

// ParseUserData decodes a User Data payload without allocating.
func ParseUserData(p []byte) (UserData, error) {
	if len(p) < 1 {
		return UserData{}, fmt.Errorf("UserData flags: %w", ErrTruncated)
	}
	c := UserData{Flags: UserDataFlags(p[0])}
	at := 1
	v, n, err := ParseVLU(p[at:])
	if err != nil {
		return UserData{}, fmt.Errorf("UserData flowID: %w", err)
	}
	c.FlowID = FlowID(v)
	at += n
	if v, n, err = ParseVLU(p[at:]); err != nil {
		return UserData{}, fmt.Errorf("UserData seq#: %w", err)
	}
	c.SeqNum = SeqNum(v)
	at += n
	if v, n, err = ParseVLU(p[at:]); err != nil {
		return UserData{}, fmt.Errorf("UserData fsnOffset: %w", err)
	}
	c.FSNOffset = v
	at += n
	if c.FSNOffset > uint64(c.SeqNum) {
		return UserData{}, ErrFSNOffset
	}
	opts, data, err := parseUserDataTail(c.Flags, p[at:])
	if err != nil {
		return UserData{}, err
	}
	c.Options, c.Data = opts, data
	return c, nil
}

// parseUserDataTail splits the option list (if OPT) from the data.
func parseUserDataTail(flags UserDataFlags, p []byte) (opts, data []byte, err error) {
	if flags&FlagOPT == 0 {
		return nil, p, nil
	}
	opts, n, err := splitMarkedList(p)
	if err != nil {
		return nil, nil, fmt.Errorf("UserData options: %w", err)
	}
	return opts, p[n:], nil
}
