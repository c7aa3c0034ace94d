/*
 * lstm.c — the model: parameters, forward, backward through time, losses, clipping, optimizers.
 *
 * Reads top to bottom in the order data flows:
 *   ---- rng, tensor table ---- create ---- workspace ---- forward ---- loss ---- backward
 *   ---- optimizer ---- public entry points ---- inspection ---- (model files: lstm_file.c)
 * What it deliberately does not do: threads, bidirectional layers, peepholes, projections.
 * Legend: B batch, T steps, I input (or vocabulary V), H hidden, O outputs, L layers,
 * G gates (LSTM 4, GRU 3, RNN 1), GH = G*H, TB = T*B (rows of a time-major activation matrix).
 * All equations and the weight layout are in lstm.h; all hot loops are kernels (kernels.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "lstm_internal.h"

/* ---- rng: xorshift64*, state held in the model ----------------------------------------------- */
static uint64_t rng_next(uint64_t* s) {
  uint64_t x = *s;
  x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1DULL;
}
static float rng_uniform(uint64_t* s) { return (float)(rng_next(s) >> 40) * 0x1p-24f; } /* [0, 1) */
uint64_t lstm__rng_seed(uint32_t seed) {
  uint64_t z = (uint64_t)seed + 0x9E3779B97F4A7C15ULL; /* splitmix64 of the seed: never 0 */
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return z ? z : 1;
}

/* ---- the tensor table: one list walked for sizes, names and pointers -------------------------- */
int lstm__gates(int cell) { return cell == LSTM_CELL_LSTM ? 4 : cell == LSTM_CELL_GRU ? 3 : 1; }

static void add_tensor(lstm_model* m, const char* name, int rank, int d0, int d1, int decay) {
  tensor_desc* t = &m->tensors[m->ntensors++];
  memset(t->name, 0, sizeof t->name);
  memcpy(t->name, name, strlen(name));
  t->rank = rank, t->dims[0] = d0, t->dims[1] = rank == 2 ? d1 : 1;
  t->offset = m->P, t->decay = decay;
  m->P += d0 * (rank == 2 ? d1 : 1);
}

int lstm__config_check(const lstm_config* c) {
  if (c->cell < LSTM_CELL_LSTM || c->cell > LSTM_CELL_RNN) return LSTM_ERR_CONFIG;
  if (c->input_kind != LSTM_INPUT_DENSE && c->input_kind != LSTM_INPUT_TOKENS) return LSTM_ERR_CONFIG;
  if (c->loss < LSTM_LOSS_XENT || c->loss > LSTM_LOSS_MSE_LAST) return LSTM_ERR_CONFIG;
  if (c->input < 1 || c->input > LSTM_MAX_INPUT) return LSTM_ERR_CONFIG;
  if (c->hidden < 1 || c->hidden > LSTM_MAX_HIDDEN) return LSTM_ERR_CONFIG;
  if (c->layers < 1 || c->layers > LSTM_MAX_LAYERS) return LSTM_ERR_CONFIG;
  if (c->output < 1 || c->output > LSTM_MAX_OUTPUT) return LSTM_ERR_CONFIG;
  if (c->loss == LSTM_LOSS_XENT && c->output < 2) return LSTM_ERR_CONFIG;
  /* parameter count in 64 bits before anything is allocated, as the tensor table will lay it out */
  uint64_t GH = (uint64_t)lstm__gates(c->cell) * (uint64_t)c->hidden, H = (uint64_t)c->hidden;
  uint64_t biases = c->cell == LSTM_CELL_GRU ? 2 * GH : GH;
  uint64_t P = (uint64_t)c->input * GH + H * GH + biases;
  P += (uint64_t)(c->layers - 1) * (2 * H * GH + biases) + H * (uint64_t)c->output + (uint64_t)c->output;
  if (P > LSTM_MAX_PARAMS) return LSTM_ERR_NOMEM;
  return LSTM_OK;
}

/* Sets G and the tensor table (and P) from m->cfg. */
void lstm__layout(lstm_model* m) {
  const lstm_config* c = &m->cfg;
  m->G = lstm__gates(c->cell);
  int H = c->hidden, GH = m->G * H;
  char name[16];
  m->P = 0, m->ntensors = 0;
  for (int l = 0; l < c->layers; l++) {
    int I = l == 0 ? c->input : H;
    name[0] = 'l', name[1] = (char)('0' + l), name[2] = '.';
    memcpy(name + 3, "wx", 3), add_tensor(m, name, 2, I, GH, 1);
    memcpy(name + 3, "wh", 3), add_tensor(m, name, 2, H, GH, 1);
    if (c->cell == LSTM_CELL_GRU) {
      memcpy(name + 3, "bx", 3), add_tensor(m, name, 1, GH, 0, 0);
      memcpy(name + 3, "bh", 3), add_tensor(m, name, 1, GH, 0, 0);
    } else {
      memcpy(name + 3, "b", 2), add_tensor(m, name, 1, GH, 0, 0);
    }
  }
  add_tensor(m, "head.w", 2, H, c->output, 1);
  add_tensor(m, "head.b", 1, c->output, 0, 0);
}

/* Pointers into a parameter-shaped buffer (params, grads or a moment). */
typedef struct {
  float *wx, *wh, *b, *bh; /* bh: GRU only; b is bx for GRU */
} layer_ptrs;
static layer_ptrs layer_at(const lstm_model* m, float* base, int l) {
  int k = l * (m->cfg.cell == LSTM_CELL_GRU ? 4 : 3);
  layer_ptrs p = {base + m->tensors[k].offset, base + m->tensors[k + 1].offset,
                  base + m->tensors[k + 2].offset,
                  m->cfg.cell == LSTM_CELL_GRU ? base + m->tensors[k + 3].offset : NULL};
  return p;
}
static float* head_w(const lstm_model* m, float* base) { return base + m->tensors[m->ntensors - 2].offset; }
static float* head_b(const lstm_model* m, float* base) { return base + m->tensors[m->ntensors - 1].offset; }

/* ---- create ---------------------------------------------------------------------------------- */
void lstm_train_config_default(lstm_train_config* tc) {
  tc->optimizer = LSTM_OPT_ADAM;
  tc->lr = 2e-3f, tc->beta1 = 0.9f, tc->beta2 = 0.999f, tc->eps = 1e-8f, tc->weight_decay = 0.0f;
  tc->clip_mode = LSTM_CLIP_NORM, tc->clip = 5.0f, tc->dropout = 0.0f;
}

int lstm__moment_count(int optimizer) { return optimizer == LSTM_OPT_ADAM ? 2 : 1; }

