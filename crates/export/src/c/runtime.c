/* ---- hark runtime (crates/export/src/c/runtime.c): front end and layer kernels. ----
 * The generated part above defines the HARK_* sizes, the tables (hark_hann, hark_tw_quarter,
 * hark_mel_*) and the layer constants; hark_run_network() below it calls the
 * kernels. Everything is static: no malloc; libm (log10f, log10, expf, sqrt, sqrtf, powf,
 * roundf) and memset/memmove only. Needs a 32-bit int. Mirrors hark-features' StreamingExtractor
 * (frames as soon as their samples arrive, full windows only) and the plan engine
 * (BatchNorm folded into the convolutions). */

#if INT_MAX < 2147483647
#error "hark_model.c needs a 32-bit int"
#endif

/* Convolution geometry, as hark-kernels' Conv2d. */
typedef struct {
  int in_c, out_c, in_h, in_w, out_h, out_w, kh, kw, sh, sw, pad_top, pad_left, groups;
} hark_conv_geom;

/* Pooling geometry (stride = kernel, remainder dropped), as hark-kernels' MaxPool2d. */
typedef struct {
  int c, in_h, in_w, out_h, out_w, kh, kw;
} hark_pool_geom;

#if defined(HARK_USE_CONV) || defined(HARK_USE_QCONV)
/* Smallest output index o >= 0 with o * stride >= a. */
static int hark_first_valid(int a, int stride) { return a <= 0 ? 0 : (a + stride - 1) / stride; }

/* Largest output index o < n with o * stride <= a (-1 when none). */
static int hark_last_valid(int a, int stride, int n) {
  const int o = a < 0 ? -1 : a / stride;
  return o < n - 1 ? o : n - 1;
}
#endif

#ifdef HARK_USE_CONV
/* Weight-stationary loop order: each weight sweeps the output rows it touches, so the
 * inner loop is a plain multiply-add with no bounds checks. Every output still sums its
 * terms in the order (input channel, ky, kx), starting from the bias. */
static void hark_conv2d(const hark_conv_geom *g, const float *w, const float *b, const float *in,
                        float *out) {
  const int icg = g->in_c / g->groups, ocg = g->out_c / g->groups;
  const int plane_out = g->out_h * g->out_w, plane_in = g->in_h * g->in_w;
  int o, ci, ky, kx, y, x;
  for (o = 0; o < g->out_c; o++) {
    float *dst = out + (long)o * plane_out;
    const int first_in = (o / ocg) * icg;
    for (y = 0; y < plane_out; y++) {
      dst[y] = b[o];
    }
    for (ci = 0; ci < icg; ci++) {
      const float *plane = in + (long)(first_in + ci) * plane_in;
      const float *wk = w + ((long)o * icg + ci) * g->kh * g->kw;
      for (ky = 0; ky < g->kh; ky++) {
        const int y0 = hark_first_valid(g->pad_top - ky, g->sh);
        const int y1 = hark_last_valid(g->in_h - 1 + g->pad_top - ky, g->sh, g->out_h);
        for (kx = 0; kx < g->kw; kx++) {
          const float wv = wk[ky * g->kw + kx];
          const int x0 = hark_first_valid(g->pad_left - kx, g->sw);
          const int x1 = hark_last_valid(g->in_w - 1 + g->pad_left - kx, g->sw, g->out_w);
          for (y = y0; y <= y1; y++) {
            /* A pointer to a valid row; the column index is >= 0 for x >= x0. */
            const float *row = plane + (long)(y * g->sh + ky - g->pad_top) * g->in_w;
            float *d = dst + (long)y * g->out_w;
            for (x = x0; x <= x1; x++) {
              d[x] += wv * row[x * g->sw + kx - g->pad_left];
            }
          }
        }
      }
    }
  }
}
#endif

