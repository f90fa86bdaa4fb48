// Package turn runs RTMFP over a TURN relay (RFC 8656) when no direct path
// between two peers exists: a TURN server for `camchat rendezvous`, the
// time-limited credentials it hands out, and Conn, the socket a room gives
// its RTMFP endpoint: the direct UDP socket, plus a relayed address on a
// TURN server once one is allocated.
//
// The protocol work is github.com/pion/turn/v4's (server and client);
// this package decides what goes where.
//
// # Credentials
//
// A relay costs its operator bandwidth, so it serves only those holding
// credentials. `camchat rendezvous -turn` runs a TURN server with a shared
// secret and hands each connected client, on request over its
// NetConnection (the "camchatRelay" call), REST-style time-limited
// credentials (draft-uberti-behave-turn-rest-00, as coturn's
// use-auth-secret): username "<expiry unix seconds>:<peer ID>", password
// base64(HMAC-SHA1(secret, username)). Any TURN server that shares the
// secret (coturn with static-auth-secret) accepts them; a relay with fixed
// credentials can be configured instead.
//
// # Paths
//
// Conn reads the direct socket and the relayed address and tells the
// endpoint nothing about which a datagram came through: a peer is an
// address either way. It remembers, per far address, the path the last
// datagram came in on, and answers the same way (the far end knows us by
// the address it sent to: our direct one or our relayed one, and a
// handshake answer from the other would not count); an address that has
// said nothing for 15 s (or ever: a handshake) gets both, so that a
// direct path is taken whenever it works and the relay otherwise. Writing through the relay first installs a TURN permission
// for the far address, which is what lets the far end's next handshake
// packet through the relay. The first datagram to a new address through
// the relay waits for that permission; relay writes are queued for a
// goroutine of their own, so the endpoint never waits for the TURN server.
//
// # Goroutines
//
// Conn runs a reader for the direct socket (which also feeds the TURN
// client the server's answers), a reader for the relayed address and a
// writer for it once allocated; Close stops them and waits. Server's
// goroutines are pion's, stopped by Close.
package turn
