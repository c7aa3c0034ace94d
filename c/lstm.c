/*
 * lstm.c — the model: tensor table, forward, loss and backward through time over packed batches of
 * sequences of different lengths, in one or two directions, for any cell of the cell table.
 *
 * Reads top to bottom in the order data flows:
 *   ---- rng ---- configuration and the tensor table ---- create ---- carried state
 *   ---- the call plan (lengths, packing) and workspace ---- forward ---- loss ---- backward
 *   ---- one gradient computation ---- public entry points ---- inspection ---- accessors
 * (optimizers: optim.c; cells: cells.c; model files: lstm_file.c.)
 * What it deliberately does not do: threads, peepholes, projections, attention.
 * Legend: B batch, T steps, I input (or vocabulary V), H hidden, O outputs, L layers, D directions,
 * G gates, GH = G*H, DH = D*H, N packed rows (valid steps of the batch), n_t rows at step t.
 * All equations and the weight layout are in lstm.h; all hot loops are kernels (kernels.h).
 *
 * Packed rows. A call sorts its sequences by length (stably, longest first: sorted position j holds
 * sequence perm[j]) and stores the valid steps time-major: step t occupies rows off[t] .. off[t] +
 * n[t] − 1, one per sequence longer than t (the first n[t] sorted positions). Every per-step matrix
 * is (N, ·). A layer's outputs Hs are (B + N, DH): rows 0..B−1 hold the initial state (sorted
 * order), row B + r the output of packed row r, each direction in its half. The state a step starts
 * from is row prev[d][r]: for the forward direction the same sequence one step earlier (the initial
 * row at t = 0); for the reverse direction one step later, or the initial row where the sequence
 * ends (its first reverse step). Without lengths every n[t] = B and this is the plain time-major
 * layout.
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

/* ---- configuration and the tensor table -------------------------------------------------------
 * walk_tensors is the one description of the parameter layout: it counts (in 64 bits, for the
 * limit check before anything is allocated) and, given a model, fills its tensor table. */
static void tensor_name(char* out, int l, const char* what, int reverse) {
  char* p = out;
  *p++ = 'l', *p++ = (char)('0' + l), *p++ = '.';
  for (const char* s = what; *s; s++) *p++ = *s;
  if (reverse)
    for (const char* s = "_reverse"; *s; s++) *p++ = *s;
  *p = 0;
}

static uint64_t add_tensor(lstm_model* m, uint64_t P, const char* name, int rank, uint64_t d0, uint64_t d1,
                           int decay) {
  if (m) {
    tensor_desc* t = &m->tensors[m->ntensors++];
    memset(t->name, 0, sizeof t->name);
    memcpy(t->name, name, strlen(name));
    t->rank = rank, t->dims[0] = (int)d0, t->dims[1] = rank == 2 ? (int)d1 : 1;
    t->offset = (int)P, t->decay = decay;
  }
  return P + d0 * (rank == 2 ? d1 : 1);
}

/* Per layer l and direction d: wx (I_l, GH), wh (H, GH), the cell's biases; then the head. */
static uint64_t walk_tensors(const lstm_config* c, lstm_model* m) {
  const cell_desc* cell = &lstm__cells[c->cell];
  uint64_t H = (uint64_t)c->hidden, GH = (uint64_t)cell->gates * H, DH = (uint64_t)c->directions * H, P = 0;
  char name[LSTM_TENSOR_NAME];
  if (m) m->ntensors = 0;
  for (int l = 0; l < c->layers; l++)
    for (int d = 0; d < c->directions; d++) {
      uint64_t I = l == 0 ? (uint64_t)c->input : DH;
      tensor_name(name, l, "wx", d), P = add_tensor(m, P, name, 2, I, GH, 1);
      tensor_name(name, l, "wh", d), P = add_tensor(m, P, name, 2, H, GH, 1);
      if (cell->biases == 2) {
        tensor_name(name, l, "bx", d), P = add_tensor(m, P, name, 1, GH, 0, 0);
        tensor_name(name, l, "bh", d), P = add_tensor(m, P, name, 1, GH, 0, 0);
      } else {
        tensor_name(name, l, "b", d), P = add_tensor(m, P, name, 1, GH, 0, 0);
      }
    }
  P = add_tensor(m, P, "head.w", 2, DH, (uint64_t)c->output, 1);
  return add_tensor(m, P, "head.b", 1, (uint64_t)c->output, 0, 0);
}

static int is_xent(int loss) { return loss == LSTM_LOSS_XENT || loss == LSTM_LOSS_XENT_LAST; }
static int is_last(int loss) { return loss == LSTM_LOSS_MSE_LAST || loss == LSTM_LOSS_XENT_LAST; }

/* Everything but the parameter limit. */
static int config_valid(const lstm_config* c) {
  if (c->cell < LSTM_CELL_LSTM || c->cell > LSTM_CELL_RNN) return 0;
  if (c->input_kind != LSTM_INPUT_DENSE && c->input_kind != LSTM_INPUT_TOKENS) return 0;
  if (c->loss < LSTM_LOSS_XENT || c->loss > LSTM_LOSS_XENT_LAST) return 0;
  if (c->input < 1 || c->input > LSTM_MAX_INPUT) return 0;
  if (c->hidden < 1 || c->hidden > LSTM_MAX_HIDDEN) return 0;
  if (c->layers < 1 || c->layers > LSTM_MAX_LAYERS) return 0;
  if (c->output < 1 || c->output > LSTM_MAX_OUTPUT) return 0;
  if (is_xent(c->loss) && c->output < 2) return 0; /* a softmax over one class is constant */
  if (c->directions != 1 && c->directions != 2) return 0;
  if (c->gate_act != LSTM_GATE_SIGMOID && c->gate_act != LSTM_GATE_HARD_SIGMOID) return 0;
  if (!lstm__cells[c->cell].has_gate_act && c->gate_act != LSTM_GATE_SIGMOID) return 0;
  return 1;
}

int lstm__config_check(const lstm_config* c) {
  if (!config_valid(c)) return LSTM_ERR_CONFIG;
  return walk_tensors(c, NULL) > LSTM_MAX_PARAMS ? LSTM_ERR_NOMEM : LSTM_OK;
}

double lstm_config_param_count(const lstm_config* c) {
  if (!c || !config_valid(c)) return -(double)LSTM_ERR_CONFIG;
  return (double)walk_tensors(c, NULL);
}

/* Sets the cell, D, G and the tensor table (and P) from m->cfg. */
void lstm__layout(lstm_model* m) {
  m->cell = &lstm__cells[m->cfg.cell];
  m->D = m->cfg.directions, m->G = m->cell->gates;
  m->P = (int)walk_tensors(&m->cfg, m);
}

/* Pointers of one layer direction into a parameter-shaped buffer (params, grads, a moment). */
typedef struct {
  float *wx, *wh, *b, *bh; /* b is bx for GRU; bh GRU only */
} dir_ptrs;
static dir_ptrs dir_at(const lstm_model* m, float* base, int l, int d) {
  int per = 2 + m->cell->biases, k = (l * m->D + d) * per;
  dir_ptrs p = {base + m->tensors[k].offset, base + m->tensors[k + 1].offset, base + m->tensors[k + 2].offset,
                m->cell->biases == 2 ? base + m->tensors[k + 3].offset : NULL};
  return p;
}
static float* head_w(const lstm_model* m, float* base) { return base + m->tensors[m->ntensors - 2].offset; }
static float* head_b(const lstm_model* m, float* base) { return base + m->tensors[m->ntensors - 1].offset; }

/* ---- panel copies for one-sequence inference ------------------------------------------------
 * A matrix-vector product h·W (W of K rows, N columns, ld N) reads W's rows N floats apart; its
 * panel copy (k_pack_panels) lays each 32 columns out as one contiguous stream, which is what makes
 * sampling fast. The copies are made by the first call that can use them (a few rows per step:
 * lstm_predict, lstm_evaluate, lstm_inspect, which never write the parameters) after the parameters
 * last changed; the optimizer and lstm_params (whose caller may write through the pointer) clear
 * panels_ok. Without memory for them a call multiplies by the parameters directly: same bits. */
#define PANEL_ROWS 4 /* k_gemm's few-row path (one sequence) ends here */
#define PANEL_NONE ((size_t)-1)

