/*
 * lstm_file.c — model files: a streaming writer, and a streaming reader that checks every field,
 * size, value and the checksum. The layout is documented in lstm.h. Hosts are little-endian (wasm,
 * x86, arm64), so fields are copied with memcpy.
 *
 * Both work in pieces of any size, so that neither the file nor a second copy of the model has to
 * fit in wasm memory next to the model: the writer emits header, parameters, moments, state and CRC
 * straight from the model's buffers; the reader checks the header as soon as it is complete,
 * allocates the model (never more than the file's size implies), and copies the rest straight into
 * place. Errors are remembered and reported at the end in the order a whole-file check would give:
 * magic and version first, then the checksum, then the structure and values.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lstm_internal.h"

#define FILE_VERSION 2u
#define FLAG_OPT 1u
#define FLAG_STATE 2u
#define V1_CONFIG_FIELDS 8 /* format 1's lstm_config: no directions, no gate_act */
static const uint8_t MAGIC[8] = {'W', 'L', 'S', 'T', 'M', 'D', 'L', 0};

/* ---- CRC-32 (IEEE, reflected, as zlib), a byte at a time from a table built by the compiler -- */
#define CRC_B(c) (((c) >> 1) ^ (((c) & 1u) ? 0xEDB88320u : 0u))
#define CRC_E(c) CRC_B(CRC_B(CRC_B(CRC_B(CRC_B(CRC_B(CRC_B(CRC_B((uint32_t)(c)))))))))
#define CRC_4(n) CRC_E(n), CRC_E(n + 1), CRC_E(n + 2), CRC_E(n + 3)
#define CRC_16(n) CRC_4(n), CRC_4(n + 4), CRC_4(n + 8), CRC_4(n + 12)
#define CRC_64(n) CRC_16(n), CRC_16(n + 16), CRC_16(n + 32), CRC_16(n + 48)
static const uint32_t CRC_TABLE[256] = {CRC_64(0), CRC_64(64), CRC_64(128), CRC_64(192)};

uint32_t lstm_crc32_update(uint32_t crc, const uint8_t* buf, int len) {
  crc = ~crc;
  for (int i = 0; buf && i < len; i++) crc = (crc >> 8) ^ CRC_TABLE[(crc ^ buf[i]) & 0xFFu];
  return ~crc;
}
uint32_t lstm_crc32(const uint8_t* buf, int len) { return lstm_crc32_update(0, buf, len); }

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }
static uint32_t get_u32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
static uint8_t* put(uint8_t* p, const void* src, size_t n) {
  memcpy(p, src, n);
  return p + n;
}
static uint8_t* put_u32(uint8_t* p, uint32_t v) { return put(p, &v, 4); }

/* Bytes before the meta: magic, version, flags, config, train config, step, rng, meta length. */
static size_t fixed_size(uint32_t version) {
  size_t cfg = version == 1 ? V1_CONFIG_FIELDS * 4 : sizeof(lstm_config);
  return 8 + 4 + 4 + cfg + sizeof(lstm_train_config) + 8 + 8 + 4;
}

static size_t table_bytes(const lstm_model* m) {
  size_t n = 4;
  for (int k = 0; k < m->ntensors; k++) n += 4 + pad4(strlen(m->tensors[k].name)) + 12;
  return n;
}

/* The body after the header, in order: what each piece is and how its values are checked. */
enum { SEG_FLOATS, SEG_NONNEG, SEG_U32 };
typedef struct {
  int kind;
  uint64_t len;   /* bytes */
  uint8_t* dst;   /* reader: where the bytes go (NULL: checked only); writer: where they come from */
} segment;
#define MAX_SEGMENTS 6

/* Which of Adam's / RMSProp's / Adagrad's buffers holds squares (>= 0): index, or -1 (SGD). */
static int square_moment(int optimizer) {
  return optimizer == LSTM_OPT_ADAM ? 1 : optimizer == LSTM_OPT_SGD ? -1 : 0;
}

/* The body of a model of this shape with opt moments and a train state of batch stateB (0: none).
 * Pointers are those of m (writer, reader with a model) or NULL. */
