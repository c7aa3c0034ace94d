/*
 * lstm_file.c — model files: save, and a loader that checks every field, size and the checksum
 * before it allocates anything. The layout is documented in lstm.h. Hosts are little-endian
 * (wasm, x86, arm64), so fields are copied with memcpy.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lstm_internal.h"

#define FILE_VERSION 1u
#define FLAG_OPT 1u
#define FLAG_STATE 2u
static const uint8_t MAGIC[8] = {'W', 'L', 'S', 'T', 'M', 'D', 'L', 0};

/* ---- CRC-32 (IEEE, reflected, as zlib), four bits at a time from a 16-entry constant table -- */
uint32_t lstm_crc32(const uint8_t* buf, int len) {
  static const uint32_t tab[16] = {0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
                                   0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
                                   0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};
  uint32_t crc = 0xFFFFFFFFu;
  for (int i = 0; buf && i < len; i++) {
    crc ^= buf[i];
    crc = (crc >> 4) ^ tab[crc & 15];
    crc = (crc >> 4) ^ tab[crc & 15];
  }
  return ~crc;
}

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

/* ---- what a model's file holds, computed the same way by save and load ---------------------
 * Sizes are computed in 64 bits: in wasm32 size_t is 32 bits, and the state of a large batch
 * (4·L·B·H bytes, up to 2^37) would wrap around and let a short file pass as a long one. */
typedef struct {
  int opt;        /* optimizer moments present: how many buffers */
  int stateB;     /* carried train state present: its batch, else 0 */
  uint64_t meta_at, meta_len, table_at, params_at, size;
} file_plan;

static size_t table_bytes(const lstm_model* m) {
  size_t n = 4;
  for (int k = 0; k < m->ntensors; k++) n += 4 + pad4(strlen(m->tensors[k].name)) + 12;
  return n;
}

static void plan_file(const lstm_model* m, int opt, int stateB, uint64_t meta_len, file_plan* f) {
  uint64_t P = (uint64_t)m->P, LBH = (uint64_t)m->cfg.layers * (uint64_t)stateB * (uint64_t)m->cfg.hidden;
  f->opt = opt, f->stateB = stateB, f->meta_len = meta_len;
  f->meta_at = 8 + 4 + 4 + sizeof(lstm_config) + sizeof(lstm_train_config) + 8 + 8 + 4;
  f->table_at = f->meta_at + ((meta_len + 3) & ~(uint64_t)3);
  f->params_at = f->table_at + table_bytes(m);
  f->size = f->params_at + 4 * P * (uint64_t)(1 + opt);
  if (stateB) f->size += 4 + 4 * LBH * (m->cfg.cell == LSTM_CELL_LSTM ? 2 : 1);
  f->size += 4; /* CRC */
}

static int saved_moments(const lstm_model* m, int flags) {
  if (!(flags & FLAG_OPT)) return 0;
  int k = lstm__moment_count(m->tc.optimizer);
  for (int i = 0; i < k; i++)
    if (!m->mom[i]) return 0;
  return k;
}

static int saved_state(const lstm_model* m, int flags) { return (flags & FLAG_STATE) ? m->st[0].B : 0; }

/* ---- the values a file may hold: the same rule for save and load ----------------------------
 * Parameters, moments and state are finite, and square accumulators (Adam's v, RMSProp's and
 * Adagrad's v) are >= 0: training never makes anything else, and a negative v would turn the
 * next step's sqrt into NaN. Floats are read with memcpy (file bytes are not aligned).
 * Returns LSTM_OK, LSTM_ERR_NONFINITE or LSTM_ERR_ARG (a negative accumulator). */
static int square_moment(int optimizer) {
  return optimizer == LSTM_OPT_ADAM ? 1 : optimizer == LSTM_OPT_SGD ? -1 : 0;
}

static int floats_ok(const void* p, size_t n, int nonneg) {
  const uint8_t* b = p;
  for (size_t i = 0; i < n; i++) {
    float x;
    memcpy(&x, b + 4 * i, 4);
    if (!isfinite(x)) return LSTM_ERR_NONFINITE;
    if (nonneg && x < 0.0f) return LSTM_ERR_ARG;
  }
  return LSTM_OK;
}

/* moments[i] and state may be NULL when absent; state holds nstate floats (h, then c) */
static int values_ok(const lstm_model* m, const void* params, const void* const* moments, int opt, const void* state,
                     size_t nstate) {
  size_t P = (size_t)m->P;
  int st = floats_ok(params, P, 0);
  for (int i = 0; i < opt && st == LSTM_OK; i++) st = floats_ok(moments[i], P, i == square_moment(m->tc.optimizer));
  if (st == LSTM_OK && state) st = floats_ok(state, nstate, 0);
  return st;
}

int lstm_save_size(const lstm_model* m, int flags, int meta_len) {
  if (!m || meta_len < 0) return -LSTM_ERR_ARG;
  file_plan f;
  plan_file(m, saved_moments(m, flags), saved_state(m, flags), (uint64_t)meta_len, &f);
  return f.size > 0x7FFFFFFFu ? -LSTM_ERR_NOMEM : (int)f.size;
}

