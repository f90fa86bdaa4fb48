package tc

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"camchat/internal/rtmfp"
)

// DefaultPeerStreamID is the stream ID a player puts in the metadata of its
// play flow to a peer: the one librtmfp uses (RFC 7425 §5.4). Between peers
// there is no createStream; the ID only has to be the same on the
// publisher's answering flows.
const DefaultPeerStreamID StreamID = 2000001

// PlayConfig configures PlayPeer.
type PlayConfig struct {
	// StreamID goes in the play flow's TC metadata (0: DefaultPeerStreamID).
	StreamID StreamID
	// Limits bound the AMF0 decoding of received messages.
	Limits Limits
}

// PlayPeer plays the stream called name directly from the peer at the far
// end of s (RFC 7425 §5.4): it opens an unassociated flow
// with TC metadata for the stream ID, priority 5, and sends "play", 0,
// null, name. The publisher answers on return flows of that flow: data
// (StreamBegin, NetStream.Play.Reset, Play.Start, |RtmpSampleAccess, or
// NetStream.Play.Failed when it refuses), audio (from the Opus sequence
// start) and video (from the VP8 sequence start), all read with Read.
//
// The stream ends (Read returns io.EOF after the queued messages) when the
// publisher has ended every flow it opened, or with the session's error
// when the session ends. Close ends the play flow, which tells the
// publisher that this subscriber left. A goroutine accepts the
// publisher's flows and one reads each; Close waits for them.
func PlayPeer(s *rtmfp.Session, name string, cfg PlayConfig) (*NetStream, error) {
	id := cfg.StreamID
	if id == 0 {
		id = DefaultPeerStreamID
	}
	msg, err := Play{Name: name}.Command().AppendMessage(nil, 0)
	if err != nil {
		return nil, err
	}
	f, err := s.OpenFlow(FlowMetadata{StreamID: id}.Append(nil), PriorityControl)
	if err != nil {
		return nil, fmt.Errorf("tc: play %q: %w", name, err)
	}
	if _, err := f.Write(msg, rtmfp.WriteOptions{}); err != nil {
		f.Close()
		return nil, fmt.Errorf("tc: play %q: %w", name, err)
	}
	wg := &sync.WaitGroup{}
	st := &NetStream{id: id, rx: newStreamReceiver(context.Background(), id, cfg.Limits, wg), wait: wg.Wait}
	// The play flow is the stream's data flow: further commands
	// (closeStream, receiveAudio, …) go on it. There is no media to send.
	st.tx = &mediaSender{id: id, data: f}
	st.rx.endWhenIdle = true
	wg.Add(1)
	go acceptPlayReturns(f, st)
	return st, nil
}

// acceptPlayReturns hands the publisher's flows for the stream to the
// stream's receiver until the stream or the session ends.
func acceptPlayReturns(f *rtmfp.SendFlow, st *NetStream) {
	defer st.rx.wg.Done()
	for {
		rf, err := f.AcceptReturn(st.rx.ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return
			}
			st.rx.endIfIdle(err)
			return
		}
		md, _, err := ParseFlowMetadata(rf.Metadata())
		if err != nil || md.StreamID != st.id {
			rf.Reject(0)
			continue
		}
		st.rx.add(rf, md)
	}
}
