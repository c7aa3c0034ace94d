/*
 * lstm_internal.h — what the C files share and the public ABI does not show: the cell table, the
 * tensor table, the model struct, and the internal functions of each file.
 *
 *   cells.c      the cell table: one row per cell kind, with its step forward/backward pair
 *   lstm.c       the model: tensor table, workspace, forward, loss, backward, entry points
 *   optim.c      clipping and the optimizers (one flat loop over the parameter buffer)
 *   lstm_file.c  model files: the streaming writer and the checking reader
 *   abi.c        lstm_abi: the ABI as JSON for the JS layer
 */
#ifndef LSTM_INTERNAL_H
#define LSTM_INTERNAL_H

#include "lstm.h"

#define LSTM_MAX_DIRS 2
#define LSTM_MAX_TENSORS (LSTM_MAX_LAYERS * LSTM_MAX_DIRS * 4 + 2)
#define LSTM_TENSOR_NAME 24 /* "l3.wx_reverse" and a NUL fit */

/* ---- the cell table ---------------------------------------------------------------------------
 * Everything that varies by cell kind is a field of its row: adding a cell is one row here, its
 * kernels (kernels.h), its equations (lstm.h) and its reference (tests/reference.js). */

/* Panel widths of the packed weight copies (kernels.h): many rows per step read 8-column panels
 * (gemm_packed), one sequence (sampling) 32-column ones (gemm_panels). */
#define PACK_WIDE 8
#define PACK_ONE 32

/* One time step of one layer direction, for n sequences (rows). Forward reads a (the input
 * projection x Wx + b of this step, (n, GH)) and hprev, and writes the activations over a, the GRU's
 * h Wh + bh into gh, and h, c. Backward reads the activations, dh (the total ∂L/∂h of this step)
 * and, for LSTM, dc (∂L/∂c from the next step processed); it writes ∂L/∂(pre-activations) over a
 * (GRU: also gh), ∂L/∂c_prev into dc and ∂L/∂h_prev into dhr. */
typedef struct {
  int n, H, GH, act;     /* rows, hidden, gate width, LSTM_GATE_*                               */
  float* a;              /* (n, GH)                                                              */
  float* gh;             /* (n, GH) GRU only                                                     */
  const float* hprev;    /* (n, H) rows of ld ldp                                                */
  int ldp;
  float* h;              /* (n, H) rows of ld ldh: this step's output                            */
  int ldh;
  const float* cprev;    /* (n, H) LSTM only, ld H                                               */
  float* c;              /* (n, H) LSTM only, ld H                                               */
  const float* wh;       /* (H, GH) forward                                                      */
  const float* whp;      /* its panel copy (k_pack_panels), or NULL                              */
  int pw;                /* its panel width                                                      */
  const float* bh;       /* (GH) GRU forward                                                     */
  const float* whT;      /* (GH, H) backward: wh transposed                                      */
  const float* whTp;     /* its panel copy, or NULL                                              */
  const float* dh;       /* (n, H) backward                                                      */
  float* dc;             /* (n, H) backward, LSTM                                                */
  float* dhr;            /* (n, H) backward: ∂L/∂h_prev                                          */
} step_io;

typedef struct {
  const char* name;          /* the JS name: 'lstm'                                              */
  int gates;                 /* G: blocks of H along the gate axis                               */
  int biases;                /* 1: "b" (G·H); 2: "bx" and "bh" (G·H each)                         */
  int has_c;                 /* carries a cell state c                                           */
  int has_gate_act;          /* has sigmoid gates (lstm_config.gate_act applies)                 */
  int forget_block;          /* the gate block whose bias starts at 1 (LSTM f), or -1            */
  int inspect_gates;         /* gate blocks lstm_inspect records (then c if has_c, then h)        */
  const char* channels;      /* the inspect channel names, space-separated                       */
  const char* gate_names;    /* the gate blocks in order, space-separated                        */
  void (*forward)(const step_io* io);
  void (*backward)(const step_io* io);
  /* ‖∂L/∂c_t‖ of a step before its backward (LSTM; NULL otherwise) */
  float (*cell_grad_norm)(const step_io* io);
} cell_desc;

extern const cell_desc lstm__cells[3]; /* index = LSTM_CELL_*; const: no mutable state */
int lstm__channels(const cell_desc* c);

/* ---- the tensor table ------------------------------------------------------------------------ */
typedef struct {
  char name[LSTM_TENSOR_NAME];
  int rank, dims[2]; /* dims[1] is 1 for rank 1 */
  int offset;        /* in floats, into every parameter-shaped buffer */
  int decay;         /* weight decay applies (weight matrices, not biases) */
} tensor_desc;

typedef struct {
  int B;        /* batch of the carried state; 0 = none yet */
  float *h, *c; /* (L, B, H); c only for cells with a cell state */
} state_t;

struct lstm_model {
  lstm_config cfg;
  lstm_train_config tc;
  const cell_desc* cell;
  int D;                 /* directions */
  int G;                 /* gates per cell */
  int P;                 /* parameter count */
  int ntensors;
  tensor_desc tensors[LSTM_MAX_TENSORS];
  float* params;         /* (P) */
  float* grads;          /* (P) the gradient of the last successful call: what lstm_grads shows */
  float* gwork;          /* (P) where a call computes its gradient; swapped with grads on success,
                            so that a failed call leaves the gradient (and its norm) as it was */
  float* mom[2];         /* (P) optimizer moments: views into mom_block, NULL when absent */
  float* mom_block;      /* (k·P) the moments the optimizer needs (k = 1 or 2), one allocation
                            so that a request that cannot fit fails before growing memory */
  double step;           /* optimizer steps taken */
  uint64_t rng;          /* xorshift64* state */
  float last_gnorm;
  double metrics[2];     /* counted targets and correct ones of the last successful gradient call */
  double work_metrics[2];/* the same of the gradient left in gwork by LSTM_CALL_KEEP */
  state_t st[2];         /* LSTM_STATE_TRAIN, LSTM_STATE_PREDICT (unidirectional models) */
  /* Panel copies (k_pack_panels) of the weight matrices a one-sequence forward multiplies by, so
   * that sampling streams each matrix contiguously: made by the first such call after the
   * parameters last changed, and cleared (panels_ok = 0) by anything that may write them. */
  float* panels;
  size_t panels_cap;     /* floats */
  int panels_ok;
  size_t pk_wx[LSTM_MAX_LAYERS * LSTM_MAX_DIRS], pk_wh[LSTM_MAX_LAYERS * LSTM_MAX_DIRS], pk_wy;
  float* ws;             /* per-call workspace */
  size_t ws_cap;         /* its size in floats */
};

/* lstm.c */
int lstm__config_check(const lstm_config* c);
int lstm__train_config_check(const lstm_train_config* tc);
uint64_t lstm__rng_seed(uint32_t seed);
lstm_model* lstm__alloc(const lstm_config* cfg, int* status);
void lstm__layout(lstm_model* m);

/* optim.c */
int lstm__moment_count(int optimizer);
int lstm__alloc_moments(lstm_model* m, int k, int zero); /* LSTM_OK or LSTM_ERR_NOMEM */
void lstm__free_moments(lstm_model* m);
int lstm__ensure_moments(lstm_model* m, int* fresh);     /* *fresh: allocated by this call */
/* Clips g (the model's P-float gradient, norm gnorm) per the train config and applies the
 * optimizer to params and moments; all or nothing: LSTM_ERR_NONFINITE leaves everything but g. */
int lstm__update(lstm_model* m, float* g, float gnorm);

#endif
