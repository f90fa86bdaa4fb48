package rtmfp

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// batchReader reads up to len(bufs) datagrams a system call with
// recvmmsg(2) on a UDP socket: as many as are queued, waiting only when
// none is. Nothing is allocated per datagram.
type batchReader struct {
	rc    syscall.RawConn
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6 // large enough for either family
	bufs  [][]byte
	zones map[uint32]string // interface names by index, for link-local sources
}

// newBatchReader returns a batch reader for conn, or nil if conn is not a
// UDP socket.
func newBatchReader(conn net.PacketConn, n int) *batchReader {
	uc, ok := conn.(*net.UDPConn)
	if !ok {
		return nil
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return nil
	}
	r := &batchReader{
		rc:    rc,
		hdrs:  make([]unix.Mmsghdr, n),
		iovs:  make([]unix.Iovec, n),
		names: make([]unix.RawSockaddrInet6, n),
		bufs:  make([][]byte, n),
	}
	for i := range r.bufs {
		r.bufs[i] = make([]byte, MaxDatagram+1)
	}
	return r
}

// read waits for datagrams and returns how many it read.
func (r *batchReader) read() (int, error) {
	for i := range r.hdrs {
		r.iovs[i].Base = &r.bufs[i][0]
		r.iovs[i].SetLen(len(r.bufs[i]))
		h := &r.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		h.Namelen = unix.SizeofSockaddrInet6
		h.Iov = &r.iovs[i]
		h.SetIovlen(1)
		h.Control, h.Controllen, h.Flags = nil, 0, 0
		r.hdrs[i].Len = 0
	}
	n, errno, err := mmsg(r.rc.Read, unix.SYS_RECVMMSG, r.hdrs)
	if err != nil {
		return 0, err
	}
	if errno != 0 {
		return 0, os.NewSyscallError("recvmmsg", errno)
	}
	return n, nil
}

// mmsg runs recvmmsg(2) or sendmmsg(2) (trap) on hdrs through the raw
// connection's Read or Write (wait), which parks the goroutine until the
// socket is ready, and returns how many messages it took and the call's
// error.
func mmsg(wait func(func(uintptr) bool) error, trap uintptr, hdrs []unix.Mmsghdr) (int, syscall.Errno, error) {
	var n int
	var errno syscall.Errno
	err := wait(func(fd uintptr) bool {
		for {
			r1, _, e := unix.Syscall6(trap, fd, uintptr(unsafe.Pointer(&hdrs[0])), uintptr(len(hdrs)), 0, 0, 0)
			switch e {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false // wait until ready
			}
			n, errno = int(r1), e
			return true
		}
	})
	return n, errno, err
}

// datagram returns the i-th datagram of the last read and its source.
func (r *batchReader) datagram(i int) ([]byte, netip.AddrPort) {
	b := r.bufs[i][:r.hdrs[i].Len]
	sa := &r.names[i]
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		p := (*[2]byte)(unsafe.Pointer(&sa4.Port))
		return b, netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), uint16(p[0])<<8|uint16(p[1]))
	case unix.AF_INET6:
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		a := netip.AddrFrom16(sa.Addr)
		if sa.Scope_id != 0 {
			a = a.WithZone(r.zone(sa.Scope_id))
		}
		return b, netip.AddrPortFrom(a, uint16(p[0])<<8|uint16(p[1]))
	}
	return b, netip.AddrPort{}
}

// zone returns the name of interface index i, as the net package names
// the zone of a link-local source.
func (r *batchReader) zone(i uint32) string {
	if z, ok := r.zones[i]; ok {
		return z
	}
	z := strconv.FormatUint(uint64(i), 10)
	if ifi, err := net.InterfaceByIndex(int(i)); err == nil {
		z = ifi.Name
	}
	if r.zones == nil {
		r.zones = make(map[uint32]string)
	}
	r.zones[i] = z
	return z
}

// batchWriter writes up to len(hdrs) datagrams a system call with
// sendmmsg(2).
type batchWriter struct {
	rc    syscall.RawConn
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6
}

// newBatchWriter returns a batch writer for conn, or nil if conn is not a
// UDP socket.
func newBatchWriter(conn net.PacketConn, n int) *batchWriter {
	uc, ok := conn.(*net.UDPConn)
	if !ok {
		return nil
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return nil
	}
	return &batchWriter{
		rc:    rc,
		hdrs:  make([]unix.Mmsghdr, n),
		iovs:  make([]unix.Iovec, n),
		names: make([]unix.RawSockaddrInet6, n),
	}
}

// write writes the datagrams of tx in order, as many a system call as fit.
// A datagram the kernel refuses (no route, an ICMP error pending) is
// skipped, as a lone write's error is ignored.
func (w *batchWriter) write(tx []txDatagram, v4 bool) {
	for len(tx) > 0 {
		if v4 && !tx[0].to.Addr().Unmap().Is4() {
			// An IPv6 destination (an invite's or a Redirect's) that an
			// IPv4 socket cannot reach: dropped, as the kernel would
			// refuse a lone write.
			tx = tx[1:]
			continue
		}
		n := 1
		for n < min(len(tx), len(w.hdrs)) && (!v4 || tx[n].to.Addr().Unmap().Is4()) {
			n++
		}
		for i := range n {
			d := &tx[i]
			w.iovs[i].Base = unsafe.SliceData(d.b)
			w.iovs[i].SetLen(len(d.b))
			h := &w.hdrs[i].Hdr
			h.Name = (*byte)(unsafe.Pointer(&w.names[i]))
			h.Namelen = putSockaddr(&w.names[i], d.to, v4)
			h.Iov = &w.iovs[i]
			h.SetIovlen(1)
			h.Control, h.Controllen, h.Flags = nil, 0, 0
		}
		sent, errno, err := mmsg(w.rc.Write, unix.SYS_SENDMMSG, w.hdrs[:n])
		if err != nil {
			return // the socket is closed
		}
		if errno != 0 || sent <= 0 {
			sent = 1 // the first datagram failed: skip it
		}
		tx = tx[sent:]
	}
}

// putSockaddr writes to into sa as the socket's family wants it (an IPv4
// socket takes sockaddr_in, an IPv6 one sockaddr_in6 with IPv4-mapped
// addresses) and returns its length.
func putSockaddr(sa *unix.RawSockaddrInet6, to netip.AddrPort, v4 bool) uint32 {
	port := to.Port()
	if v4 {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		*sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: to.Addr().Unmap().As4()}
		p := (*[2]byte)(unsafe.Pointer(&sa4.Port))
		p[0], p[1] = byte(port>>8), byte(port)
		return unix.SizeofSockaddrInet4
	}
	*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: to.Addr().As16()}
	if z := to.Addr().Zone(); z != "" {
		if ifi, err := net.InterfaceByName(z); err == nil {
			sa.Scope_id = uint32(ifi.Index)
		} else if i, err := strconv.ParseUint(z, 10, 32); err == nil {
			sa.Scope_id = uint32(i)
		}
	}
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	p[0], p[1] = byte(port>>8), byte(port)
	return unix.SizeofSockaddrInet6
}
