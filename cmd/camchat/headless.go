package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/signal"
	"slices"
	"sort"
	"sync"
	"syscall"
	"time"

	"camchat/internal/media/audio"
	"camchat/internal/media/synth"
	"camchat/internal/room"
	"camchat/internal/room/identity"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rtmfptest"
)

const headlessUsage = `camchat headless: a participant without a window, for tests, demos and bots.
It sends the moving test pattern and a tone with a click every 500 ms (or a
real camera and microphone), plays what it receives into a silent speaker,
and measures every other member's audio and video from their stamps.

Output (stdout): the first line is "peer-id: <hex>", the second "invite:
<invite>"; then one JSON object per line: {"type":"stats",...} once a second
for each other member, {"type":"event",...} for joins, departures, chat and
errors, and with -impair {"type":"link",...} once a second with the
simulated link's queue. Lines read from stdin are sent as chat messages.

Usage:
  camchat headless [flags]

Flags:
`

// headlessOptions are the parsed flags of the headless command.
type headlessOptions struct {
	rendezvous string
	join       string
	name       string
	duration   time.Duration
	camera     string
	mic        string
	speaker    string
	identity   string
	listen     string
	up, down   rtmfptest.Impairment
	seed       int64
	verbose    bool
	relay      room.RelayConfig
}

func parseHeadlessFlags(args []string, stderr io.Writer) (headlessOptions, error) {
	var o headlessOptions
	fs := flag.NewFlagSet("camchat headless", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, headlessUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.rendezvous, "rendezvous", "", "rendezvous server HOST:PORT through which others find this participant, or several comma-separated (the nodes of a cluster; default none: join with invites)")
	fs.StringVar(&o.join, "join", "", "peer ID or invite of someone to call; without it, wait to be called")
	fs.StringVar(&o.name, "name", "headless", "display name")
	fs.DurationVar(&o.duration, "duration", 0, "leave and exit after this long (0: run until interrupted)")
	fs.StringVar(&o.camera, "camera", room.Synthetic, "camera: synthetic (the test pattern) or a device path such as /dev/video0")
	fs.StringVar(&o.mic, "mic", room.Synthetic, "microphone: synthetic (tone and clicks), default, or a device ID")
	fs.StringVar(&o.speaker, "speaker", room.Synthetic, "speaker: synthetic (silent), default, or a device ID")
	fs.StringVar(&o.identity, "identity", "", "identity file (created if missing, mode 0600) so the peer ID survives restarts; default a new identity each run")
	fs.StringVar(&o.listen, "listen", "", "local UDP address (default any port)")
	fs.Var(&o.up, "impair", "simulate a bad uplink: delay=50ms,jitter=10ms,loss=3%,reorder=1%,rate=600k,queue=250ms")
	fs.Var(&o.down, "impair-down", "simulate a bad downlink (same form as -impair)")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the simulated impairments")
	fs.BoolVar(&o.verbose, "v", false, "log what the call does to stderr")
	fs.StringVar(&o.relay.Server, "relay", "", "TURN relay HOST:PORT for members no direct path reaches (default: the rendezvous server's relay, if it runs one)")
	fs.StringVar(&o.relay.Username, "relay-user", "", "user name on the -relay server")
	fs.StringVar(&o.relay.Password, "relay-password", "", "password on the -relay server")
	fs.BoolVar(&o.relay.Off, "no-relay", false, "never relay: only direct paths")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.join != "" {
		if err := room.ValidateTarget(o.join); err != nil {
			return o, fmt.Errorf("-join: %w", err)
		}
	}
	if o.duration < 0 {
		return o, errors.New("-duration must not be negative")
	}
	return o, nil
}

// runHeadless runs the headless participant; it returns the exit code.
func runHeadless(args []string, stdout, stderr io.Writer) int {
	o, err := parseHeadlessFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "camchat headless: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := headless(ctx, o, stdout, os.Stdin, stderr); err != nil {
		fmt.Fprintf(stderr, "camchat headless: %v\n", err)
		return 1
	}
	return 0
}

