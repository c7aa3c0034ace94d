/*
 * make_seeds.c — writes the seed corpus of the fuzz targets (deterministic: same bytes every run).
 *
 *   clang -O1 -std=c11 -DUSE_SIMDE -ffp-contract=off -I c tests/fuzz/make_seeds.c c/[*].c \
 *         -o build/fuzz/make_seeds -lm && build/fuzz/make_seeds tests/fuzz/corpus
 *   (or: bash scripts/fuzz.sh --seeds)
 *
 * corpus/load/:  real model files of every cell, input kind and loss, with and without optimizer
 *                moments and carried train state, each prefixed by the mode byte of fz_load_one
 *                (0: as is, 1: CRC recomputed; both load the same since the CRC is already right).
 * corpus/model/: byte strings in the format of fz_model_one (fuzz_common.h): a config, a train
 *                config and a few API calls, including NaN/Inf inputs and states.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lstm.h"

static const char* root;
static int files;
static size_t total;

static void write_file(const char* dir, const char* name, uint8_t mode, const uint8_t* p, size_t n) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s/%s", root, dir, name);
  FILE* f = fopen(path, "wb");
  if (!f) {
    perror(path);
    exit(1);
  }
  if (mode != 0xFF) fputc(mode, f);
  if (fwrite(p, 1, n, f) != n || fclose(f) != 0) {
    perror(path);
    exit(1);
  }
  files++, total += n + (mode != 0xFF);
}

/* ---- model files ------------------------------------------------------------------------ */
static void seed_file(const char* name, uint8_t mode, lstm_config c, int optimizer, float dropout, int train_B,
                      int steps, int flags, const char* meta) {
  int st;
  lstm_model* m = lstm_new(&c, &st);
  if (!m) {
    fprintf(stderr, "make_seeds: lstm_new %s: status %d\n", name, st);
    exit(1);
  }
  lstm_train_config tc;
  lstm_train_config_default(&tc);
  tc.optimizer = optimizer, tc.dropout = dropout, tc.lr = 0.01f;
  if (lstm_set_train_config(m, &tc) != LSTM_OK) exit(1);
  int T = 3, n = train_B * T;
  int32_t tok[64], cls[64];
  float x[64 * 8], y[64 * 8];
  for (int i = 0; i < n; i++) tok[i] = (i * 5 + 1) % c.input, cls[i] = (i * 3 + 2) % c.output;
  for (int i = 0; i < n * c.input; i++) x[i] = (float)((i * 7) % 11) / 11.0f - 0.5f;
  for (int i = 0; i < n * c.output; i++) y[i] = (float)((i * 3) % 5) / 5.0f - 0.4f;
  const void* in = c.input_kind == LSTM_INPUT_TOKENS ? (const void*)tok : (const void*)x;
  const void* tg = c.loss == LSTM_LOSS_XENT ? (const void*)cls : (const void*)y;
  float loss;
  for (int s = 0; s < steps; s++)
    if (lstm_train(m, in, tg, train_B, T, &loss) != LSTM_OK) {
      fprintf(stderr, "make_seeds: train %s failed\n", name);
      exit(1);
    }
  int ml = meta ? (int)strlen(meta) : 0;
  int size = lstm_save_size(m, flags, ml);
  uint8_t* buf = malloc((size_t)size);
  if (!buf || lstm_save(m, flags, (const uint8_t*)meta, ml, buf, size) != size) exit(1);
  lstm_model* back = lstm_load(buf, size, &st);
  if (!back) {
    fprintf(stderr, "make_seeds: %s does not load: status %d\n", name, st);
    exit(1);
  }
  lstm_free(back);
  write_file("load", name, mode, buf, (size_t)size);
  free(buf);
  lstm_free(m);
}

