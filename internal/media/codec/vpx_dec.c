#include <stdlib.h>
#include <string.h>

#include <vpx/vp8dx.h>

#include "vpx_glue.h"

struct camchat_vp8dec {
  vpx_codec_ctx_t codec;
  int codec_ready;
  uint8_t *in;  // C copy of the compressed frame being decoded
  size_t in_cap;
  camchat_vp8_picture out;
};

int camchat_vp8dec_open(unsigned int threads, camchat_vp8dec **out) {
  *out = NULL;
  camchat_vp8dec *d = calloc(1, sizeof(*d));
  if (d == NULL) return VPX_CODEC_MEM_ERROR;
  vpx_codec_dec_cfg_t cfg = {.threads = threads, .w = 0, .h = 0};
  vpx_codec_err_t err =
      vpx_codec_dec_init(&d->codec, vpx_codec_vp8_dx(), &cfg, 0);
  if (err != VPX_CODEC_OK) {
    free(d);
    return err;
  }
  d->codec_ready = 1;
  *out = d;
  return VPX_CODEC_OK;
}

int camchat_vp8dec_decode(camchat_vp8dec *d, const uint8_t *data, size_t size) {
  d->out.img = NULL;
  d->out.corrupted = 0;
  if (size > d->in_cap) {
    // Grow geometrically so a stream settles on one allocation.
    size_t cap = d->in_cap ? d->in_cap : 4096;
    while (cap < size) cap *= 2;
    uint8_t *in = realloc(d->in, cap);
    if (in == NULL) return VPX_CODEC_MEM_ERROR;
    d->in = in;
    d->in_cap = cap;
  }
  memcpy(d->in, data, size);
  vpx_codec_err_t err =
      vpx_codec_decode(&d->codec, d->in, (unsigned int)size, NULL, 0);
  if (err != VPX_CODEC_OK) return err;
  if (vpx_codec_control(&d->codec, VP8D_GET_FRAME_CORRUPTED,
                        &d->out.corrupted) != VPX_CODEC_OK) {
    d->out.corrupted = 1;
  }
  vpx_codec_iter_t iter = NULL;
  d->out.img = vpx_codec_get_frame(&d->codec, &iter);
  return VPX_CODEC_OK;
}

const camchat_vp8_picture *camchat_vp8dec_picture(camchat_vp8dec *d) {
  return &d->out;
}

const char *camchat_vp8dec_error(camchat_vp8dec *d) {
  const char *detail = vpx_codec_error_detail(&d->codec);
  return detail != NULL ? detail : vpx_codec_error(&d->codec);
}

void camchat_vp8dec_close(camchat_vp8dec *d) {
  if (d == NULL) return;
  if (d->codec_ready) vpx_codec_destroy(&d->codec);
  free(d->in);
  free(d);
}