// headless runs one participant until ctx ends or o.duration passes.
func headless(ctx context.Context, o headlessOptions, stdout io.Writer, stdin io.Reader, stderr io.Writer) error {
	id, err := headlessIdentity(o.identity)
	if err != nil {
		return err
	}
	start := time.Now()
	out := &jsonOut{w: stdout}
	meter := newPlayoutMeter()
	cfg := room.Config{
		Identity:   id,
		Name:       o.name,
		Rendezvous: o.rendezvous,
		Listen:     o.listen,
		Relay:      o.relay,
		Devices:    room.Devices{Camera: o.camera, Microphone: o.mic, Speaker: o.speaker},
		OnFrame:    meter.frame,
		OnPlayout:  meter.audio,
		Logger:     slog.New(slog.DiscardHandler),
	}
	if o.verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if o.mic != room.Synthetic || o.speaker != room.Synthetic {
		actx, err := audio.NewContext(audio.ModeAuto)
		if err != nil {
			return fmt.Errorf("sound system: %w (use -mic synthetic -speaker synthetic)", err)
		}
		defer actx.Close()
		cfg.Audio = actx
	}
	var link *rtmfptest.ImpairedConn
	if !o.up.IsZero() || !o.down.IsZero() {
		addr := o.listen
		if addr == "" {
			addr = "0.0.0.0:0"
		}
		c, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", addr, err)
		}
		link = rtmfptest.ImpairConn(c, o.up, o.down, o.seed)
		cfg.Conn = link
	}
	r, err := room.New(cfg)
	if err != nil {
		return err
	}
	defer r.Close()
	fmt.Fprintf(stdout, "peer-id: %s\n", r.PeerID())
	fmt.Fprintf(stdout, "invite: %s\n", r.Snapshot().Invite)

	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	evCtx, stopEvents := context.WithCancel(ctx)
	defer stopEvents()
	wg.Add(2)
	go func() { defer wg.Done(); printEvents(evCtx, r, out, start) }()
	go func() { defer wg.Done(); readChat(evCtx, r, stdin, out) }()

	if o.join != "" {
		jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := r.Join(jctx, o.join)
		cancel()
		if err != nil {
			return fmt.Errorf("join: %w", err)
		}
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(ctx.Err(), context.Canceled) {
				return nil
			}
			return ctx.Err()
		case <-r.Done():
			return errors.New("the network socket failed")
		case now := <-t.C:
			for _, rep := range meter.reports(r.Snapshot(), now.Sub(start)) {
				out.write(rep)
			}
			if link != nil {
				out.write(linkLineOf(link, now.Sub(start)))
			}
		}
	}
}

func headlessIdentity(path string) (*flashcrypto.Identity, error) {
	if path == "" {
		return identity.NewIdentity()
	}
	id, _, err := identity.LoadOrCreate(path)
	return id, err
}

// jsonOut writes one JSON object per line, from several goroutines.
type jsonOut struct {
	mu sync.Mutex
	w  io.Writer
}

func (j *jsonOut) write(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.w.Write(append(b, '\n'))
}

// eventLine is an event on stdout.
type eventLine struct {
	Type   string  `json:"type"` // "event"
	T      float64 `json:"t"`    // seconds since start
	Event  string  `json:"event"`
	Peer   string  `json:"peer,omitempty"`
	Name   string  `json:"name,omitempty"`
	Reason string  `json:"reason,omitempty"`
	ChatID uint64  `json:"chat_id,omitempty"`
	From   string  `json:"from,omitempty"`
	Text   string  `json:"text"`
}

func printEvents(ctx context.Context, r *room.Room, out *jsonOut, start time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-r.Events():
			l := eventLine{Type: "event", T: ev.At.Sub(start).Seconds(), Event: ev.Kind.String(), Name: ev.Name, Reason: ev.Reason, Text: ev.Text}
			if !ev.Peer.IsZero() {
				l.Peer = ev.Peer.String()
			}
			if ev.Kind == room.EventChat || ev.Kind == room.EventChatDelivered {
				l.ChatID, l.From = ev.Chat.ID, ev.Chat.From.String()
				if ev.Kind == room.EventChat {
					l.Text = ev.Chat.Text
				}
			}
			out.write(l)
		}
	}
}