int lstm__train_config_check(const lstm_train_config* tc) {
  if (tc->optimizer < LSTM_OPT_ADAM || tc->optimizer > LSTM_OPT_ADAGRAD) return LSTM_ERR_CONFIG;
  if (!(tc->lr > 0.0f) || !isfinite(tc->lr)) return LSTM_ERR_CONFIG;
  if (!(tc->beta1 >= 0.0f && tc->beta1 < 1.0f) || !(tc->beta2 >= 0.0f && tc->beta2 < 1.0f)) return LSTM_ERR_CONFIG;
  if (!(tc->eps > 0.0f) || !isfinite(tc->eps)) return LSTM_ERR_CONFIG; /* 0 would give 0/0 */
  if (!(tc->weight_decay >= 0.0f) || !isfinite(tc->weight_decay)) return LSTM_ERR_CONFIG;
  if (tc->clip_mode < LSTM_CLIP_NONE || tc->clip_mode > LSTM_CLIP_NORM) return LSTM_ERR_CONFIG;
  if (tc->clip_mode != LSTM_CLIP_NONE && !(tc->clip > 0.0f && isfinite(tc->clip))) return LSTM_ERR_CONFIG;
  if (!(tc->dropout >= 0.0f && tc->dropout < 1.0f)) return LSTM_ERR_CONFIG;
  return LSTM_OK;
}

/* Allocates the model and its parameter-shaped buffers; parameters are left uninitialised. */
lstm_model* lstm__alloc(const lstm_config* cfg, int* status) {
  int st = lstm__config_check(cfg);
  if (st != LSTM_OK) {
    *status = st;
    return NULL;
  }
  lstm_model* m = calloc(1, sizeof *m);
  if (!m) {
    *status = LSTM_ERR_NOMEM;
    return NULL;
  }
  m->cfg = *cfg;
  lstm__layout(m);
  lstm_train_config_default(&m->tc);
  m->params = calloc((size_t)m->P, sizeof(float));
  m->grads = calloc((size_t)m->P, sizeof(float));
  if (!m->params || !m->grads) {
    lstm_free(m);
    *status = LSTM_ERR_NOMEM;
    return NULL;
  }
  m->rng = lstm__rng_seed(cfg->seed);
  *status = LSTM_OK;
  return m;
}

lstm_model* lstm_new(const lstm_config* cfg, int* status) {
  if (!cfg || !status) return NULL;
  lstm_model* m = lstm__alloc(cfg, status);
  if (!m) return NULL;
  /* U(−1/√H, 1/√H) everywhere, as PyTorch; then forget bias 1 (LSTM), other biases 0. */
  float k = 1.0f / sqrtf((float)cfg->hidden);
  for (int i = 0; i < m->P; i++) m->params[i] = (2.0f * rng_uniform(&m->rng) - 1.0f) * k;
  int H = cfg->hidden;
  for (int l = 0; l < cfg->layers; l++) {
    layer_ptrs p = layer_at(m, m->params, l);
    memset(p.b, 0, sizeof(float) * (size_t)(m->G * H));
    if (p.bh) memset(p.bh, 0, sizeof(float) * (size_t)(m->G * H));
    if (cfg->cell == LSTM_CELL_LSTM)
      for (int j = 0; j < H; j++) p.b[H + j] = 1.0f;
  }
  memset(head_b(m, m->params), 0, sizeof(float) * (size_t)cfg->output);
  return m;
}

void lstm_free(lstm_model* m) {
  if (!m) return;
  free(m->params), free(m->grads), free(m->mom_block), free(m->ws);
  for (int s = 0; s < 2; s++) free(m->st[s].h), free(m->st[s].c);
  free(m);
}

/* ---- carried state ----------------------------------------------------------------------------
 * A call continues from the carried state when its batch matches, else from zeros. Buffers for a
 * new batch are allocated before the call computes anything (so NOMEM changes nothing) and take
 * the old state's place only when the call commits (a rejected or non-advancing call keeps it). */
static int state_alloc(const lstm_model* m, int B, state_t* s) {
  uint64_t n = (uint64_t)m->cfg.layers * (uint64_t)B * (uint64_t)m->cfg.hidden;
  s->B = B, s->h = s->c = NULL;
  if (n * sizeof(float) > ((uint64_t)1 << 30)) return LSTM_ERR_NOMEM;
  s->h = calloc((size_t)n, sizeof(float));
  s->c = m->cfg.cell == LSTM_CELL_LSTM ? calloc((size_t)n, sizeof(float)) : NULL;
  if (!s->h || (m->cfg.cell == LSTM_CELL_LSTM && !s->c)) {
    free(s->h), free(s->c);
    s->h = s->c = NULL;
    return LSTM_ERR_NOMEM;
  }
  return LSTM_OK;
}

static void state_install(lstm_model* m, int which, state_t* fresh) {
  free(m->st[which].h), free(m->st[which].c);
  m->st[which] = *fresh;
  fresh->h = fresh->c = NULL;
}

/* The state a call of batch B starts from (NULL: zeros), and, when it will advance the state and
 * the batch changes, the fresh buffers it will commit into. */
static int state_begin(lstm_model* m, int which, int B, int advance, const state_t** from, state_t* fresh) {
  fresh->h = fresh->c = NULL, fresh->B = 0;
  *from = m->st[which].B == B ? &m->st[which] : NULL;
  if (*from || !advance) return LSTM_OK;
  return state_alloc(m, B, fresh);
}

/* ---- workspace: every per-call buffer, carved from one allocation ------------------------------
 * Per layer l: A (TB, GH) gate activations, overwritten by backward with ∂L/∂(pre-activations);
 * Hs (T+1, B, H) with Hs[0] the initial h; for LSTM Cs (T+1, B, H); for GRU GHs (TB, GH) =
 * h Wh + bh (then its gradient); for l >= 1 with dropout, X (TB, H) the dropped input and Mk (TB, H)
 * its mask. Then the head's Y (TB or B, O), and backward scratch. Only what backward needs is
 * kept: tanh(c) is recomputed, and gradients reuse the activations' memory. */
typedef struct {
  float *A, *Hs, *Cs, *GHs, *X, *Mk; /* X, Mk: for l >= 1 with dropout */
} layer_ws;
typedef struct {
  int B, T;
  layer_ws ly[LSTM_MAX_LAYERS];
  float* X0;       /* dense input, time-major (TB, I) */
  int32_t* tok;    /* token input, time-major (TB) */
  int32_t* tgt;    /* class targets, time-major (TB) */
  float* Y;        /* head outputs (rows, O) */
  float *hX, *hMk; /* the head's dropped input and mask (TB, H), with dropout */
  float *dHa, *dHb;/* (TB, H) ping-pong: gradient arriving at a layer's outputs / leaving its input */
  float *dh, *dc, *dhr, *dup; /* (B, H) */
  float* WyT;      /* the head's weights transposed (O, H) */
  float* Wt;       /* transposed weights (max(I,H,O) × max(GH,H,O)) */
  float* Xt;       /* transposed activations, XT_ROWS at a time (max(I,H) × XT_ROWS) */
} ws_t;