#ifdef HARK_USE_POOL
static void hark_maxpool(const hark_pool_geom *p, const float *in, float *out) {
  int c, y, x, ky, kx;
  for (c = 0; c < p->c; c++) {
    for (y = 0; y < p->out_h; y++) {
      for (x = 0; x < p->out_w; x++) {
        float m = -INFINITY;
        for (ky = 0; ky < p->kh; ky++) {
          for (kx = 0; kx < p->kw; kx++) {
            const float v = in[((long)c * p->in_h + y * p->kh + ky) * p->in_w + x * p->kw + kx];
            m = v > m ? v : m;
          }
        }
        out[((long)c * p->out_h + y) * p->out_w + x] = m;
      }
    }
  }
}
#endif

#ifdef HARK_USE_RELU
static void hark_relu(float *x, int n) {
  int i;
  for (i = 0; i < n; i++) {
    x[i] = x[i] > 0.0f ? x[i] : 0.0f;
  }
}
#endif

#ifdef HARK_USE_AFFINE
/* x[c][...] = x * scale[c] + shift[c] over `per` values per channel. */
static void hark_affine(float *x, const float *scale, const float *shift, int c, int per) {
  int i, j;
  for (i = 0; i < c; i++) {
    for (j = 0; j < per; j++) {
      x[i * per + j] = x[i * per + j] * scale[i] + shift[i];
    }
  }
}
#endif

#ifdef HARK_USE_BAND_STATS
/* x [n_mels][frames] -> out = n_mels means, then n_mels population standard deviations
 * (two passes, in double as hark-kernels' band_stats_into). */
static void hark_band_stats(const float *x, int n_mels, int frames, float *out) {
  int b, t;
  for (b = 0; b < n_mels; b++) {
    const float *row = x + (long)b * frames;
    double m = 0.0, v = 0.0;
    for (t = 0; t < frames; t++) {
      m += row[t];
    }
    m /= frames;
    for (t = 0; t < frames; t++) {
      v += (row[t] - m) * (row[t] - m);
    }
    out[b] = (float)m;
    out[n_mels + b] = (float)sqrt(v / frames);
  }
}
#endif

#ifdef HARK_USE_DENSE
/* y = x W + b with W stored [in][out]. */
static void hark_dense(const float *w, const float *b, int n_in, int n_out, const float *x,
                       float *y) {
  int i, o;
  for (o = 0; o < n_out; o++) {
    y[o] = b[o];
  }
  for (i = 0; i < n_in; i++) {
    const float xi = x[i];
    const float *row = w + (long)i * n_out;
    for (o = 0; o < n_out; o++) {
      y[o] += xi * row[o];
    }
  }
}
#endif

/* ---- int8 kernels (TFLite's int8 scheme, as hark-export's int8 module) ----
 * real = scale * (q - zero_point); weights per output channel with zero point 0; int32
 * accumulators from the bias; each output rescaled by multiplier / 2^shift, rounding half
 * up, then clamped to [lo, 127] (lo = the zero point for a fused ReLU). */

#if defined(HARK_USE_QCONV) || defined(HARK_USE_QDENSE)
#if (-1 >> 1) != -1
#error "the int8 kernels need >> of a negative integer to be an arithmetic shift"
#endif
/* zero_point + round(acc * mult / 2^shift), halves up, clamped to [lo, 127]. Negative
 * values shift arithmetically (floor), as gcc, clang and the Arm compilers define it (the
 * #error above asks the preprocessor, whose arithmetic follows the compiler's there). */
static int8_t hark_requantize(int32_t acc, int32_t mult, int shift, int zero_point, int lo) {
  const int64_t p = (int64_t)acc * mult + ((int64_t)1 << (shift - 1));
  /* floor(p / 2^shift). With shift >= 32 (factors below 1/2, nearly all) it is the high
   * word shifted on: 32-bit work where a 64-bit variable shift would take a dozen
   * instructions on a 32-bit core. */
  int64_t r = shift >= 32 ? (int64_t)((int32_t)(p >> 32) >> (shift - 32)) : p >> shift;
  r += zero_point;
  r = r < lo ? lo : r;
  return (int8_t)(r > 127 ? 127 : r);
}
#endif