static int panels_ready(lstm_model* m) {
  if (m->panels_ok) return 1;
  int H = m->cfg.hidden, GH = m->G * H, DH = m->D * H, O = m->cfg.output;
  uint64_t off = 0;
  for (int l = 0; l < m->cfg.layers; l++)
    for (int d = 0; d < m->D; d++) {
      int k = l * m->D + d, I = l > 0 ? DH : m->cfg.input_kind == LSTM_INPUT_DENSE ? m->cfg.input : 0;
      m->pk_wx[k] = I ? (size_t)off : PANEL_NONE, off += I ? k_panel_floats(I, GH, PACK_ONE) : 0; /* tokens: a row gather */
      m->pk_wh[k] = (size_t)off, off += k_panel_floats(H, GH, PACK_ONE);
    }
  m->pk_wy = (size_t)off, off += k_panel_floats(DH, O, PACK_ONE);
  if (off * sizeof(float) > ((uint64_t)1 << 29)) return 0;
  if (off > m->panels_cap || !m->panels) {
    float* p = malloc((size_t)(off ? off : 1) * sizeof(float));
    if (!p) return 0;
    free(m->panels);
    m->panels = p, m->panels_cap = (size_t)off;
  }
  for (int l = 0; l < m->cfg.layers; l++)
    for (int d = 0; d < m->D; d++) {
      int k = l * m->D + d, I = l > 0 ? DH : m->cfg.input;
      dir_ptrs p = dir_at(m, m->params, l, d);
      if (m->pk_wx[k] != PANEL_NONE) k_pack_panels(I, GH, p.wx, GH, m->panels + m->pk_wx[k], PACK_ONE);
      k_pack_panels(H, GH, p.wh, GH, m->panels + m->pk_wh[k], PACK_ONE);
    }
  k_pack_panels(DH, O, head_w(m, m->params), O, m->panels + m->pk_wy, PACK_ONE);
  m->panels_ok = 1;
  return 1;
}

/* C (+)= A·W for M rows, W (K, N) ld N a weight matrix with panel copy at pk (PANEL_NONE: none),
 * used when the call may (panels: ws_t.panels). */
static void times_weights(int panels, const lstm_model* m, size_t pk, int M, int N, int K, const float* A,
                          int lda, const float* W, float* C, int acc) {
  if (panels && M < PANEL_ROWS && pk != PANEL_NONE) k_gemm_panels(M, N, K, A, lda, m->panels + pk, W, N, C, N, acc);
  else k_gemm(M, N, K, A, lda, W, N, C, N, acc);
}

/* ---- create ---------------------------------------------------------------------------------- */
void lstm_train_config_default(lstm_train_config* tc) {
  tc->optimizer = LSTM_OPT_ADAM;
  tc->lr = 2e-3f, tc->beta1 = 0.9f, tc->beta2 = 0.999f, tc->eps = 1e-8f, tc->weight_decay = 0.0f;
  tc->clip_mode = LSTM_CLIP_NORM, tc->clip = 5.0f, tc->dropout = 0.0f;
}

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

/* Allocates the model and its parameter-shaped buffers; parameters are left zero. */
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
  m->params = calloc((size_t)m->P, sizeof(float)); /* gradients: on first use (ensure_grads) */
  if (!m->params) {
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
  /* U(−1/√H, 1/√H) everywhere, as PyTorch; then biases 0, the forget gate's (LSTM) 1. */
  float k = 1.0f / sqrtf((float)cfg->hidden);
  for (int i = 0; i < m->P; i++) m->params[i] = (2.0f * rng_uniform(&m->rng) - 1.0f) * k;
  int H = cfg->hidden, GH = m->G * H;
  for (int l = 0; l < cfg->layers; l++)
    for (int d = 0; d < m->D; d++) {
      dir_ptrs p = dir_at(m, m->params, l, d);
      memset(p.b, 0, sizeof(float) * (size_t)GH);
      if (p.bh) memset(p.bh, 0, sizeof(float) * (size_t)GH);
      if (m->cell->forget_block >= 0)
        for (int j = 0; j < H; j++) p.b[m->cell->forget_block * H + j] = 1.0f;
    }
  memset(head_b(m, m->params), 0, sizeof(float) * (size_t)cfg->output);
  return m;
}

void lstm_free(lstm_model* m) {
  if (!m) return;
  free(m->params), free(m->grads), free(m->gwork), free(m->mom_block), free(m->ws), free(m->panels);
  for (int s = 0; s < 2; s++) free(m->st[s].h), free(m->st[s].c);
  free(m);
}

/* ---- carried state ----------------------------------------------------------------------------
 * A unidirectional call continues from the carried state when its batch matches, else from zeros;
 * a stateless call from the caller's h0/c0 (or zeros) and it never touches the carried state.
 * Buffers for a new batch are allocated before the call computes anything (so NOMEM changes
 * nothing) and take the old state's place only when the call commits. */