static uint8_t* put(uint8_t* p, const void* src, size_t n) {
  memcpy(p, src, n);
  return p + n;
}
static uint8_t* put_u32(uint8_t* p, uint32_t v) { return put(p, &v, 4); }

int lstm_save(const lstm_model* m, int flags, const uint8_t* meta, int meta_len, uint8_t* buf, int cap) {
  if (!m || !buf || meta_len < 0 || (meta_len > 0 && !meta)) return -LSTM_ERR_ARG;
  file_plan f;
  plan_file(m, saved_moments(m, flags), saved_state(m, flags), (uint64_t)meta_len, &f);
  if (cap < 0 || f.size > (uint64_t)cap) return -LSTM_ERR_ARG; /* from here on sizes fit in an int */
  /* never write a file that lstm_load would refuse */
  size_t LBH = (size_t)m->cfg.layers * (size_t)f.stateB * (size_t)m->cfg.hidden;
  const void* moms[2] = {m->mom[0], m->mom[1]};
  int vst = values_ok(m, m->params, moms, f.opt, NULL, 0);
  if (vst == LSTM_OK && f.stateB) vst = floats_ok(m->st[0].h, LBH, 0);
  if (vst == LSTM_OK && f.stateB && m->cfg.cell == LSTM_CELL_LSTM) vst = floats_ok(m->st[0].c, LBH, 0);
  if (vst != LSTM_OK) return -vst;
  memset(buf, 0, (size_t)f.size);
  uint8_t* p = put(buf, MAGIC, 8);
  p = put_u32(p, FILE_VERSION);
  p = put_u32(p, (f.opt ? FLAG_OPT : 0) | (f.stateB ? FLAG_STATE : 0));
  p = put(p, &m->cfg, sizeof m->cfg);
  p = put(p, &m->tc, sizeof m->tc);
  p = put(p, &m->step, 8);
  p = put_u32(p, (uint32_t)m->rng);
  p = put_u32(p, (uint32_t)(m->rng >> 32));
  p = put_u32(p, (uint32_t)meta_len);
  if (meta_len) memcpy(p, meta, (size_t)meta_len);
  p = buf + (size_t)f.table_at;
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
  size_t P = (size_t)m->P;
  p = put(p, m->params, 4 * P);
  for (int i = 0; i < f.opt; i++) p = put(p, m->mom[i], 4 * P);
  if (f.stateB) {
    p = put_u32(p, (uint32_t)f.stateB);
    p = put(p, m->st[0].h, 4 * LBH);
    if (m->cfg.cell == LSTM_CELL_LSTM) p = put(p, m->st[0].c, 4 * LBH);
  }
  put_u32(p, lstm_crc32(buf, (int)(f.size - 4)));
  return (int)f.size;
}