static int plan_body(const lstm_model* shape, lstm_model* m, int opt, int stateB, segment* s, uint8_t* bfield) {
  uint64_t P = (uint64_t)shape->P, LBH = (uint64_t)shape->cfg.layers * (uint64_t)stateB * shape->cfg.hidden;
  int n = 0;
  s[n++] = (segment){SEG_FLOATS, 4 * P, m ? (uint8_t*)m->params : NULL};
  for (int i = 0; i < opt; i++)
    s[n++] = (segment){i == square_moment(shape->tc.optimizer) ? SEG_NONNEG : SEG_FLOATS, 4 * P,
                       m ? (uint8_t*)m->mom[i] : NULL};
  if (stateB) {
    s[n++] = (segment){SEG_U32, 4, bfield};
    s[n++] = (segment){SEG_FLOATS, 4 * LBH, m ? (uint8_t*)m->st[0].h : NULL};
    if (shape->cell->has_c) s[n++] = (segment){SEG_FLOATS, 4 * LBH, m ? (uint8_t*)m->st[0].c : NULL};
  }
  return n;
}

static uint64_t body_bytes(const segment* s, int n) {
  uint64_t b = 0;
  for (int i = 0; i < n; i++) b += s[i].len;
  return b;
}

/* ---- writing ----------------------------------------------------------------------------------- */
struct lstm_writer {
  uint8_t* head;          /* magic .. tensor table */
  size_t head_len;
  segment seg[MAX_SEGMENTS];
  int nseg;
  uint8_t bfield[4];      /* the state's batch */
  uint64_t size, pos;
  uint32_t crc;
};

static int moments_saved(const lstm_model* m, int flags) {
  if (!(flags & FLAG_OPT)) return 0;
  int k = lstm__moment_count(m->tc.optimizer);
  for (int i = 0; i < k; i++)
    if (!m->mom[i]) return 0;
  return k;
}

/* The values a file may hold, the same rule as the reader's: finite, square accumulators >= 0. */
static int values_ok(const float* x, uint64_t n, int nonneg) {
  for (uint64_t i = 0; i < n; i++) {
    if (!isfinite(x[i])) return LSTM_ERR_NONFINITE;
    if (nonneg && x[i] < 0.0f) return LSTM_ERR_ARG;
  }
  return LSTM_OK;
}

lstm_writer* lstm_write_begin(const lstm_model* m, int flags, const uint8_t* meta, int meta_len, int* status) {
  if (!status) return NULL;
  if (!m || meta_len < 0 || (meta_len > 0 && !meta) || (flags & ~(int)(FLAG_OPT | FLAG_STATE))) {
    *status = LSTM_ERR_ARG;
    return NULL;
  }
  int opt = moments_saved(m, flags), stateB = (flags & FLAG_STATE) && m->D == 1 ? m->st[0].B : 0;
  lstm_writer* w = calloc(1, sizeof *w);
  if (!w) {
    *status = LSTM_ERR_NOMEM;
    return NULL;
  }
  w->nseg = plan_body(m, (lstm_model*)m, opt, stateB, w->seg, w->bfield);
  memcpy(w->bfield, &stateB, 4);
  /* never write a file that the reader would refuse */
  for (int i = 0; i < w->nseg; i++) {
    if (w->seg[i].kind == SEG_U32) continue;
    int st = values_ok((const float*)w->seg[i].dst, w->seg[i].len / 4, w->seg[i].kind == SEG_NONNEG);
    if (st != LSTM_OK) {
      free(w);
      *status = st;
      return NULL;
    }
  }
  size_t fixed = fixed_size(FILE_VERSION);
  w->head_len = fixed + pad4((size_t)meta_len) + table_bytes(m);
  w->size = w->head_len + body_bytes(w->seg, w->nseg) + 4;
  w->head = w->size <= 0x7FFFFFFFu ? calloc(1, w->head_len) : NULL;
  if (!w->head) {
    free(w);
    *status = LSTM_ERR_NOMEM;
    return NULL;
  }
  uint8_t* p = put(w->head, MAGIC, 8);
  p = put_u32(p, FILE_VERSION);
  p = put_u32(p, (opt ? FLAG_OPT : 0) | (stateB ? FLAG_STATE : 0));
  p = put(p, &m->cfg, sizeof m->cfg);
  p = put(p, &m->tc, sizeof m->tc);
  p = put(p, &m->step, 8);
  p = put_u32(p, (uint32_t)m->rng);
  p = put_u32(p, (uint32_t)(m->rng >> 32));
  p = put_u32(p, (uint32_t)meta_len);
  if (meta_len) memcpy(p, meta, (size_t)meta_len);
  p = w->head + fixed + pad4((size_t)meta_len);
  p = put_u32(p, (uint32_t)m->ntensors);
  for (int k = 0; k < m->ntensors; k++) {
    const tensor_desc* t = &m->tensors[k];
    size_t n = strlen(t->name);
    p = put_u32(p, (uint32_t)n);
    memcpy(p, t->name, n);
    p += pad4(n);
    p = put_u32(p, (uint32_t)t->rank);
    p = put_u32(p, (uint32_t)t->dims[0]);
    p = put_u32(p, (uint32_t)(t->rank == 2 ? t->dims[1] : 0));
  }
  *status = LSTM_OK;
  return w;
}

