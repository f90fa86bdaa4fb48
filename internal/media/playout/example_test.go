package playout_test

import (
	"fmt"
	"time"

	"camchat/internal/media/playout"
)

// The audio output loop of one remote peer: packets go in as they arrive,
// and every 20 ms the device pulls one instruction.
func ExampleJitterBuffer() {
	jb, err := playout.NewJitterBuffer(playout.JitterConfig{})
	if err != nil {
		panic(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Packets 0..5 captured 20 ms apart, arriving 30 ms later; 3 is lost.
	for seq := range 6 {
		if seq == 3 {
			continue
		}
		ts := time.Duration(seq) * 20 * time.Millisecond
		jb.Push(playout.Packet{Seq: playout.SeqNum(seq), Timestamp: ts, Payload: []byte{byte(seq)}}, start.Add(ts+30*time.Millisecond))
	}
	for tick := range 7 {
		f := jb.Pop(start.Add(time.Duration(50+20*tick) * time.Millisecond))
		switch f.Action {
		case playout.ActionDecode:
			fmt.Printf("decode %d\n", f.Payload[0])
		case playout.ActionFEC:
			fmt.Printf("seq %d from the FEC in packet %d\n", f.Seq, f.Payload[0])
		default:
			fmt.Println(f.Action)
		}
	}
	st := jb.Stats()
	fmt.Println("lost", st.Lost, "fec", st.FEC, "target", st.TargetDelay)
	// Output:
	// decode 0
	// decode 1
	// decode 2
	// seq 3 from the FEC in packet 4
	// decode 4
	// decode 5
	// conceal
	// lost 1 fec 1 target 20ms
}

// Mixing the decoded frames and reading the speaking flags for the GUI.
func ExampleMixer() {
	m, err := playout.NewMixer(playout.MixerConfig{})
	if err != nil {
		panic(err)
	}
	alice := make([]int16, 960)
	for i := range alice {
		alice[i] = 3000
	}
	m.SetVolume(0, 1.5)
	out := make([]int16, 960)
	for range 5 {
		m.Mix(out, [playout.MaxStreams][]int16{alice, nil}) // Bob sent nothing
	}
	l := m.Levels()
	fmt.Printf("out %d; alice %.1f dBFS speaking %v; bob speaking %v\n", out[0], l[0].DBFS, l[0].Speaking, l[1].Speaking)
	// Output:
	// out 4500; alice -20.8 dBFS speaking true; bob speaking false
}