#define XT_ROWS 256 /* rows of an activation matrix transposed at a time for a weight gradient */

/* Sizes are counted in 64 bits (a wasm32 size_t would wrap for large B·T·H) and checked before
 * anything is carved. */
static uint64_t carve(uint64_t* off, uint64_t n) { /* floats, 16-byte aligned */
  uint64_t at = *off;
  *off += (n + 3) & ~(uint64_t)3;
  return at;
}

/* Lays out the workspace for (B, T), with the backward pass's buffers only when `backward`; with
 * base == NULL only measures it. */
static uint64_t ws_layout(const lstm_model* m, int B, int T, int backward, float* base, ws_t* w) {
  const lstm_config* c = &m->cfg;
  uint64_t H = (uint64_t)c->hidden, GH = (uint64_t)m->G * H, TB = (uint64_t)T * (uint64_t)B, O = (uint64_t)c->output;
  uint64_t I = (uint64_t)c->input, off = 0;
  int dense = c->input_kind == LSTM_INPUT_DENSE, drop = backward && m->tc.dropout > 0.0f;
  /* widest input whose weights or activations get transposed: token input never is (its
   * gradient is a scatter-add, and nothing flows back into token ids) */
  uint64_t maxin = dense && I > H ? I : H;
  ws_t tmp;
  if (!w) w = &tmp;
#define AT(n) (base ? base + (size_t)carve(&off, (n)) : (carve(&off, (n)), (float*)NULL))
  w->B = B, w->T = T;
  for (int l = 0; l < c->layers; l++) {
    layer_ws* L = &w->ly[l];
    L->A = AT(TB * GH);
    L->Hs = AT(TB * H + (uint64_t)B * H);
    L->Cs = c->cell == LSTM_CELL_LSTM ? AT(TB * H + (uint64_t)B * H) : NULL;
    L->GHs = c->cell == LSTM_CELL_GRU ? AT(TB * GH) : NULL;
    L->X = l > 0 && drop ? AT(TB * H) : NULL;
    L->Mk = l > 0 && drop ? AT(TB * H) : NULL;
  }
  w->hX = drop ? AT(TB * H) : NULL;
  w->hMk = drop ? AT(TB * H) : NULL;
  w->X0 = dense ? AT(TB * I) : NULL;
  w->tok = dense ? NULL : (int32_t*)AT(TB);
  w->tgt = backward && c->loss == LSTM_LOSS_XENT ? (int32_t*)AT(TB) : NULL;
  w->Y = AT(TB * O);
  if (!backward) {
    w->dHa = w->dHb = w->dup = w->WyT = w->dh = w->dc = w->dhr = w->Wt = w->Xt = NULL;
    return off;
  }
  w->dHa = c->layers > 1 ? AT(TB * H) : NULL; /* ping-pong between layers; the top layer needs none */
  w->dHb = c->layers > 2 ? AT(TB * H) : NULL;
  w->dup = AT((uint64_t)B * H);
  w->WyT = AT(O * H);
  w->dh = AT((uint64_t)B * H);
  w->dc = AT((uint64_t)B * H);
  w->dhr = AT((uint64_t)B * H);
  uint64_t wr = maxin > O ? maxin : O, wc = GH > O ? GH : O;
  w->Wt = AT(wr * wc);
  w->Xt = AT(maxin * (TB < XT_ROWS ? TB : XT_ROWS));
#undef AT
  return off;
}

static int ws_prepare(lstm_model* m, int B, int T, int backward, ws_t* w) {
  if (B < 1 || T < 1 || (int64_t)B * T > (1 << 24)) return LSTM_ERR_ARG;
  uint64_t need = ws_layout(m, B, T, backward, NULL, NULL);
  if (need * sizeof(float) > ((uint64_t)1 << 30)) return LSTM_ERR_NOMEM; /* wasm memory is 1 GB */
  if (need > m->ws_cap) {
    float* p = malloc((size_t)need * sizeof(float));
    if (!p) return LSTM_ERR_NOMEM;
    free(m->ws);
    m->ws = p, m->ws_cap = (size_t)need;
  }
  ws_layout(m, B, T, backward, m->ws, w);
  return LSTM_OK;
}

/* Copies batch-first user input into the time-major workspace. */
static void load_inputs(const lstm_model* m, ws_t* w, const void* inputs) {
  int B = w->B, T = w->T;
  if (m->cfg.input_kind == LSTM_INPUT_TOKENS) {
    const int32_t* x = inputs;
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++) w->tok[(size_t)t * B + b] = x[(size_t)b * T + t];
  } else {
    const float* x = inputs;
    size_t I = (size_t)m->cfg.input;
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++) memcpy(w->X0 + ((size_t)t * B + b) * I, x + ((size_t)b * T + t) * I, I * sizeof(float));
  }
}

/* The C side checks what could make it read out of bounds; the JS layer checks everything else. */
static int check_tokens(const lstm_model* m, const void* inputs, int B, int T) {
  if (m->cfg.input_kind != LSTM_INPUT_TOKENS) return LSTM_OK;
  const int32_t* x = inputs;
  for (size_t i = 0; i < (size_t)B * T; i++)
    if (x[i] < 0 || x[i] >= m->cfg.input) return LSTM_ERR_ARG;
  return LSTM_OK;
}

static int check_targets(const lstm_model* m, const void* targets, int B, int T) {
  if (m->cfg.loss != LSTM_LOSS_XENT) return LSTM_OK;
  const int32_t* y = targets;
  for (size_t i = 0; i < (size_t)B * T; i++)
    if (y[i] < -1 || y[i] >= m->cfg.output) return LSTM_ERR_ARG;
  return LSTM_OK;
}

static void transpose(int rows, int cols, const float* src, float* dst) { /* dst (cols, rows) */
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) dst[(size_t)c * rows + r] = src[(size_t)r * cols + c];
}

/* ---- forward ---------------------------------------------------------------------------------
 * Layer by layer over all T steps: first the input projection of every step as one GEMM (it does
 * not depend on h), then the recurrence step by step. mode: FWD_TRAIN applies dropout. */
enum { FWD_EVAL = 0, FWD_TRAIN = 1 };

