package rtmfp

import (
	"camchat/internal/rtmfp/rtmfptest"
	"net/netip"
	"testing"

	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/wire"
)

// FuzzReceive feeds whole datagrams through the endpoint's receive path:
// session ID unscrambling, decryption, header and chunk parsing, the startup
// handlers and an open session's chunk handlers. The first byte chooses the
// form: 0 the datagram as is; 1 a plain packet (flags, chunks) sealed with
// the far end's session key, so the fuzzer reaches the chunk handlers of
// an authenticated session; 2 a plain packet sealed with the default key to
// the startup session. Nothing may panic.
func FuzzReceive(f *testing.F) {
	var p *memPair
	fresh := func(t testing.TB) {
		p = newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
		p.connect(t)
	}
	// Seeds: every datagram of a handshake and of a short flow exchange,
	// as received by b, and their plain packets.
	seed := newMemPair(f, rtmfptest.Identity(0), rtmfptest.Identity(1))
	var captured [][]byte
	seed.onDeliverB = func(b []byte) { captured = append(captured, append([]byte(nil), b...)) }
	sa, _ := seed.connect(f)
	fl, err := sa.OpenFlow([]byte("m"), flow.PriorityImmediate)
	if err != nil {
		f.Fatal(err)
	}
	fl.Write([]byte("hello"), WriteOptions{})
	fl.Write(make([]byte, 3000), WriteOptions{})
	seed.pump()
	for _, c := range captured {
		f.Add(append([]byte{0}, c...))
	}
	plain := [][]byte{
		append([]byte{0x09, 0, 1}, wire.Ping{Message: []byte("x")}.Append(nil)...),
		append([]byte{0x0d, 0, 1, 0, 1}, wire.UserData{Flags: wire.FlagOPT, FlowID: 1, SeqNum: 1, Options: wire.AppendMetadataOption(nil, []byte("m")), Data: []byte("d")}.Append(nil)...),
		append([]byte{0x01}, wire.AckRanges{FlowID: 1, BufferBlocks: 4, CumulativeAck: 1, Ranges: []wire.SeqRange{{From: 3, To: 4}}}.Append(nil)...),
		append([]byte{0x01}, wire.SessionClose{}.Append(nil)...),
		append([]byte{0x01}, wire.FIHello{EPD: []byte{0x21, 0x0f}, Tag: []byte("t")}.Append(nil)...),
		append([]byte{0x01}, wire.FlowException{FlowID: 1, Code: 3}.Append(nil)...),
		append([]byte{0x01}, wire.BufferProbe{FlowID: 1}.Append(nil)...),
	}
	for _, pl := range plain {
		f.Add(append([]byte{1}, pl...))
	}
	f.Add(append([]byte{2, 0x0b, 0, 1}, wire.IHello{EPD: []byte{0x21, 0x0f}, Tag: []byte("tag")}.Append(nil)...))
	f.Add(append([]byte{2, 0x0b, 0, 1}, wire.IIKeying{InitiatorSessionID: 5, Cookie: make([]byte, 64), Certificate: []byte{1, 2}, SKIC: []byte{3}, Signature: []byte{0x58}}.Append(nil)...))

	f.Fuzz(func(t *testing.T, in []byte) {
		if p == nil || p.sb.state != stateOpen || p.sa.state != stateOpen {
			fresh(t)
		}
		if len(in) == 0 {
			return
		}
		var dg []byte
		switch in[0] % 3 {
		case 0:
			dg = in[1:]
		case 1:
			if len(in) > 1+MaxPacket {
				return
			}
			dg = make([]byte, 4, 4+p.sa.cipher.SealedLen(len(in)-1))
			dg = p.sa.cipher.Seal(dg, in[1:])
			_ = wire.PutScrambledSessionID(dg, p.sa.fsid)
		case 2:
			if len(in) > 1+maxStartupPacket {
				return
			}
			dg = make([]byte, 4, 4+p.a.defCipher.SealedLen(len(in)-1))
			dg = p.a.defCipher.Seal(dg, in[1:])
		}
		p.b.receive(p.now, p.addrA, dg)
		for p.b.work(p.now) {
		}
		p.b.flush(p.now, func(netip.AddrPort, []byte) {})
		p.advance(0)
	})
}