#ifdef HARK_INT8
/* The network's input window as int8: round(x / scale) + zero_point, saturated. */
static void hark_quantize_input(const float *x, int n, float scale, int zero_point, int8_t *q) {
  int i;
  for (i = 0; i < n; i++) {
    float v = roundf(x[i] / scale) + (float)zero_point;
    v = v == v ? v : 0.0f; /* NaN -> 0, as the reference */
    v = v < -128.0f ? -128.0f : v;
    q[i] = (int8_t)(v > 127.0f ? 127.0f : v);
  }
}
#endif

#ifdef HARK_USE_QCONV
static int32_t hark_qacc[HARK_QACC_LEN]; /* one output row's accumulators */

/* One output row at a time into a row of int32 accumulators, then the row is requantised.
 * With a pooling geometry `p` (else NULL) each requantised row goes straight into its
 * max-pooled row, so the convolution's full output is never stored (and the rows pooling
 * drops are not computed). */
static void hark_qconv2d(const hark_conv_geom *g, const hark_pool_geom *p, const int8_t *w,
                         const int32_t *bias, const int32_t *mult, const int8_t *shift, int in_zp,
                         int out_zp, int lo, const int8_t *in, int8_t *out) {
  const int icg = g->in_c / g->groups, ocg = g->out_c / g->groups, taps = icg * g->kh * g->kw;
  const int plane_in = g->in_h * g->in_w;
  const int ph = p ? p->kh : 1, pw = p ? p->kw : 1;
  const int out_h = p ? p->out_h : g->out_h, out_w = p ? p->out_w : g->out_w;
  const int sw = g->sw;
  int o, y, x, ci, ky, kx, xa, xb;
  if (g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pad_top == 0 &&
      g->pad_left == 0 && g->out_h == g->in_h && g->out_w == g->in_w && g->groups == 1 && !p) {
    /* Pointwise (1x1): one accumulator per output value, the input's zero point folded
     * into its start value once, so the inner loop is one multiply-add per weight. */
    for (o = 0; o < g->out_c; o++) {
      const int8_t *wo = w + (long)o * g->in_c;
      int32_t base = bias[o];
      for (ci = 0; ci < g->in_c; ci++) {
        base -= (int32_t)wo[ci] * in_zp;
      }
      for (x = 0; x < plane_in; x++) {
        const int8_t *src = in + x;
        int8_t *dst = out + (long)o * plane_in + x;
        if (x + 3 < plane_in) {
          /* Four neighbouring pixels at once: each weight loaded once for four. */
          int32_t a0 = base, a1 = base, a2 = base, a3 = base;
          for (ci = 0; ci < g->in_c; ci++) {
            const int8_t *c = src + (long)ci * plane_in;
            const int32_t wv = wo[ci];
            a0 += wv * c[0];
            a1 += wv * c[1];
            a2 += wv * c[2];
            a3 += wv * c[3];
          }
          dst[0] = hark_requantize(a0, mult[o], shift[o], out_zp, lo);
          dst[1] = hark_requantize(a1, mult[o], shift[o], out_zp, lo);
          dst[2] = hark_requantize(a2, mult[o], shift[o], out_zp, lo);
          dst[3] = hark_requantize(a3, mult[o], shift[o], out_zp, lo);
          x += 3;
        } else {
          int32_t acc = base;
          for (ci = 0; ci < g->in_c; ci++) {
            acc += (int32_t)wo[ci] * src[(long)ci * plane_in];
          }
          dst[0] = hark_requantize(acc, mult[o], shift[o], out_zp, lo);
        }
      }
    }
    return;
  }
  /* Output columns whose kernel lies wholly inside the input rows: xa..xb. */
  xa = hark_first_valid(g->pad_left, g->sw);
  xb = hark_last_valid(g->in_w - g->kw + g->pad_left, g->sw, g->out_w);
  for (o = 0; o < g->out_c; o++) {
    const int8_t *wo = w + (long)o * taps;
    const int8_t *first = in + (long)((o / ocg) * icg) * plane_in;
    int8_t *dst = out + (long)o * out_h * out_w;
    for (y = 0; y < out_h * ph; y++) {
      int8_t *d = dst + (long)(y / ph) * out_w;
      const int iy0 = y * g->sh - g->pad_top;
      const int ky0 = iy0 < 0 ? -iy0 : 0;
      const int ky1 = g->in_h - iy0 < g->kh ? g->in_h - iy0 : g->kh;
      for (x = 0; x < g->out_w; x++) {
        const int ix0 = x * g->sw - g->pad_left;
        if (x >= xa && x + 3 <= xb) {
          /* Four neighbouring outputs at once, in registers: each weight is loaded once
           * for four multiply-adds; the zero point is taken off once, through the sum of
           * the weights used. */
          int32_t a0 = bias[o], a1 = a0, a2 = a0, a3 = a0, wsum = 0;
          for (ci = 0; ci < icg; ci++) {
            const int8_t *plane = first + (long)ci * plane_in;
            const int8_t *wk = wo + ci * g->kh * g->kw;
            for (ky = ky0; ky < ky1; ky++) {
              const int8_t *r = plane + (long)(iy0 + ky) * g->in_w + ix0;
              const int8_t *wr = wk + ky * g->kw;
              for (kx = 0; kx < g->kw; kx++) {
                const int32_t wv = wr[kx];
                wsum += wv;
                a0 += wv * r[kx];
                a1 += wv * r[kx + sw];
                a2 += wv * r[kx + 2 * sw];
                a3 += wv * r[kx + 3 * sw];
              }
            }
          }
          wsum *= in_zp;
          hark_qacc[x] = a0 - wsum;
          hark_qacc[x + 1] = a1 - wsum;
          hark_qacc[x + 2] = a2 - wsum;
          hark_qacc[x + 3] = a3 - wsum;
          x += 3;
        } else {
          /* A border column: only the taps inside the input. */
          const int kx0 = ix0 < 0 ? -ix0 : 0;
          const int kx1 = g->in_w - ix0 < g->kw ? g->in_w - ix0 : g->kw;
          int32_t acc = bias[o];
          for (ci = 0; ci < icg; ci++) {
            const int8_t *plane = first + (long)ci * plane_in;
            const int8_t *wk = wo + ci * g->kh * g->kw;
            for (ky = ky0; ky < ky1; ky++) {
              const int8_t *r = plane + (long)(iy0 + ky) * g->in_w;
              const int8_t *wr = wk + ky * g->kw;
              for (kx = kx0; kx < kx1; kx++) {
                acc += (int32_t)wr[kx] * ((int32_t)r[ix0 + kx] - in_zp);
              }
            }
          }
          hark_qacc[x] = acc;
        }
      }
      if (y % ph == 0) {
        for (x = 0; x < out_w; x++) {
          d[x] = -128;
        }
      }
      for (x = 0; x < out_w * pw; x++) {
        const int8_t v = hark_requantize(hark_qacc[x], mult[o], shift[o], out_zp, lo);
        d[x / pw] = v > d[x / pw] ? v : d[x / pw];
      }
    }
  }
}
#endif

