/*
 * lstm_internal.h — the model struct, shared by lstm.c (compute) and lstm_file.c (model files).
 * Not part of the public ABI.
 */
#ifndef LSTM_INTERNAL_H
#define LSTM_INTERNAL_H

#include "lstm.h"

#define LSTM_MAX_TENSORS (4 * LSTM_MAX_LAYERS + 2)

typedef struct {
  char name[16];
  int rank, dims[2]; /* dims[1] is 1 for rank 1 */
  int offset;        /* in floats, into every parameter-shaped buffer */
  int decay;         /* weight decay applies (weight matrices, not biases) */
} tensor_desc;

typedef struct {
  int B;        /* batch of the carried state; 0 = none yet */
  float *h, *c; /* (L, B, H); c only for LSTM */
} state_t;

struct lstm_model {
  lstm_config cfg;
  lstm_train_config tc;
  int G;                 /* gates per cell */
  int P;                 /* parameter count */
  int ntensors;
  tensor_desc tensors[LSTM_MAX_TENSORS];
  float* params;         /* (P) */
  float* grads;          /* (P) */
  float* mom[2];         /* (P) optimizer moments: views into mom_block, NULL when absent */
  float* mom_block;      /* (k·P) the moments the optimizer needs (k = 1 or 2), one allocation
                            so that a request that cannot fit fails before growing memory */
  double step;           /* optimizer steps taken */
  uint64_t rng;          /* xorshift64* state */
  float last_gnorm;
  state_t st[2];         /* LSTM_STATE_TRAIN, LSTM_STATE_PREDICT */
  float* ws;             /* per-call workspace */
  size_t ws_cap;         /* its size in floats */
};

int lstm__gates(int cell);
int lstm__config_check(const lstm_config* c);
int lstm__train_config_check(const lstm_train_config* tc);
uint64_t lstm__rng_seed(uint32_t seed);
lstm_model* lstm__alloc(const lstm_config* cfg, int* status);
int lstm__moment_count(int optimizer);
void lstm__layout(lstm_model* m);
int lstm__alloc_moments(lstm_model* m, int k, int zero); /* LSTM_OK or LSTM_ERR_NOMEM */
void lstm__free_moments(lstm_model* m);

#endif
