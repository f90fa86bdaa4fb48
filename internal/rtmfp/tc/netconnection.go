package tc

import (
	"fmt"
	"math"
	"net/url"
	"strings"
)

// NetConnection command names (RFC 7425 §5.3; rtmfp-cpp test/tcserver.cpp).
const (
	CommandConnect      = "connect"
	CommandSetPeerInfo  = "setPeerInfo"
	CommandCreateStream = "createStream"
	CommandDeleteStream = "deleteStream"
)

// ConnectTransactionID is the transaction ID of connect: it must be the
// first transaction of a NetConnection (rtmfp-cpp TCConnection::connect).
const ConnectTransactionID = 1

// capsEx bits of connect (Enhanced RTMP).
const (
	CapsExReconnect     = 0x01
	CapsExMultitrack    = 0x02
	CapsExModEx         = 0x04
	CapsExTimestampNano = 0x08
)

// FourCC info map flags (Enhanced RTMP videoFourCcInfoMap and
// audioFourCcInfoMap values).
const (
	FourCCCanDecode  = 0x01
	FourCCCanEncode  = 0x02
	FourCCCanForward = 0x04
)

// Connect holds the command object and arguments of connect. The builder
// writes, in this order: app, flashVer, swfUrl, tcUrl, fpad, capabilities,
// audioCodecs, videoCodecs, videoFunction, pageUrl, objectEncoding, capsEx,
// fourCcList, videoFourCcInfoMap, audioFourCcInfoMap, then Extra; strings
// and FourCC lists only when not empty, fpad only when true, numbers only
// when not zero, except objectEncoding which is always written (camchat
// speaks AMF0, objectEncoding 0).
type Connect struct {
	App            string
	FlashVer       string // e.g. "WIN 20,0,0,286" as librtmfp sends
	SWFURL         string
	TCURL          string // e.g. "rtmfp://host:1935/app"
	PageURL        string
	FPAD           bool // proxy in use
	Capabilities   float64
	AudioCodecs    float64 // legacy bit mask; 0xffff is "any" for rtmfp-cpp
	VideoCodecs    float64
	VideoFunction  float64
	ObjectEncoding float64
	CapsEx         float64 // CapsEx* bits

	FourCCList         []string   // e.g. "Opus", "vp08", or "*"
	VideoFourCCInfoMap Properties // FourCC or "*" → FourCC* flags
	AudioFourCCInfoMap Properties

	// Extra holds other command object properties, in order; ParseConnect
	// also puts known keys whose value has the wrong type here.
	Extra Properties
	// Args are the arguments after the command object (auth tokens, …).
	Args []Value
}

// NewConnect returns the connect parameters for tcURL
// ("rtmfp://host:port/app?query"): TCURL set to it and App to its path
// without the leading "/", followed by its query (as rtmfp-cpp's
// TCConnection::connect derives them).
func NewConnect(tcURL string) (Connect, error) {
	u, err := url.Parse(tcURL)
	if err != nil {
		return Connect{}, fmt.Errorf("tc: connect URL: %w", err)
	}
	app := strings.TrimPrefix(u.EscapedPath(), "/")
	if u.RawQuery != "" || u.ForceQuery {
		app += "?" + u.RawQuery
	}
	return Connect{App: app, TCURL: tcURL}, nil
}

