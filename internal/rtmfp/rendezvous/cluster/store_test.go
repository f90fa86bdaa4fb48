package cluster

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"camchat/internal/rtmfp/flashcrypto"
)

// TestStoreFollowsChurn: peers register, move, unregister (some before
// their first write went out) and register again, faster than the store
// worker writes; once it is idle, the bucket holds exactly the peers
// still registered, each with its latest addresses.
func TestStoreFollowsChurn(t *testing.T) {
	ns := startNATS(t)
	n, err := New(Config{URLs: []string{ns.url()}, NodeTTL: testNodeTTL, Rand: newRand(40)})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(nopForwarder{}); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	waitFor(t, 10*time.Second, "node loaded", func() bool { return n.Stats().Loaded })
	addr := func(i, gen int) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), uint16(1000+gen))
	}
	want := map[flashcrypto.PeerID]netip.AddrPort{}
	for round := range 3 {
		if round == 2 { // what was written, purged
			waitFor(t, 10*time.Second, "store idle", func() bool { return n.Stats().Pending == 0 })
		}
		for i := range 60 {
			id := flashcrypto.PeerID{byte(i)}
			switch {
			case i%3 == 0: // registers, unregisters at once
				n.Register(id, addr(i, round), nil)
				n.Unregister(id)
				delete(want, id)
			case i%3 == 1 && round == 2: // leaves in the last round
				n.Unregister(id)
				delete(want, id)
			default: // moves every round
				n.Register(id, addr(i, round), nil)
				want[id] = addr(i, round)
			}
		}
	}
	waitFor(t, 10*time.Second, "store idle", func() bool { st := n.Stats(); return st.Pending == 0 && st.Local == len(want) })
	nc, err := nats.Connect(ns.url())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kv.ListKeysFiltered(ctx, "p.>")
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for k := range keys.Keys() {
		id, _, _, err := parseKey(k)
		if err != nil {
			t.Fatal(err)
		}
		e, err := kv.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		_, addrs, err := parseEntry(e.Value())
		if err != nil {
			t.Fatal(err)
		}
		if a := decodeAddrs(addrs)[0].AddrPort; a != want[id] {
			t.Errorf("%x: %v in the bucket, want %v", id[:1], a, want[id])
		}
		got++
	}
	if got != len(want) {
		t.Fatalf("%d peers in the bucket, want %d", got, len(want))
	}
	st := n.Stats()
	if st.Purges < 20 {
		t.Fatalf("%d purges, want the 20 written peers that left", st.Purges)
	}
	t.Logf("%d peers left of 60: %d puts, %d purges", got, st.Puts, st.Purges)
}
