/*
 * abi.c — lstm_abi: the ABI as JSON, written from the C definitions themselves (the enums of
 * lstm.h, the cell table of cells.c, offsetof the structs), so that the JS layer mirrors nothing by
 * hand. build.sh runs it once per build and writes js/build/abi.js; the JS wrapper compares the
 * instance's own description with that file at load (a stale build is an error, not a silent
 * mismatch). Index = the C enum value in every name list.
 */
#include <stddef.h>
#include <string.h>

#include "lstm_internal.h"

typedef struct {
  char* buf;
  int cap, len;
} out_t;

/* noinline: inlined with each literal, the emitters would unroll into ~20 KB of code */
__attribute__((noinline)) static void emit(out_t* o, const char* s) {
  for (; *s; s++, o->len++)
    if (o->len < o->cap) o->buf[o->len] = *s;
}

__attribute__((noinline)) static void emit_int(out_t* o, long long v) {
  char d[24];
  int n = 0;
  unsigned long long u = v < 0 ? (unsigned long long)(-v) : (unsigned long long)v;
  do d[n++] = (char)('0' + u % 10), u /= 10; while (u);
  if (v < 0) emit(o, "-");
  char s[24];
  for (int i = 0; i < n; i++) s[i] = d[n - 1 - i];
  s[n] = 0;
  emit(o, s);
}

__attribute__((noinline)) static void emit_str(out_t* o, const char* s) { emit(o, "\""), emit(o, s), emit(o, "\""); }

/* a space-separated list as a JSON array of strings */
static void emit_words(out_t* o, const char* words) {
  emit(o, "[");
  char w[16];
  int n = 0, first = 1;
  for (const char* s = words;; s++) {
    if (*s == ' ' || *s == 0) {
      if (n) {
        w[n] = 0;
        if (!first) emit(o, ",");
        emit_str(o, w), first = 0, n = 0;
      }
      if (*s == 0) break;
    } else if (n < 15) {
      w[n++] = *s;
    }
  }
  emit(o, "]");
}

__attribute__((noinline)) static void emit_key(out_t* o, const char* k) { emit_str(o, k), emit(o, ":"); }

typedef struct {
  const char* name;
  const char* type; /* i32 u32 f32 ptr */
  size_t offset;
} field;

static void emit_struct(out_t* o, const char* name, size_t size, const field* f, int n) {
  emit_key(o, name);
  emit(o, "{\"size\":"), emit_int(o, (long long)size), emit(o, ",\"fields\":[");
  for (int i = 0; i < n; i++) {
    if (i) emit(o, ",");
    emit(o, "["), emit_str(o, f[i].name), emit(o, ","), emit_str(o, f[i].type), emit(o, ",");
    emit_int(o, (long long)f[i].offset), emit(o, "]");
  }
  emit(o, "]}");
}

#define F(s, n, t) {#n, t, offsetof(s, n)}