// Command returns the connect command, transaction ID 1.
func (c Connect) Command() Command {
	o := &Object{}
	p := &o.Properties
	str := func(k, v string) {
		if v != "" {
			*p = append(*p, Property{k, v})
		}
	}
	num := func(k string, v float64) {
		if v != 0 {
			*p = append(*p, Property{k, v})
		}
	}
	str("app", c.App)
	str("flashVer", c.FlashVer)
	str("swfUrl", c.SWFURL)
	str("tcUrl", c.TCURL)
	if c.FPAD {
		*p = append(*p, Property{"fpad", true})
	}
	num("capabilities", c.Capabilities)
	num("audioCodecs", c.AudioCodecs)
	num("videoCodecs", c.VideoCodecs)
	num("videoFunction", c.VideoFunction)
	str("pageUrl", c.PageURL)
	*p = append(*p, Property{"objectEncoding", c.ObjectEncoding})
	num("capsEx", c.CapsEx)
	if c.FourCCList != nil {
		l := make([]Value, len(c.FourCCList))
		for i, s := range c.FourCCList {
			l[i] = s
		}
		*p = append(*p, Property{"fourCcList", l})
	}
	if c.VideoFourCCInfoMap != nil {
		*p = append(*p, Property{"videoFourCcInfoMap", &Object{Properties: c.VideoFourCCInfoMap}})
	}
	if c.AudioFourCCInfoMap != nil {
		*p = append(*p, Property{"audioFourCcInfoMap", &Object{Properties: c.AudioFourCCInfoMap}})
	}
	*p = append(*p, c.Extra...)
	return Command{Name: CommandConnect, TransactionID: ConnectTransactionID, Object: o, Args: c.Args}
}

// ParseConnect reads a connect command. The command object must be an
// object (or an ECMA array); known keys with values of the wrong type are
// kept in Extra rather than refused, as Flash-era servers do.
func ParseConnect(cmd Command) (Connect, error) {
	if cmd.Name != CommandConnect {
		return Connect{}, fmt.Errorf("tc: %q is not connect: %w", cmd.Name, ErrBadCommand)
	}
	props, ok := objectProperties(cmd.Object)
	if !ok {
		return Connect{}, fmt.Errorf("tc: connect command object is %s: %w", typeName(cmd.Object), ErrBadCommand)
	}
	c := Connect{Args: cmd.Args}
	for _, p := range props {
		if !c.setKnown(p) {
			c.Extra = append(c.Extra, p)
		}
	}
	return c, nil
}

// setKnown stores p in its field and reports whether it was a known key
// with a value of the right type. Later duplicates win, as in a map.
func (c *Connect) setKnown(p Property) bool {
	var str *string
	var num *float64
	switch p.Key {
	case "app":
		str = &c.App
	case "flashVer":
		str = &c.FlashVer
	case "swfUrl":
		str = &c.SWFURL
	case "tcUrl":
		str = &c.TCURL
	case "pageUrl":
		str = &c.PageURL
	case "capabilities":
		num = &c.Capabilities
	case "audioCodecs":
		num = &c.AudioCodecs
	case "videoCodecs":
		num = &c.VideoCodecs
	case "videoFunction":
		num = &c.VideoFunction
	case "objectEncoding":
		num = &c.ObjectEncoding
	case "capsEx":
		num = &c.CapsEx
	}
	if str != nil {
		s, ok := p.Value.(string)
		if ok {
			*str = s
		}
		return ok
	}
	if num != nil {
		f, ok := p.Value.(float64)
		if ok {
			*num = f
		}
		return ok
	}
	switch p.Key {
	case "fpad":
		b, ok := p.Value.(bool)
		if ok {
			c.FPAD = b
		}
		return ok
	case "fourCcList":
		l, ok := p.Value.([]Value)
		if !ok {
			return false
		}
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, ok := e.(string)
			if !ok {
				return false
			}
			out = append(out, s)
		}
		c.FourCCList = out
		return true
	case "videoFourCcInfoMap", "audioFourCcInfoMap":
		props, ok := objectProperties(p.Value)
		if !ok {
			return false
		}
		if props == nil {
			props = Properties{}
		}
		if p.Key == "videoFourCcInfoMap" {
			c.VideoFourCCInfoMap = props
		} else {
			c.AudioFourCCInfoMap = props
		}
		return true
	}
	return false
}

