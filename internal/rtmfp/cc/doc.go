// Package cc holds the per-session transmission control of camchat's RTMFP
// sessions: round-trip time estimation from timestamp echoes (RFC 7016
// §3.5.2.2), the negative-acknowledgement loss rule (§3.6.2.5), the
// congestion window (§3.5.2 and Appendix A, with the modifications of the
// reference implementation zenomt/rtmfp-cpp), optional delay-based congestion
// detection, and the post-acknowledgement burst limit with pacing (§3.5.2.3).
//
// The package is sans-I/O. Nothing here reads a clock, sleeps, starts a
// goroutine or touches a socket: every event method takes the current time
// as a parameter (now time.Time) and every answer is a value or a deadline
// (NextSendTime) that the session's send loop turns into a timer. The same
// code therefore runs on real UDP, on a simulated network and in the fluid
// model test in this package.
//
// The pieces:
//
//   - Timestamp: the 16-bit, 4 ms header timestamp and its echo (§2.2.4).
//   - RTTEstimator: srtt, rttvar, MRTO, ERTO and the timeout backoff.
//   - BaseRTT: the minimum RTT over about three minutes, resettable when the
//     path changes (address mobility, §3.5.4.2).
//   - LossDetector: the session-wide list of outstanding fragments in
//     transmission order, applying the 3-NAK rule keyed by transmission
//     sequence numbers (TSN).
//   - Pacer: at most six data packets back to back after an acknowledgement,
//     then one packet every srtt·(MSS+excess)/cwnd.
//   - Controller: ties the above together with the congestion window, the
//     time-critical (TC/TCR) state of RFC 7016 §3.5.2.1, the loss
//     response and recovery, growth, decay, timeouts and delay-based
//     detection, and, while time-critical data flows, real-time mode: a
//     paced rate that keeps the bottleneck queue near empty, with the
//     highest priority allowed one MSS ahead of the pacing (realtime.go).
//     This is the one object a session owns.
//
// Goroutine model: none. A Controller, LossDetector, RTTEstimator, BaseRTT or
// Pacer belongs to one session and is used from that session's loop only; no
// method is safe for concurrent use. Steady-state methods do not allocate.
package cc