int lstm_abi(char* buf, int cap) {
  out_t o = {buf, buf && cap > 0 ? cap : 0, 0};
  emit(&o, "{\"fileVersion\":2,");
  emit_key(&o, "status"), emit_words(&o, "ok arg nomem format version checksum nonfinite config"), emit(&o, ",");
  emit_key(&o, "inputKinds"), emit_words(&o, "dense tokens"), emit(&o, ",");
  emit_key(&o, "losses"), emit_words(&o, "xent mse mse-last xent-last"), emit(&o, ",");
  emit_key(&o, "gateActivations"), emit_words(&o, "sigmoid hardSigmoid"), emit(&o, ",");
  emit_key(&o, "optimizers"), emit_words(&o, "adam sgd rmsprop adagrad"), emit(&o, ",");
  emit_key(&o, "clipModes"), emit_words(&o, "none value norm"), emit(&o, ",");
  emit_key(&o, "states"), emit_words(&o, "train predict"), emit(&o, ",");
  emit(&o, "\"flags\":{\"stateless\":"), emit_int(&o, LSTM_CALL_STATELESS);
  emit(&o, ",\"advance\":"), emit_int(&o, LSTM_CALL_ADVANCE);
  emit(&o, ",\"softmax\":"), emit_int(&o, LSTM_PREDICT_SOFTMAX);
  emit(&o, ",\"lastOnly\":"), emit_int(&o, LSTM_PREDICT_LAST_ONLY);
  emit(&o, ",\"keep\":"), emit_int(&o, LSTM_CALL_KEEP);
  emit(&o, ",\"seed\":"), emit_int(&o, LSTM_CALL_SEED);
  emit(&o, ",\"dropout\":"), emit_int(&o, LSTM_CALL_DROPOUT), emit(&o, "},");
  emit(&o, "\"limits\":{\"layers\":"), emit_int(&o, LSTM_MAX_LAYERS);
  emit(&o, ",\"hidden\":"), emit_int(&o, LSTM_MAX_HIDDEN);
  emit(&o, ",\"input\":"), emit_int(&o, LSTM_MAX_INPUT);
  emit(&o, ",\"output\":"), emit_int(&o, LSTM_MAX_OUTPUT);
  emit(&o, ",\"params\":"), emit_int(&o, LSTM_MAX_PARAMS);
  emit(&o, ",\"batch\":"), emit_int(&o, LSTM_MAX_BATCH);
  emit(&o, ",\"rows\":"), emit_int(&o, LSTM_MAX_ROWS);
  emit(&o, ",\"directions\":"), emit_int(&o, LSTM_MAX_DIRS), emit(&o, "},");
  emit_key(&o, "cells"), emit(&o, "[");
  for (int c = 0; c < 3; c++) {
    const cell_desc* d = &lstm__cells[c];
    if (c) emit(&o, ",");
    emit(&o, "{\"name\":"), emit_str(&o, d->name);
    emit(&o, ",\"gates\":"), emit_int(&o, d->gates);
    emit(&o, ",\"biases\":"), emit_int(&o, d->biases);
    emit(&o, ",\"cellState\":"), emit(&o, d->has_c ? "true" : "false");
    emit(&o, ",\"gateActivation\":"), emit(&o, d->has_gate_act ? "true" : "false");
    emit(&o, ",\"gateNames\":"), emit_words(&o, d->gate_names);
    emit(&o, ",\"channels\":"), emit_words(&o, d->channels), emit(&o, "}");
  }
  emit(&o, "],\"structs\":{");
  static const field cfg[] = {F(lstm_config, cell, "i32"),       F(lstm_config, input_kind, "i32"),
                              F(lstm_config, input, "i32"),      F(lstm_config, hidden, "i32"),
                              F(lstm_config, layers, "i32"),     F(lstm_config, output, "i32"),
                              F(lstm_config, loss, "i32"),       F(lstm_config, seed, "u32"),
                              F(lstm_config, directions, "i32"), F(lstm_config, gate_act, "i32")};
  static const field tc[] = {F(lstm_train_config, optimizer, "i32"), F(lstm_train_config, lr, "f32"),
                             F(lstm_train_config, beta1, "f32"),     F(lstm_train_config, beta2, "f32"),
                             F(lstm_train_config, eps, "f32"),       F(lstm_train_config, weight_decay, "f32"),
                             F(lstm_train_config, clip_mode, "i32"), F(lstm_train_config, clip, "f32"),
                             F(lstm_train_config, dropout, "f32")};
  static const field bt[] = {F(lstm_batch, inputs, "ptr"), F(lstm_batch, targets, "ptr"),
                             F(lstm_batch, lengths, "ptr"), F(lstm_batch, h0, "ptr"),
                             F(lstm_batch, c0, "ptr"),      F(lstm_batch, batch, "i32"),
                             F(lstm_batch, steps, "i32"),   F(lstm_batch, flags, "i32"),
                             F(lstm_batch, norm, "f32"),    F(lstm_batch, hn, "ptr"),
                             F(lstm_batch, cn, "ptr"),      F(lstm_batch, seed, "u32"),
                             F(lstm_batch, seq_offset, "i32")};
  emit_struct(&o, "lstm_config", sizeof(lstm_config), cfg, (int)(sizeof cfg / sizeof cfg[0])), emit(&o, ",");
  emit_struct(&o, "lstm_train_config", sizeof(lstm_train_config), tc, (int)(sizeof tc / sizeof tc[0])), emit(&o, ",");
  emit_struct(&o, "lstm_batch", sizeof(lstm_batch), bt, (int)(sizeof bt / sizeof bt[0]));
  emit(&o, "}}");
  if (o.cap > 0) o.buf[o.len < o.cap ? o.len : o.cap - 1] = 0; /* NUL-terminated when it fits */
  return o.len;
}
