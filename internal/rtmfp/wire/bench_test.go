package wire

import (
	"bytes"
	"testing"
)

// dataPacket returns a decrypted session packet: header with both
// timestamps, the given chunks, 0xff padding to a multiple of 16 (as the
// Flash profile sends it after a 2-byte checksum).
func dataPacket(chunks ...Chunk) []byte {
	b := PacketHeader{TimeCritical: true, Mode: ModeInitiator, HasTimestamp: true, Timestamp: 1000,
		HasTimestampEcho: true, TimestampEcho: 990}.Append(make([]byte, 0, 1232))
	for _, c := range chunks {
		b = c.Append(b)
	}
	return AppendPadding(b, 15-(len(b)+2+15)%16)
}

var (
	benchSink    UserData
	benchSinkLen int
)

func parseDataPacket(b *testing.B, pkt []byte, wantChunks int) {
	b.Helper()
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		_, n, err := ParsePacketHeader(pkt)
		if err != nil {
			b.Fatal(err)
		}
		r := NewChunkReader(pkt[n:])
		chunks := 0
		var prev UserData
		for typ, p, ok := r.Next(); ok; typ, p, ok = r.Next() {
			switch typ {
			case ChunkUserData:
				prev, err = ParseUserData(p)
			case ChunkNextUserData:
				var nx NextUserData
				nx, err = ParseNextUserData(p)
				prev = nx.Follow(prev)
			}
			if err != nil {
				b.Fatal(err)
			}
			chunks++
		}
		if chunks != wantChunks || r.Err() != nil {
			b.Fatalf("%d chunks, %v", chunks, r.Err())
		}
		benchSink = prev
	}
}

// BenchmarkParseUserDataPacket: one full-size fragment (1150 bytes of data).
func BenchmarkParseUserDataPacket(b *testing.B) {
	pkt := dataPacket(UserData{Flags: UserDataFlags(FragmentMiddle), FlowID: 5, SeqNum: 123456, FSNOffset: 40,
		Data: bytes.Repeat([]byte{0x17}, 1150)})
	parseDataPacket(b, pkt, 1)
}

// BenchmarkParseUserDataTwoChunks: a User Data and a Next User Data chunk
// carrying two fragments of 570 bytes.
func BenchmarkParseUserDataTwoChunks(b *testing.B) {
	pkt := dataPacket(
		UserData{Flags: UserDataFlags(FragmentBegin), FlowID: 5, SeqNum: 123456, FSNOffset: 40,
			Data: bytes.Repeat([]byte{0x17}, 570)},
		NextUserData{Flags: UserDataFlags(FragmentEnd), Data: bytes.Repeat([]byte{0x27}, 570)},
	)
	parseDataPacket(b, pkt, 2)
}

// BenchmarkAppendUserData builds a full-size data packet into a reused buffer.
func BenchmarkAppendUserData(b *testing.B) {
	hd := PacketHeader{Mode: ModeResponder, HasTimestamp: true, Timestamp: 77}
	c := UserData{Flags: UserDataFlags(FragmentMiddle), FlowID: 5, SeqNum: 123456, FSNOffset: 40,
		Data: bytes.Repeat([]byte{0x17}, 1150)}
	buf := make([]byte, 0, 1232)
	b.SetBytes(int64(hd.Length() + c.Length()))
	b.ReportAllocs()
	for b.Loop() {
		p := hd.Append(buf[:0])
		p = c.Append(p)
		benchSinkLen = len(p)
	}
}

var benchAck = AckRanges{FlowID: 5, BufferBlocks: 64, CumulativeAck: 100000, Ranges: []SeqRange{
	{100002, 100010}, {100020, 100030}, {100100, 100101}, {100200, 100500}, {100502, 100502}, {101000, 101100},
}}

// BenchmarkAckRangesAppend encodes six ranges into a reused buffer, with a budget.
func BenchmarkAckRangesAppend(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		p, n, ok := benchAck.AppendWithin(buf[:0], 40)
		if !ok || n != 6 {
			b.Fatal(n, ok)
		}
		benchSinkLen = len(p)
	}
}

// BenchmarkAckRangesParse decodes six ranges into a reused slice.
func BenchmarkAckRangesParse(b *testing.B) {
	p := benchAck.Append(nil)[ChunkHeaderLength:]
	dst := make([]SeqRange, 0, 16)
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		c, err := ParseAckRanges(p, dst)
		if err != nil || len(c.Ranges) != 6 {
			b.Fatal(err)
		}
		benchSinkLen = len(c.Ranges)
	}
}