static void dropout_mask(lstm_model* m, size_t n, const float* in, float* out, float* mask) {
  float p = m->tc.dropout, keep = 1.0f / (1.0f - p);
  for (size_t i = 0; i < n; i++) {
    mask[i] = rng_uniform(&m->rng) < p ? 0.0f : keep;
    out[i] = in[i] * mask[i];
  }
}

/* Input of the head or of layer l >= 1: the previous layer's outputs Hs[1..T], maybe dropped. */
static const float* layer_input(lstm_model* m, ws_t* w, int l, int mode) {
  const float* h = w->ly[l - 1].Hs + (size_t)w->B * m->cfg.hidden;
  if (mode != FWD_TRAIN || m->tc.dropout == 0.0f) return h;
  int head = l == m->cfg.layers;
  float *x = head ? w->hX : w->ly[l].X, *mk = head ? w->hMk : w->ly[l].Mk;
  dropout_mask(m, (size_t)w->T * w->B * m->cfg.hidden, h, x, mk);
  return x;
}

static void forward_layer(lstm_model* m, ws_t* w, int l, const float* xin) {
  const lstm_config* c = &m->cfg;
  int B = w->B, T = w->T, H = c->hidden, GH = m->G * H, TB = T * B;
  int I = l == 0 ? c->input : H;
  layer_ws* L = &w->ly[l];
  layer_ptrs p = layer_at(m, m->params, l);
  /* A = X Wx + b for all steps (GRU: + bx) */
  for (int r = 0; r < TB; r++) memcpy(L->A + (size_t)r * GH, p.b, sizeof(float) * GH);
  if (l == 0 && c->input_kind == LSTM_INPUT_TOKENS) {
    for (int r = 0; r < TB; r++) { /* one-hot × Wx is a row gather */
      float* a = L->A + (size_t)r * GH;
      const float* row = p.wx + (size_t)w->tok[r] * GH;
      for (int j = 0; j < GH; j++) a[j] += row[j];
    }
  } else {
    k_gemm(TB, GH, I, xin, I, p.wx, GH, L->A, GH, 1);
  }
  for (int t = 0; t < T; t++) {
    float* a = L->A + (size_t)t * B * GH;
    const float* hprev = L->Hs + (size_t)t * B * H;
    float* h = L->Hs + (size_t)(t + 1) * B * H;
    if (c->cell == LSTM_CELL_LSTM) {
      k_gemm(B, GH, H, hprev, H, p.wh, GH, a, GH, 1); /* + h Wh */
      k_lstm_cell_fwd(B, H, a, GH, L->Cs + (size_t)t * B * H, L->Cs + (size_t)(t + 1) * B * H, h);
    } else if (c->cell == LSTM_CELL_GRU) {
      float* gh = L->GHs + (size_t)t * B * GH;
      for (int b = 0; b < B; b++) memcpy(gh + (size_t)b * GH, p.bh, sizeof(float) * GH);
      k_gemm(B, GH, H, hprev, H, p.wh, GH, gh, GH, 1);
      k_gru_cell_fwd(B, H, a, gh, hprev, h);
    } else {
      k_gemm(B, GH, H, hprev, H, p.wh, GH, a, GH, 1);
      k_rnn_cell_fwd(B * H, a, h);
    }
  }
}

/* Runs all layers and the head from the state `from` (zeros when NULL). Head rows: every step, or
 * only the last (head_last). */
static void forward(lstm_model* m, ws_t* w, const state_t* from, int mode, int head_last) {
  const lstm_config* c = &m->cfg;
  int B = w->B, T = w->T, H = c->hidden, L = c->layers;
  size_t BH = (size_t)B * H;
  for (int l = 0; l < L; l++) {
    layer_ws* ly = &w->ly[l];
    if (from) {
      memcpy(ly->Hs, from->h + l * BH, BH * sizeof(float));
      if (ly->Cs) memcpy(ly->Cs, from->c + l * BH, BH * sizeof(float));
    } else {
      memset(ly->Hs, 0, BH * sizeof(float));
      if (ly->Cs) memset(ly->Cs, 0, BH * sizeof(float));
    }
  }
  for (int l = 0; l < L; l++) forward_layer(m, w, l, l == 0 ? w->X0 : layer_input(m, w, l, mode));
  const float* top = layer_input(m, w, L, mode);
  int rows = head_last ? B : T * B;
  if (head_last) top += (size_t)(T - 1) * B * H;
  const float* hb = head_b(m, m->params);
  for (int r = 0; r < rows; r++) memcpy(w->Y + (size_t)r * c->output, hb, sizeof(float) * c->output);
  k_gemm(rows, c->output, H, top, H, head_w(m, m->params), c->output, w->Y, c->output, 1);
}

/* The call's final state becomes the carried state (in the fresh buffers when the batch changed). */
static void state_commit(lstm_model* m, ws_t* w, int slot, state_t* fresh) {
  if (fresh->h) state_install(m, slot, fresh);
  size_t BH = (size_t)w->B * m->cfg.hidden;
  for (int l = 0; l < m->cfg.layers; l++) {
    memcpy(m->st[slot].h + l * BH, w->ly[l].Hs + (size_t)w->T * BH, BH * sizeof(float));
    if (w->ly[l].Cs) memcpy(m->st[slot].c + l * BH, w->ly[l].Cs + (size_t)w->T * BH, BH * sizeof(float));
  }
}

/* ---- loss: value, and ∂loss/∂Y written over Y ------------------------------------------------ */
static double loss_and_dY(lstm_model* m, ws_t* w, const void* targets) {
  const lstm_config* c = &m->cfg;
  int B = w->B, T = w->T, O = c->output;
  if (c->loss == LSTM_LOSS_XENT) {
    const int32_t* y = targets;
    int count = 0;
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++) {
        int32_t v = y[(size_t)b * T + t];
        w->tgt[(size_t)t * B + b] = v;
        count += v >= 0;
      }
    float scale = count ? 1.0f / (float)count : 0.0f;
    double sum = k_softmax_xent(T * B, O, w->Y, w->tgt, scale, w->Y);
    return count ? sum / count : 0.0;
  }
  const float* y = targets;
  int last = c->loss == LSTM_LOSS_MSE_LAST;
  int steps = last ? 1 : T;
  size_t n = (size_t)steps * B * O;
  float scale = 2.0f / (float)n;
  double sum = 0.0;
  for (int b = 0; b < B; b++)
    for (int t = 0; t < steps; t++) {
      float* yr = w->Y + ((size_t)t * B + b) * O;
      const float* tr = y + ((size_t)b * steps + t) * O;
      for (int k = 0; k < O; k++) {
        float d = yr[k] - tr[k];
        sum += (double)d * d;
        yr[k] = scale * d;
      }
    }
  return sum / (double)n;
}

