// C side of the VP8 wrapper. Every object here is allocated with malloc and
// owned by exactly one Go VP8Encoder or VP8Decoder, which frees it in Close.
// No function keeps a Go pointer after it returns: input planes and
// compressed frames are copied into C-owned buffers first.
#ifndef CAMCHAT_VPX_GLUE_H
#define CAMCHAT_VPX_GLUE_H

#include <stddef.h>
#include <stdint.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

typedef struct {
  unsigned int width, height;
  unsigned int fps;
  unsigned int kbps;
  int speed;                 // VP8E_SET_CPUUSED
  unsigned int threads;
  unsigned int drop_thresh;  // rc_dropframe_thresh, 0 never drops
  unsigned int layers;       // ts_number_layers, 1..3
  unsigned int periodicity;  // ts_periodicity
  unsigned int layer_ids[16];
  unsigned int decimators[5];
  unsigned int layer_kbps[5];  // cumulative, as libvpx wants
  unsigned int max_intra_pct;
} camchat_vp8enc_params;

typedef struct camchat_vp8enc camchat_vp8enc;

// camchat_vp8enc_open returns VPX_CODEC_OK and sets *out, or an error code.
int camchat_vp8enc_open(const camchat_vp8enc_params *p, camchat_vp8enc **out);
// camchat_vp8enc_set_rate changes the target bitrate in place
// (vpx_codec_enc_config_set); it does not force a keyframe.
int camchat_vp8enc_set_rate(camchat_vp8enc *e, unsigned int kbps,
                            const unsigned int *layer_kbps);
// camchat_vp8enc_encode copies the planes into the encoder's own image and
// encodes it with the realtime deadline. layer < 0 leaves the layer unset.
int camchat_vp8enc_encode(camchat_vp8enc *e, const uint8_t *y, int y_stride,
                          const uint8_t *u, const uint8_t *v, int uv_stride,
                          int64_t pts, long flags, int layer);
// camchat_vp8_packet describes one compressed frame held by libvpx.
typedef struct {
  const uint8_t *buf;
  size_t size;
  unsigned int flags;  // VPX_FRAME_IS_*
} camchat_vp8_packet;

// camchat_vp8enc_next returns the next compressed frame of the last encode
// call, or NULL when there is none. The descriptor and the data it points to
// belong to the encoder and stay valid until the next encode.
const camchat_vp8_packet *camchat_vp8enc_next(camchat_vp8enc *e);
const char *camchat_vp8enc_error(camchat_vp8enc *e);
void camchat_vp8enc_close(camchat_vp8enc *e);

typedef struct camchat_vp8dec camchat_vp8dec;

int camchat_vp8dec_open(unsigned int threads, camchat_vp8dec **out);
// camchat_vp8_picture is the result of a decode, owned by the decoder and
// valid until the next decode.
typedef struct {
  const vpx_image_t *img;  // shown image, or NULL
  int corrupted;           // VP8D_GET_FRAME_CORRUPTED
} camchat_vp8_picture;

// camchat_vp8dec_decode copies data into a C buffer and decodes it. On
// VPX_CODEC_OK the result is in *camchat_vp8dec_picture(d).
int camchat_vp8dec_decode(camchat_vp8dec *d, const uint8_t *data, size_t size);
const camchat_vp8_picture *camchat_vp8dec_picture(camchat_vp8dec *d);
const char *camchat_vp8dec_error(camchat_vp8dec *d);
void camchat_vp8dec_close(camchat_vp8dec *d);

#endif