int lstm_write_size(const lstm_writer* w) { return w ? (int)w->size : 0; }

int lstm_write_chunk(lstm_writer* w, uint8_t* buf, int cap) {
  if (!w || !buf || cap < 0) return -LSTM_ERR_ARG;
  int out = 0;
  while (out < cap && w->pos < w->size) {
    /* which piece holds byte w->pos: the header, a body segment, or the CRC */
    const uint8_t* src;
    uint64_t at = w->pos, avail;
    if (at < w->head_len) {
      src = w->head + at, avail = w->head_len - at;
    } else if (at < w->size - 4) {
      at -= w->head_len;
      int i = 0;
      while (at >= w->seg[i].len) at -= w->seg[i++].len;
      src = w->seg[i].dst + at, avail = w->seg[i].len - at;
    } else {
      uint8_t crc[4];
      memcpy(crc, &w->crc, 4);
      int k = (int)(w->pos - (w->size - 4));
      buf[out++] = crc[k];
      w->pos++;
      continue;
    }
    int n = avail < (uint64_t)(cap - out) ? (int)avail : cap - out;
    memcpy(buf + out, src, (size_t)n);
    w->crc = lstm_crc32_update(w->crc, src, n);
    out += n, w->pos += (uint64_t)n;
  }
  return out;
}

void lstm_write_free(lstm_writer* w) {
  if (!w) return;
  free(w->head);
  free(w);
}

int lstm_save_size(const lstm_model* m, int flags, int meta_len) {
  if (meta_len < 0) return -LSTM_ERR_ARG; /* the arguments first, as lstm_write_begin checks them */
  int st;
  lstm_writer* w = lstm_write_begin(m, flags, NULL, 0, &st);
  if (!w) return -st;
  uint64_t size = w->size + pad4((size_t)meta_len);
  lstm_write_free(w);
  return size > 0x7FFFFFFFu ? -LSTM_ERR_NOMEM : (int)size;
}

int lstm_save(const lstm_model* m, int flags, const uint8_t* meta, int meta_len, uint8_t* buf, int cap) {
  if (!buf) return -LSTM_ERR_ARG;
  int st;
  lstm_writer* w = lstm_write_begin(m, flags, meta, meta_len, &st);
  if (!w) return -st;
  int size = (int)w->size;
  if (cap < size) {
    lstm_write_free(w);
    return -LSTM_ERR_ARG;
  }
  int n = lstm_write_chunk(w, buf, cap);
  lstm_write_free(w);
  return n == size ? size : -LSTM_ERR_ARG;
}

/* ---- reading -------------------------------------------------------------------------------------
 * Phases: the fixed fields (into fixed[]), the rest of the header (into head), then the body
 * segments; the last 4 bytes are the CRC whatever the phase. After an error the reader only hashes. */
struct lstm_reader {
  uint64_t total, pos;
  int with_model;
  int early;              /* magic / version error: reported before the checksum */
  int err;                /* first structure or value error */
  uint32_t crc, stored_crc, version, flags;
  uint8_t fixed[128];
  size_t fixed_len;       /* bytes of the fixed fields for this version (0 until the version is read) */
  uint8_t* head;          /* the whole header: fixed fields, meta, tensor table */
  size_t head_len, head_have;
  lstm_model shape;       /* config, train config and tensor table of the file */
  lstm_model* model;      /* with_model: allocated once the header is checked */
  segment seg[MAX_SEGMENTS];
  int nseg, iseg;
  uint64_t seg_pos;
  uint8_t carry[4], bfield[4];
  int carry_n, stateB;
};