/* ---- backward -------------------------------------------------------------------------------
 * Gradients are ADDED into m->grads (zeroed once per step by the caller). norms, when not NULL,
 * receives ‖∂L/∂h_t‖ per layer and step. */
static void col_sum_add(int rows, int cols, const float* x, float* out) {
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < cols; j++) out[j] += x[(size_t)r * cols + j];
}

/* dW (K, N) += Xᵀ · dG for X (rows, K), dG (rows, N), through transposed copies of X, XT_ROWS
 * rows at a time (the sum over rows still runs in order). */
static void weight_grad(ws_t* w, int rows, int K, int N, const float* X, const float* dG, float* dW) {
  for (int r0 = 0; r0 < rows; r0 += XT_ROWS) {
    int n = rows - r0 < XT_ROWS ? rows - r0 : XT_ROWS;
    transpose(n, K, X + (size_t)r0 * K, w->Xt);
    k_gemm(K, N, n, w->Xt, n, dG + (size_t)r0 * N, N, dW, N, 1);
  }
}

/* ∂L/∂(top layer's h_t) from the head: dY_t · Wyᵀ, through the head's dropout mask. Computed step
 * by step inside the top layer's backward, so no (TB, H) buffer holds it. */
static const float* head_step_grad(lstm_model* m, ws_t* w, int t, int dropped) {
  int B = w->B, H = m->cfg.hidden, O = m->cfg.output;
  size_t BH = (size_t)B * H;
  if (m->cfg.loss == LSTM_LOSS_MSE_LAST) {
    if (t != w->T - 1) {
      memset(w->dup, 0, BH * sizeof(float));
      return w->dup;
    }
    k_gemm(B, H, O, w->Y, O, w->WyT, H, w->dup, H, 0);
  } else {
    k_gemm(B, H, O, w->Y + (size_t)t * B * O, O, w->WyT, H, w->dup, H, 0);
  }
  if (dropped) {
    const float* mk = w->hMk + (size_t)t * BH;
    for (size_t j = 0; j < BH; j++) w->dup[j] *= mk[j];
  }
  return w->dup;
}

/* Backward through layer l. dHout (TB, H): ∂L/∂ of its outputs from the layer above, or NULL for
 * the top layer (then from the head, step by step). dXin (TB, H), when not NULL, receives ∂L/∂ of
 * its input. */
/* ‖∂L/∂c_t‖ over the batch: the cell-state gradient from step t+1 (dc) plus what reaches c_t through
 * h_t = o ⊙ tanh(c_t), before the cell's backward turns it into ∂L/∂c_{t-1}. */
static float cell_grad_norm(int n, int B, int H, int GH, const float* acts, const float* c, const float* dh,
                            const float* dc) {
  double ss = 0.0;
  for (int i = 0; i < n; i++) {
    int b = i / H, j = i % H;
    float o = acts[(size_t)b * GH + 3 * H + j], t = k_tanh(c[i]);
    double g = (double)dc[i] + (double)dh[i] * o * (1.0f - t * t);
    ss += g * g;
  }
  (void)B;
  return (float)sqrt(ss);
}

static void backward_layer(lstm_model* m, ws_t* w, int l, const float* xin, const float* dHout, float* dXin,
                           int dropped, float* norms, float* cnorms) {
  const lstm_config* c = &m->cfg;
  int B = w->B, T = w->T, H = c->hidden, GH = m->G * H, TB = T * B;
  int I = l == 0 ? c->input : H;
  size_t BH = (size_t)B * H;
  layer_ws* L = &w->ly[l];
  layer_ptrs p = layer_at(m, m->params, l), g = layer_at(m, m->grads, l);
  int gru = c->cell == LSTM_CELL_GRU;
  float* dG = L->A;                   /* ∂L/∂(input-side pre-activations), over the activations */
  float* dGh = gru ? L->GHs : dG;     /* ∂L/∂(recurrent pre-activations) */
  transpose(H, GH, p.wh, w->Wt);      /* Whᵀ (GH, H) */
  memset(w->dhr, 0, BH * sizeof(float));
  memset(w->dc, 0, BH * sizeof(float));
  for (int t = T - 1; t >= 0; t--) {
    const float* up = dHout ? dHout + (size_t)t * BH : head_step_grad(m, w, t, dropped);
    for (size_t j = 0; j < BH; j++) w->dh[j] = up[j] + w->dhr[j]; /* from above + from t+1 */
    if (norms) norms[l * T + t] = (float)sqrt(k_sumsq((int)BH, w->dh));
    float* dg = dG + (size_t)t * B * GH;
    if (c->cell == LSTM_CELL_LSTM) {
      if (cnorms)
        cnorms[l * T + t] = cell_grad_norm((int)BH, B, H, GH, L->A + (size_t)t * B * GH, L->Cs + (size_t)(t + 1) * BH,
                                           w->dh, w->dc);
      k_lstm_cell_bwd(B, H, L->A + (size_t)t * B * GH, GH, L->Cs + (size_t)t * BH, L->Cs + (size_t)(t + 1) * BH,
                      w->dh, w->dc, dg);
      k_gemm(B, H, GH, dg, GH, w->Wt, H, w->dhr, H, 0);
    } else if (gru) {
      float* dgh = dGh + (size_t)t * B * GH;
      k_gru_cell_bwd(B, H, L->A + (size_t)t * B * GH, L->GHs + (size_t)t * B * GH, L->Hs + (size_t)t * BH,
                     w->dh, dg, dgh, w->dhr);
      k_gemm(B, H, GH, dgh, GH, w->Wt, H, w->dhr, H, 1);
    } else {
      k_rnn_cell_bwd((int)BH, L->Hs + (size_t)(t + 1) * BH, w->dh, dg);
      k_gemm(B, H, GH, dg, GH, w->Wt, H, w->dhr, H, 0);
    }
  }
  /* weights: dWh += Hprevᵀ dGh (Hs[0..T-1] is contiguous), biases, dWx, and the input gradient */
  weight_grad(w, TB, H, GH, L->Hs, dGh, g.wh);
  col_sum_add(TB, GH, dG, g.b);
  if (gru) col_sum_add(TB, GH, dGh, g.bh);
  if (l == 0 && c->input_kind == LSTM_INPUT_TOKENS) {
    for (int r = 0; r < TB; r++) { /* scatter-add: the transpose of the row gather */
      float* row = g.wx + (size_t)w->tok[r] * GH;
      const float* d = dG + (size_t)r * GH;
      for (int j = 0; j < GH; j++) row[j] += d[j];
    }
  } else {
    weight_grad(w, TB, I, GH, xin, dG, g.wx);
  }
  if (dXin) {
    transpose(I, GH, p.wx, w->Wt); /* Wxᵀ (GH, I) */
    k_gemm(TB, I, GH, dG, GH, w->Wt, I, dXin, I, 0);
  }
}

