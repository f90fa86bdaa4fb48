package wire

// UserDataFlags is the flags byte of User Data and Next User Data chunks
// (RFC 7016 §2.3.11; rtmfp-cpp packet.hpp):
//
//	 0 1 2 3 4 5 6 7
//	+-+-+-+-+-+-+-+-+
//	|O|r| F | r |A|F|
//	|P|s| R | s |B|I|
//	|T|v| A | v |N|N|
//	+-+-+-+-+-+-+-+-+
//
// Reserved bits are kept as received so that a parsed chunk re-appends
// byte for byte.
type UserDataFlags uint8

// User Data flag bits.
const (
	FlagOPT     UserDataFlags = 0x80 // an option list, ending in a marker, follows the header
	FlagFRAMask UserDataFlags = 0x30 // fragment position, see Fragment
	FlagABN     UserDataFlags = 0x02 // abandoned: the fragment carries no data
	FlagFIN     UserDataFlags = 0x01 // the last sequence number of the flow
)

// Fragment is a fragment's position in its message (the FRA bits).
type Fragment uint8

// Fragment positions, with the values they have in the flags byte.
const (
	FragmentWhole  Fragment = 0x00
	FragmentBegin  Fragment = 0x10
	FragmentEnd    Fragment = 0x20
	FragmentMiddle Fragment = 0x30
)

func (f Fragment) String() string {
	switch f {
	case FragmentWhole:
		return "whole"
	case FragmentBegin:
		return "begin"
	case FragmentEnd:
		return "end"
	case FragmentMiddle:
		return "middle"
	}
	return "Fragment(invalid)"
}

// Fragment returns the fragment position.
func (f UserDataFlags) Fragment() Fragment { return Fragment(f & FlagFRAMask) }

// WithFragment returns f with its fragment position set to p.
func (f UserDataFlags) WithFragment(p Fragment) UserDataFlags {
	return f&^FlagFRAMask | UserDataFlags(p)&FlagFRAMask
}

// Options, Abandoned and Final report the OPT, ABN and FIN bits.
func (f UserDataFlags) Options() bool   { return f&FlagOPT != 0 }
func (f UserDataFlags) Abandoned() bool { return f&FlagABN != 0 }
func (f UserDataFlags) Final() bool     { return f&FlagFIN != 0 }