lstm_reader* lstm_read_begin(int total_len, int with_model, int* status) {
  if (!status) return NULL;
  if (total_len < 0) {
    *status = LSTM_ERR_ARG;
    return NULL;
  }
  lstm_reader* r = calloc(1, sizeof *r);
  if (!r) {
    *status = LSTM_ERR_NOMEM;
    return NULL;
  }
  r->total = (uint64_t)total_len, r->with_model = with_model != 0;
  *status = LSTM_OK;
  return r;
}

static int zeros(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

/* The fixed fields are complete: config, train config, step, rng, meta length. Sets head_len. */
static int check_fixed(lstm_reader* r) {
  const uint8_t* b = r->fixed;
  lstm_model* s = &r->shape;
  r->flags = get_u32(b + 12);
  if (r->flags & ~(FLAG_OPT | FLAG_STATE)) return LSTM_ERR_FORMAT;
  memset(s, 0, sizeof *s);
  size_t cfg_len = r->version == 1 ? V1_CONFIG_FIELDS * 4 : sizeof(lstm_config);
  memcpy(&s->cfg, b + 16, cfg_len);
  if (r->version == 1) {
    if (s->cfg.loss > LSTM_LOSS_MSE_LAST) return LSTM_ERR_FORMAT; /* format 1 had three losses */
    s->cfg.directions = 1, s->cfg.gate_act = LSTM_GATE_SIGMOID;
  }
  memcpy(&s->tc, b + 16 + cfg_len, sizeof s->tc);
  int st = lstm__config_check(&s->cfg);
  if (st != LSTM_OK) return st == LSTM_ERR_NOMEM ? LSTM_ERR_NOMEM : LSTM_ERR_FORMAT;
  if (lstm__train_config_check(&s->tc) != LSTM_OK) return LSTM_ERR_FORMAT;
  double step;
  memcpy(&step, b + 16 + cfg_len + sizeof s->tc, 8);
  if (!(step >= 0.0 && step < 9.0e15) || step != floor(step)) return LSTM_ERR_FORMAT;
  s->step = step;
  uint32_t w0 = get_u32(b + r->fixed_len - 12), w1 = get_u32(b + r->fixed_len - 8);
  if (w0 == 0 && w1 == 0) return LSTM_ERR_FORMAT; /* never saved: the generator would stick at 0 */
  s->rng = (uint64_t)w0 | ((uint64_t)w1 << 32);
  uint64_t meta_len = get_u32(b + r->fixed_len - 4);
  lstm__layout(s);
  uint64_t need = r->fixed_len + pad4((size_t)meta_len) + table_bytes(s);
  if (meta_len > r->total || need + 4 > r->total) return LSTM_ERR_FORMAT;
  r->head_len = (size_t)need;
  r->head = malloc(r->head_len); /* at most the file's size */
  if (!r->head) return LSTM_ERR_NOMEM;
  memcpy(r->head, r->fixed, r->fixed_len);
  r->head_have = r->fixed_len;
  return LSTM_OK;
}

/* The header is complete: the tensor table must be exactly what this config produces, padding zero
 * (so that every file that loads saves back to the same bytes), and the body must fill the file. */
static int check_header(lstm_reader* r) {
  const lstm_model* s = &r->shape;
  const uint8_t* b = r->head;
  size_t meta_len = get_u32(b + r->fixed_len - 4), at = r->fixed_len + pad4(meta_len);
  if (!zeros(b + r->fixed_len + meta_len, at - r->fixed_len - meta_len)) return LSTM_ERR_FORMAT;
  if (get_u32(b + at) != (uint32_t)s->ntensors) return LSTM_ERR_FORMAT;
  at += 4;
  for (int k = 0; k < s->ntensors; k++) {
    const tensor_desc* t = &s->tensors[k];
    size_t nl = strlen(t->name);
    if (get_u32(b + at) != nl || memcmp(b + at + 4, t->name, nl) != 0) return LSTM_ERR_FORMAT;
    at += 4;
    if (!zeros(b + at + nl, pad4(nl) - nl)) return LSTM_ERR_FORMAT;
    at += pad4(nl);
    if (get_u32(b + at) != (uint32_t)t->rank || get_u32(b + at + 4) != (uint32_t)t->dims[0] ||
        get_u32(b + at + 8) != (uint32_t)(t->rank == 2 ? t->dims[1] : 0))
      return LSTM_ERR_FORMAT;
    at += 12;
  }
  int opt = (r->flags & FLAG_OPT) ? lstm__moment_count(s->tc.optimizer) : 0;
  uint64_t rest = r->total - r->head_len - 4; /* body bytes */
  segment tmp[MAX_SEGMENTS];
  uint64_t base = body_bytes(tmp, plan_body(s, NULL, opt, 0, tmp, NULL));
  r->stateB = 0;
  if (r->flags & FLAG_STATE) { /* the state's batch follows from the size; its field must agree */
    uint64_t per = 4 * (uint64_t)s->cfg.layers * s->cfg.hidden * (1 + s->cell->has_c);
    if (s->D != 1 || rest < base + 4 || (rest - base - 4) % per != 0) return LSTM_ERR_FORMAT;
    uint64_t B = (rest - base - 4) / per;
    if (B < 1 || B > LSTM_MAX_BATCH) return LSTM_ERR_FORMAT;
    r->stateB = (int)B;
  } else if (rest != base) {
    return LSTM_ERR_FORMAT;
  }
  if (r->with_model) {
    int st;
    lstm_model* m = lstm__alloc(&s->cfg, &st);
    if (!m) return st;
    m->tc = s->tc, m->step = s->step, m->rng = s->rng;
    if ((opt && lstm__alloc_moments(m, opt, 0) != LSTM_OK) ||
        (r->stateB && lstm_state_set_batch(m, LSTM_STATE_TRAIN, r->stateB) != LSTM_OK)) {
      lstm_free(m);
      return LSTM_ERR_NOMEM;
    }
    r->model = m;
  }
  r->nseg = plan_body(s, r->model, opt, r->stateB, r->seg, r->bfield);
  return LSTM_OK;
}

/* Checks the complete 4-byte values of a body segment. */
static int check_values(lstm_reader* r, const segment* s, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i += 4) {
    if (s->kind == SEG_U32) {
      if (get_u32(p + i) != (uint32_t)r->stateB) return LSTM_ERR_FORMAT;
      continue;
    }
    float x;
    memcpy(&x, p + i, 4);
    if (!isfinite(x) || (s->kind == SEG_NONNEG && x < 0.0f)) return LSTM_ERR_FORMAT;
  }
  return LSTM_OK;
}