/* ---- loading: check everything, then allocate ---------------------------------------------- */
static uint32_t get_u32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static int zeros(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

/* Checks the file and fills the plan; `shape` receives a model with config and tensor table only. */
static int check_file(const uint8_t* buf, int len, lstm_model* shape, file_plan* f, uint32_t* flags_out) {
  if (!buf || len < 0) return LSTM_ERR_ARG;
  size_t n = (size_t)len;
  size_t fixed = 8 + 4 + 4 + sizeof(lstm_config) + sizeof(lstm_train_config) + 8 + 8 + 4;
  if (n < 12 || memcmp(buf, MAGIC, 8) != 0) return LSTM_ERR_FORMAT;
  if (get_u32(buf + 8) != FILE_VERSION) return LSTM_ERR_VERSION;
  if (n < fixed + 4 + 4) return LSTM_ERR_FORMAT;
  if (lstm_crc32(buf, len - 4) != get_u32(buf + n - 4)) return LSTM_ERR_CHECKSUM;
  uint32_t flags = get_u32(buf + 12);
  if (flags & ~(FLAG_OPT | FLAG_STATE)) return LSTM_ERR_FORMAT;
  memset(shape, 0, sizeof *shape);
  memcpy(&shape->cfg, buf + 16, sizeof shape->cfg);
  memcpy(&shape->tc, buf + 16 + sizeof shape->cfg, sizeof shape->tc);
  int st = lstm__config_check(&shape->cfg);
  if (st != LSTM_OK) return st == LSTM_ERR_NOMEM ? LSTM_ERR_NOMEM : LSTM_ERR_FORMAT;
  if (lstm__train_config_check(&shape->tc) != LSTM_OK) return LSTM_ERR_FORMAT;
  double step;
  memcpy(&step, buf + 16 + sizeof shape->cfg + sizeof shape->tc, 8);
  if (!(step >= 0.0 && step < 9.0e15) || step != floor(step)) return LSTM_ERR_FORMAT;
  size_t meta_len = get_u32(buf + fixed - 4);
  if (meta_len > n - fixed) return LSTM_ERR_FORMAT;
  /* rng state 0 is never saved (the generator would stick at 0): the loader would change it */
  if (get_u32(buf + fixed - 12) == 0 && get_u32(buf + fixed - 8) == 0) return LSTM_ERR_FORMAT;
  lstm__layout(shape);
  /* tensor table: exactly what this config produces; padding is zero, as save writes it, so that
   * every file that loads saves back to the same bytes */
  size_t at = fixed + pad4(meta_len);
  if (at + 4 > n || !zeros(buf + fixed + meta_len, at - fixed - meta_len)) return LSTM_ERR_FORMAT;
  if (get_u32(buf + at) != (uint32_t)shape->ntensors) return LSTM_ERR_FORMAT;
  at += 4;
  for (int k = 0; k < shape->ntensors; k++) {
    const tensor_desc* t = &shape->tensors[k];
    size_t nl = strlen(t->name);
    if (at + 4 > n || get_u32(buf + at) != nl) return LSTM_ERR_FORMAT;
    at += 4;
    if (at + pad4(nl) + 12 > n || memcmp(buf + at, t->name, nl) != 0) return LSTM_ERR_FORMAT;
    if (!zeros(buf + at + nl, pad4(nl) - nl)) return LSTM_ERR_FORMAT;
    at += pad4(nl);
    if (get_u32(buf + at) != (uint32_t)t->rank || get_u32(buf + at + 4) != (uint32_t)t->dims[0] ||
        get_u32(buf + at + 8) != (uint32_t)(t->rank == 2 ? t->dims[1] : 0))
      return LSTM_ERR_FORMAT;
    at += 12;
  }
  int opt = (flags & FLAG_OPT) ? lstm__moment_count(shape->tc.optimizer) : 0;
  int stateB = 0;
  if (flags & FLAG_STATE) {
    uint64_t sat = at + 4 * (uint64_t)shape->P * (uint64_t)(1 + opt);
    if (sat + 4 > n) return LSTM_ERR_FORMAT;
    uint32_t b = get_u32(buf + (size_t)sat);
    if (b < 1 || b > (1u << 20)) return LSTM_ERR_FORMAT;
    stateB = (int)b;
  }
  plan_file(shape, opt, stateB, meta_len, f);
  if (f->size != (uint64_t)n || f->params_at != at) return LSTM_ERR_FORMAT; /* now every size fits in n */
  size_t P = (size_t)shape->P, LBH = (size_t)shape->cfg.layers * (size_t)stateB * (size_t)shape->cfg.hidden;
  const void* moms[2] = {opt > 0 ? buf + at + 4 * P : NULL, opt > 1 ? buf + at + 8 * P : NULL};
  const void* state = stateB ? buf + at + 4 * P * (size_t)(1 + opt) + 4 : NULL;
  if (values_ok(shape, buf + at, moms, opt, state, LBH * (shape->cfg.cell == LSTM_CELL_LSTM ? 2 : 1)) != LSTM_OK)
    return LSTM_ERR_FORMAT;
  *flags_out = flags;
  return LSTM_OK;
}

lstm_model* lstm_load(const uint8_t* buf, int len, int* status) {
  if (!status) return NULL;
  lstm_model shape;
  file_plan f;
  uint32_t flags;
  int st = check_file(buf, len, &shape, &f, &flags);
  if (st != LSTM_OK) {
    *status = st;
    return NULL;
  }
  lstm_model* m = lstm__alloc(&shape.cfg, status);
  if (!m) return NULL;
  m->tc = shape.tc;
  size_t fixed = 16 + sizeof m->cfg + sizeof m->tc;
  memcpy(&m->step, buf + fixed, 8);
  uint64_t r = (uint64_t)get_u32(buf + fixed + 8) | ((uint64_t)get_u32(buf + fixed + 12) << 32);
  m->rng = r ? r : 1;
  size_t P = (size_t)m->P;
  const uint8_t* p = buf + (size_t)f.params_at;
  memcpy(m->params, p, 4 * P);
  p += 4 * P;
  if (f.opt) {
    if (lstm__alloc_moments(m, f.opt, 0) != LSTM_OK) {
      lstm_free(m);
      *status = LSTM_ERR_NOMEM;
      return NULL;
    }
    memcpy(m->mom_block, p, 4 * P * (size_t)f.opt);
    p += 4 * P * (size_t)f.opt;
  }
  if (f.stateB) {
    p += 4;
    if (lstm_state_set_batch(m, LSTM_STATE_TRAIN, f.stateB) != LSTM_OK) {
      lstm_free(m);
      *status = LSTM_ERR_NOMEM;
      return NULL;
    }
    size_t LBH = (size_t)m->cfg.layers * (size_t)f.stateB * (size_t)m->cfg.hidden;
    memcpy(m->st[0].h, p, 4 * LBH);
    p += 4 * LBH;
    if (m->cfg.cell == LSTM_CELL_LSTM) memcpy(m->st[0].c, p, 4 * LBH);
  }
  *status = LSTM_OK;
  return m;
}

int lstm_file_meta(const uint8_t* buf, int len, int* offset) {
  lstm_model shape;
  file_plan f;
  uint32_t flags;
  int st = check_file(buf, len, &shape, &f, &flags);
  if (st != LSTM_OK) return -st;
  if (offset) *offset = (int)f.meta_at;
  return (int)f.meta_len;
}