/* Full backward from ∂L/∂Y (in w->Y). Inputs of layers l >= 1 and of the head are recomputed from
 * the forward caches exactly as forward saw them (dropped copies when dropout was on). */
static void backward(lstm_model* m, ws_t* w, int dropped, const float* const* xins, float* norms, float* cnorms) {
  const lstm_config* c = &m->cfg;
  int B = w->B, T = w->T, H = c->hidden, O = c->output, L = c->layers, TB = T * B;
  (void)O;
  int last = c->loss == LSTM_LOSS_MSE_LAST;
  int rows = last ? B : TB;
  const float* top = xins[L];
  const float* top_rows = last ? top + (size_t)(T - 1) * B * H : top;
  /* head: dWy += topᵀ dY, dby += Σ dY; dTop = dY Wyᵀ is formed step by step in backward_layer */
  weight_grad(w, rows, H, O, top_rows, w->Y, head_w(m, m->grads));
  col_sum_add(rows, O, w->Y, head_b(m, m->grads));
  transpose(H, O, head_w(m, m->params), w->WyT);
  float* dH = NULL;
  for (int l = L - 1; l >= 0; l--) {
    float* dX = NULL;
    if (l > 0) dX = dH == w->dHa ? w->dHb : w->dHa;
    backward_layer(m, w, l, xins[l], dH, dX, dropped, norms, cnorms);
    if (dX && dropped) {
      const float* mk = w->ly[l].Mk;
      for (size_t i = 0; i < (size_t)TB * H; i++) dX[i] *= mk[i];
    }
    dH = dX;
  }
}

/* ---- one gradient computation: forward, loss, backward ----------------------------------------
 * Runs from the train state into the gradient buffer. Nothing else of the model changes here but
 * the RNG (dropout masks); the caller commits the new state (state_commit with *fresh) or drops
 * it (state_drop). mode FWD_TRAIN applies dropout. */
static void state_drop(state_t* fresh) {
  free(fresh->h), free(fresh->c);
  fresh->h = fresh->c = NULL;
}

static int compute_gradients(lstm_model* m, const void* inputs, const void* targets, int B, int T, int mode,
                             int advance, ws_t* wp, state_t* fresh, float* loss, float* norms, float* cnorms) {
  fresh->h = fresh->c = NULL;
  if (!m || !inputs || !targets) return LSTM_ERR_ARG;
  ws_t w;
  const state_t* from = NULL;
  int st = ws_prepare(m, B, T, 1, &w);
  if (st == LSTM_OK) st = check_tokens(m, inputs, B, T);
  if (st == LSTM_OK) st = check_targets(m, targets, B, T);
  if (st == LSTM_OK) st = state_begin(m, LSTM_STATE_TRAIN, B, advance, &from, fresh);
  if (st != LSTM_OK) return st;
  load_inputs(m, &w, inputs);
  const lstm_config* c = &m->cfg;
  int L = c->layers;
  /* forward, remembering each layer's input as forward used it */
  forward(m, &w, from, mode, c->loss == LSTM_LOSS_MSE_LAST);
  int dropped = mode == FWD_TRAIN && m->tc.dropout > 0.0f;
  const float* xins[LSTM_MAX_LAYERS + 1];
  xins[0] = w.X0;
  for (int l = 1; l <= L; l++) {
    const float* h = w.ly[l - 1].Hs + (size_t)B * c->hidden;
    xins[l] = dropped ? (l < L ? w.ly[l].X : w.hX) : h;
  }
  double lv = loss_and_dY(m, &w, targets);
  memset(m->grads, 0, sizeof(float) * (size_t)m->P);
  backward(m, &w, dropped, xins, norms, cnorms);
  double ss = 0.0;
  for (int k = 0; k < m->ntensors; k++) {
    tensor_desc* t = &m->tensors[k];
    ss += k_sumsq(t->dims[0] * t->dims[1], m->grads + t->offset);
  }
  m->last_gnorm = (float)sqrt(ss);
  if (loss) *loss = (float)lv;
  *wp = w;
  if (!isfinite((float)lv) || !isfinite(m->last_gnorm)) { /* as the caller receives it: a float */
    state_drop(fresh);
    return LSTM_ERR_NONFINITE;
  }
  return LSTM_OK;
}

/* ---- optimizer ------------------------------------------------------------------------------ */
/* Allocates the optimizer's moment buffers if missing; *fresh gets a bit per buffer allocated now,
 * so that a call that fails later can give them back (drop_moments) and leave memory as it was. */
int lstm__alloc_moments(lstm_model* m, int k, int zero) {
  size_t n = (size_t)k * (size_t)m->P;
  float* b = zero ? calloc(n, sizeof(float)) : malloc(n * sizeof(float));
  if (!b) return LSTM_ERR_NOMEM;
  free(m->mom_block);
  m->mom_block = b;
  m->mom[0] = b, m->mom[1] = k == 2 ? b + m->P : NULL;
  return LSTM_OK;
}

void lstm__free_moments(lstm_model* m) {
  free(m->mom_block);
  m->mom_block = m->mom[0] = m->mom[1] = NULL;
}

static void drop_moments(lstm_model* m, int fresh) {
  if (fresh) lstm__free_moments(m);
}

static int ensure_moments(lstm_model* m, int* fresh) {
  *fresh = 0;
  if (m->mom_block) return LSTM_OK; /* changing the optimizer frees them (lstm_set_train_config) */
  int st = lstm__alloc_moments(m, lstm__moment_count(m->tc.optimizer), 1);
  *fresh = st == LSTM_OK;
  return st;
}

static void clip_gradients(lstm_model* m) {
  const lstm_train_config* tc = &m->tc;
  if (tc->clip_mode == LSTM_CLIP_VALUE) {
    float th = tc->clip;
    for (int i = 0; i < m->P; i++) m->grads[i] = m->grads[i] > th ? th : m->grads[i] < -th ? -th : m->grads[i];
  } else if (tc->clip_mode == LSTM_CLIP_NORM && m->last_gnorm > tc->clip) {
    float s = tc->clip / m->last_gnorm;
    for (int i = 0; i < m->P; i++) m->grads[i] *= s;
  }
}

/* Applies the optimizer to one run of n elements of every buffer (params, grads, moments). */
typedef struct {
  float a, rb2; /* Adam: bias-corrected step size and 1/√(1 − β2^t) */
} step_consts;

