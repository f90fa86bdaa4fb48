package rendezvous

import (
	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/tc"
)

// flowsPerStream bounds the flows of one NetStream served at once: data,
// audio and video (RFC 7425 §5.3).
const flowsPerStream = 3

// maxStreamFlows bounds the NetStream flows of one client served at once.
const maxStreamFlows = flowsPerStream * MaxStreams

// serveStreams takes the NetStream flows a client opens in return to our
// control flow (RFC 7425 §5.3; rtmfp-cpp src/TCConnection.cpp) after createStream. This server relays no
// media: a Flash client publishing for DIRECT_CONNECTIONS still tells the
// server, which answers publish with NetStream.Publish.Start (as tcserver
// does) and play with NetStream.Play.Failed; peers then stream to each
// other directly (RFC 7425 §5.4). Media sent to us is read and dropped.
func (s *Server) serveStreams(p *peer, ret controlFlow) {
	defer s.wg.Done()
	for {
		rf, err := ret.AcceptReturn(s.ctx)
		if err != nil {
			return
		}
		md, _, err := tc.ParseFlowMetadata(rf.Metadata())
		if err != nil || !p.takeStreamFlow(md.StreamID) {
			s.ctr.drop(DropStreamFlow)
			rf.Reject(0)
			continue
		}
		s.wg.Add(1)
		go s.serveStreamFlow(p, rf, md.StreamID)
	}
}

// takeStreamFlow counts a flow of stream id about to be served, if id is a
// stream the client created (as tcserver only serves the streams it
// created) and neither it nor the client is at its bound of flows: a flow
// for any other ID is refused, so a client cannot make the server serve
// flows without end.
func (p *peer) takeStreamFlow(id tc.StreamID) bool {
	p.streamsMu.Lock()
	defer p.streamsMu.Unlock()
	n, ok := p.streams[id]
	if !ok || n >= flowsPerStream || p.streamRun.Load() >= maxStreamFlows {
		return false
	}
	p.streams[id] = n + 1
	p.streamRun.Add(1)
	return true
}

// endStreamFlow undoes takeStreamFlow when the flow ends.
func (p *peer) endStreamFlow(id tc.StreamID) {
	p.streamsMu.Lock()
	defer p.streamsMu.Unlock()
	if n, ok := p.streams[id]; ok && n > 0 {
		p.streams[id] = n - 1
	}
	p.streamRun.Add(-1)
}

// serveStreamFlow reads one NetStream flow until it ends, answering its
// commands on a flow of that stream associated to the client's control flow
// (RFC 7425 §5.3, rtmfp-cpp src/TCConnection.cpp: the server's NetStream flows return to the client's
// stream-0 flow).
func (s *Server) serveStreamFlow(p *peer, rf *rtmfp.RecvFlow, id tc.StreamID) {
	defer s.wg.Done()
	defer p.endStreamFlow(id)
	var out *rtmfp.SendFlow
	status := func(level, code, desc, name string) error {
		if out == nil {
			var err error
			if out, err = p.ctl.OpenReturnFlow(tc.FlowMetadata{StreamID: id}.Append(nil), flow.PriorityImmediate); err != nil {
				return err
			}
		}
		b, err := tc.StreamStatus(level, code, desc, name).AppendMessage(nil, 0)
		if err != nil {
			return err
		}
		_, err = out.Write(b, rtmfp.WriteOptions{})
		return err
	}
	defer func() {
		if out != nil {
			out.Close()
		}
	}()
	for {
		b, err := rf.Read(s.ctx)
		if err != nil {
			return
		}
		m, err := tc.ParseMessage(b)
		if err != nil || (m.Type != tc.TypeCommand && m.Type != tc.TypeCommandEx) {
			continue // media and data are not relayed
		}
		cmd, err := tc.ParseCommandMessage(m, tc.DefaultLimits)
		if err != nil {
			s.ctr.drop(DropBadCommand)
			continue
		}
		switch cmd.Name {
		case "publish":
			pub, err := tc.ParsePublish(cmd)
			if err != nil || pub.Name == "" {
				continue // unpublish needs no answer
			}
			err = status("status", tc.CodePublishStart, "Publishing "+pub.Name+".", pub.Name)
			s.cfg.Logger.Debug("publish", "peer_id", p.id.String(), "stream", pub.Name)
			if err != nil {
				return
			}
		case "play":
			pl, err := tc.ParsePlay(cmd)
			if err != nil || pl.Name == "" {
				continue
			}
			if status("error", tc.CodePlayFailed, "This server relays no streams: play from the publisher directly.", pl.Name) != nil {
				return
			}
		}
	}
}
