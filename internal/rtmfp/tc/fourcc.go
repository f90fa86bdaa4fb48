package tc

import "fmt"

// FourCC is an Enhanced-RTMP codec identifier: four ASCII bytes read as a
// big-endian u32 (Enhanced RTMP v1 and v2, veovera/enhanced-rtmp).
type FourCC uint32

// FourCCs of the Enhanced-RTMP codecs (rtmfp-cpp TCMessage.hpp).
const (
	FourCCOpus FourCC = 'O'<<24 | 'p'<<16 | 'u'<<8 | 's'
	FourCCMP3  FourCC = '.'<<24 | 'm'<<16 | 'p'<<8 | '3'
	FourCCAC3  FourCC = 'a'<<24 | 'c'<<16 | '-'<<8 | '3'
	FourCCEAC3 FourCC = 'e'<<24 | 'c'<<16 | '-'<<8 | '3'
	FourCCFLAC FourCC = 'f'<<24 | 'L'<<16 | 'a'<<8 | 'C'
	FourCCAAC  FourCC = 'm'<<24 | 'p'<<16 | '4'<<8 | 'a'
	FourCCVP8  FourCC = 'v'<<24 | 'p'<<16 | '0'<<8 | '8'
	FourCCVP9  FourCC = 'v'<<24 | 'p'<<16 | '0'<<8 | '9'
	FourCCAV1  FourCC = 'a'<<24 | 'v'<<16 | '0'<<8 | '1'
	FourCCAVC  FourCC = 'a'<<24 | 'v'<<16 | 'c'<<8 | '1'
	FourCCHEVC FourCC = 'h'<<24 | 'v'<<16 | 'c'<<8 | '1'
)

// String returns the four characters, or hex when they are not printable.
func (f FourCC) String() string {
	b := [4]byte{byte(f >> 24), byte(f >> 16), byte(f >> 8), byte(f)}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("0x%08x", uint32(f))
		}
	}
	return string(b[:])
}