/* Body bytes: copied into place and checked value by value (a value split across two chunks waits
 * in carry; segments are whole values, so a value never spans two). */
static void feed_body(lstm_reader* r, const uint8_t* p, size_t n) {
  while (n > 0 && !r->err) {
    if (r->iseg >= r->nseg) {
      r->err = LSTM_ERR_FORMAT;
      return;
    }
    segment* s = &r->seg[r->iseg];
    size_t take = s->len - r->seg_pos < n ? (size_t)(s->len - r->seg_pos) : n, i = 0;
    if (s->dst) memcpy(s->dst + r->seg_pos, p, take);
    if (r->carry_n) {
      while (r->carry_n < 4 && i < take) r->carry[r->carry_n++] = p[i++];
      if (r->carry_n == 4) r->err = check_values(r, s, r->carry, 4), r->carry_n = 0;
    }
    size_t whole = (take - i) & ~(size_t)3;
    if (!r->err) r->err = check_values(r, s, p + i, whole);
    for (size_t k = i + whole; k < take; k++) r->carry[r->carry_n++] = p[k];
    r->seg_pos += take, p += take, n -= take;
    if (r->seg_pos == s->len) r->iseg++, r->seg_pos = 0;
  }
}

int lstm_read_chunk(lstm_reader* r, const uint8_t* buf, int len) {
  if (!r || len < 0 || (len > 0 && !buf) || r->pos + (uint64_t)len > r->total) return LSTM_ERR_ARG;
  /* the last 4 bytes of the file are the CRC; everything before them is hashed and parsed */
  uint64_t crc_at = r->total >= 4 ? r->total - 4 : 0;
  size_t body = r->pos < crc_at ? (size_t)(crc_at - r->pos < (uint64_t)len ? crc_at - r->pos : (uint64_t)len) : 0;
  for (size_t i = body; i < (size_t)len; i++) {
    uint64_t k = r->pos + i - crc_at;
    r->stored_crc |= (uint32_t)buf[i] << (8 * k);
  }
  r->crc = lstm_crc32_update(r->crc, buf, (int)body);
  const uint8_t* p = buf;
  size_t n = body;
  while (n > 0 && !r->err && !r->early) {
    if (r->fixed_len == 0 || r->head_have < r->fixed_len) { /* magic and version, then the fixed fields */
      size_t want = r->fixed_len ? r->fixed_len : 12;
      size_t take = want - r->head_have < n ? want - r->head_have : n;
      memcpy(r->fixed + r->head_have, p, take);
      r->head_have += take, p += take, n -= take;
      if (r->fixed_len == 0 && r->head_have == 12) {
        r->version = get_u32(r->fixed + 8);
        if (memcmp(r->fixed, MAGIC, 8) != 0) r->early = LSTM_ERR_FORMAT;
        else if (r->version != 1 && r->version != FILE_VERSION) r->early = LSTM_ERR_VERSION;
        else r->fixed_len = fixed_size(r->version);
      } else if (r->fixed_len && r->head_have == r->fixed_len) {
        r->err = check_fixed(r);
      }
      continue;
    }
    if (r->head_have < r->head_len) { /* meta and tensor table */
      size_t take = r->head_len - r->head_have < n ? r->head_len - r->head_have : n;
      memcpy(r->head + r->head_have, p, take);
      r->head_have += take, p += take, n -= take;
      if (r->head_have == r->head_len) r->err = check_header(r);
      continue;
    }
    feed_body(r, p, n);
    n = 0;
  }
  r->pos += (uint64_t)len;
  return r->err == LSTM_ERR_NOMEM ? LSTM_ERR_NOMEM : LSTM_OK;
}

