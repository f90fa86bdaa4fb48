package rendezvous

import (
	"errors"
	"net"
	"sync"
	"testing"

	"camchat/internal/rtmfp/tc"
)

// TestCalls: a command the server does not know is answered by the
// handler Config.Calls names for it, with the caller's peer ID; a handler's
// error becomes an _error with its words; other unknown commands still get
// "unknown command".
func TestCalls(t *testing.T) {
	conn := listenUDP(t)
	var mu sync.Mutex // the handler runs on the server's goroutine
	var seen Caller
	startServer(t, conn, Config{Calls: map[string]CallHandler{
		"relay": func(c Caller, cmd tc.Command) ([]tc.Value, error) {
			mu.Lock()
			seen = c
			mu.Unlock()
			if s, _ := cmd.Arg(0).(string); s == "fail" {
				return nil, errors.New("no relay for you")
			}
			return []tc.Value{tc.NewObject(tc.Property{Key: "addr", Value: "192.0.2.9:3478"})}, nil
		},
	}})
	ep := newClient(t, listenUDP(t), 0, nil)
	c, r := dial(t, ep, conn.LocalAddr().(*net.UDPAddr).AddrPort(), "chat")
	mustConnect(t, r)
	call := func(name string, args ...tc.Value) tc.Command {
		c.tid++
		c.send(t, tc.Command{Name: name, TransactionID: c.tid, Args: args})
		ans := c.next(t)
		if ans.TransactionID != c.tid {
			t.Fatalf("answer to transaction %v, want %v", ans.TransactionID, c.tid)
		}
		return ans
	}
	ans := call("relay")
	if ans.Name != tc.CommandResult || len(ans.Args) != 1 {
		t.Fatalf("relay answer %+v", ans)
	}
	if o, ok := ans.Args[0].(*tc.Object); !ok || o.Properties[0].Value != "192.0.2.9:3478" {
		t.Fatalf("relay answer %+v", ans.Args[0])
	}
	mu.Lock()
	got := seen
	mu.Unlock()
	if got.PeerID != ep.PeerID() || got.Addr != ep.LocalAddr() {
		t.Errorf("handler saw %v at %v, want %v at %v", got.PeerID, got.Addr, ep.PeerID(), ep.LocalAddr())
	}
	ans = call("relay", "fail")
	if info, _ := ans.Status(); ans.Name != tc.CommandError || info.Description != "no relay for you" {
		t.Errorf("failing handler answered %s %+v", ans.Name, info)
	}
	ans = call("other")
	if info, _ := ans.Status(); ans.Name != tc.CommandError || info.Description != "unknown command other" {
		t.Errorf("unknown command answered %s %+v", ans.Name, info)
	}
}
