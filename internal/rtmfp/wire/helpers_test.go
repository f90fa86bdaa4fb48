package wire

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// h decodes hex written with spaces and "|" separators for readability.
func h(s string) []byte {
	s = strings.NewReplacer(" ", "", "|", "", "\n", "", "\t", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(fmt.Sprintf("bad hex %q: %v", s, err))
	}
	return b
}

// rep repeats a hex byte n times.
func rep(hexByte string, n int) string { return strings.Repeat(hexByte, n) }

// parseChunk decodes a payload of any known chunk type.
func parseChunk(t ChunkType, p []byte) (Chunk, error) {
	switch t {
	case ChunkIHello:
		return ParseIHello(p)
	case ChunkFIHello:
		return ParseFIHello(p)
	case ChunkRHello:
		return ParseRHello(p)
	case ChunkRedirect:
		return ParseRedirect(p)
	case ChunkRHelloCookieChange:
		return ParseRHelloCookieChange(p)
	case ChunkIIKeying:
		return ParseIIKeying(p)
	case ChunkRIKeying:
		return ParseRIKeying(p)
	case ChunkPing:
		return ParsePing(p)
	case ChunkPingReply:
		return ParsePingReply(p)
	case ChunkUserData:
		return ParseUserData(p)
	case ChunkNextUserData:
		return ParseNextUserData(p)
	case ChunkAckBitmap:
		return ParseAckBitmap(p)
	case ChunkAckRanges:
		return ParseAckRanges(p, nil)
	case ChunkBufferProbe:
		return ParseBufferProbe(p)
	case ChunkFlowException:
		return ParseFlowException(p)
	case ChunkSessionClose:
		return ParseSessionClose(p)
	case ChunkSessionCloseAck:
		return ParseSessionCloseAck(p)
	case ChunkECNReport:
		return ParseECNReport(p)
	}
	return nil, fmt.Errorf("no parser for %v", t)
}

// show renders a chunk for comparison; nil and empty slices print alike.
func show(c any) string { return fmt.Sprintf("%T%+v", c, c) }

func mustEqualBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if string(got) != string(want) {
		t.Fatalf("%s:\n got  % x\n want % x", what, got, want)
	}
}
