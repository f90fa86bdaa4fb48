package room

// Temporary bridges to transport APIs that are being added; replaced as
// they land.

import (
	"time"

	"camchat/internal/media/pipeline"
	"camchat/internal/media/playout"
	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/tc"
)

func setVideoLayers(p *tc.Publisher, id flashcrypto.PeerID, n int) {}

func audioExt(msg tc.StreamMessage) (playout.SeqNum, bool, bool) { return 0, false, false }

func videoExt(msg tc.StreamMessage, p *pipeline.VideoPacket) bool { return false }

func arrived(msg tc.StreamMessage, now func() time.Time) time.Time { return now() }

func epDone(ep *rtmfp.Endpoint) <-chan struct{} { return nil }

func epErr(ep *rtmfp.Endpoint) error { return nil }

func latestRTT(st rtmfp.SessionStats) time.Duration { return st.SRTT }