static int state_alloc(const lstm_model* m, int B, state_t* s) {
  uint64_t n = (uint64_t)m->cfg.layers * (uint64_t)B * (uint64_t)m->cfg.hidden;
  s->B = B, s->h = s->c = NULL;
  if (n * sizeof(float) > ((uint64_t)1 << 30)) return LSTM_ERR_NOMEM;
  s->h = calloc((size_t)n, sizeof(float));
  s->c = m->cell->has_c ? calloc((size_t)n, sizeof(float)) : NULL;
  if (!s->h || (m->cell->has_c && !s->c)) {
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

static void state_drop(state_t* fresh) {
  free(fresh->h), free(fresh->c);
  fresh->h = fresh->c = NULL;
}

/* Where a call starts, (*h0, *c0) in the (L·D, B, H) layout (NULL: zeros), and, when it will
 * commit a carried state of another batch, the fresh buffers it will commit into. */
static int state_begin(lstm_model* m, int which, const lstm_batch* b, int commit, const float** h0,
                       const float** c0, state_t* fresh) {
  fresh->h = fresh->c = NULL, fresh->B = 0;
  *h0 = *c0 = NULL;
  if (b->flags & LSTM_CALL_STATELESS) {
    *h0 = b->h0, *c0 = m->cell->has_c ? b->c0 : NULL;
    return LSTM_OK;
  }
  if (m->D != 1) return LSTM_ERR_ARG; /* a bidirectional model has no carried state */
  const state_t* s = &m->st[which];
  if (s->B == b->batch) {
    *h0 = s->h, *c0 = s->c;
    return LSTM_OK;
  }
  return commit ? state_alloc(m, b->batch, fresh) : LSTM_OK;
}

/* ---- the call plan and workspace --------------------------------------------------------------
 * Every per-call buffer is carved from one allocation: the plan's index arrays, and per layer Hs
 * (B + N, DH) and, per direction, A (N, GH) gate activations (overwritten by backward with
 * ∂L/∂(pre-activations)), for GRU GHs (N, GH) = h Wh + bh (then its gradient), for LSTM Cs (B + N, H);
 * for l >= 1 with dropout X (N, DH) the dropped input and Mk its mask. Then the head's input and
 * output, and backward scratch. Only what backward needs is kept: tanh(c) is recomputed, and
 * gradients reuse the activations' memory. */
typedef struct {
  float *A, *GHs, *Cs;
} dir_ws;
typedef struct {
  float *Hs, *X, *Mk; /* X, Mk: for l >= 1 with dropout */
  dir_ws dir[LSTM_MAX_DIRS];
} layer_ws;

/* WS_READ_ONLY: the call only reads the parameters (predict, evaluate, inspect), so a batch of one
 * sequence may use their panel copies (panels_ready) */
enum { WS_BACKWARD = 1, WS_DROPOUT = 2, WS_SUMMARY = 4, WS_HEAD = 8, WS_LOSS = 16, WS_READ_ONLY = 32 };

typedef struct {
  int B, T, N, maxlen, flags;
  int panels;          /* read m->panels (a WS_READ_ONLY call of fewer than PANEL_ROWS sequences) */
  uint32_t seed;       /* of this call's dropout masks                                           */
  int seq_offset;      /* index of the batch's first sequence in the data-parallel caller's batch */
  int32_t* n;          /* (T + 1) rows at step t; n[t] = 0 for t >= maxlen                      */
  int32_t* off;        /* (T + 1) first packed row of step t; off[T] = N                        */
  int32_t* perm;       /* (B) sorted position -> sequence                                        */
  int32_t* len;        /* (B) lengths in sorted order                                            */
  int32_t* prev[LSTM_MAX_DIRS]; /* (N) the Hs/Cs row each packed row's step starts from          */
  layer_ws ly[LSTM_MAX_LAYERS];
  float* X0;           /* dense input, packed (N, I)                                             */
  int32_t* tok;        /* token input, packed (N)                                                */
  int32_t* tgt;        /* class targets: packed (N), or (B) sorted for XENT_LAST                 */
  float* Hl;           /* (B, DH) sequence summaries (WS_SUMMARY)                                */
  float *hX, *hMk;     /* the head's dropped input and its mask (rows, DH)                       */
  float* Y;            /* head outputs (rows, O); rows = B with WS_SUMMARY, else N               */
  float *dHa, *dHb;    /* (N, DH) ping-pong: gradient at a layer's outputs / leaving its input   */
  float *dh, *dc, *dhr, *dup, *hp, *cp; /* (B, H)                                                */
  float* dHl;          /* (B, DH) ∂L/∂(summaries)                                                */
  float* WyT;          /* the head's weights transposed (O, DH)                                  */
  float* Wt;           /* a layer's weights transposed (GH × max(H, DH))                         */
  float* Xt;           /* transposed rows for a weight gradient (max(I, DH) × XT_ROWS)           */
  float* Pk;           /* a layer direction's Wh (forward) or Whᵀ (backward) in panels, packed once
                          for all its steps: batches of PACK_ROWS or more                         */
} ws_t;

#define XT_ROWS 256 /* rows of an activation matrix transposed at a time for a weight gradient */
#define PACK_ROWS 8 /* from this batch on k_gemm packs B per product: pack Wh once per call instead */

/* Sizes are counted in 64 bits (a wasm32 size_t would wrap for large B·T·H) and checked before
 * anything is carved. */
static uint64_t carve(uint64_t* off, uint64_t n) { /* floats (or int32), 16-byte aligned */
  uint64_t at = *off;
  *off += (n + 3) & ~(uint64_t)3;
  return at;
}

/* Lays out the workspace; with base == NULL only measures it. */
static uint64_t ws_layout(const lstm_model* m, int B, int T, int N, int flags, float* base, ws_t* w) {
  const lstm_config* c = &m->cfg;
  uint64_t H = (uint64_t)c->hidden, GH = (uint64_t)m->G * H, D = (uint64_t)m->D, DH = D * H;
  uint64_t O = (uint64_t)c->output, I = (uint64_t)c->input, Bu = (uint64_t)B, Nu = (uint64_t)N, off = 0;
  int dense = c->input_kind == LSTM_INPUT_DENSE, back = flags & WS_BACKWARD, drop = flags & WS_DROPOUT;
  uint64_t rows = (flags & WS_SUMMARY) ? Bu : Nu;
  ws_t tmp;
  if (!w) w = &tmp;
#define AT(n) (base ? base + (size_t)carve(&off, (n)) : (carve(&off, (n)), (float*)NULL))
#define ATI(n) ((int32_t*)AT(n))
  w->B = B, w->T = T, w->N = N, w->flags = flags;
  w->n = ATI((uint64_t)T + 1), w->off = ATI((uint64_t)T + 1), w->perm = ATI(Bu), w->len = ATI(Bu);
  for (int d = 0; d < LSTM_MAX_DIRS; d++) w->prev[d] = d < m->D ? ATI(Nu) : NULL;
  for (int l = 0; l < c->layers; l++) {
    layer_ws* L = &w->ly[l];
    L->Hs = AT((Bu + Nu) * DH);
    for (int d = 0; d < m->D; d++) {
      L->dir[d].A = AT(Nu * GH);
      L->dir[d].GHs = m->cell->biases == 2 ? AT(Nu * GH) : NULL;
      L->dir[d].Cs = m->cell->has_c ? AT((Bu + Nu) * H) : NULL;
    }
    L->X = l > 0 && drop ? AT(Nu * DH) : NULL;
    L->Mk = l > 0 && drop ? AT(Nu * DH) : NULL;
  }
  w->X0 = dense ? AT(Nu * I) : NULL;
  w->tok = dense ? NULL : ATI(Nu);
  w->tgt = (flags & WS_LOSS) && is_xent(c->loss) ? ATI(rows) : NULL;
  w->hp = m->D == 2 ? AT(Bu * H) : NULL;
  w->cp = m->D == 2 && m->cell->has_c ? AT(Bu * H) : NULL;
  w->Hl = (flags & WS_SUMMARY) ? AT(Bu * DH) : NULL;
  w->hX = drop ? AT(rows * DH) : NULL;
  w->hMk = drop ? AT(rows * DH) : NULL;
  w->Y = (flags & WS_HEAD) ? AT(rows * O) : NULL;
  w->dHa = w->dHb = w->dh = w->dc = w->dhr = w->dup = w->dHl = w->WyT = w->Wt = w->Xt = NULL;
  uint64_t pk = k_panel_floats((int)H, (int)GH, PACK_WIDE), pkT = k_panel_floats((int)GH, (int)H, PACK_WIDE); /* Wh (H, GH), Whᵀ (GH, H) */
  w->Pk = Bu >= PACK_ROWS ? AT(pk > pkT ? pk : pkT) : NULL;
  if (back) {
    w->dHa = c->layers > 1 ? AT(Nu * DH) : NULL; /* ping-pong between layers; the top layer needs none */
    w->dHb = c->layers > 2 ? AT(Nu * DH) : NULL;
    w->dh = AT(Bu * H), w->dc = AT(Bu * H), w->dhr = AT(Bu * H), w->dup = AT(Bu * H);
    w->dHl = (flags & WS_SUMMARY) ? AT(Bu * DH) : NULL;
    w->WyT = AT(O * DH);
    w->Wt = AT(GH * (DH > H ? DH : H));
    uint64_t maxin = dense && I > DH ? I : DH;
    w->Xt = AT(maxin * (Nu < XT_ROWS ? Nu : XT_ROWS));
  }
#undef AT
#undef ATI
  return off;
}

/* Checks the call's sizes and lengths, sizes the workspace, and builds the plan. */
static int ws_prepare(lstm_model* m, const lstm_batch* b, int flags, ws_t* w) {
  int B = b->batch, T = b->steps;
  if (B < 1 || B > LSTM_MAX_BATCH || T < 1 || (int64_t)B * T > LSTM_MAX_ROWS || !b->inputs) return LSTM_ERR_ARG;
  int64_t N = 0;
  for (int i = 0; i < B; i++) {
    int32_t len = b->lengths ? b->lengths[i] : T;
    if (len < 1 || len > T) return LSTM_ERR_ARG;
    N += len;
  }
  uint64_t need = ws_layout(m, B, T, (int)N, flags, NULL, NULL);
  if (need * sizeof(float) > ((uint64_t)1 << 30)) return LSTM_ERR_NOMEM; /* wasm memory is 1 GB */
  if (need > m->ws_cap) {
    float* p = malloc((size_t)need * sizeof(float));
    if (!p) return LSTM_ERR_NOMEM;
    free(m->ws);
    m->ws = p, m->ws_cap = (size_t)need;
  }
  ws_layout(m, B, T, (int)N, flags, m->ws, w);
  w->seed = 0, w->seq_offset = b->seq_offset;
  w->panels = (flags & WS_READ_ONLY) && B < PANEL_ROWS && panels_ready(m);
  /* sort by length, longest first, stably: a counting sort over lengths T..1 */
  int k = 0;
  if (!b->lengths) {
    for (int i = 0; i < B; i++) w->perm[i] = i, w->len[i] = T;
  } else {
    for (int len = T; len >= 1 && k < B; len--)
      for (int i = 0; i < B; i++)
        if (b->lengths[i] == len) w->perm[k] = i, w->len[k] = len, k++;
  }
  w->maxlen = w->len[0];
  for (int t = 0, j = B; t <= T; t++) {
    while (j > 0 && w->len[j - 1] <= t) j--;
    w->n[t] = t < T ? j : 0;
  }
  w->off[0] = 0;
  for (int t = 0; t < T; t++) w->off[t + 1] = w->off[t] + w->n[t];
  for (int t = 0; t < w->maxlen; t++)
    for (int j = 0; j < w->n[t]; j++) {
      int r = w->off[t] + j;
      w->prev[0][r] = t == 0 ? j : B + w->off[t - 1] + j;
      if (m->D == 2) w->prev[1][r] = j < w->n[t + 1] ? B + w->off[t + 1] + j : j;
    }
  return LSTM_OK;
}

/* The Hs / Cs row of sequence j's final state in direction d: its last valid step (forward), or
 * step 0 (reverse). */
static int final_row(const ws_t* w, int d, int j) { return d == 0 ? w->B + w->off[w->len[j] - 1] + j : w->B + j; }

/* Copies the call's batch-first inputs into packed order; token ids are checked (only those at
 * valid steps are read). */
static int load_inputs(const lstm_model* m, ws_t* w, const void* inputs) {
  int T = w->T;
  for (int t = 0; t < w->maxlen; t++)
    for (int j = 0; j < w->n[t]; j++) {
      size_t r = (size_t)w->off[t] + j, src = (size_t)w->perm[j] * T + t;
      if (m->cfg.input_kind == LSTM_INPUT_TOKENS) {
        int32_t v = ((const int32_t*)inputs)[src];
        if (v < 0 || v >= m->cfg.input) return LSTM_ERR_ARG;
        w->tok[r] = v;
      } else {
        size_t I = (size_t)m->cfg.input;
        memcpy(w->X0 + r * I, (const float*)inputs + src * I, I * sizeof(float));
      }
    }
  return LSTM_OK;
}

/* Puts the starting state (L·D, B, H) — or zeros — into rows 0..B−1 of every Hs and Cs. */
static void load_state(const lstm_model* m, ws_t* w, const float* h0, const float* c0) {
  int B = w->B, H = m->cfg.hidden, DH = m->D * H;
  size_t Hb = sizeof(float) * (size_t)H;
  for (int l = 0; l < m->cfg.layers; l++)
    for (int d = 0; d < m->D; d++) {
      const float *hs = h0 ? h0 + (size_t)(l * m->D + d) * B * H : NULL;
      const float *cs = c0 ? c0 + (size_t)(l * m->D + d) * B * H : NULL;
      float* Cs = w->ly[l].dir[d].Cs;
      for (int j = 0; j < B; j++) {
        float* h = w->ly[l].Hs + (size_t)j * DH + (size_t)d * H;
        if (hs) memcpy(h, hs + (size_t)w->perm[j] * H, Hb);
        else memset(h, 0, Hb);
        if (Cs) {
          if (cs) memcpy(Cs + (size_t)j * H, cs + (size_t)w->perm[j] * H, Hb);
          else memset(Cs + (size_t)j * H, 0, Hb);
        }
      }
    }
}

/* Writes every layer's final state, (L·D, B, H) in the caller's order; c only with a cell state. */
static void store_state(const lstm_model* m, const ws_t* w, float* h, float* c) {
  int B = w->B, H = m->cfg.hidden, DH = m->D * H;
  size_t Hb = sizeof(float) * (size_t)H;
  for (int l = 0; l < m->cfg.layers; l++)
    for (int d = 0; d < m->D; d++) {
      size_t k = (size_t)(l * m->D + d) * B * H;
      for (int j = 0; j < B; j++) {
        size_t row = (size_t)final_row(w, d, j), to = k + (size_t)w->perm[j] * H;
        if (h) memcpy(h + to, w->ly[l].Hs + row * DH + (size_t)d * H, Hb);
        if (c && w->ly[l].dir[d].Cs) memcpy(c + to, w->ly[l].dir[d].Cs + row * H, Hb);
      }
    }
}

static int finite_all(size_t n, const float* x) {
  uint32_t e = 0; /* the largest exponent field: all ones for ±Inf and NaN (branch-free: vectorised) */
  for (size_t i = 0; i < n; i++) {
    uint32_t bits;
    memcpy(&bits, x + i, sizeof bits);
    bits &= 0x7f800000u;
    e = bits > e ? bits : e;
  }
  return e != 0x7f800000u;
}

/* Whether every final state is finite (the state a call would carry or return). */
static int state_finite(const lstm_model* m, const ws_t* w) {
  int H = m->cfg.hidden, DH = m->D * H;
  for (int l = 0; l < m->cfg.layers; l++)
    for (int d = 0; d < m->D; d++)
      for (int j = 0; j < w->B; j++) {
        size_t row = (size_t)final_row(w, d, j);
        if (!finite_all((size_t)H, w->ly[l].Hs + row * DH + (size_t)d * H)) return 0;
        if (w->ly[l].dir[d].Cs && !finite_all((size_t)H, w->ly[l].dir[d].Cs + row * H)) return 0;
      }
  return 1;
}

/* The call's final state becomes the carried state (in the fresh buffers when the batch changed). */
static void state_commit(lstm_model* m, const ws_t* w, int slot, state_t* fresh) {
  if (fresh->h) state_install(m, slot, fresh);
  store_state(m, w, m->st[slot].h, m->st[slot].c);
}

/* ---- forward ---------------------------------------------------------------------------------
 * Layer by layer, direction by direction over all steps: first the input projection of every
 * packed row as one GEMM (it does not depend on h), then the recurrence step by step, through the
 * cell's forward step. mode: FWD_TRAIN applies dropout. */
enum { FWD_EVAL = 0, FWD_TRAIN = 1 };

/* Dropout masks are a function of (the call's seed, the layer, the sequence, the step, the unit),
 * hashed (splitmix64's finaliser over a counter): so a sequence gets the same masks whichever
 * other sequences share its batch or its thread (the data-parallel pool draws one seed per step
 * for all shares and gives each its sequences' index). The call's seed is drawn from the model's
 * RNG once per training call (lstm_batch.seed with LSTM_CALL_SEED instead). */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* rows: step t (or -1 for the summary) and sorted position j of each row, via the plan */
static void dropout_rows(const lstm_model* m, const ws_t* w, int tag, int summary, size_t width, const float* in,
                         float* out, float* mask) {
  float p = m->tc.dropout, keep = 1.0f / (1.0f - p);
  uint64_t key = mix64(((uint64_t)w->seed << 32) ^ (uint64_t)(uint32_t)tag);
  int steps = summary ? 1 : w->maxlen;
  for (int t = 0; t < steps; t++)
    for (int j = 0; j < (summary ? w->B : w->n[t]); j++) {
      size_t r = summary ? (size_t)j : (size_t)w->off[t] + j;
      uint64_t seq = (uint64_t)(w->perm[j] + w->seq_offset), row = key ^ mix64(seq * 0x9E3779B97F4A7C15ULL + (uint64_t)t);
      for (size_t u = 0; u < width; u++) {
        float v = (float)(mix64(row + u * 0xD1B54A32D192ED03ULL) >> 40) * 0x1p-24f; /* [0, 1) */
        mask[r * width + u] = v < p ? 0.0f : keep;
        out[r * width + u] = in[r * width + u] * mask[r * width + u];
      }
    }
}

/* The step of layer l, direction d at time t, with every pointer a cell step reads or writes
 * (backward adds its own). Where the rows the step starts from are not contiguous (the reverse
 * direction where sequences end), they are gathered into hp / cp. */
static step_io step_at(const lstm_model* m, ws_t* w, int l, int d, int t, const dir_ptrs* p) {
  int B = w->B, H = m->cfg.hidden, GH = m->G * H, DH = m->D * H, n = w->n[t], r0 = w->off[t];
  layer_ws* L = &w->ly[l];
  dir_ws* Z = &L->dir[d];
  step_io io;
  memset(&io, 0, sizeof io);
  io.n = n, io.H = H, io.GH = GH, io.act = m->cfg.gate_act;
  io.a = Z->A + (size_t)r0 * GH;
  io.gh = Z->GHs ? Z->GHs + (size_t)r0 * GH : NULL;
  io.h = L->Hs + (size_t)(B + r0) * DH + (size_t)d * H, io.ldh = DH;
  io.c = Z->Cs ? Z->Cs + (size_t)(B + r0) * H : NULL;
  const int32_t* pr = w->prev[d] + r0;
  if (pr[n - 1] - pr[0] == n - 1) { /* consecutive rows (always, but for the reverse direction where sequences end) */
    io.hprev = L->Hs + (size_t)pr[0] * DH + (size_t)d * H, io.ldp = DH;
    io.cprev = Z->Cs ? Z->Cs + (size_t)pr[0] * H : NULL;
  } else {
    for (int j = 0; j < n; j++) {
      memcpy(w->hp + (size_t)j * H, L->Hs + (size_t)pr[j] * DH + (size_t)d * H, sizeof(float) * H);
      if (Z->Cs) memcpy(w->cp + (size_t)j * H, Z->Cs + (size_t)pr[j] * H, sizeof(float) * H);
    }
    io.hprev = w->hp, io.ldp = H;
    io.cprev = Z->Cs ? w->cp : NULL;
  }
  io.wh = p->wh, io.bh = p->bh;
  return io;
}

/* The input of layer l >= 1 (or of the head, l = L, per step): the previous layer's outputs, (N, DH),
 * maybe dropped. */
static const float* layer_input(lstm_model* m, ws_t* w, int l, int mode) {
  const float* h = w->ly[l - 1].Hs + (size_t)w->B * m->D * m->cfg.hidden;
  if (mode != FWD_TRAIN || m->tc.dropout == 0.0f) return h;
  int head = l == m->cfg.layers;
  float *x = head ? w->hX : w->ly[l].X, *mk = head ? w->hMk : w->ly[l].Mk;
  dropout_rows(m, w, l, 0, (size_t)m->D * m->cfg.hidden, h, x, mk);
  return x;
}

/* Rows [r0, r0 + n) of A for token inputs: one-hot × Wx is a row gather, A = b + Wx[tok]. */
static void gather_tokens(const ws_t* w, const dir_ptrs* p, int GH, float* A, int r0, int n) {
  for (int r = r0; r < r0 + n; r++) {
    float* a = A + (size_t)r * GH;
    const float* row = p->wx + (size_t)w->tok[r] * GH;
    for (int j = 0; j < GH; j++) a[j] = p->b[j] + row[j];
  }
}

static void forward_dir(lstm_model* m, ws_t* w, int l, int d, const float* x, int I) {
  int N = w->N, GH = m->G * m->cfg.hidden;
  float* A = w->ly[l].dir[d].A;
  dir_ptrs p = dir_at(m, m->params, l, d);
  /* A = X Wx + b for every valid step (GRU: + bx): one product for all steps; token rows are
   * gathered step by step below, just before the step reads them (in cache, not 4·N·GH bytes
   * written long before) */
  int tokens = l == 0 && m->cfg.input_kind == LSTM_INPUT_TOKENS;
  if (!tokens) {
    for (int r = 0; r < N; r++) memcpy(A + (size_t)r * GH, p.b, sizeof(float) * GH);
    times_weights(w->panels, m, m->pk_wx[l * m->D + d], N, GH, I, x, I, p.wx, A, 1);
  }
  /* Wh in panels for every step: the model's copy (few rows), or packed here once (many rows) */
  const float* whp = NULL;
  int pw = PACK_WIDE;
  if (w->panels) whp = m->panels + m->pk_wh[l * m->D + d], pw = PACK_ONE;
  else if (w->Pk) k_pack_panels(m->cfg.hidden, GH, p.wh, GH, w->Pk, pw), whp = w->Pk;
  for (int s = 0; s < w->maxlen; s++) {
    int t = d == 0 ? s : w->maxlen - 1 - s;
    if (tokens) gather_tokens(w, &p, GH, A, w->off[t], w->n[t]);
    step_io io = step_at(m, w, l, d, t, &p);
    io.whp = whp, io.pw = pw;
    m->cell->forward(&io);
  }
}

static void forward_layers(lstm_model* m, ws_t* w, int mode) {
  int DH = m->D * m->cfg.hidden;
  for (int l = 0; l < m->cfg.layers; l++) {
    const float* x = l == 0 ? w->X0 : layer_input(m, w, l, mode);
    for (int d = 0; d < m->D; d++) forward_dir(m, w, l, d, x, l == 0 ? m->cfg.input : DH);
  }
}

/* The head's input: every packed row of the top layer (N, DH), or the summaries (B, DH); dropped
 * copies in training with dropout. Returns it and its row count. */
static const float* head_input(lstm_model* m, ws_t* w, int mode, int* rows) {
  int B = w->B, H = m->cfg.hidden, DH = m->D * H, L = m->cfg.layers;
  if (!(w->flags & WS_SUMMARY)) {
    *rows = w->N;
    return layer_input(m, w, L, mode);
  }
  const float* Hs = w->ly[L - 1].Hs;
  for (int j = 0; j < B; j++)
    for (int d = 0; d < m->D; d++)
      memcpy(w->Hl + (size_t)j * DH + (size_t)d * H, Hs + (size_t)final_row(w, d, j) * DH + (size_t)d * H,
             sizeof(float) * H);
  *rows = B;
  if (mode != FWD_TRAIN || m->tc.dropout == 0.0f) return w->Hl;
  dropout_rows(m, w, L, 1, (size_t)DH, w->Hl, w->hX, w->hMk);
  return w->hX;
}

/* Runs the layers and the head (y = x Wy + by); returns the head's input (for the weight gradient). */
static const float* forward(lstm_model* m, ws_t* w, int mode, int* rows) {
  forward_layers(m, w, mode);
  const float* x = head_input(m, w, mode, rows);
  int O = m->cfg.output, DH = m->D * m->cfg.hidden;
  const float* hb = head_b(m, m->params);
  for (int r = 0; r < *rows; r++) memcpy(w->Y + (size_t)r * O, hb, sizeof(float) * O);
  times_weights(w->panels, m, m->pk_wy, *rows, O, DH, x, DH, head_w(m, m->params), w->Y, 1);
  return x;
}

/* ---- loss: value, and ∂loss/∂Y written over Y ------------------------------------------------ */
static int check_targets(const lstm_model* m, const ws_t* w, const void* targets) {
  if (!targets) return LSTM_ERR_ARG;
  if (!is_xent(m->cfg.loss)) return LSTM_OK;
  const int32_t* y = targets;
  int O = m->cfg.output;
  if (m->cfg.loss == LSTM_LOSS_XENT_LAST) {
    for (int b = 0; b < w->B; b++)
      if (y[b] < -1 || y[b] >= O) return LSTM_ERR_ARG;
    return LSTM_OK;
  }
  for (int t = 0; t < w->maxlen; t++)
    for (int j = 0; j < w->n[t]; j++) {
      int32_t v = y[(size_t)w->perm[j] * w->T + t];
      if (v < -1 || v >= O) return LSTM_ERR_ARG;
    }
  return LSTM_OK;
}

/* The argmax of each row of Y that has a target (before softmax_xent overwrites Y): how many match. */
static double count_correct(int rows, int O, const float* Y, const int32_t* tgt) {
  double correct = 0;
  for (int r = 0; r < rows; r++) {
    if (tgt[r] < 0) continue;
    const float* y = Y + (size_t)r * O;
    int best = 0;
    for (int k = 1; k < O; k++) best = y[k] > y[best] ? k : best;
    correct += best == tgt[r];
  }
  return correct;
}

/* The mean loss over `norm` (0: the batch's own count), ∂loss/∂Y over Y, and metrics[2] = the
 * count and the correct argmax predictions (class losses). */
static double loss_and_dY(lstm_model* m, ws_t* w, const void* targets, float norm, double* metrics) {
  int B = w->B, T = w->T, O = m->cfg.output, loss = m->cfg.loss;
  if (is_xent(loss)) {
    const int32_t* y = targets;
    int count = 0, rows;
    if (loss == LSTM_LOSS_XENT_LAST) {
      for (int j = 0; j < B; j++) w->tgt[j] = y[w->perm[j]], count += w->tgt[j] >= 0;
      rows = B;
    } else {
      for (int t = 0; t < w->maxlen; t++)
        for (int j = 0; j < w->n[t]; j++) {
          int32_t v = y[(size_t)w->perm[j] * T + t];
          w->tgt[w->off[t] + j] = v;
          count += v >= 0;
        }
      rows = w->N;
    }
    metrics[0] = count, metrics[1] = count_correct(rows, O, w->Y, w->tgt);
    double denom = norm > 0.0f ? (double)norm : (double)count;
    float scale = norm > 0.0f ? 1.0f / norm : count ? 1.0f / (float)count : 0.0f;
    double sum = k_softmax_xent(rows, O, w->Y, w->tgt, scale, w->Y);
    return denom > 0 ? sum / denom : 0.0;
  }
  const float* y = targets;
  int last = loss == LSTM_LOSS_MSE_LAST;
  size_t n = (size_t)(last ? B : w->N) * O;
  metrics[0] = (double)n, metrics[1] = 0;
  float scale = norm > 0.0f ? 2.0f / norm : 2.0f / (float)n;
  double sum = 0.0;
  for (int t = 0; t < (last ? 1 : w->maxlen); t++)
    for (int j = 0; j < (last ? B : w->n[t]); j++) {
      float* yr = w->Y + (last ? (size_t)j : (size_t)w->off[t] + j) * O;
      const float* tr = y + (last ? (size_t)w->perm[j] : (size_t)w->perm[j] * T + t) * O;
      for (int k = 0; k < O; k++) {
        float d = yr[k] - tr[k];
        sum += (double)d * d;
        yr[k] = scale * d;
      }
    }
  return sum / (norm > 0.0f ? (double)norm : (double)n);
}

/* ---- backward -------------------------------------------------------------------------------
 * Gradients are ADDED into the compute buffer m->gwork (zeroed once per call). norms/cnorms, when
 * not NULL, receive ‖∂L/∂h_t‖ and ‖∂L/∂c_t‖ per layer, direction and step. */
static void col_sum_add(int rows, int cols, const float* x, float* out) {
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < cols; j++) out[j] += x[(size_t)r * cols + j];
}

static void transpose(int rows, int cols, const float* src, float* dst) { /* dst (cols, rows) */
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) dst[(size_t)c * rows + r] = src[(size_t)r * cols + c];
}