int lstm_read_end(lstm_reader* r) {
  if (!r) return LSTM_ERR_ARG;
  if (r->early) return r->early;
  if (r->pos != r->total || r->total < 12 + 4) return LSTM_ERR_FORMAT;
  if (r->fixed_len == 0 || r->head_have < r->fixed_len) return LSTM_ERR_FORMAT;
  if (r->crc != r->stored_crc) return LSTM_ERR_CHECKSUM;
  if (r->err) return r->err;
  if (r->head_have < r->head_len || !r->head || r->iseg != r->nseg || r->carry_n) return LSTM_ERR_FORMAT;
  return LSTM_OK;
}

lstm_model* lstm_read_model(lstm_reader* r) {
  if (!r || lstm_read_end(r) != LSTM_OK) return NULL;
  lstm_model* m = r->model;
  r->model = NULL;
  return m;
}

const uint8_t* lstm_read_meta(const lstm_reader* r, int* len) {
  if (!r || !r->head || r->head_have < r->head_len) return NULL;
  if (len) *len = (int)get_u32(r->head + r->fixed_len - 4);
  return r->head + r->fixed_len;
}

void lstm_read_free(lstm_reader* r) {
  if (!r) return;
  lstm_free(r->model);
  free(r->head);
  free(r);
}

lstm_model* lstm_load(const uint8_t* buf, int len, int* status) {
  if (!status) return NULL;
  if (!buf || len < 0) {
    *status = LSTM_ERR_ARG;
    return NULL;
  }
  lstm_reader* r = lstm_read_begin(len, 1, status);
  if (!r) return NULL;
  lstm_read_chunk(r, buf, len);
  int st = lstm_read_end(r);
  lstm_model* m = st == LSTM_OK ? lstm_read_model(r) : NULL;
  lstm_read_free(r);
  *status = st;
  return m;
}

int lstm_file_meta(const uint8_t* buf, int len, int* offset) {
  if (!buf || len < 0) return -LSTM_ERR_ARG;
  int st;
  lstm_reader* r = lstm_read_begin(len, 0, &st);
  if (!r) return -st;
  lstm_read_chunk(r, buf, len);
  st = lstm_read_end(r);
  int n = -st;
  if (st == LSTM_OK) {
    lstm_read_meta(r, &n);
    if (offset) *offset = (int)r->fixed_len;
  }
  lstm_read_free(r);
  return n;
}