#if defined(HARK_USE_QDENSE) || defined(HARK_USE_QLOGITS)
/* Output o's accumulator of a dense layer with weights stored [out][in]. */
static int32_t hark_qdot(const int8_t *row, int32_t bias, int in_zp, const int8_t *x, int n) {
  int i;
  int32_t acc = bias;
  for (i = 0; i < n; i++) {
    acc += (int32_t)row[i] * ((int32_t)x[i] - in_zp);
  }
  return acc;
}
#endif

#ifdef HARK_USE_QDENSE
static void hark_qdense(const int8_t *w, const int32_t *bias, const int32_t *mult,
                        const int8_t *shift, int in_zp, int out_zp, int lo, int n_in, int n_out,
                        const int8_t *x, int8_t *y) {
  int o;
  for (o = 0; o < n_out; o++) {
    const int32_t acc = hark_qdot(w + (long)o * n_in, bias[o], in_zp, x, n_in);
    y[o] = hark_requantize(acc, mult[o], shift[o], out_zp, lo);
  }
}
#endif

#ifdef HARK_USE_QLOGITS
/* The last layer: float logits = accumulator * scale[o]. */
static void hark_qlogits(const int8_t *w, const int32_t *bias, const float *scale, int in_zp,
                         int n_in, int n_out, const int8_t *x, float *logits) {
  int o;
  for (o = 0; o < n_out; o++) {
    logits[o] = (float)hark_qdot(w + (long)o * n_in, bias[o], in_zp, x, n_in) * scale[o];
  }
}
#endif