/* dW (K, Nc) += Xᵀ · dG for X (rows, K) whose row r is X + idx[r]·ldx (idx NULL: r), dG (rows, Nc),
 * through transposed copies of X, XT_ROWS rows at a time (the sum over rows still runs in order). */
static void weight_grad(ws_t* w, int rows, int K, int Nc, const float* X, int ldx, const int32_t* idx,
                        const float* dG, float* dW) {
  for (int r0 = 0; r0 < rows; r0 += XT_ROWS) {
    int n = rows - r0 < XT_ROWS ? rows - r0 : XT_ROWS;
    for (int i = 0; i < n; i++) {
      const float* src = X + (size_t)(idx ? idx[r0 + i] : r0 + i) * ldx;
      for (int k = 0; k < K; k++) w->Xt[(size_t)k * n + i] = src[k];
    }
    k_gemm(K, Nc, n, w->Xt, n, dG + (size_t)r0 * Nc, Nc, dW, Nc, 1);
  }
}

/* ∂L/∂h_t of the top layer's direction d from the head, (n_t, H) in dup: computed step by step
 * inside the top layer's backward, so no (N, DH) buffer holds it. Per-step head: dY_t · Wyᵀ
 * (through the head's dropout mask); summary head: the summary's gradient at the step that
 * produced it (a sequence's last step, forward; step 0, reverse), else 0. */
