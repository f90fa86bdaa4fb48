// Package rtmfp implements RTMFP, the Real-Time Media Flow Protocol (RFC 7016),
// with Adobe's Flash crypto profile (RFC 7425 §4): endpoints, sessions and
// flows, in pure Go.
//
// Subpackages hold the parts that have no state of their own: wire (packet
// and chunk codecs), flashcrypto (certificates, key agreement, packet
// protection), cc (RTT, congestion control, pacing) and rtmfptest (a
// simulated network for tests in virtual time). tc adds the Flash
// communication layer (RFC 7425 §5) and rendezvous the introduction server.
package rtmfp
