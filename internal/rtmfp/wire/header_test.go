package wire

import (
	"errors"
	"testing"
	"time"
)

var headerVectors = []struct {
	name string
	hdr  PacketHeader
	wire string
}{
	// startup_plain of the known-answer vectors: TS | startup, timestamp 0x0102.
	{"startup with TS", PacketHeader{Mode: ModeStartup, HasTimestamp: true, Timestamp: 0x0102}, "0b | 01 02"},
	// i2r_plain: TS | initiator, timestamp 0x1234.
	{"initiator with TS", PacketHeader{Mode: ModeInitiator, HasTimestamp: true, Timestamp: 0x1234}, "09 | 12 34"},
	{"responder bare", PacketHeader{Mode: ModeResponder}, "02"},
	{"all flags", PacketHeader{TimeCritical: true, TimeCriticalReverse: true, Mode: ModeResponder,
		HasTimestamp: true, Timestamp: 0xfffe, HasTimestampEcho: true, TimestampEcho: 0x00fa}, "ce | ff fe | 00 fa"},
	{"echo only", PacketHeader{TimeCritical: true, Mode: ModeInitiator, HasTimestampEcho: true, TimestampEcho: 7}, "85 | 00 07"},
}

func TestPacketHeaderGolden(t *testing.T) {
	for _, tc := range headerVectors {
		want := h(tc.wire)
		mustEqualBytes(t, tc.name, tc.hdr.Append(nil), want)
		if tc.hdr.Length() != len(want) {
			t.Errorf("%s: Length %d, want %d", tc.name, tc.hdr.Length(), len(want))
		}
		got, n, err := ParsePacketHeader(append(want, 0x01, 0x00, 0x00))
		if err != nil || got != tc.hdr || n != len(want) {
			t.Errorf("%s: parse %+v %d %v", tc.name, got, n, err)
		}
		for i := range len(want) {
			if _, _, err := ParsePacketHeader(want[:i]); !errors.Is(err, ErrTruncated) {
				t.Errorf("%s: prefix %d: %v", tc.name, i, err)
			}
		}
	}
}

func TestPacketHeaderModes(t *testing.T) {
	for _, f := range []byte{0x00, 0x08, 0xcc} {
		if _, _, err := ParsePacketHeader([]byte{f, 0, 0, 0, 0}); !errors.Is(err, ErrForbiddenMode) {
			t.Errorf("flags %02x: %v, want ErrForbiddenMode", f, err)
		}
	}
	// Reserved bits 0x30 are ignored.
	got, n, err := ParsePacketHeader(h("33"))
	if err != nil || n != 1 || got != (PacketHeader{Mode: ModeStartup}) {
		t.Fatalf("reserved bits: %+v %d %v", got, n, err)
	}
	if ModeStartup.String() != "startup" || Mode(0).String() != "Mode(0)" {
		t.Fatal("Mode.String")
	}
}

func TestTimestamps(t *testing.T) {
	if TimestampAt(0) != 0 || TimestampAt(time.Second) != 250 || TimestampAt(3999*time.Microsecond) != 0 {
		t.Fatal("250 Hz clock")
	}
	// 65536 ticks = 262.144 s wrap to 0.
	if TimestampAt(262144*time.Millisecond) != 0 || TimestampAt(262148*time.Millisecond) != 1 {
		t.Fatal("mod 65536")
	}
	if got := Timestamp(65535).Add(8 * time.Millisecond); got != 1 {
		t.Fatalf("Add wraps: %d", got)
	}
	if got := Timestamp(1).Sub(65535); got != 8*time.Millisecond {
		t.Fatalf("Sub across wrap: %v", got)
	}
	if got := Timestamp(250).Sub(0); got != time.Second {
		t.Fatalf("Sub: %v", got)
	}
	// Echo cancels hold time: received 1000, held 100 ms, peer's clock now
	// at 1100 (its 400 ms round trip); the peer measures 400-100 = 300 ms.
	echo := Timestamp(1000).Add(100 * time.Millisecond)
	if echo != 1025 || Timestamp(1100).Sub(echo) != 300*time.Millisecond {
		t.Fatalf("echo %d rtt %v", echo, Timestamp(1100).Sub(echo))
	}
}

func FuzzPacketHeader(f *testing.F) {
	for _, tc := range headerVectors {
		f.Add(h(tc.wire))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		hd, n, err := ParsePacketHeader(b)
		if err != nil {
			return
		}
		enc := hd.Append(nil)
		if len(enc) != n || hd.Length() != n || enc[0] != b[0]&^0x30 || string(enc[1:]) != string(b[1:n]) {
			t.Fatalf("% x re-encodes as % x", b[:n], enc)
		}
	})
}