/* ---- front end ---- */

/* Window value i (0 <= i < HARK_N_FFT); a symmetric window is stored up to its middle. */
#ifdef HARK_HANN_HALF
#define HARK_HANN(i) ((i) <= HARK_N_FFT / 2 ? hark_hann[(i)] : hark_hann[HARK_N_FFT - (i)])
#else
#define HARK_HANN(i) hark_hann[(i)]
#endif
/* Twiddles: hark_tw_quarter[j] = cos(2 pi j / HARK_N_FFT) for 0 <= j <= HARK_Q. For
 * 0 <= k <= HARK_N_FFT / 2, cos(2 pi k / N) is q[k] up to HARK_Q and -q[2 HARK_Q - k] after,
 * sin(2 pi k / N) is q[HARK_Q - k] up to HARK_Q and q[k - HARK_Q] after. */
#define HARK_Q (HARK_N_FFT / 4)

static float hark_samples[HARK_N_FFT];          /* the next frame's samples */
static int hark_fill;                           /* how many of them have arrived */
static float hark_re[HARK_N_FFT / 2], hark_im[HARK_N_FFT / 2];
static float hark_spec[HARK_N_FFT / 2 + 1];     /* |X|^power per bin */
static float hark_frames_db[HARK_WINDOW_FRAMES][HARK_N_MELS]; /* ring of the last frames */
static float hark_energy[HARK_WINDOW_FRAMES];
static uint32_t hark_next_frame;
static float hark_peak_dbfs;
static float hark_input[HARK_N_MELS * HARK_WINDOW_FRAMES]; /* [n_mels][window_frames] */
static float hark_logits_buf[HARK_N_CLASSES], hark_probs_buf[HARK_N_CLASSES];
static hark_decision hark_last;
static int hark_pending;

static void hark_run_network(const float *input, float *logits);
#ifdef HARK_NETWORK_HOOK
void HARK_NETWORK_HOOK(int end);
#endif

/* In-place radix-2 complex FFT of HARK_N_FFT / 2 points; twiddles e^{-2 pi i k / n_fft}. */
/* One radix-2 butterfly on re[0], im[0] and re[half], im[half], twiddle c - i s. */
static inline void hark_butterfly(float *re, float *im, int half, float c, float s) {
  const float xr = re[half], xi = im[half];
  const float tr = xr * c + xi * s, ti = xi * c - xr * s;
  re[half] = re[0] - tr;
  im[half] = im[0] - ti;
  re[0] += tr;
  im[0] += ti;
}

