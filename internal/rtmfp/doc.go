// Package rtmfp implements RTMFP, the Real-Time Media Flow Protocol (RFC 7016),
// with Adobe's Flash crypto profile (RFC 7425 §4): endpoints, sessions and
// flows, in pure Go.
//
// Subpackages hold the parts that have no state of their own: wire (packet
// and chunk codecs), flashcrypto (certificates, key agreement, packet
// protection), cc (RTT, congestion control, pacing), flow (the send and
// receive flow state machines) and rtmfptest (a simulated network for tests
// in virtual time). tc adds the Flash communication layer (RFC 7425 §5) and
// rendezvous the introduction server.
//
// # Using it
//
//	ep, _ := rtmfp.NewEndpoint(conn, rtmfp.Config{Identity: id})
//	s, _ := ep.Connect(ctx, flashcrypto.CanonicalEPD(peerID), addrs...)
//	f, _ := s.OpenFlow(metadata, flow.PriorityImmediate)
//	rc, _ := f.Write(msg, rtmfp.WriteOptions{FinishBy: 300 * time.Millisecond})
//	// the far end:
//	s, _ := ep.Accept(ctx)
//	rf, _ := s.AcceptFlow(ctx)
//	msg, _ := rf.Read(ctx)
//
// # What this package does
//
//   - Endpoint (RFC 7016 §3.5, §2.2.1): demultiplexes datagrams by the
//     scrambled session ID; ID 0 is the startup pseudo-session. Datagrams over
//     8192 bytes, undecryptable ones, replays, wrong modes and unknown session
//     IDs are dropped and counted by reason (EndpointStats.Dropped).
//   - Handshake, initiator (§3.5.1.1): IHello to every candidate address at
//     once (at most 24), retransmitted at 0, 1, 3.5, 7.5, 13 … s for 95 s;
//     RHello from any address, whose certificate our EPD must select; an open
//     session to the same far end is reused and a concurrent attempt absorbed;
//     IIKeying on the same schedule; one Cookie Change; RIKeying opens the
//     session; up to 18 early packets are replayed; Redirects add candidates.
//     Our receive session IDs are 32 random bits, and RIKeying and Cookie
//     Change are taken only from the address our IIKeying went to, so an
//     off-path sender cannot complete our handshakes; Redirect candidates
//     that are unspecified, multicast, broadcast, port 0, loopback or
//     link-local (unless we or the informant are there) are dropped.
//   - Handshake, responder (§3.5.1.2–§3.5.1.6): stateless until a valid
//     IIKeying (cookies from flashcrypto.CookieJar, Cookie Change when the
//     initiator's address changed); a repeated IIKeying gets the stored
//     RIKeying again; glare is settled by RFC 7425 §4.3.6; at most one key
//     agreement per cookie, sessions and agreements budgeted per source
//     prefix (Config.Admission, admission.go), at most MaxPendingKeying
//     (64) IIKeyings wait for their public-key computation; unmatched IHellos go to
//     Config.OnUnmatchedIHello (Endpoint.Redirect and Session.ForwardIHello
//     then introduce the initiator); forwarded IHellos are answered per
//     FIHelloMode, one per packet, at most 4 a second (burst 8) per session,
//     charged to the over-answer budget and never to an address a Redirect
//     candidate could not be. Only the first IHello and the first IIKeying of
//     a packet count. No answer to an unauthenticated datagram is more than
//     three times its size (our IHellos are padded so any responder can
//     answer).
//   - Packet protection per RFC 7425 §4 through flashcrypto; HMAC and session
//     sequence numbers are negotiated (on between camchat peers, optional for
//     Flash-era peers).
//   - Session (§3.5.2–§3.5.5): timestamps and echoes for RTT, keepalive
//     (the responder waits one MRTO more), retransmit and idle limits, orderly
//     close (Close Request every 5 s for at most 90 s; far close linger 19 s)
//     and abort, address mobility by Ping 'M' checks.
//   - Flows (§3.6) through package flow: at most MaxRecvFlows (256) receive
//     flows per session, metadata at most MaxMetadata (512) bytes, a rejected
//     flow forgotten flow.RejectLinger (10 s) after its exception report,
//     each flow's memory at most 2·(window + Config.MaxRecvMessage) and,
//     behind a gap, its window; a session's flows within
//     Config.SessionRecvMemory and all of them within
//     Config.EndpointRecvMemory (over it, the session is closed with
//     ErrRecvMemory, or the one holding the most; recvmem.go); packets
//     assembled with immediate
//     acknowledgements first, then data by priority: eight strict levels, round
//     robin within a level, across all sessions of the endpoint; TC on packets
//     with time-critical data, TCR when another session received TC within
//     800 ms; congestion control, burst limit and pacing from package cc, with
//     delay-based congestion detection on by default.
//   - camchat rules on top of the reference, for calls over a slow
//     uplink: while a priority has sent data within 800 ms, lower priorities
//     leave one MSS of the congestion window free, so the next audio message
//     leaves at once instead of waiting for an acknowledgement behind video;
//     while the session sends time-critical data, cc's real-time mode paces
//     it at a rate that keeps the bottleneck queue near empty, the highest
//     priority may go one MSS ahead of the pacing, and a packet it leads
//     takes lower priorities along only if they could go on their own (so
//     it stays small); every acknowledgement owed goes in the same packet,
//     as rtmfp-cpp does, so the far end's per-session loss rule never sees
//     one flow acknowledged ahead of another.
//     TestPriorityRealtimeBesideBulk and TestMediaSceneBottleneck measure
//     them.
//
// # Goroutine model
//
// An Endpoint runs three goroutines: a reader per socket, which hands
// datagrams to the loop over a bounded channel (dropping, counted, when it is
// full); the loop, which owns all protocol state in the sans-I/O engine
// (receive, timeout, flush, nextDeadline) under one mutex, and writes
// the packets a flush built (at most 128 data packets a pass) after
// releasing it, so a socket write that waits never blocks an application
// call; and the key worker, which runs each Diffie-Hellman key agreement
// the engine queued with no lock held and hands the result back to the
// loop (pubkey.go), so a handshake never stalls application calls or
// other sessions' packets. A pass of
// the loop costs in proportion to what happened, not to the number of
// sessions: a deadline heap gives timeout only the sessions that are due,
// and flush visits only the sessions touched since the last flush (timers.go).
// Application
// calls take the mutex briefly, change state and wake the loop; calls that
// wait (Connect, Accept, AcceptFlow, Read, a Write on a full flow) wait on
// channels, so they block durably under testing/synctest;
// SendFlow.WriteContext bounds a Write's wait by a context, and
// SendFlow.Buffered tells a media sender how much a flow holds. A server with many
// idle peers need not park a goroutine in Read for each:
// RecvFlow.SetReadyFunc reports when a flow becomes readable, and
// Session.SetFarAddrFunc when a far end moved. Close stops both goroutines
// and waits for them; a socket that fails for good stops them too, and
// Endpoint.Done and Err report it.
package rtmfp
