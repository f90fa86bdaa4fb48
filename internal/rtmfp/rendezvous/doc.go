// Package rendezvous is a Cirrus/Stratus-compatible introduction server for
// RTMFP (RFC 7016) with Adobe's Flash profile (RFC 7425): Flash-profile
// clients open a NetConnection to it (RFC 7425 §5.3), register their
// addresses with setPeerInfo, and find each other by peer ID. An initiator's
// IHello that names a connected client's fingerprint is answered with a
// Responder Redirect listing the target's addresses and forwarded to the
// target as an FIHello carrying the initiator's observed address, so that
// both ends punch through their NATs at once (RFC 7016 §3.5.1.4–§3.5.1.6;
// the introduction of rtmfp-cpp's test/tcserver).
//
// # What it does
//
//   - Identity: an ephemeral-key certificate that accepts ancillary data
//     (any rtmfp: URI selects it), or a static key a client can pin by
//     fingerprint (RFC 7425 §4.3–§4.4).
//   - NetConnection, server side (RFC 7425 §5.3; rtmfp-cpp test/tcserver.cpp): the
//     client's stream-0 flow is answered on a return flow; connect gets
//     _result NetConnection.Connect.Success with connectionID (the client's
//     peer ID in hex) or _error NetConnection.Connect.Rejected when the app
//     is not on the allow-list; setPeerInfo records the reported addresses;
//     createStream and deleteStream are answered, publish on a NetStream
//     with NetStream.Publish.Start (as tcserver does; the media itself
//     goes between peers) and play with NetStream.Play.Failed; an optional
//     Set Keepalive
//     event (RFC 7425 §5.3.4) tells clients how often to ping.
//   - Hardening, in a net.PacketConn wrapper under the transport (guard)
//     and in the transport's admission: the guard opens startup packets
//     (classify.go). An IIKeying with a valid cookie of its source meets
//     only its source's keying bucket; an IHello earns its address three
//     times its bytes (per address, over a 2 s window) and is dropped at
//     once if its answer would not fit, then meets the session caps, its
//     source's bucket and the global bucket, and only then enters the
//     source table. Every answer to an IHello, to any address, stays
//     within that budget, and an introduction's FIHello is sent only when
//     the IHello also pays for the target's RHello. Other datagrams go to
//     an address with a session (or one within 90 s of it) and to others
//     within the same budget. Sessions are capped per address (an IPv6
//     /64), per IPv4 /24 or IPv6 /56, per IPv6 /48 and overall, with the
//     handshakes in progress, and key agreements budgeted per prefix
//     (rtmfp.Config.Admission); the certificate offers groups 14 and 2
//     (DefaultGroups). A client's flows have small windows and its session
//     a receive memory budget (Limits.SessionRecvMemory, closed beyond);
//     NetStream flows are served only for created streams, three each.
//     The transport's cookies keep the server stateless until a valid
//     IIKeying (RFC 7016 §3.5.1.2). Session packets (non-zero session ID,
//     unauthenticated until the transport decrypts them) earn an
//     unverified address a budget in a small LRU table of their own and
//     never an entry in the source table that decides startup admission,
//     so garbage cannot lock clients out. Every drop is counted by
//     reason. BenchmarkFlood (make bench, root) runs the attacks of a
//     review against a server process.
//   - Introductions: only a client whose certificate holds a static key
//     (its peer ID is bound to it) may register with setPeerInfo and be
//     found; reported addresses that name no single remote host
//     (unspecified, multicast, broadcast, link-local; loopback unless the
//     server is on loopback) are dropped; introductions to one target are
//     rate-limited (Limits.IntroductionRate), since each makes the target
//     send an RHello to an address a forged IHello may choose.
//
// # Scale
//
// BenchmarkScale (go test -run '^$' -bench Scale -benchtime=1x; the
// synthetic clients run in a separate process, RENDEZVOUS_BENCH_CLIENTS
// overrides their number; clients have static keys) measures an idle
// connected peer at about 9.5 KB of server memory with 10,000 peers
// (session, certificate, keys and the two flows of the NetConnection; the
// transport trims idle flow buffers), handshakes at
// about 2,500 (group 2) and 1,000 (group 14) per CPU-second, introductions
// at over 40,000 per second, and the idle peers' keepalives at well under
// 1% of a CPU: the transport's loop only visits sessions that are due or
// have something to send.
//
// # Goroutine model
//
// Each listening socket has one rtmfp.Endpoint (its reader and loop
// goroutines) and one accept goroutine. Each accepted session has one
// goroutine that waits for the NetConnection control flow and then reads
// it; after a quiet spell the peer is parked: its goroutine ends and the
// control flow's readiness function (rtmfp.RecvFlow.SetReadyFunc) hands
// the peer to a single dispatcher goroutine when a message arrives or the
// session ends, which starts a goroutine for it again (park.go), so an idle
// peer costs no stack and no polling. Another goroutine, started only after createStream,
// takes the client's NetStream flows, each read by a goroutine of its own
// that answers publish and play (this server relays no media). One janitor
// goroutine runs the periodic work: closing sessions that never connect,
// applying the address changes the transport reported
// (rtmfp.Session.SetFarAddrFunc), pruning the per-source tables. Introductions run
// in the transport's unmatched-IHello hook, on the endpoint's loop
// goroutine. The peer table and the counters are guarded by one mutex; the
// guard has its own. Shutdown closes every session in order, waits for the
// closes to be acknowledged (bounded by its context) and stops everything.
package rendezvous
