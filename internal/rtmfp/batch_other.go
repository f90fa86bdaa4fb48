//go:build !linux

package rtmfp

import (
	"net"
	"net/netip"
)

// batchReader reads several datagrams a system call where the platform
// allows it (batch_linux.go); elsewhere the reader reads one at a time.
type batchReader struct{}

func newBatchReader(net.PacketConn, int) *batchReader { return nil }

func (*batchReader) read() (int, error) { return 0, nil }

func (*batchReader) datagram(int) ([]byte, netip.AddrPort) { return nil, netip.AddrPort{} }

type batchWriter struct{}

func newBatchWriter(net.PacketConn, int) *batchWriter { return nil }

func (*batchWriter) write([]txDatagram, bool) {}
