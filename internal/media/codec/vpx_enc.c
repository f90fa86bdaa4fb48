#include <stdlib.h>
#include <string.h>

#include <vpx/vp8cx.h>

#include "vpx_glue.h"

struct camchat_vp8enc {
  vpx_codec_ctx_t codec;
  vpx_codec_enc_cfg_t cfg;
  vpx_image_t *img;
  vpx_codec_iter_t iter;
  camchat_vp8_packet out;
  int codec_ready;
};

static void set_layer_rates(vpx_codec_enc_cfg_t *cfg, unsigned int kbps,
                            const unsigned int *layer_kbps) {
  cfg->rc_target_bitrate = kbps;
  if (cfg->ts_number_layers > 1) {
    for (unsigned int i = 0; i < cfg->ts_number_layers; i++) {
      cfg->ts_target_bitrate[i] = layer_kbps[i];
    }
  }
}

int camchat_vp8enc_open(const camchat_vp8enc_params *p, camchat_vp8enc **out) {
  *out = NULL;
  camchat_vp8enc *e = calloc(1, sizeof(*e));
  if (e == NULL) return VPX_CODEC_MEM_ERROR;

  vpx_codec_err_t err =
      vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &e->cfg, 0);
  if (err != VPX_CODEC_OK) goto fail;

  vpx_codec_enc_cfg_t *cfg = &e->cfg;
  cfg->g_w = p->width;
  cfg->g_h = p->height;
  cfg->g_timebase.num = 1;
  cfg->g_timebase.den = (int)p->fps;
  cfg->g_threads = p->threads;
  cfg->g_lag_in_frames = 0;
  cfg->g_pass = VPX_RC_ONE_PASS;
  cfg->g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
  cfg->rc_end_usage = VPX_CBR;
  cfg->rc_dropframe_thresh = p->drop_thresh;
  cfg->rc_resize_allowed = 0;
  cfg->rc_min_quantizer = 2;
  cfg->rc_max_quantizer = 56;
  cfg->rc_undershoot_pct = 100;
  cfg->rc_overshoot_pct = 15;
  cfg->rc_buf_initial_sz = 500;
  cfg->rc_buf_optimal_sz = 600;
  cfg->rc_buf_sz = 1000;
  // Keyframes are scheduled by the Go side so that they always fall on the
  // base temporal layer.
  cfg->kf_mode = VPX_KF_DISABLED;
  cfg->ts_number_layers = p->layers;
  if (p->layers > 1) {
    cfg->ts_periodicity = p->periodicity;
    for (unsigned int i = 0; i < p->periodicity && i < 16; i++) {
      cfg->ts_layer_id[i] = p->layer_ids[i];
    }
    for (unsigned int i = 0; i < p->layers; i++) {
      cfg->ts_rate_decimator[i] = p->decimators[i];
    }
  }
  set_layer_rates(cfg, p->kbps, p->layer_kbps);

  err = vpx_codec_enc_init(&e->codec, vpx_codec_vp8_cx(), cfg, 0);
  if (err != VPX_CODEC_OK) goto fail;
  e->codec_ready = 1;

  if ((err = vpx_codec_control(&e->codec, VP8E_SET_CPUUSED, p->speed)) ||
      (err = vpx_codec_control(&e->codec, VP8E_SET_NOISE_SENSITIVITY, 0u)) ||
      (err = vpx_codec_control(&e->codec, VP8E_SET_STATIC_THRESHOLD, 1u)) ||
      (err = vpx_codec_control(&e->codec, VP8E_SET_TOKEN_PARTITIONS,
                               (int)VP8_ONE_TOKENPARTITION)) ||
      (err = vpx_codec_control(&e->codec, VP8E_SET_MAX_INTRA_BITRATE_PCT,
                               p->max_intra_pct))) {
    goto fail;
  }

  e->img = vpx_img_alloc(NULL, VPX_IMG_FMT_I420, p->width, p->height, 16);
  if (e->img == NULL) {
    err = VPX_CODEC_MEM_ERROR;
    goto fail;
  }
  *out = e;
  return VPX_CODEC_OK;

fail:
  camchat_vp8enc_close(e);
  return err;
}

int camchat_vp8enc_set_rate(camchat_vp8enc *e, unsigned int kbps,
                            const unsigned int *layer_kbps) {
  set_layer_rates(&e->cfg, kbps, layer_kbps);
  return vpx_codec_enc_config_set(&e->codec, &e->cfg);
}

static void copy_plane(uint8_t *dst, int dst_stride, const uint8_t *src,
                       int src_stride, unsigned int w, unsigned int h) {
  for (unsigned int r = 0; r < h; r++) {
    memcpy(dst + (size_t)r * dst_stride, src + (size_t)r * src_stride, w);
  }
}

int camchat_vp8enc_encode(camchat_vp8enc *e, const uint8_t *y, int y_stride,
                          const uint8_t *u, const uint8_t *v, int uv_stride,
                          int64_t pts, long flags, int layer) {
  vpx_image_t *img = e->img;
  unsigned int cw = (img->d_w + 1) >> 1, ch = (img->d_h + 1) >> 1;
  copy_plane(img->planes[VPX_PLANE_Y], img->stride[VPX_PLANE_Y], y, y_stride,
             img->d_w, img->d_h);
  copy_plane(img->planes[VPX_PLANE_U], img->stride[VPX_PLANE_U], u, uv_stride,
             cw, ch);
  copy_plane(img->planes[VPX_PLANE_V], img->stride[VPX_PLANE_V], v, uv_stride,
             cw, ch);
  if (layer >= 0 && e->cfg.ts_number_layers > 1) {
    vpx_codec_err_t err =
        vpx_codec_control(&e->codec, VP8E_SET_TEMPORAL_LAYER_ID, layer);
    if (err != VPX_CODEC_OK) return err;
  }
  e->iter = NULL;
  return vpx_codec_encode(&e->codec, img, pts, 1, flags, VPX_DL_REALTIME);
}

const camchat_vp8_packet *camchat_vp8enc_next(camchat_vp8enc *e) {
  const vpx_codec_cx_pkt_t *pkt;
  while ((pkt = vpx_codec_get_cx_data(&e->codec, &e->iter)) != NULL) {
    if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
    e->out.buf = pkt->data.frame.buf;
    e->out.size = pkt->data.frame.sz;
    e->out.flags = pkt->data.frame.flags;
    return &e->out;
  }
  return NULL;
}

const char *camchat_vp8enc_error(camchat_vp8enc *e) {
  const char *detail = vpx_codec_error_detail(&e->codec);
  return detail != NULL ? detail : vpx_codec_error(&e->codec);
}

void camchat_vp8enc_close(camchat_vp8enc *e) {
  if (e == NULL) return;
  if (e->codec_ready) vpx_codec_destroy(&e->codec);
  if (e->img != NULL) vpx_img_free(e->img);
  free(e);
}
