// Package interop holds tests that run camchat's RTMFP against the reference
// implementation's programs (zenomt/rtmfp-cpp: echoserver, fcclient, tcconn,
// tcserver, tcpublish) on 127.0.0.1.
//
// They are not part of `make test`: the reference is not a dependency of
// camchat. Build it yourself outside this repository, then run
//
//	RTMFP_CPP_BIN=/path/to/rtmfp-cpp/test go test -tags interop -v ./internal/rtmfp/interop
//
// Each test starts the programs it needs on free loopback ports and stops them.
package interop
