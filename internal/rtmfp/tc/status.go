package tc

import "fmt"

// Status levels of an info object.
const (
	LevelStatus  = "status"
	LevelWarning = "warning"
	LevelError   = "error"
)

// Status codes of NetConnection and NetStream info objects (Flash
// NetStatusEvent codes; the ones rtmfp-cpp's tcserver sends are marked).
const (
	CodeConnectSuccess       = "NetConnection.Connect.Success" // tcserver
	CodeConnectFailed        = "NetConnection.Connect.Failed"
	CodeConnectRejected      = "NetConnection.Connect.Rejected" // tcserver
	CodeConnectClosed        = "NetConnection.Connect.Closed"
	CodeConnectAppShutdown   = "NetConnection.Connect.AppShutdown"
	CodeConnectIdleTimeout   = "NetConnection.Connect.IdleTimeout"
	CodeConnectNetworkChange = "NetConnection.Connect.NetworkChange"
	CodeCallFailed           = "NetConnection.Call.Failed"          // tcserver
	CodeShutdownNotify       = "NetConnection.Shutdown.Notify"      // tcserver
	CodeAddressChangeNotify  = "NetConnection.AddressChange.Notify" // tcserver

	CodePlayStart            = "NetStream.Play.Start" // tcserver
	CodePlayReset            = "NetStream.Play.Reset" // tcserver
	CodePlayStop             = "NetStream.Play.Stop"
	CodePlayFailed           = "NetStream.Play.Failed"
	CodePlayStreamNotFound   = "NetStream.Play.StreamNotFound"
	CodePlayPublishNotify    = "NetStream.Play.PublishNotify"   // tcserver
	CodePlayUnpublishNotify  = "NetStream.Play.UnpublishNotify" // tcserver
	CodePlayInsufficientBW   = "NetStream.Play.InsufficientBW"
	CodePublishStart         = "NetStream.Publish.Start"   // tcserver
	CodePublishBadName       = "NetStream.Publish.BadName" // tcserver
	CodePublishIdle          = "NetStream.Publish.Idle"
	CodeUnpublishSuccess     = "NetStream.Unpublish.Success"
	CodeConnectStreamSuccess = "NetStream.Connect.Success" // direct peer streams
	CodeConnectStreamClosed  = "NetStream.Connect.Closed"
	CodeConnectStreamFailed  = "NetStream.Connect.Failed"
	CodeConnectStreamReject  = "NetStream.Connect.Rejected"
	CodePauseNotify          = "NetStream.Pause.Notify"
	CodeUnpauseNotify        = "NetStream.Unpause.Notify"
)

// Command names of answers.
const (
	CommandResult   = "_result"
	CommandError    = "_error"
	CommandOnStatus = "onStatus"
)

// StatusInfo is an info object, the argument of onStatus, of a failing
// _error and of connect's _result: level, code and description, then any
// other properties (detail, clientid, objectEncoding, connectionID, …) in
// order.
type StatusInfo struct {
	Level       string
	Code        string
	Description string
	Extra       Properties
}

// Object returns the info object: level, code, description (when not
// empty), then Extra.
func (s StatusInfo) Object() *Object {
	o := &Object{Properties: make(Properties, 0, 3+len(s.Extra))}
	o.Properties = append(o.Properties, Property{"level", s.Level}, Property{"code", s.Code})
	if s.Description != "" {
		o.Properties = append(o.Properties, Property{"description", s.Description})
	}
	o.Properties = append(o.Properties, s.Extra...)
	return o
}

// IsError reports whether the level is "error".
func (s StatusInfo) IsError() bool { return s.Level == LevelError }

// ParseStatusInfo reads an info object. Level and code must be strings;
// description is optional; every other property goes to Extra in order.
func ParseStatusInfo(v Value) (StatusInfo, error) {
	props, ok := objectProperties(v) // some servers answer with an ECMA array
	if !ok {
		return StatusInfo{}, fmt.Errorf("tc: info object is %s: %w", typeName(v), ErrBadCommand)
	}
	var s StatusInfo
	if s.Level, ok = props.String("level"); !ok {
		return StatusInfo{}, fmt.Errorf("tc: info object has no level string: %w", ErrBadCommand)
	}
	if s.Code, ok = props.String("code"); !ok {
		return StatusInfo{}, fmt.Errorf("tc: info object has no code string: %w", ErrBadCommand)
	}
	s.Description, _ = props.String("description")
	for _, p := range props {
		switch p.Key {
		case "level", "code":
			continue
		case "description":
			if _, ok := p.Value.(string); ok {
				continue
			}
		}
		s.Extra = append(s.Extra, p)
	}
	return s, nil
}

// OnStatus returns the onStatus command carrying info (transaction 0, null
// command object), as sent on the NetConnection or on a NetStream's flow.
func OnStatus(info StatusInfo) Command {
	return Command{Name: CommandOnStatus, Object: nil, Args: []Value{info.Object()}}
}

// Result returns the _result answer to transaction tid with the given
// arguments (createStream answers the stream ID, connect an info object).
func Result(tid float64, args ...Value) Command {
	return Command{Name: CommandResult, TransactionID: tid, Object: nil, Args: args}
}

// ErrorResult returns the _error answer to transaction tid with info.
func ErrorResult(tid float64, info StatusInfo) Command {
	return Command{Name: CommandError, TransactionID: tid, Object: nil, Args: []Value{info.Object()}}
}

// Status returns the info object of an onStatus, _result or _error command:
// its first argument (rtmfp-cpp safeFirstArg). A command with no argument
// whose command object is an object has its info object there instead:
// librtmfp writes onStatus without the null, as "onStatus", 0, {info}
// (RTMFP.cpp RTMFP::WriteInvocation with amf3 false, then
// RTMFP::WriteAMFState), and so does its publisher of a peer stream
// (P2PSession.cpp, NetStream.Play.Reset and Play.Start).
func (c Command) Status() (StatusInfo, error) {
	switch c.Name {
	case CommandOnStatus, CommandResult, CommandError:
	default:
		return StatusInfo{}, fmt.Errorf("tc: %q carries no info object: %w", c.Name, ErrBadCommand)
	}
	if len(c.Args) == 0 {
		if _, ok := objectProperties(c.Object); ok {
			return ParseStatusInfo(c.Object)
		}
	}
	return ParseStatusInfo(c.Arg(0))
}
