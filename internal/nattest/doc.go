// Package nattest builds test networks out of Linux network namespaces:
// a "public" segment (a bridge in a namespace of its own, the internet of
// the test) with servers on it, and hosts behind NATs made with nftables,
// each of the kind a test asks for (RFC 4787's mapping and filtering
// behaviours):
//
//	PortRestricted     endpoint-independent mapping, address-and-port-dependent
//	                   filtering: the common home router (nftables masquerade,
//	                   which keeps the source port while it is free)
//	FullCone           endpoint-independent mapping and filtering (masquerade
//	                   plus an explicit DNAT of every port to the host)
//	AddressRestricted  endpoint-independent mapping, address-dependent
//	                   filtering (a set of contacted addresses, DNAT for them)
//	Symmetric          address-and-port-dependent mapping (masquerade with
//	                   random ports: a new port for every destination)
//
// Links can be shaped: a rate limit with tbf in each direction, and random
// loss with an nftables numgen rule. Delay and jitter are not here: the
// kernel has no netem, so they come from rtmfptest.ImpairConn on the
// sockets (the headless participant's -impair flag) or rtmfptest.Relay.
//
// Every namespace, link and rule is created by New's network and removed
// by the test's cleanup; the public segment has no route anywhere else, so
// test traffic never leaves the namespaces. Creating namespaces needs root
// (CAP_SYS_ADMIN and CAP_NET_ADMIN) and the ip, nft and tc commands; New
// skips the test with the reason when they are missing.
//
// Sockets are opened inside a namespace by the test process itself
// (Host.ListenUDP switches one locked OS thread into the namespace for the
// socket call), and programs run there through Host.Command (ip netns
// exec). Nothing here runs goroutines of its own.
package nattest
