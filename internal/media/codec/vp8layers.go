package codec

// TemporalLayerID names a VP8 temporal layer. Layer 0 is the base layer: its
// frames reference only earlier base-layer frames, so a receiver given only
// layer 0 (at a fraction of the frame rate) still decodes cleanly. Layer n
// frames reference only layers below or equal to n.
type TemporalLayerID uint8

// MaxTemporalLayers is the largest number of temporal layers supported.
const MaxTemporalLayers = 3

// layerFrame is one slot of a temporal layering pattern: which layer the
// frame belongs to and which VP8 reference buffers it may read and refresh.
// The alt-ref buffer is never used.
type layerFrame struct {
	id        TemporalLayerID
	refGolden bool // may predict from golden as well as last
	updLast   bool
	updGolden bool
}

// layerPattern is a repeating temporal layering scheme (libvpx ts_* fields).
type layerPattern struct {
	frames     []layerFrame // one per slot, len = ts_periodicity
	decimators []uint32     // ts_rate_decimator per layer
	// shares is the cumulative fraction of the total bitrate spent on
	// layers 0..i, the split WebRTC uses (ts_target_bitrate is cumulative).
	shares []float64
}

// The patterns below keep every layer decodable without the layers above it:
//   - base frames (layer 0) read and refresh only "last", which no other
//     layer refreshes;
//   - layer 1 of three reads "last" and refreshes "golden";
//   - the top layer refreshes nothing, so every top-layer frame is droppable.
var layerPatterns = [MaxTemporalLayers + 1]layerPattern{
	1: {
		frames:     []layerFrame{{id: 0, refGolden: true, updLast: true}},
		decimators: []uint32{1},
		shares:     []float64{1},
	},
	2: {
		frames: []layerFrame{
			{id: 0, updLast: true},
			{id: 1},
		},
		decimators: []uint32{2, 1},
		shares:     []float64{0.6, 1},
	},
	3: {
		frames: []layerFrame{
			{id: 0, updLast: true},
			{id: 2, refGolden: true},
			{id: 1, updGolden: true},
			{id: 2, refGolden: true},
		},
		decimators: []uint32{4, 2, 1},
		shares:     []float64{0.4, 0.6, 1},
	},
}

// layerKbps splits a total bitrate into libvpx's cumulative per-layer
// targets in kbit/s, each strictly above the one below (libvpx rejects equal
// entries).
func (p *layerPattern) layerKbps(totalBps int) [MaxTemporalLayers]uint32 {
	var out [MaxTemporalLayers]uint32
	for i, s := range p.shares {
		k := uint32(float64(totalBps) * s / 1000)
		if i > 0 && k <= out[i-1] {
			k = out[i-1] + 1
		}
		out[i] = k
	}
	return out
}