static void apply_run(const lstm_model* m, const step_consts* k, float lrwd, int n, float* p, const float* g,
                      float* m0, float* m1) {
  const lstm_train_config* tc = &m->tc;
  switch (tc->optimizer) {
    case LSTM_OPT_ADAM: k_adam(n, p, g, m0, m1, k->a, tc->beta1, tc->beta2, k->rb2, tc->eps, lrwd); break;
    case LSTM_OPT_SGD: k_sgd(n, p, g, m0, tc->lr, tc->beta1, lrwd); break;
    case LSTM_OPT_RMSPROP: k_rmsprop(n, p, g, m0, tc->lr, tc->beta2, tc->eps, lrwd); break;
    default: k_adagrad(n, p, g, m0, tc->lr, tc->eps, lrwd); break;
  }
}

static int all_finite(int n, const float* x) {
  for (int i = 0; i < n; i++)
    if (!(x[i] - x[i] == 0.0f)) return 0; /* inf − inf and NaN − NaN are NaN */
  return 1;
}

/* The update runs twice over the same values: first on copies, chunk by chunk, to learn whether
 * any new parameter or moment would be non-finite (a huge learning rate, an overflowing moment);
 * only then in place. The optimizer is elementwise, so both runs compute the same bits, and a
 * rejected update changes nothing. */
#define UPDATE_CHUNK 1024
static int update_with_moments(lstm_model* m);
static int update(lstm_model* m) {
  int fresh;
  int st = ensure_moments(m, &fresh);
  if (st != LSTM_OK) return st;
  st = update_with_moments(m);
  if (st != LSTM_OK) drop_moments(m, fresh);
  return st;
}

static int update_with_moments(lstm_model* m) {
  clip_gradients(m);
  const lstm_train_config* tc = &m->tc;
  double step = m->step + 1.0;
  step_consts k = {tc->lr, 1.0f};
  if (tc->optimizer == LSTM_OPT_ADAM) {
    k.a = (float)(tc->lr / (1.0 - pow(tc->beta1, step)));
    k.rb2 = (float)(1.0 / sqrt(1.0 - pow(tc->beta2, step)));
  }
  int two = m->mom[1] != NULL && tc->optimizer == LSTM_OPT_ADAM;
  float cp[UPDATE_CHUNK], c0[UPDATE_CHUNK], c1[UPDATE_CHUNK];
  for (int pass = 0; pass < 2; pass++) {
    for (int t = 0; t < m->ntensors; t++) {
      const tensor_desc* d = &m->tensors[t];
      int n = d->dims[0] * d->dims[1];
      float lrwd = d->decay ? tc->lr * tc->weight_decay : 0.0f;
      float *p = m->params + d->offset, *g = m->grads + d->offset, *m0 = m->mom[0] + d->offset;
      float* m1 = two ? m->mom[1] + d->offset : NULL;
      if (pass == 1) {
        apply_run(m, &k, lrwd, n, p, g, m0, m1);
        continue;
      }
      for (int i = 0; i < n; i += UPDATE_CHUNK) {
        int r = n - i < UPDATE_CHUNK ? n - i : UPDATE_CHUNK;
        memcpy(cp, p + i, sizeof(float) * r), memcpy(c0, m0 + i, sizeof(float) * r);
        if (m1) memcpy(c1, m1 + i, sizeof(float) * r);
        apply_run(m, &k, lrwd, r, cp, g + i, c0, m1 ? c1 : NULL);
        if (!all_finite(r, cp) || !all_finite(r, c0) || (m1 && !all_finite(r, c1))) return LSTM_ERR_NONFINITE;
      }
    }
  }
  m->step = step;
  return LSTM_OK;
}

/* ---- public entry points --------------------------------------------------------------------- */
int lstm_config_size(void) { return (int)sizeof(lstm_config); }
int lstm_train_config_size(void) { return (int)sizeof(lstm_train_config); }

int lstm_set_train_config(lstm_model* m, const lstm_train_config* tc) {
  if (!m || !tc) return LSTM_ERR_ARG;
  int st = lstm__train_config_check(tc);
  if (st != LSTM_OK) return st;
  if (tc->optimizer != m->tc.optimizer) { /* moments of another optimizer mean nothing: restart them */
    lstm__free_moments(m);
  }
  m->tc = *tc;
  return LSTM_OK;
}
int lstm_get_train_config(const lstm_model* m, lstm_train_config* tc) {
  if (!m || !tc) return LSTM_ERR_ARG;
  *tc = m->tc;
  return LSTM_OK;
}
int lstm_get_config(const lstm_model* m, lstm_config* cfg) {
  if (!m || !cfg) return LSTM_ERR_ARG;
  *cfg = m->cfg;
  return LSTM_OK;
}

int lstm_reset_state(lstm_model* m, int which) {
  if (!m || which < 0 || which > 1) return LSTM_ERR_ARG;
  state_t* s = &m->st[which];
  size_t n = (size_t)m->cfg.layers * (size_t)s->B * (size_t)m->cfg.hidden;
  if (s->h) memset(s->h, 0, n * sizeof(float));
  if (s->c) memset(s->c, 0, n * sizeof(float));
  return LSTM_OK;
}

/* A rejected step (any status but LSTM_OK) leaves no trace: parameters, moments, step count,
 * carried state and RNG are as they were. */
int lstm_train(lstm_model* m, const void* inputs, const void* targets, int B, int T, float* loss) {
  if (!m) return LSTM_ERR_ARG;
  int new_moments;
  int st = ensure_moments(m, &new_moments); /* before the work, so NOMEM costs nothing */
  if (st != LSTM_OK) return st;
  uint64_t rng0 = m->rng;
  ws_t w;
  state_t fresh;
  st = compute_gradients(m, inputs, targets, B, T, FWD_TRAIN, 1, &w, &fresh, loss, NULL, NULL);
  if (st == LSTM_OK) st = update_with_moments(m);
  if (st == LSTM_OK) {
    state_commit(m, &w, LSTM_STATE_TRAIN, &fresh);
  } else {
    state_drop(&fresh);
    drop_moments(m, new_moments);
    m->rng = rng0;
  }
  return st;
}

int lstm_gradients(lstm_model* m, const void* inputs, const void* targets, int B, int T, int advance, float* loss) {
  ws_t w;
  state_t fresh;
  int st = compute_gradients(m, inputs, targets, B, T, FWD_EVAL, advance, &w, &fresh, loss, NULL, NULL);
  if (st == LSTM_OK && advance) state_commit(m, &w, LSTM_STATE_TRAIN, &fresh);
  state_drop(&fresh);
  return st;
}

int lstm_step_gradient_norms(lstm_model* m, const void* inputs, const void* targets, int B, int T, float* norms,
                             float* cnorms) {
  if (!norms) return LSTM_ERR_ARG;
  ws_t w;
  state_t fresh;
  int st = compute_gradients(m, inputs, targets, B, T, FWD_EVAL, 0, &w, &fresh, NULL, norms, cnorms);
  state_drop(&fresh);
  return st;
}