static const float* head_step_grad(lstm_model* m, ws_t* w, int d, int t, int dropped) {
  int H = m->cfg.hidden, DH = m->D * H, O = m->cfg.output, n = w->n[t], r0 = w->off[t];
  size_t Hb = sizeof(float) * (size_t)H;
  if (w->flags & WS_SUMMARY) {
    memset(w->dup, 0, (size_t)n * Hb);
    int from = d == 0 ? w->n[t + 1] : (t == 0 ? 0 : n);
    for (int j = from; j < n; j++) memcpy(w->dup + (size_t)j * H, w->dHl + (size_t)j * DH + (size_t)d * H, Hb);
    return w->dup;
  }
  k_gemm(n, H, O, w->Y + (size_t)r0 * O, O, w->WyT + (size_t)d * H, DH, w->dup, H, 0);
  if (dropped) {
    for (int j = 0; j < n; j++) {
      const float* mk = w->hMk + (size_t)(r0 + j) * DH + (size_t)d * H;
      for (int k = 0; k < H; k++) w->dup[(size_t)j * H + k] *= mk[k];
    }
  }
  return w->dup;
}

/* Backward through direction d of layer l. dHout (N, DH): ∂L/∂ of the layer's outputs from the
 * layer above, or NULL for the top layer (then from the head, step by step). dX (N, I), when not
 * NULL, receives (d = 0) or accumulates (d = 1) ∂L/∂ of the layer's input. */