static void load_seeds(void) {
  /*                 cell            input              I  H  L  O  loss               seed */
  lstm_config a = {LSTM_CELL_LSTM, LSTM_INPUT_TOKENS, 7, 5, 2, 7, LSTM_LOSS_XENT, 1};
  lstm_config b = {LSTM_CELL_GRU, LSTM_INPUT_TOKENS, 6, 4, 2, 6, LSTM_LOSS_XENT, 2};
  lstm_config r = {LSTM_CELL_RNN, LSTM_INPUT_TOKENS, 5, 6, 3, 5, LSTM_LOSS_XENT, 3};
  lstm_config ad = {LSTM_CELL_LSTM, LSTM_INPUT_DENSE, 3, 4, 1, 2, LSTM_LOSS_MSE, 4};
  lstm_config bd = {LSTM_CELL_GRU, LSTM_INPUT_DENSE, 4, 3, 1, 2, LSTM_LOSS_MSE_LAST, 5};
  lstm_config rd = {LSTM_CELL_RNN, LSTM_INPUT_DENSE, 2, 3, 4, 1, LSTM_LOSS_MSE, 6};
  const char* meta = "{\"kind\":\"network\",\"vocab\":\"abcdefg\"}";
  /* name                      mode cfg optimizer       dropout B  steps flags meta */
  seed_file("lstm_tok_adam_opt_state", 1, a, LSTM_OPT_ADAM, 0.25f, 2, 3, 3, meta);
  seed_file("lstm_tok_plain", 0, a, LSTM_OPT_ADAM, 0.0f, 1, 1, 0, NULL);
  seed_file("gru_tok_sgd_opt_state", 1, b, LSTM_OPT_SGD, 0.0f, 3, 2, 3, "{}");
  seed_file("gru_tok_state_only", 0, b, LSTM_OPT_RMSPROP, 0.1f, 2, 2, 2, NULL);
  seed_file("rnn_tok_adagrad_opt", 1, r, LSTM_OPT_ADAGRAD, 0.0f, 2, 2, 1, "m");
  seed_file("rnn_tok_untrained", 1, r, LSTM_OPT_ADAM, 0.0f, 1, 0, 3, NULL);
  seed_file("lstm_dense_mse_rms_all", 1, ad, LSTM_OPT_RMSPROP, 0.0f, 2, 2, 3, "dense");
  seed_file("gru_dense_mselast_adam", 0, bd, LSTM_OPT_ADAM, 0.0f, 2, 1, 3, NULL);
  seed_file("rnn_dense_4layers_sgd", 1, rd, LSTM_OPT_SGD, 0.5f, 1, 2, 3, "{\"a\":1}");
  /* one a little larger: 2 layers of 16 */
  lstm_config big = {LSTM_CELL_LSTM, LSTM_INPUT_TOKENS, 20, 16, 2, 20, LSTM_LOSS_XENT, 9};
  seed_file("lstm_tok_h16_state", 1, big, LSTM_OPT_ADAM, 0.0f, 2, 1, 2, meta);
  /* a file that is not a model, and an empty one */
  const uint8_t junk[] = "WLSTMDL";
  write_file("load", "short_magic", 1, junk, 8);
  write_file("load", "empty", 0, junk, 0);
}

/* ---- model-API programs (format: fuzz_common.h, fz_model_one) --------------------------------
 * config:  bad cell kind I-1 H-1 L-1 loss O(-2 xent, -1 mse) seed[4]    (bad >= 20: valid)
 * tc:      opt lr b1 b2 eps wd clipmode clip dropout                     (table indices)
 * ops:     0/1 train <batch>; 2 gradients <batch> adv; 3 norms <batch>; 4/5 predict <batch> flags;
 *          6 inspect <batch>; 7 state a v; 8 save/load keep flags metalen; 9 apply e pos;
 *          10 tc[9]; 11 rng sel [w0[4]] w1[4]
 * batch:   shape(B-1 in bits 0-2) tb(T-1 in bits 0-4) seedlo seedhi special(>=0x40 none) pos */
#define NONE 0x40
static void model_seed(const char* name, const uint8_t* p, size_t n) { write_file("model", name, 0xFF, p, n); }