// readChat sends each line of stdin as a chat message.
func readChat(ctx context.Context, r *room.Room, stdin io.Reader, out *jsonOut) {
	if stdin == nil {
		return
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case l := <-lines:
			if _, err := r.SendChat(l); err != nil {
				out.write(eventLine{Type: "event", Event: "error", Text: err.Error()})
			}
		}
	}
}

// playoutMeter measures each member's audio and video as they are played:
// the synthetic microphone clicks at every 500 ms boundary of the clock and
// the test pattern stamps each frame with its capture time, so the delay
// from capture to playout is read from the media alone (on one machine, or
// machines with synchronised clocks).
type playoutMeter struct {
	mu    sync.Mutex
	peers map[flashcrypto.PeerID]*peerMeter
}

type peerMeter struct {
	sinceClick int // samples since the last click heard
	audioDelay []time.Duration
	videoDelay []time.Duration
	lastFrame  uint32
	frames     uint64 // stamped frames read
	skipped    uint64 // stamped frame numbers never shown
}

func newPlayoutMeter() *playoutMeter {
	return &playoutMeter{peers: map[flashcrypto.PeerID]*peerMeter{}}
}

const clickEvery = 500 * time.Millisecond

func (p *playoutMeter) peer(id flashcrypto.PeerID) *peerMeter {
	pm := p.peers[id]
	if pm == nil {
		pm = &peerMeter{sinceClick: math.MaxInt32}
		p.peers[id] = pm
	}
	return pm
}

// audio is room.Config.OnPlayout: it finds the clicks in each member's
// audio as it is played.
func (p *playoutMeter) audio(peer flashcrypto.PeerID, frame []int16, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pm := p.peer(peer)
	minGap := int(synth.SampleRate * 4 / 10) // clicks are 500 ms apart
	for i, s := range frame {
		pm.sinceClick++
		if (s > synth.ClickThreshold || s < -synth.ClickThreshold) && pm.sinceClick > minGap {
			pm.sinceClick = 0
			heard := at.Add(time.Duration(i) * time.Second / synth.SampleRate)
			pm.audioDelay = append(pm.audioDelay, synth.ClickDelay(heard, time.Unix(0, 0), clickEvery))
		}
	}
}

// frame is room.Config.OnFrame: it reads the stamp of each remote picture.
func (p *playoutMeter) frame(f room.VideoFrame) {
	if f.Local {
		return
	}
	n, ts, ok := synth.ReadStamp(f.Image)
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !ok {
		return
	}
	pm := p.peer(f.Peer)
	if pm.frames > 0 && n > pm.lastFrame {
		pm.skipped += uint64(n - pm.lastFrame - 1)
	}
	pm.lastFrame = n
	pm.frames++
	pm.videoDelay = append(pm.videoDelay, synth.StampAge(now, time.Unix(0, 0), ts))
}

// statsLine is one member's figures over the last second.
type statsLine struct {
	Type           string    `json:"type"` // "stats"
	T              float64   `json:"t"`    // seconds since start
	Peer           string    `json:"peer"`
	Name           string    `json:"name"`
	State          string    `json:"state"`
	Path           string    `json:"path"`          // "direct" or "relayed"
	Via            string    `json:"via,omitempty"` // the relay: "relay <server>", or the member forwarding
	Addr           string    `json:"addr"`
	RTTMs          float64   `json:"rtt_ms"`
	Loss           float64   `json:"loss"`
	SendKbps       int       `json:"send_kbps"`
	RecvKbps       int       `json:"recv_kbps"`
	TargetKbps     int       `json:"target_kbps"`
	LayersSent     int       `json:"layers_sent"`
	AudioPlayed    uint64    `json:"audio_played"` // totals since the member joined
	AudioFEC       uint64    `json:"audio_fec"`
	AudioConcealed uint64    `json:"audio_concealed"`
	AudioLost      uint64    `json:"audio_lost"`
	AudioLate      uint64    `json:"audio_late"`         // came after their turn to play
	AudioDropped   uint64    `json:"audio_dropped"`      // dropped to bring the delay down
	AudioDelayP50  float64   `json:"audio_delay_p50_ms"` // capture to playout, over the last second
	AudioDelayP99  float64   `json:"audio_delay_p99_ms"`
	AudioDelays    []float64 `json:"audio_delays_ms"` // every click measured in the last second
	JitterMs       float64   `json:"jitter_buffer_ms"`
	VideoShown     uint64    `json:"video_shown"`
	VideoFPS       float64   `json:"video_fps"`
	VideoLayer     int       `json:"video_layer"`
	VideoDelayP50  float64   `json:"video_delay_p50_ms"`
	VideoDelays    []float64 `json:"video_delays_ms"` // every stamped frame shown in the last second
	VideoSkipped   uint64    `json:"video_skipped"`   // stamped frames never shown, since the member joined
	Verification   string    `json:"verification"`
}