static void backward_dir(lstm_model* m, ws_t* w, int l, int d, const float* xin, int I, const float* dHout, float* dX,
                         int dropped, float* norms, float* cnorms) {
  int B = w->B, T = w->T, N = w->N, H = m->cfg.hidden, GH = m->G * H, DH = m->D * H;
  size_t BH = (size_t)B * H;
  layer_ws* L = &w->ly[l];
  dir_ws* Z = &L->dir[d];
  dir_ptrs p = dir_at(m, m->params, l, d), g = dir_at(m, m->gwork, l, d);
  int k = l * m->D + d;
  transpose(H, GH, p.wh, w->Wt); /* Whᵀ (GH, H), in panels for every step when the batch is large */
  if (w->Pk) k_pack_panels(GH, H, w->Wt, H, w->Pk, PACK_WIDE);
  memset(w->dhr, 0, BH * sizeof(float));
  memset(w->dc, 0, BH * sizeof(float));
  for (int s = 0; s < w->maxlen; s++) {
    int t = d == 0 ? w->maxlen - 1 - s : s, n = w->n[t], r0 = w->off[t];
    const float* up;
    int ldu;
    if (dHout) up = dHout + (size_t)r0 * DH + (size_t)d * H, ldu = DH;
    else up = head_step_grad(m, w, d, t, dropped), ldu = H;
    for (int j = 0; j < n; j++) /* from above + from the next step processed */
      for (int q = 0; q < H; q++) w->dh[(size_t)j * H + q] = up[(size_t)j * ldu + q] + w->dhr[(size_t)j * H + q];
    step_io io = step_at(m, w, l, d, t, &p);
    io.whT = w->Wt, io.whTp = w->Pk, io.dh = w->dh, io.dc = w->dc, io.dhr = w->dhr;
    if (norms) norms[(size_t)k * T + t] = (float)sqrt(k_sumsq(n * H, w->dh));
    if (cnorms && m->cell->cell_grad_norm) cnorms[(size_t)k * T + t] = m->cell->cell_grad_norm(&io);
    m->cell->backward(&io);
  }
  /* weights over the N packed rows: dWh += Hprevᵀ dGh, biases, dWx, and the input gradient */
  float* dG = Z->A;                        /* ∂L/∂(input-side pre-activations), over the activations */
  float* dGh = Z->GHs ? Z->GHs : dG;       /* ∂L/∂(recurrent pre-activations) */
  weight_grad(w, N, H, GH, L->Hs + (size_t)d * H, DH, w->prev[d], dGh, g.wh);
  col_sum_add(N, GH, dG, g.b);
  if (Z->GHs) col_sum_add(N, GH, dGh, g.bh);
  if (l == 0 && m->cfg.input_kind == LSTM_INPUT_TOKENS) {
    for (int r = 0; r < N; r++) { /* scatter-add: the transpose of the row gather */
      float* row = g.wx + (size_t)w->tok[r] * GH;
      const float* dr = dG + (size_t)r * GH;
      for (int j = 0; j < GH; j++) row[j] += dr[j];
    }
  } else {
    weight_grad(w, N, I, GH, xin, I, NULL, dG, g.wx);
  }
  if (dX) {
    transpose(I, GH, p.wx, w->Wt); /* Wxᵀ (GH, I) */
    k_gemm(N, I, GH, dG, GH, w->Wt, I, dX, I, d > 0);
  }
}

/* Full backward from ∂L/∂Y (in w->Y). xins[l] is the input of layer l as forward used it (dropped
 * copies when dropout was on), hin the head's input and rows its row count. */
static void backward(lstm_model* m, ws_t* w, int dropped, const float* const* xins, const float* hin, int rows,
                     float* norms, float* cnorms) {
  int H = m->cfg.hidden, O = m->cfg.output, L = m->cfg.layers, DH = m->D * H;
  /* head: dWy += xᵀ dY, dby += Σ dY; the gradient reaching its input, dY Wyᵀ */
  weight_grad(w, rows, DH, O, hin, DH, NULL, w->Y, head_w(m, m->gwork));
  col_sum_add(rows, O, w->Y, head_b(m, m->gwork));
  transpose(DH, O, head_w(m, m->params), w->WyT);
  if (w->flags & WS_SUMMARY) {
    k_gemm(w->B, DH, O, w->Y, O, w->WyT, DH, w->dHl, DH, 0);
    if (dropped)
      for (size_t i = 0; i < (size_t)w->B * DH; i++) w->dHl[i] *= w->hMk[i];
  }
  float* dH = NULL;
  for (int l = L - 1; l >= 0; l--) {
    float* dX = NULL;
    if (l > 0) dX = dH == w->dHa ? w->dHb : w->dHa;
    int I = l == 0 ? m->cfg.input : DH;
    for (int d = 0; d < m->D; d++) backward_dir(m, w, l, d, xins[l], I, dH, dX, dropped, norms, cnorms);
    if (dX && dropped) {
      const float* mk = w->ly[l].Mk;
      for (size_t i = 0; i < (size_t)w->N * DH; i++) dX[i] *= mk[i];
    }
    dH = dX;
  }
}

/* ---- one gradient computation: forward, loss, backward ----------------------------------------
 * From the call's starting state into m->gwork. Nothing else of the model changes here but the RNG
 * (dropout masks); the caller commits (the gradient, the new state into job->fresh) or drops. */
typedef struct {
  const lstm_batch* in;   /* the call */
  int train;              /* dropout on (lstm_train) */
  int commit;             /* the train state will move on */
  float *norms, *cnorms;  /* lstm_step_gradient_norms: outputs, or NULL */
  ws_t w;                 /* results: the workspace (for the state commit), */
  state_t fresh;          /* new state buffers when the batch changed, */
  float loss, gnorm;      /* the loss and the gradient's global norm */
  double metrics[2];      /* counted and correct targets */
} grad_job;

