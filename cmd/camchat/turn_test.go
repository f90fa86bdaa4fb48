package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"camchat/internal/room"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rendezvous"
	"camchat/internal/rtmfp/tc"
	"camchat/internal/turn"
)

func TestTURNFlags(t *testing.T) {
	o, err := parseRendezvousFlags([]string{"-turn", "127.0.0.1:3478"}, &bytes.Buffer{})
	if err != nil || o.turn.ip != "127.0.0.1" || len(o.turn.secret) != 64 || o.turn.ttl != 24*time.Hour {
		t.Fatalf("parsed %+v, %v", o.turn, err)
	}
	o, err = parseRendezvousFlags([]string{"-turn", ":3478", "-turn-ip", "203.0.113.7", "-turn-secret", "s", "-turn-ttl", "1h"}, &bytes.Buffer{})
	if err != nil || o.turn.ip != "203.0.113.7" || o.turn.secret != "s" || o.turn.ttl != time.Hour {
		t.Fatalf("parsed %+v, %v", o.turn, err)
	}
	for _, bad := range [][]string{
		{"-turn", ":3478"}, // wildcard without -turn-ip
		{"-turn-ip", "203.0.113.7"},
		{"-turn", "127.0.0.1:3478", "-turn-ip", "::1"},
		{"-turn", "127.0.0.1:3478", "-turn-ttl", "1s"},
		{"-turn", "127.0.0.1:3478", "-turn-max", "0"},
	} {
		if _, err := parseRendezvousFlags(bad, &bytes.Buffer{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestRelayCredentials: the relay the rendezvous command starts hands out,
// through the call a room makes, credentials that allocate on it, bound
// to the caller's peer ID.
func TestRelayCredentials(t *testing.T) {
	o := turnOptions{listen: "127.0.0.1:0", ip: "127.0.0.1", secret: "test secret", ttl: time.Hour, max: 10}
	r, err := startRelay(o, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer r.srv.Close()
	var id flashcrypto.PeerID
	id[0] = 7
	vals, err := r.calls(o)[room.RelayCall](rendezvous.Caller{PeerID: id}, tc.Command{Name: room.RelayCall})
	if err != nil || len(vals) != 1 {
		t.Fatal(vals, err)
	}
	p := vals[0].(*tc.Object).Properties
	addr, _ := p.String("addr")
	user, _ := p.String("username")
	pass, _ := p.String("password")
	if addr != r.addr.String() || !strings.HasSuffix(user, ":"+id.String()) {
		t.Fatalf("answer %+v", p)
	}
	d, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	c := turn.NewConn(d, nil, nil)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	relayed, err := c.Allocate(ctx, netip.MustParseAddrPort(addr), turn.Credentials{Username: user, Password: pass})
	if err != nil {
		t.Fatal(err)
	}
	if relayed.Addr() != netip.MustParseAddr("127.0.0.1") || r.srv.Allocations() != 1 {
		t.Errorf("relayed %v, %d allocations", relayed, r.srv.Allocations())
	}
}