static void hark_fft(float *re, float *im) {
  const int m = HARK_N_FFT / 2;
  int i, j = 0, len, k;
  for (i = 1; i < m; i++) {
    int bit = m >> 1;
    for (; j & bit; bit >>= 1) {
      j ^= bit;
    }
    j ^= bit;
    if (i < j) {
      float t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (len = 2; len <= m; len <<= 1) {
    const int half = len >> 1, step = HARK_N_FFT / len;
    /* Twiddle k * step reads the quarter wave directly up to HARK_Q, mirrored after it:
     * two loops, so no butterfly tests which. */
    const int kq = HARK_Q / step < half ? HARK_Q / step + 1 : half;
    for (i = 0; i < m; i += len) {
      for (k = 0; k < kq; k++) {
        hark_butterfly(re + i + k, im + i + k, half, hark_tw_quarter[k * step],
                       hark_tw_quarter[HARK_Q - k * step]);
      }
      for (; k < half; k++) {
        hark_butterfly(re + i + k, im + i + k, half, -hark_tw_quarter[2 * HARK_Q - k * step],
                       hark_tw_quarter[k * step - HARK_Q]);
      }
    }
  }
}

/* Bin k of the real FFT from the complex FFT of even/odd samples, with the twiddle
 * cos / sin of 2 pi k / HARK_N_FFT, raised to the spectrum's power. */
static inline void hark_bin(int k, float c, float s) {
  const int m = HARK_N_FFT / 2, a = k % m, r = (m - k) % m;
  const float ar = hark_re[a], ai = hark_im[a], br = hark_re[r], bi = hark_im[r];
  const float er = 0.5f * (ar + br), ei = 0.5f * (ai - bi);
  const float orr = 0.5f * (ai + bi), oi = -0.5f * (ar - br);
  const float xr = er + c * orr + s * oi, xi = ei + c * oi - s * orr;
  float v = xr * xr + xi * xi;
  HARK_APPLY_POWER(v);
  hark_spec[k] = v;
}

/* One frame: window, real FFT (two reals per complex point, then split), |X|^power, mel,
 * dB (reference 1, floor amin). Returns the frame's mean energy sum((w x)^2) / sum(w^2). */
static float hark_frame(const float *x, float *db) {
  const int m = HARK_N_FFT / 2;
  /* Energy in eight lanes (sample i into lane i % 8), combined as hark-features combines
   * them, so that the silence gates decide alike. */
  float lane[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}, energy;
  int k, b;
  for (k = 0; k < m; k++) {
    hark_re[k] = x[2 * k] * HARK_HANN(2 * k);
    hark_im[k] = x[2 * k + 1] * HARK_HANN(2 * k + 1);
    lane[(2 * k) & 7] += hark_re[k] * hark_re[k];
    lane[(2 * k + 1) & 7] += hark_im[k] * hark_im[k];
  }
  energy = ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
  hark_fft(hark_re, hark_im);
  /* The quarter-wave twiddles without a branch per bin: bins up to HARK_Q, then the rest. */
  for (k = 0; k <= HARK_Q; k++) {
    hark_bin(k, hark_tw_quarter[k], hark_tw_quarter[HARK_Q - k]);
  }
  for (; k <= m; k++) {
    hark_bin(k, -hark_tw_quarter[2 * HARK_Q - k], hark_tw_quarter[k - HARK_Q]);
  }
  for (b = 0; b < HARK_N_MELS; b++) {
    const float *w = hark_mel_weights + hark_mel_offset[b];
    const float *s = hark_spec + hark_mel_start[b];
    const int n = hark_mel_offset[b + 1] - hark_mel_offset[b];
    float sum = 0.0f;
    for (k = 0; k < n; k++) {
      sum += w[k] * s[k];
    }
    db[b] = 10.0f * log10f(sum > HARK_AMIN ? sum : HARK_AMIN);
  }
  return (float)((double)energy / HARK_WINDOW_ENERGY);
}

/* The window of frames start .. start + window_frames - 1: top_db clip, silence gates,
 * per-window normalisation, then the network (skipped for silent windows). */
static void hark_window_done(uint32_t start) {
  const int w = HARK_WINDOW_FRAMES, n = HARK_N_MELS * HARK_WINDOW_FRAMES;
  float mx = -INFINITY;
  double ms = 0.0, mean = 0.0, var = 0.0;
  int j, b, i, best = 0, silent;
  float energy_dbfs;
  for (j = 0; j < w; j++) {
    const int slot = (int)((start + (uint32_t)j) % (uint32_t)w);
    for (b = 0; b < HARK_N_MELS; b++) {
      const float v = hark_frames_db[slot][b];
      hark_input[b * w + j] = v;
    }
    ms += (double)hark_energy[slot];
  }
  for (i = 0; i < n; i++) {
    mx = hark_input[i] > mx ? hark_input[i] : mx;
  }
#ifdef HARK_TOP_DB
  for (i = 0; i < n; i++) {
    hark_input[i] = hark_input[i] > mx - HARK_TOP_DB ? hark_input[i] : mx - HARK_TOP_DB;
  }
#endif
  ms /= (double)w;
  energy_dbfs = (float)(10.0 * log10((ms > 1e-30 ? ms : 1e-30) / 0.5));
  hark_peak_dbfs = energy_dbfs > hark_peak_dbfs ? energy_dbfs : hark_peak_dbfs;
  silent = HARK_IS_SILENT(energy_dbfs, hark_peak_dbfs);
  hark_last.start_frame = start;
  hark_last.energy_dbfs = energy_dbfs;
  hark_last.silent = silent;
  hark_last.logits = hark_logits_buf;
  hark_last.probabilities = hark_probs_buf;
  if (silent) {
    for (i = 0; i < n; i++) {
      hark_input[i] = 0.0f;
    }
    for (i = 0; i < HARK_N_CLASSES; i++) {
      hark_logits_buf[i] = 0.0f;
      hark_probs_buf[i] = 0.0f;
    }
    hark_last.class_index = HARK_SILENT;
    hark_last.confidence = 0.0f;
    hark_pending = 1;
    return;
  }
#if HARK_NORMALIZATION == 1 /* mean-std */
  for (i = 0; i < n; i++) {
    mean += (double)hark_input[i];
  }
  mean /= (double)n;
  for (i = 0; i < n; i++) {
    const double d = (double)hark_input[i] - mean;
    var += d * d;
  }
  var = sqrt(var / (double)n);
  for (i = 0; i < n; i++) {
    hark_input[i] = var <= 1e-6 ? 0.0f : (float)(((double)hark_input[i] - mean) / var);
  }
#elif HARK_NORMALIZATION == 2 /* max */
  for (i = 0; i < n; i++) {
    hark_input[i] -= mx;
  }
#endif
  (void)mean;
  (void)var;
#ifdef HARK_NETWORK_HOOK /* profiling: called before (0) and after (1) the network */
  HARK_NETWORK_HOOK(0);
#endif
  hark_run_network(hark_input, hark_logits_buf);
#ifdef HARK_NETWORK_HOOK
  HARK_NETWORK_HOOK(1);
#endif
  {
    float top = hark_logits_buf[0], sum = 0.0f;
    for (i = 1; i < HARK_N_CLASSES; i++) {
      if (hark_logits_buf[i] > top) {
        top = hark_logits_buf[i];
        best = i;
      }
    }
    for (i = 0; i < HARK_N_CLASSES; i++) {
      hark_probs_buf[i] = expf(hark_logits_buf[i] - top);
      sum += hark_probs_buf[i];
    }
    for (i = 0; i < HARK_N_CLASSES; i++) {
      hark_probs_buf[i] /= sum;
    }
  }
  hark_last.confidence = hark_probs_buf[best];
  hark_last.class_index = hark_probs_buf[best] < HARK_THRESHOLD ? HARK_UNKNOWN : best;
  hark_pending = 1;
}

void hark_init(void) {
  memset(hark_samples, 0, sizeof hark_samples);
  hark_fill = HARK_CENTER_PAD;
  hark_next_frame = 0;
  hark_peak_dbfs = -INFINITY;
  hark_pending = 0;
}

size_t hark_push_samples(const float *samples, size_t n) {
  size_t used = 0;
  while (used < n) {
    hark_samples[hark_fill++] = samples[used++];
    if (hark_fill == HARK_N_FFT) {
      const uint32_t f = hark_next_frame++;
      const int slot = (int)(f % (uint32_t)HARK_WINDOW_FRAMES);
      hark_energy[slot] = hark_frame(hark_samples, hark_frames_db[slot]);
      memmove(hark_samples, hark_samples + HARK_HOP_LENGTH,
              (HARK_N_FFT - HARK_HOP_LENGTH) * sizeof(float));
      hark_fill = HARK_N_FFT - HARK_HOP_LENGTH;
      if (f + 1 >= (uint32_t)HARK_WINDOW_FRAMES &&
          (f + 1 - (uint32_t)HARK_WINDOW_FRAMES) % (uint32_t)HARK_WINDOW_HOP_FRAMES == 0) {
        hark_window_done(f + 1 - (uint32_t)HARK_WINDOW_FRAMES);
        break;
      }
    }
  }
  return used;
}

int hark_poll_decision(hark_decision *out) {
  if (!hark_pending) {
    return 0;
  }
  *out = hark_last;
  hark_pending = 0;
  return 1;
}

const float *hark_window(void) { return hark_input; }