static int ensure_grads(lstm_model* m);

static int compute_gradients(lstm_model* m, grad_job* j) {
  const lstm_batch* b = j->in;
  j->fresh.h = j->fresh.c = NULL;
  if (!m || !b) return LSTM_ERR_ARG;
  int summary = is_last(m->cfg.loss), dropped = j->train && m->tc.dropout > 0.0f;
  int flags = WS_BACKWARD | WS_HEAD | WS_LOSS | (summary ? WS_SUMMARY : 0) | (dropped ? WS_DROPOUT : 0);
  ws_t* w = &j->w;
  const float *h0, *c0;
  int st = ensure_grads(m);
  if (st == LSTM_OK) st = ws_prepare(m, b, flags, w);
  if (st == LSTM_OK) st = load_inputs(m, w, b->inputs);
  if (st == LSTM_OK) st = check_targets(m, w, b->targets);
  if (st == LSTM_OK) st = state_begin(m, LSTM_STATE_TRAIN, b, j->commit, &h0, &c0, &j->fresh);
  if (st != LSTM_OK) return st;
  load_state(m, w, h0, c0);
  if (dropped) w->seed = (b->flags & LSTM_CALL_SEED) ? b->seed : (uint32_t)(rng_next(&m->rng) >> 32);
  int rows, L = m->cfg.layers;
  const float* hin = forward(m, w, dropped ? FWD_TRAIN : FWD_EVAL, &rows);
  const float* xins[LSTM_MAX_LAYERS];
  xins[0] = w->X0;
  for (int l = 1; l < L; l++) xins[l] = dropped ? w->ly[l].X : w->ly[l - 1].Hs + (size_t)w->B * m->D * m->cfg.hidden;
  double lv = loss_and_dY(m, w, b->targets, b->norm, j->metrics);
  memset(m->gwork, 0, sizeof(float) * (size_t)m->P);
  if (j->norms) memset(j->norms, 0, sizeof(float) * (size_t)L * m->D * w->T);
  if (j->cnorms && m->cell->cell_grad_norm) memset(j->cnorms, 0, sizeof(float) * (size_t)L * m->D * w->T);
  backward(m, w, dropped, xins, hin, rows, j->norms, j->cnorms);
  double ss = 0.0;
  for (int k = 0; k < m->ntensors; k++) {
    tensor_desc* t = &m->tensors[k];
    ss += k_sumsq(t->dims[0] * t->dims[1], m->gwork + t->offset);
  }
  j->gnorm = (float)sqrt(ss);
  j->loss = (float)lv;
  /* as the caller receives them: floats; and a state that would be carried must be finite too
   * (a rejected call gives back the RNG draw: lstm_train restores the RNG, lstm_gradients never
   * commits one) */
  size_t nn = (size_t)L * m->D * w->T; /* step norms of finite gradients may still exceed FLT_MAX */
  int norms_ok = (!j->norms || finite_all(nn, j->norms)) &&
                 (!j->cnorms || !m->cell->cell_grad_norm || finite_all(nn, j->cnorms));
  if (!isfinite(j->loss) || !isfinite(j->gnorm) || !norms_ok || ((j->commit || b->hn || b->cn) && !state_finite(m, w))) {
    state_drop(&j->fresh);
    return LSTM_ERR_NONFINITE;
  }
  return LSTM_OK;
}

/* The two gradient buffers, allocated on a model's first gradient computation, so that a model
 * that only predicts holds its parameters alone. */
static int ensure_grads(lstm_model* m) {
  if (m->grads && m->gwork) return LSTM_OK;
  float* g = m->grads ? m->grads : calloc((size_t)m->P, sizeof(float));
  float* w = g ? calloc((size_t)m->P, sizeof(float)) : NULL;
  if (!w) {
    if (g != m->grads) free(g);
    return LSTM_ERR_NOMEM;
  }
  m->grads = g, m->gwork = w;
  return LSTM_OK;
}

static void swap_grads(lstm_model* m, float gnorm) {
  float* g = m->grads;
  m->grads = m->gwork, m->gwork = g;
  m->last_gnorm = gnorm;
}

