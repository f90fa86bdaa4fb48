package tc

import "fmt"

// NetStream command names. They travel on the NetStream's data flow as
// type-20 commands with transaction 0 and a null command object (RFC 7425
// §5.3; rtmfp-cpp src/TCConnection.cpp).
const (
	CommandPublish      = "publish"
	CommandPlay         = "play"
	CommandCloseStream  = "closeStream"
	CommandPause        = "pause"
	CommandReceiveAudio = "receiveAudio"
	CommandReceiveVideo = "receiveVideo"
)

// Data message handler names.
const (
	HandlerSampleAccess = "|RtmpSampleAccess"
	HandlerSetDataFrame = "@setDataFrame"
	HandlerOnMetaData   = "onMetaData"
)

// Publish types (the optional second argument of publish).
const (
	PublishLive   = "live"
	PublishRecord = "record"
	PublishAppend = "append"
)

// Publish is the publish command: a stream name and an optional type. An
// empty Name is "unpublish" (Flash's publish(null), sent as false); a
// received publish whose name is missing, not a string or empty is
// unpublish too (rtmfp-cpp tcserver).
type Publish struct {
	Name string
	Type string // PublishLive, …; omitted when empty
}

// Command returns the publish command.
func (p Publish) Command() Command {
	c := Command{Name: CommandPublish, Object: nil}
	if p.Name == "" {
		c.Args = []Value{false}
		return c
	}
	c.Args = []Value{p.Name}
	if p.Type != "" {
		c.Args = append(c.Args, p.Type)
	}
	return c
}

// ParsePublish reads a publish command.
func ParsePublish(cmd Command) (Publish, error) {
	if cmd.Name != CommandPublish {
		return Publish{}, fmt.Errorf("tc: %q is not publish: %w", cmd.Name, ErrBadCommand)
	}
	var p Publish
	p.Name, _ = cmd.Arg(0).(string)
	if p.Name != "" {
		p.Type, _ = cmd.Arg(1).(string)
	}
	return p, nil
}

// Play is the play command: a stream name and optional further arguments
// (start, duration, reset), passed through. An empty Name stops playing
// (Flash's play(false)); a received play whose name is missing, not a
// string or empty is a stop too.
//
// Between camchat peers the player sends only the name, exactly as
// librtmfp does (RFC 7425 §5.4): "play", 0.0, null, "<stream name>".
type Play struct {
	Name  string
	Extra []Value
}

// Command returns the play command.
func (p Play) Command() Command {
	c := Command{Name: CommandPlay, Object: nil}
	if p.Name == "" {
		c.Args = []Value{false}
		return c
	}
	c.Args = append([]Value{p.Name}, p.Extra...)
	return c
}

// ParsePlay reads a play command.
func ParsePlay(cmd Command) (Play, error) {
	if cmd.Name != CommandPlay {
		return Play{}, fmt.Errorf("tc: %q is not play: %w", cmd.Name, ErrBadCommand)
	}
	var p Play
	p.Name, _ = cmd.Arg(0).(string)
	if p.Name != "" && len(cmd.Args) > 1 {
		p.Extra = cmd.Args[1:]
	}
	return p, nil
}

// CloseStream returns the closeStream command.
func CloseStream() Command {
	return Command{Name: CommandCloseStream, Object: nil}
}

// Toggle returns a pause, receiveAudio or receiveVideo command with its
// boolean argument.
func Toggle(name string, on bool) Command {
	return Command{Name: name, Object: nil, Args: []Value{on}}
}

// ParseToggle returns the boolean argument of a pause, receiveAudio or
// receiveVideo command.
func ParseToggle(cmd Command) (bool, error) {
	switch cmd.Name {
	case CommandPause, CommandReceiveAudio, CommandReceiveVideo:
	default:
		return false, fmt.Errorf("tc: %q is not pause, receiveAudio or receiveVideo: %w", cmd.Name, ErrBadCommand)
	}
	on, ok := cmd.Arg(0).(bool)
	if !ok {
		return false, fmt.Errorf("tc: %q argument is %s: %w", cmd.Name, typeName(cmd.Arg(0)), ErrBadCommand)
	}
	return on, nil
}

// SampleAccess returns the |RtmpSampleAccess data message a publisher sends
// after NetStream.Play.Start (RFC 7425 §5.4), allowing the player to read the
// audio and video samples.
func SampleAccess(audio, video bool) DataMessage {
	return DataMessage{Handler: HandlerSampleAccess, Args: []Value{audio, video}}
}

// Send returns the data message of NetStream.send(handler, args…), the
// carrier of camchat's roster and chat.
func Send(handler string, args ...Value) DataMessage {
	return DataMessage{Handler: handler, Args: args}
}

// StreamStatus returns the onStatus command of a NetStream event (code
// CodePlayReset, CodePlayStart, CodePublishStart, …) with the stream name as
// detail when it is not empty, as tcserver and Flash publishers send it.
func StreamStatus(level, code, description, name string) Command {
	info := StatusInfo{Level: level, Code: code, Description: description}
	if name != "" {
		info.Extra = Properties{{"detail", name}}
	}
	return OnStatus(info)
}

// MetaData returns the onMetaData data message describing a published
// stream (width, height, framerate, audio and video codec IDs, …): the
// properties in an ECMA array, as Flash and FLV writers send them.
func MetaData(props Properties) DataMessage {
	return DataMessage{Handler: HandlerOnMetaData, Args: []Value{&ECMAArray{Properties: props}}}
}

// SetDataFrame returns the @setDataFrame data message with which a
// publisher asks a server to keep onMetaData for later players; the server
// forwards it to them as MetaData.
func SetDataFrame(props Properties) DataMessage {
	return DataMessage{Handler: HandlerSetDataFrame, Args: []Value{HandlerOnMetaData, &ECMAArray{Properties: props}}}
}