static void model_seeds(void) {
  static const uint8_t lstm_tokens[] = {
      0xFF, 0, 1, 8, 7, 1, 0, 7, 1, 0, 0, 0, /* LSTM tokens V=9 H=8 L=2 xent O=9 */
      0, 0, 0, 0, 0, 0, 0, 0, 0,             /* Adam 2e-3, norm clip 5 */
      0, 1, 6, 1, 2, NONE, 0,                /* train B=2 T=7 */
      0, 1, 6, 3, 4, NONE, 0,                /* train again: carried state */
      4, 0, 3, 5, 6, NONE, 0, 1,             /* predict B=1 T=4 softmax */
      5, 0, 0, 7, 8, NONE, 0, 3,             /* predict last-only softmax */
      8, 1, 3, 5,                            /* save all + meta, continue with the loaded model */
      2, 2, 2, 9, 9, NONE, 0, 0,             /* gradients B=3 T=3, no advance */
      9, 0, 0,                               /* apply them */
      3, 1, 4, 1, 1, NONE, 0,                /* step gradient norms */
      6, 1, 2, 3, 3, NONE, 0,                /* inspect */
  };
  static const uint8_t gru_dense_dropout[] = {
      0xFF, 1, 0, 3, 5, 1, 1, 2, 2, 0, 0, 0, /* GRU dense I=4 H=6 L=2 mse O=3 */
      1, 2, 0, 0, 1, 4, 3, 1, 5,             /* SGD 0.1, momentum .9, value clip 1, dropout .25 */
      0, 3, 9, 1, 1, NONE, 0,                /* train B=4 T=10 */
      1, 3, 9, 2, 1, NONE, 0,
      7, 0x08, 0x28,                         /* state: set train batch to 3 */
      0, 2, 4, 4, 4, 0x01, 9,                /* train with an Inf input -> NONFINITE */
      0, 2, 4, 4, 4, 0x08, 9,                /* train with a NaN target -> NONFINITE */
      0, 2, 4, 4, 4, NONE, 0,
      8, 0, 2, 0,                            /* save with state */
      4, 1, 5, 2, 2, NONE, 0, 2,             /* predict last-only */
  };
  static const uint8_t rnn_mselast[] = {
      0xFF, 2, 0, 1, 3, 2, 2, 0, 3, 0, 0, 0, /* RNN dense I=2 H=4 L=3 mse_last O=1 */
      2, 1, 0, 0, 3, 5, 3, 2, 0,             /* RMSProp 1e-2, eps 1e-4, wd 1e-2, value clip .1 */
      0, 0, 15, 1, 2, NONE, 0, 0, 0, 15, 2, 2, NONE, 0,
      0, 0, 15, 1, 2, 0x08, 0,               /* a NaN regression target -> NONFINITE */
      10, 3, 1, 0, 0, 1, 0, 0, 0, 0,         /* switch to Adagrad */
      0, 0, 15, 1, 2, NONE, 0, 9, 0, 0,
  };
  static const uint8_t gru_tokens_bad[] = {
      0xFF, 1, 1, 4, 3, 0, 0, 3, 9, 9, 9, 9, /* GRU tokens V=5 H=4 L=1 xent O=5 */
      4, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 1, 3, 1, 1, 0x00, 3,                /* token -1 -> ARG */
      0, 1, 3, 1, 1, 0x01, 3,                /* token V -> ARG */
      0, 1, 3, 1, 1, 0x09, 3,                /* target O -> ARG */
      0, 1, 3, 1, 1, 0x08, 3,                /* target -2 -> ARG */
      0, 0xF8, 0x03, 1, 1, NONE, 0,          /* B = 0 -> ARG */
      4, 0xF0, 0x23, 1, 1, NONE, 0, 0,       /* T = -1 -> ARG */
      0, 1, 3, 1, 1, NONE, 3,                /* fine */
  };
  static const uint8_t bad_configs[] = {3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t too_big[] = {8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t bad_train_config[] = {
      0xFF, 0, 0, 4, 4, 0, 1, 1, 0, 0, 0, 0,
      0, 12, 12, 12, 12, 12, 6, 12, 12,      /* every field invalid: refused, defaults kept */
      10, 0, 10, 0, 0, 0, 0, 0, 12, 0,       /* lr 0 */
      10, 0, 0, 0, 0, 0, 0, 2, 14, 0,        /* clip NaN */
      10, 0, 0, 0, 0, 0, 0, 0, 0, 12,        /* dropout 1 */
      0, 1, 2, 1, 1, NONE, 0,
  };
  static const uint8_t state_ops[] = {
      0xFF, 0, 0, 2, 2, 1, 1, 1, 5, 0, 0, 0, /* LSTM dense I=3 H=3 L=2 mse O=2 */
      0, 0, 0, 0, 0, 0, 0, 0, 0,
      7, 0x09, 0x38,                         /* predict state batch 4 */
      7, 0x10, 0x01,                         /* write into the train state (none yet: no-op) */
      0, 3, 2, 1, 1, NONE, 0,                /* train B=4 */
      7, 0x10, 0x07,                         /* write 1e30 into the train state */
      0, 3, 2, 1, 1, NONE, 0,
      7, 0x10, 0x05,                         /* write NaN into the train state */
      0, 3, 2, 1, 1, NONE, 0,                /* -> NONFINITE */
      4, 3, 2, 1, 1, 0x00, 3, 0,             /* predict with a NaN input: a NaN predict state */
      4, 3, 2, 1, 1, NONE, 0, 1,
      7, 0x00, 0x00,                         /* reset train state */
      0, 3, 2, 1, 1, NONE, 0,
      7, 0x03, 0x00, 7, 0x07, 0x00,          /* invalid which */
      7, 0x0B, 0x06,                         /* set batch 2^20+1: ARG */
      11, 0, 0, 0, 0, 0,                     /* rng 0,0 */
      6, 1, 1, 1, 1, NONE, 0,
  };
  model_seed("lstm_tokens_program", lstm_tokens, sizeof lstm_tokens);
  model_seed("gru_dense_dropout", gru_dense_dropout, sizeof gru_dense_dropout);
  model_seed("rnn_mselast_rmsprop", rnn_mselast, sizeof rnn_mselast);
  model_seed("gru_tokens_bad_ids", gru_tokens_bad, sizeof gru_tokens_bad);
  model_seed("bad_config", bad_configs, sizeof bad_configs);
  model_seed("too_many_params", too_big, sizeof too_big);
  model_seed("bad_train_configs", bad_train_config, sizeof bad_train_config);
  model_seed("state_ops", state_ops, sizeof state_ops);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <corpus dir with load/ and model/>\n", argv[0]);
    return 2;
  }
  root = argv[1];
  load_seeds();
  model_seeds();
  printf("make_seeds: %d files, %zu bytes in %s/{load,model}\n", files, total, root);
  return 0;
}