float lstm_last_gradient_norm(const lstm_model* m) { return m ? m->last_gnorm : 0.0f; }

int lstm_apply_gradients(lstm_model* m) {
  if (!m) return LSTM_ERR_ARG;
  double ss = 0.0;
  for (int i = 0; i < m->P; i++) ss += (double)m->grads[i] * m->grads[i];
  if (!isfinite(ss)) return LSTM_ERR_NONFINITE;
  m->last_gnorm = (float)sqrt(ss);
  return update(m);
}

int lstm_predict(lstm_model* m, const void* inputs, int B, int T, int flags, float* out) {
  if (!m || !inputs || !out) return LSTM_ERR_ARG;
  ws_t w;
  const state_t* from = NULL;
  state_t fresh = {0, NULL, NULL};
  int st = ws_prepare(m, B, T, 0, &w);
  if (st == LSTM_OK) st = check_tokens(m, inputs, B, T);
  if (st == LSTM_OK) st = state_begin(m, LSTM_STATE_PREDICT, B, 1, &from, &fresh);
  if (st != LSTM_OK) return st;
  load_inputs(m, &w, inputs);
  int last = (flags & LSTM_PREDICT_LAST_ONLY) != 0;
  forward(m, &w, from, FWD_EVAL, last);
  state_commit(m, &w, LSTM_STATE_PREDICT, &fresh);
  int O = m->cfg.output, rows = last ? B : T * B;
  if (flags & LSTM_PREDICT_SOFTMAX) k_softmax(rows, O, w.Y, w.Y);
  if (last) {
    memcpy(out, w.Y, sizeof(float) * (size_t)B * O);
  } else {
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++)
        memcpy(out + ((size_t)b * T + t) * O, w.Y + ((size_t)t * B + b) * O, sizeof(float) * O);
  }
  return LSTM_OK;
}

/* ---- inspection ------------------------------------------------------------------------------ */
int lstm_inspect_channels(const lstm_model* m) {
  if (!m) return 0;
  return m->cfg.cell == LSTM_CELL_LSTM ? 6 : m->cfg.cell == LSTM_CELL_GRU ? 4 : 1;
}

int lstm_inspect(lstm_model* m, const void* inputs, int B, int T, float* out) {
  if (!m || !inputs || !out) return LSTM_ERR_ARG;
  ws_t w;
  int st = ws_prepare(m, B, T, 0, &w);
  if (st == LSTM_OK) st = check_tokens(m, inputs, B, T);
  if (st != LSTM_OK) return st;
  load_inputs(m, &w, inputs);
  forward(m, &w, NULL, FWD_EVAL, 1);
  int H = m->cfg.hidden, G = m->G, C = lstm_inspect_channels(m);
  size_t Hb = sizeof(float) * (size_t)H;
  for (int l = 0; l < m->cfg.layers; l++) {
    layer_ws* L = &w.ly[l];
    for (int t = 0; t < T; t++)
      for (int b = 0; b < B; b++) {
        float* o = out + ((((size_t)l * T + t) * B + b) * C) * H;
        size_t r = (size_t)t * B + b;
        for (int g = 0; g < G && C > 1; g++) memcpy(o + (size_t)g * H, L->A + r * G * H + (size_t)g * H, Hb);
        if (L->Cs) memcpy(o + 4 * (size_t)H, L->Cs + (r + B) * H, Hb);
        memcpy(o + (size_t)(C - 1) * H, L->Hs + (r + B) * H, Hb);
      }
  }
  return LSTM_OK;
}

/* ---- parameters and state --------------------------------------------------------------------- */
int lstm_param_count(const lstm_model* m) { return m ? m->P : 0; }
float* lstm_params(lstm_model* m) { return m ? m->params : NULL; }
float* lstm_grads(lstm_model* m) { return m ? m->grads : NULL; }
int lstm_tensor_count(const lstm_model* m) { return m ? m->ntensors : 0; }
const char* lstm_tensor_name(const lstm_model* m, int k) {
  return m && k >= 0 && k < m->ntensors ? m->tensors[k].name : NULL;
}
int lstm_tensor_shape(const lstm_model* m, int k, int32_t* dims) {
  if (!m || !dims || k < 0 || k >= m->ntensors) return -1;
  dims[0] = m->tensors[k].dims[0], dims[1] = m->tensors[k].rank == 2 ? m->tensors[k].dims[1] : 0;
  return m->tensors[k].rank;
}
int lstm_tensor_offset(const lstm_model* m, int k) {
  return m && k >= 0 && k < m->ntensors ? m->tensors[k].offset : -1;
}
float* lstm_opt_state(lstm_model* m, int which) {
  return m && (which == 0 || which == 1) ? m->mom[which] : NULL;
}
double lstm_step_count(const lstm_model* m) { return m ? m->step : 0.0; }

int lstm_state_batch(const lstm_model* m, int which) {
  return m && (which == 0 || which == 1) ? m->st[which].B : 0;
}
int lstm_state_set_batch(lstm_model* m, int which, int B) {
  if (!m || which < 0 || which > 1 || B < 1 || B > (1 << 20)) return LSTM_ERR_ARG;
  state_t fresh;
  int st = state_alloc(m, B, &fresh);
  if (st == LSTM_OK) state_install(m, which, &fresh);
  return st;
}
float* lstm_state_h(lstm_model* m, int which) { return m && (which == 0 || which == 1) ? m->st[which].h : NULL; }
float* lstm_state_c(lstm_model* m, int which) { return m && (which == 0 || which == 1) ? m->st[which].c : NULL; }

uint32_t lstm_rng_get(const lstm_model* m, int word) {
  if (!m) return 0;
  return word == 0 ? (uint32_t)m->rng : (uint32_t)(m->rng >> 32);
}
void lstm_rng_set(lstm_model* m, uint32_t w0, uint32_t w1) {
  if (!m) return;
  uint64_t s = (uint64_t)w0 | ((uint64_t)w1 << 32);
  m->rng = s ? s : 1;
}

double lstm_model_bytes(const lstm_model* m) {
  if (!m) return 0.0;
  double floats = (double)m->P * (2 + (m->mom[0] != NULL) + (m->mom[1] != NULL)) + (double)m->ws_cap;
  for (int s = 0; s < 2; s++)
    floats += (double)m->cfg.layers * m->st[s].B * m->cfg.hidden * (m->cfg.cell == LSTM_CELL_LSTM ? 2 : 1);
  return floats * sizeof(float) + sizeof *m;
}

int lstm_simd(void) { return K_HAVE_SIMD; }