/* ---- public entry points --------------------------------------------------------------------- */
int lstm_set_train_config(lstm_model* m, const lstm_train_config* tc) {
  if (!m || !tc) return LSTM_ERR_ARG;
  int st = lstm__train_config_check(tc);
  if (st != LSTM_OK) return st;
  if (tc->optimizer != m->tc.optimizer) lstm__free_moments(m); /* another optimizer's moments mean nothing */
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

/* A rejected step (any status but LSTM_OK) leaves no trace: parameters, gradients, moments, step
 * count, carried state and RNG are as they were. */
int lstm_train(lstm_model* m, const lstm_batch* b, float* loss) {
  if (!m || !b) return LSTM_ERR_ARG;
  int new_moments;
  int st = lstm__ensure_moments(m, &new_moments); /* before the work, so NOMEM costs nothing */
  if (st != LSTM_OK) return st;
  uint64_t rng0 = m->rng;
  grad_job j = {.in = b, .train = 1, .commit = !(b->flags & LSTM_CALL_STATELESS)};
  st = compute_gradients(m, &j);
  if (st == LSTM_OK) st = lstm__update(m, m->gwork, j.gnorm);
  if (st == LSTM_OK) {
    swap_grads(m, j.gnorm);
    if (b->hn || b->cn) store_state(m, &j.w, b->hn, m->cell->has_c ? b->cn : NULL);
    if (j.commit) state_commit(m, &j.w, LSTM_STATE_TRAIN, &j.fresh);
    if (loss) *loss = j.loss;
    m->metrics[0] = j.metrics[0], m->metrics[1] = j.metrics[1];
  } else {
    state_drop(&j.fresh);
    if (new_moments) lstm__free_moments(m);
    m->rng = rng0;
  }
  return st;
}

int lstm_gradients(lstm_model* m, const lstm_batch* b, float* loss) {
  if (!m || !b) return LSTM_ERR_ARG;
  int keep = (b->flags & LSTM_CALL_KEEP) != 0;
  int advance = (b->flags & LSTM_CALL_ADVANCE) && !(b->flags & LSTM_CALL_STATELESS) && !keep;
  grad_job j = {.in = b, .train = (b->flags & LSTM_CALL_DROPOUT) != 0, .commit = advance};
  int st = compute_gradients(m, &j);
  if (st == LSTM_OK && keep) {
    if (b->hn || b->cn) store_state(m, &j.w, b->hn, m->cell->has_c ? b->cn : NULL);
    if (loss) *loss = j.loss;
    m->work_metrics[0] = j.metrics[0], m->work_metrics[1] = j.metrics[1];
  } else if (st == LSTM_OK) {
    swap_grads(m, j.gnorm);
    if (b->hn || b->cn) store_state(m, &j.w, b->hn, m->cell->has_c ? b->cn : NULL);
    if (advance) state_commit(m, &j.w, LSTM_STATE_TRAIN, &j.fresh);
    if (loss) *loss = j.loss;
    m->metrics[0] = j.metrics[0], m->metrics[1] = j.metrics[1];
  }
  state_drop(&j.fresh);
  return st;
}

float* lstm_work(lstm_model* m) { return m && ensure_grads(m) == LSTM_OK ? m->gwork : NULL; }

int lstm_apply_work(lstm_model* m, double counted, double correct) {
  if (!m || !m->gwork) return LSTM_ERR_ARG;
  double ss = 0.0;
  for (int k = 0; k < m->ntensors; k++) {
    tensor_desc* t = &m->tensors[k];
    ss += k_sumsq(t->dims[0] * t->dims[1], m->gwork + t->offset);
  }
  float gnorm = (float)sqrt(ss);
  if (!isfinite(gnorm)) return LSTM_ERR_NONFINITE;
  int st = lstm__update(m, m->gwork, gnorm);
  if (st != LSTM_OK) return st;
  swap_grads(m, gnorm);
  m->metrics[0] = counted, m->metrics[1] = correct;
  return LSTM_OK;
}

int lstm_last_metrics(const lstm_model* m, double* out) {
  if (!m || !out) return LSTM_ERR_ARG;
  out[0] = m->metrics[0], out[1] = m->metrics[1];
  out[2] = m->work_metrics[0], out[3] = m->work_metrics[1];
  return LSTM_OK;
}

int lstm_evaluate(lstm_model* m, const lstm_batch* b, double* out) {
  if (!m || !b || !out) return LSTM_ERR_ARG;
  int summary = is_last(m->cfg.loss), advance = (b->flags & LSTM_CALL_ADVANCE) && !(b->flags & LSTM_CALL_STATELESS);
  ws_t w;
  const float *h0, *c0;
  state_t fresh = {0, NULL, NULL};
  int st = ws_prepare(m, b, WS_READ_ONLY | WS_HEAD | WS_LOSS | (summary ? WS_SUMMARY : 0), &w);
  if (st == LSTM_OK) st = load_inputs(m, &w, b->inputs);
  if (st == LSTM_OK) st = check_targets(m, &w, b->targets);
  if (st == LSTM_OK) st = state_begin(m, LSTM_STATE_PREDICT, b, advance, &h0, &c0, &fresh);
  if (st != LSTM_OK) return st;
  load_state(m, &w, h0, c0);
  int rows;
  forward(m, &w, FWD_EVAL, &rows);
  double metrics[2];
  double lv = loss_and_dY(m, &w, b->targets, b->norm, metrics);
  if (!isfinite(lv) || (advance && !state_finite(m, &w))) {
    state_drop(&fresh);
    return LSTM_ERR_NONFINITE;
  }
  if (b->hn || b->cn) store_state(m, &w, b->hn, m->cell->has_c ? b->cn : NULL);
  if (advance) state_commit(m, &w, LSTM_STATE_PREDICT, &fresh);
  out[0] = lv, out[1] = metrics[0], out[2] = metrics[1];
  return LSTM_OK;
}

int lstm_step_gradient_norms(lstm_model* m, const lstm_batch* b, float* norms, float* cnorms) {
  if (!m || !b || !norms) return LSTM_ERR_ARG;
  grad_job j = {.in = b, .norms = norms, .cnorms = cnorms};
  int st = compute_gradients(m, &j);
  state_drop(&j.fresh);
  return st;
}

float lstm_last_gradient_norm(const lstm_model* m) { return m ? m->last_gnorm : 0.0f; }

int lstm_apply_gradients(lstm_model* m) {
  if (!m) return LSTM_ERR_ARG;
  int st0 = ensure_grads(m);
  if (st0 != LSTM_OK) return st0;
  double ss = 0.0;
  for (int i = 0; i < m->P; i++) ss += (double)m->grads[i] * m->grads[i];
  float gnorm = (float)sqrt(ss);
  if (!isfinite(gnorm)) return LSTM_ERR_NONFINITE; /* as train: a norm float32 cannot hold */
  memcpy(m->gwork, m->grads, sizeof(float) * (size_t)m->P); /* clipping must not touch grads if the update fails */
  int st = lstm__update(m, m->gwork, gnorm);
  if (st == LSTM_OK) swap_grads(m, gnorm);
  return st;
}

int lstm_predict(lstm_model* m, const lstm_batch* b, float* out, float* hn, float* cn) {
  if (!m || !b || !out) return LSTM_ERR_ARG;
  int last = (b->flags & LSTM_PREDICT_LAST_ONLY) != 0, stateless = (b->flags & LSTM_CALL_STATELESS) != 0;
  ws_t w;
  const float *h0, *c0;
  state_t fresh = {0, NULL, NULL};
  int st = ws_prepare(m, b, WS_READ_ONLY | WS_HEAD | (last ? WS_SUMMARY : 0), &w);
  if (st == LSTM_OK) st = load_inputs(m, &w, b->inputs);
  if (st == LSTM_OK) st = state_begin(m, LSTM_STATE_PREDICT, b, !stateless, &h0, &c0, &fresh);
  if (st != LSTM_OK) return st;
  load_state(m, &w, h0, c0);
  int rows, O = m->cfg.output, B = w.B, T = w.T;
  forward(m, &w, FWD_EVAL, &rows);
  if (!finite_all((size_t)rows * O, w.Y) || !state_finite(m, &w)) { /* huge inputs or weights */
    state_drop(&fresh);
    return LSTM_ERR_NONFINITE;
  }
  if (b->flags & LSTM_PREDICT_SOFTMAX) k_softmax(rows, O, w.Y, w.Y); /* finite logits: a finite softmax */
  size_t Ob = sizeof(float) * (size_t)O;
  if (last) {
    for (int j = 0; j < B; j++) memcpy(out + (size_t)w.perm[j] * O, w.Y + (size_t)j * O, Ob);
  } else {
    if (w.N < B * T) memset(out, 0, (size_t)B * T * Ob);
    for (int t = 0; t < w.maxlen; t++)
      for (int j = 0; j < w.n[t]; j++)
        memcpy(out + ((size_t)w.perm[j] * T + t) * O, w.Y + ((size_t)w.off[t] + j) * O, Ob);
  }
  if (hn || cn) store_state(m, &w, hn, m->cell->has_c ? cn : NULL);
  if (!stateless) state_commit(m, &w, LSTM_STATE_PREDICT, &fresh);
  return LSTM_OK;
}

/* ---- inspection ------------------------------------------------------------------------------ */
int lstm_inspect_channels(const lstm_model* m) { return m ? lstm__channels(m->cell) : 0; }

int lstm_inspect(lstm_model* m, const lstm_batch* b, float* out) {
  if (!m || !b || !out) return LSTM_ERR_ARG;
  ws_t w;
  int st = ws_prepare(m, b, WS_READ_ONLY, &w);
  if (st == LSTM_OK) st = load_inputs(m, &w, b->inputs);
  if (st != LSTM_OK) return st;
  load_state(m, &w, b->h0, m->cell->has_c ? b->c0 : NULL);
  forward_layers(m, &w, FWD_EVAL);
  int B = w.B, T = w.T, H = m->cfg.hidden, G = m->G, DH = m->D * H, C = lstm__channels(m->cell);
  size_t Hb = sizeof(float) * (size_t)H, per = (size_t)B * C * H;
  memset(out, 0, (size_t)m->cfg.layers * m->D * T * per * sizeof(float));
  for (int l = 0; l < m->cfg.layers; l++)
    for (int d = 0; d < m->D; d++) {
      const dir_ws* Z = &w.ly[l].dir[d];
      for (int t = 0; t < w.maxlen; t++)
        for (int j = 0; j < w.n[t]; j++) {
          size_t r = (size_t)w.off[t] + j;
          float* o = out + ((size_t)(l * m->D + d) * T + t) * per + (size_t)w.perm[j] * C * H;
          for (int q = 0; q < m->cell->inspect_gates; q++) memcpy(o + (size_t)q * H, Z->A + r * G * H + (size_t)q * H, Hb);
          if (Z->Cs) memcpy(o + (size_t)m->cell->inspect_gates * H, Z->Cs + (w.B + r) * H, Hb);
          memcpy(o + (size_t)(C - 1) * H, w.ly[l].Hs + (w.B + r) * DH + (size_t)d * H, Hb);
          if (!finite_all((size_t)C * H, o)) return LSTM_ERR_NONFINITE;
        }
    }
  return LSTM_OK;
}

/* ---- parameters and state --------------------------------------------------------------------- */
int lstm_param_count(const lstm_model* m) { return m ? m->P : 0; }
float* lstm_params(lstm_model* m) { /* the caller may write through it: the panel copies are stale */
  if (!m) return NULL;
  m->panels_ok = 0;
  return m->params;
}
float* lstm_grads(lstm_model* m) { return m && ensure_grads(m) == LSTM_OK ? m->grads : NULL; }
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
  if (!m || which < 0 || which > 1 || B < 1 || B > LSTM_MAX_BATCH || m->D != 1) return LSTM_ERR_ARG;
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
uint32_t lstm_rng_next(lstm_model* m) { return m ? (uint32_t)(rng_next(&m->rng) >> 32) : 0; }
void lstm_rng_set(lstm_model* m, uint32_t w0, uint32_t w1) {
  if (!m) return;
  uint64_t s = (uint64_t)w0 | ((uint64_t)w1 << 32);
  m->rng = s ? s : 1;
}

double lstm_model_bytes(const lstm_model* m) {
  if (!m) return 0.0;
  double floats = (double)m->P * (1 + (m->grads != NULL) + (m->gwork != NULL) + (m->mom[0] != NULL) + (m->mom[1] != NULL)) +
                  (double)m->ws_cap;
  for (int s = 0; s < 2; s++) floats += (double)m->cfg.layers * m->st[s].B * m->cfg.hidden * (1 + m->cell->has_c);
  return floats * sizeof(float) + sizeof *m;
}

int lstm_simd(void) { return K_HAVE_SIMD; }