// reports turns a snapshot into one line per member and starts the next
// measurement interval.
func (p *playoutMeter) reports(s room.Snapshot, since time.Duration) []statsLine {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []statsLine
	for _, m := range s.Members {
		if m.State == room.StateLeft {
			continue
		}
		pm := p.peer(m.PeerID)
		l := statsLine{
			Type: "stats", T: math.Round(since.Seconds()*10) / 10,
			Peer: m.PeerID.String(), Name: m.Name, State: m.State.String(),
			Path: "direct", Addr: m.Addr.String(),
			RTTMs: ms(m.SmoothedRTT), Loss: m.Loss,
			SendKbps: m.SendBitrate / 1000, RecvKbps: m.RecvBitrate / 1000, TargetKbps: m.TargetBitrate / 1000,
			LayersSent:  m.VideoLayersSent,
			AudioPlayed: m.AudioPlayed, AudioFEC: m.AudioFEC, AudioConcealed: m.AudioConcealed, AudioLost: m.AudioLost,
			AudioLate: m.AudioLate, AudioDropped: m.AudioDropped,
			JitterMs:   ms(m.AudioDelay),
			VideoShown: m.VideoShown, VideoFPS: math.Round(m.VideoFPS*10) / 10, VideoLayer: m.VideoLayer,
			VideoSkipped: pm.skipped,
			Verification: m.Verification.Status.State.String(),
		}
		if m.Relayed {
			l.Path, l.Via = "relayed", m.Via
		}
		l.AudioDelayP50, l.AudioDelayP99 = percentileMs(pm.audioDelay, 50), percentileMs(pm.audioDelay, 99)
		l.VideoDelayP50 = percentileMs(pm.videoDelay, 50)
		l.AudioDelays, l.VideoDelays = msList(pm.audioDelay), msList(pm.videoDelay)
		pm.audioDelay, pm.videoDelay = pm.audioDelay[:0], pm.videoDelay[:0]
		out = append(out, l)
	}
	return out
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e5) / 10 }

func msList(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = ms(d)
	}
	return out
}

// linkLine is the simulated link's state (-impair).
type linkLine struct {
	Type        string  `json:"type"` // "link"
	T           float64 `json:"t"`
	UpQueueP50  float64 `json:"up_queue_p50_ms"` // the uplink's standing queue over the run
	UpQueueP95  float64 `json:"up_queue_p95_ms"`
	UpQueueMax  float64 `json:"up_queue_max_ms"`
	UpKbps      float64 `json:"up_kbps"` // average since start
	UpLost      uint64  `json:"up_lost"`
	UpQueueFull uint64  `json:"up_queue_full"`
}

func linkLineOf(c *rtmfptest.ImpairedConn, since time.Duration) linkLine {
	up, _ := c.Stats()
	return linkLine{Type: "link", T: math.Round(since.Seconds()*10) / 10,
		UpQueueP50: ms(up.QueueDelay.P50), UpQueueP95: ms(up.QueueDelay.P95), UpQueueMax: ms(up.QueueDelay.Max),
		UpKbps: math.Round(float64(up.BytesOut*8)/since.Seconds()) / 1000, UpLost: up.Lost, UpQueueFull: up.QueueFull}
}

func percentileMs(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return ms(s[max(0, min(i, len(s)-1))])
}