// ConnectSuccess returns the _result answer to connect with a
// NetConnection.Connect.Success info object (objectEncoding 0 and extra
// properties such as connectionID after description).
func ConnectSuccess(description string, extra ...Property) Command {
	info := StatusInfo{Level: LevelStatus, Code: CodeConnectSuccess, Description: description,
		Extra: append(Properties{{"objectEncoding", 0.0}}, extra...)}
	return Result(ConnectTransactionID, info.Object())
}

// ConnectRejected returns the _error answer to connect with a
// NetConnection.Connect.Rejected info object.
func ConnectRejected(description string) Command {
	return ErrorResult(ConnectTransactionID, StatusInfo{Level: LevelError, Code: CodeConnectRejected, Description: description})
}

// SetPeerInfo returns the setPeerInfo command registering the local
// addresses ("ip:port", "[ipv6]:port") for introductions, in rtmfp-cpp's
// form: transaction 0, a null command object, one string per address.
func SetPeerInfo(addrs ...string) Command {
	args := make([]Value, len(addrs))
	for i, a := range addrs {
		args[i] = a
	}
	return Command{Name: CommandSetPeerInfo, Object: nil, Args: args}
}

// ParseSetPeerInfo returns the addresses of a setPeerInfo command. Both
// forms are accepted: with the null command object (rtmfp-cpp) and without
// it, the first address in the command object's place (librtmfp, RFC 7425
// §5.4). Values that are not strings are skipped, as tcserver does.
func ParseSetPeerInfo(cmd Command) ([]string, error) {
	if cmd.Name != CommandSetPeerInfo {
		return nil, fmt.Errorf("tc: %q is not setPeerInfo: %w", cmd.Name, ErrBadCommand)
	}
	var addrs []string
	if s, ok := cmd.Object.(string); ok {
		addrs = append(addrs, s)
	}
	for _, a := range cmd.Args {
		if s, ok := a.(string); ok {
			addrs = append(addrs, s)
		}
	}
	return addrs, nil
}

// CreateStream returns the createStream command for transaction tid.
func CreateStream(tid float64) Command {
	return Command{Name: CommandCreateStream, TransactionID: tid, Object: nil}
}

// CreateStreamResult returns the _result answer to createStream tid.
func CreateStreamResult(tid float64, id StreamID) Command {
	return Result(tid, float64(id))
}

// ParseCreateStreamResult returns the stream ID of a _result answer to
// createStream. It must be a whole number in 1..2^32−1 (rtmfp-cpp
// TCConnection::createStream).
func ParseCreateStreamResult(cmd Command) (StreamID, error) {
	if cmd.Name != CommandResult {
		return 0, fmt.Errorf("tc: createStream answered %q: %w", cmd.Name, ErrBadCommand)
	}
	return streamIDArg(cmd, 0)
}

// DeleteStream returns the deleteStream command for stream id
// (transaction 0, null command object, the ID as a number).
func DeleteStream(id StreamID) Command {
	return Command{Name: CommandDeleteStream, Object: nil, Args: []Value{float64(id)}}
}

// ParseDeleteStream returns the stream ID of a deleteStream command.
func ParseDeleteStream(cmd Command) (StreamID, error) {
	if cmd.Name != CommandDeleteStream {
		return 0, fmt.Errorf("tc: %q is not deleteStream: %w", cmd.Name, ErrBadCommand)
	}
	return streamIDArg(cmd, 0)
}

func streamIDArg(cmd Command, i int) (StreamID, error) {
	f, ok := cmd.Arg(i).(float64)
	if !ok {
		return 0, fmt.Errorf("tc: %q stream ID is %s: %w", cmd.Name, typeName(cmd.Arg(i)), ErrBadCommand)
	}
	if !(f >= 1 && f <= math.MaxUint32) || f != math.Trunc(f) {
		return 0, fmt.Errorf("tc: %q stream ID %v: %w", cmd.Name, f, ErrBadCommand)
	}
	return StreamID(f), nil
}
