/*
 * cells.c — the cell table: one row per cell kind (LSTM, GRU, tanh RNN), each with its step pair.
 *
 * A step runs one time step of one layer direction for n sequences: forward turns the input
 * projection (x Wx + b, computed for all steps at once by lstm.c) and h_prev into this step's
 * activations, h and c; backward turns ∂L/∂h (and ∂L/∂c) into ∂L/∂(pre-activations) and the
 * gradients flowing to the previous step. The equations are in lstm.h and, elementwise, in
 * kernels.h; the gate order and weight layout in lstm.h. Everything else about a cell (gate count,
 * biases, cell state, inspect channels, initialisation) is a field of its row, read by lstm.c.
 * Legend: n rows, H hidden, GH = G·H.
 */
#include <math.h>

#include "kernels.h"
#include "lstm_internal.h"

/* out += h_prev Wh (n, GH), and dhr (+)= ∂ Whᵀ (n, H): from the packed copies when the step has
 * them (lstm.c packs once per call, or keeps one for sampling), else packing per product. */
static void times_wh(const step_io* s, float* out) {
  if (s->whp && s->pw == PACK_ONE) k_gemm_panels(s->n, s->GH, s->H, s->hprev, s->ldp, s->whp, s->wh, s->GH, out, s->GH, 1);
  else if (s->whp) k_gemm_packed(s->n, s->GH, s->H, s->hprev, s->ldp, s->whp, s->wh, s->GH, out, s->GH, 1);
  else k_gemm(s->n, s->GH, s->H, s->hprev, s->ldp, s->wh, s->GH, out, s->GH, 1);
}
static void times_whT(const step_io* s, const float* d, int acc) {
  if (s->whTp) k_gemm_packed(s->n, s->H, s->GH, d, s->GH, s->whTp, s->whT, s->H, s->dhr, s->H, acc);
  else k_gemm(s->n, s->H, s->GH, d, s->GH, s->whT, s->H, s->dhr, s->H, acc);
}

/* ---- LSTM: gates [i f g o], cell state c ------------------------------------------------------
 * forward:  a += h_prev Wh;  (i f g o) = (σ σ tanh σ)(a);  c = f ⊙ c_prev + i ⊙ g;  h = o ⊙ tanh(c)
 * backward: ∂a from dh and dc (kernels.h);  dh_prev = ∂a · Whᵀ;  dc_prev = dc ⊙ f */
static void lstm_forward(const step_io* s) {
  times_wh(s, s->a);
  k_lstm_cell_fwd(s->n, s->H, s->act, s->a, s->GH, s->cprev, s->c, s->h, s->ldh);
}

static void lstm_backward(const step_io* s) {
  k_lstm_cell_bwd(s->n, s->H, s->act, s->a, s->GH, s->cprev, s->c, s->dh, s->dc, s->a);
  times_whT(s, s->a, 0);
}

/* ‖∂L/∂c_t‖ over the rows: the cell-state gradient from the next step (dc) plus what reaches c_t
 * through h_t = o ⊙ tanh(c_t), before the backward step turns it into ∂L/∂c_{t-1}. */
static float lstm_cell_grad_norm(const step_io* s) {
  double ss = 0.0;
  for (int b = 0; b < s->n; b++)
    for (int j = 0; j < s->H; j++) {
      size_t i = (size_t)b * s->H + j;
      float o = s->a[(size_t)b * s->GH + 3 * s->H + j], t = k_tanh(s->c[i]);
      double g = (double)s->dc[i] + (double)s->dh[i] * o * (1.0f - t * t);
      ss += g * g;
    }
  return (float)sqrt(ss);
}

/* ---- GRU: gates [r z n], two biases (r multiplies h Wh_n + bh_n) ------------------------------
 * forward:  gh = h_prev Wh + bh;  r, z = σ(a + gh);  n = tanh(a_n + r ⊙ gh_n);  h = (1−z) ⊙ n + z ⊙ h_prev
 * backward: ∂a, ∂gh from dh (kernels.h);  dh_prev = dh ⊙ z + ∂gh · Whᵀ */
static void gru_forward(const step_io* s) {
  for (int b = 0; b < s->n; b++)
    for (int j = 0; j < s->GH; j++) s->gh[(size_t)b * s->GH + j] = s->bh[j];
  times_wh(s, s->gh);
  k_gru_cell_fwd(s->n, s->H, s->act, s->a, s->gh, s->hprev, s->ldp, s->h, s->ldh);
}

static void gru_backward(const step_io* s) {
  k_gru_cell_bwd(s->n, s->H, s->act, s->a, s->gh, s->hprev, s->ldp, s->dh, s->a, s->gh, s->dhr);
  times_whT(s, s->gh, 1);
}

/* ---- tanh RNN: h = tanh(a + h_prev Wh) --------------------------------------------------------
 * backward: ∂a = dh ⊙ (1 − h²);  dh_prev = ∂a · Whᵀ */
static void rnn_forward(const step_io* s) {
  times_wh(s, s->a);
  k_rnn_cell_fwd(s->n, s->H, s->a, s->h, s->ldh);
}

static void rnn_backward(const step_io* s) {
  k_rnn_cell_bwd(s->n, s->H, s->h, s->ldh, s->dh, s->a);
  times_whT(s, s->a, 0);
}

/* ---- the table ------------------------------------------------------------------------------- */
const cell_desc lstm__cells[3] = {
    [LSTM_CELL_LSTM] = {.name = "lstm", .gates = 4, .biases = 1, .has_c = 1, .has_gate_act = 1,
                        .forget_block = 1, .inspect_gates = 4, .channels = "i f g o c h", .gate_names = "i f g o",
                        .forward = lstm_forward, .backward = lstm_backward, .cell_grad_norm = lstm_cell_grad_norm},
    [LSTM_CELL_GRU] = {.name = "gru", .gates = 3, .biases = 2, .has_c = 0, .has_gate_act = 1, .forget_block = -1,
                       .inspect_gates = 3, .channels = "r z n h", .gate_names = "r z n", .forward = gru_forward,
                       .backward = gru_backward, .cell_grad_norm = 0},
    [LSTM_CELL_RNN] = {.name = "rnn", .gates = 1, .biases = 1, .has_c = 0, .has_gate_act = 0, .forget_block = -1,
                       .inspect_gates = 0, .channels = "h", .gate_names = "h", .forward = rnn_forward,
                       .backward = rnn_backward, .cell_grad_norm = 0},
};

int lstm__channels(const cell_desc* c) { return c->inspect_gates + c->has_c + 1; }
