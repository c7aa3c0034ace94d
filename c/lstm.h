/*
 * lstm.h — the public C ABI of wasm-lstm.
 *
 * A stack of recurrent layers (LSTM, GRU or tanh RNN; 1..4 layers of H units, each unidirectional
 * or bidirectional) followed by a linear output head to O outputs, trained by backpropagation
 * through time on minibatches of B sequences of up to T steps (each its own length). Everything a
 * model owns lives behind one opaque `lstm_model*`; there is no global mutable state. Only numbers
 * and pointers cross this boundary, so it is the WebAssembly export list too (build.sh exports
 * every function declared with LSTM_API).
 *
 * Legend used in every shape comment: B batch, T steps, I input size (or vocabulary size V for
 * token input), H hidden, O outputs, L layers, D directions (1, or 2 when bidirectional),
 * G gates per cell (LSTM 4, GRU 3, RNN 1), N = Σ lengths (the valid steps of a batch).
 *
 * ---- Conventions --------------------------------------------------------------------------------
 * - Functions return an `int` status (LSTM_OK = 0, or an LSTM_ERR_*). Nothing prints, aborts or exits;
 *   out of memory is LSTM_ERR_NOMEM, never a trap. A call that fails changes nothing observable.
 * - User-facing arrays are batch-first: dense inputs (B, T, I) float, token inputs (B, T) int32,
 *   class targets (B, T) int32 (a target of -1 is ignored: masked out of loss and gradient) or (B)
 *   for LSTM_LOSS_XENT_LAST, regression targets (B, T, O) float, or (B, O) for LSTM_LOSS_MSE_LAST,
 *   outputs (B, T, O) or (B, O). States are (L·D, B, H), index layer·D + direction (PyTorch's
 *   h_0 / h_n layout). Internally the model works time-major on packed rows (below).
 *
 * ---- Equations (PyTorch nn.LSTM / nn.GRU / nn.RNN(tanh)) -----------------------------------------
 *   LSTM  i = σ(x Wx_i + h Wh_i + b_i)      GRU  r = σ(x Wx_r + bx_r + h Wh_r + bh_r)
 *         f = σ(x Wx_f + h Wh_f + b_f)           z = σ(x Wx_z + bx_z + h Wh_z + bh_z)
 *         g = tanh(x Wx_g + h Wh_g + b_g)        n = tanh(x Wx_n + bx_n + r ⊙ (h Wh_n + bh_n))
 *         o = σ(x Wx_o + h Wh_o + b_o)           h' = (1 − z) ⊙ n + z ⊙ h
 *         c' = f ⊙ c + i ⊙ g                RNN  h' = tanh(x Wx + h Wh + b)
 *         h' = o ⊙ tanh(c')
 *   σ is the gate activation (lstm_config.gate_act): the logistic sigmoid, or the hard sigmoid
 *   max(0, min(1, 0.2·x + 0.5)) of TF.js / Keras 2 (`recurrentActivation: 'hardSigmoid'`).
 *   Bidirectional: a reverse direction with its own weights runs the same cell from each sequence's
 *   last valid step back to step 0; the layer's output at step t is [h_fwd(t) | h_rev(t)] (2H).
 *   Head  y = x Wy + by, x = the top layer's output (per step), or for the "last" losses and
 *   predictions the sequence summary: h_fwd at the sequence's last valid step, and for bidirectional
 *   models [h_fwd(last) | h_rev(0)] (both directions' final states: PyTorch cat(h_n[-2], h_n[-1]),
 *   Keras Bidirectional(return_sequences=False)). For LSTM_LOSS_XENT*, p = softmax(y).
 *
 * ---- Gate order and weight layout (the one place it is written down) ----------------------------
 * All parameters live in ONE float buffer described by ONE tensor table (lstm_tensor_*); gradients
 * and optimizer moments use the identical layout. Per layer l = 0..L-1 and direction (forward,
 * then reverse when D = 2; the reverse direction's names end in "_reverse"), in this order:
 *   "l{l}.wx"  (I_l, G*H)  input weights; I_0 = I (or V), I_l = D*H for l > 0 (the forward half of
 *                         the rows reads h_fwd, the second half h_rev). Row-major, so x Wx is a plain
 *                         row-vector product; token input gathers row x of wx (an embedding).
 *   "l{l}.wh"  (H, G*H)   recurrent weights.
 *   LSTM/RNN: "l{l}.b"  (G*H)   one bias (PyTorch's bias_ih + bias_hh summed).
 *   GRU:      "l{l}.bx" (3H), "l{l}.bh" (3H)  two biases, because r multiplies (h Wh_n + bh_n).
 * then the head: "head.w" (D*H, O), "head.b" (O).
 * Along the G*H axis the gates are blocks of H in the order
 *   LSTM: i, f, g, o     (PyTorch order; Keras/TF.js is i, f, c, o: the same; ONNX is i, o, f, c)
 *   GRU:  r, z, n        (PyTorch order; Keras and ONNX are z, r, h)
 * PyTorch stores weight_ih as (G*H, I): ours is its transpose; "l0.wx_reverse" is
 * weight_ih_l0_reverse transposed, and so on.
 *
 * ---- The same parameters in other frameworks (wasm-lstm/interop; js/interop/layouts.js is this
 * table in code: GATE_ORDER and the block permutations) -----------------------------------------
 *   gate blocks    ours     PyTorch   Keras / TF.js           ONNX
 *   LSTM           i f g o  i f g o   i f c o  (c = our g)    i o f c
 *   GRU            r z n    r z n     z r h    (h = our n)    z r h  (linear_before_reset = 1)
 *   RNN            h        h         h                       h      (Tanh)
 *   per direction  ours            PyTorch                     Keras / TF.js            ONNX (d = direction)
 *   wx (I, G·H)    weight_ih_l{l}ᵀ             kernel (I, G·H)              W[d]ᵀ, W (D, G·H, I)
 *   wh (H, G·H)    weight_hh_l{l}ᵀ             recurrent_kernel (H, G·H)    R[d]ᵀ, R (D, G·H, H)
 *   b (LSTM, RNN)  bias_ih_l{l} + bias_hh_l{l} bias (G·H)                   B[d] = [Wb | Rb]: Wb + Rb
 *   bx, bh (GRU)   bias_ih_l{l}, bias_hh_l{l}  bias (2, 3H) = [bx; bh]      B[d] = [Wb = bx | Rb = bh]
 *   head.w, head.b Linear.weightᵀ, .bias       Dense kernel, bias           MatMul B (+ Add), Gemm B, C
 *   token input    an Embedding E (V, E) before the first layer is folded: wx = E · weight_ih_l0ᵀ
 *                  (in float64; Keras Embedding, an ONNX Gather from a (V, E) table likewise)
 * The reverse direction is PyTorch's suffix _reverse, Keras's Bidirectional backward layer, ONNX's
 * d = 1; a layer above the first reads [forward h | reverse h] in all three. gate_act: sigmoid =
 * Keras/TF.js recurrent_activation 'sigmoid' = ONNX 'Sigmoid'; the hard sigmoid = Keras 2 / TF.js
 * 'hard_sigmoid'/'hardSigmoid' = ONNX 'HardSigmoid' (alpha 0.2, beta 0.5); PyTorch has only the
 * sigmoid. Two biases are summed into one as float32 (b = b_ih + b_hh) and exported as b_ih = b,
 * b_hh = 0, so that a round trip gives b back bit for bit.
 *
 * ---- Sequences of different lengths ---------------------------------------------------------------
 * lstm_batch.lengths (B values in 1..T; NULL = all T): steps t >= lengths[b] are padding. They change
 * no state, add no loss and no gradient, cost no arithmetic, and predict writes 0 there. The carried
 * state after a call is each sequence's state at its own last valid step (PyTorch's h_n for a
 * pack_padded_sequence batch). Internally sequences are sorted by length (stably, longest first) and
 * the valid steps packed time-major: step t holds the n_t sequences longer than t, so every matrix
 * product runs on exactly the N valid rows.
 *
 * ---- Initialisation -----------------------------------------------------------------------------
 * Every weight and bias ~ U(−1/√H, 1/√H) from the model's seeded RNG (as PyTorch), then the LSTM
 * forget-gate bias block is set to 1.0 (Jozefowicz et al. 2015) and GRU/RNN biases to 0.
 * The head ~ U(−1/√H, 1/√H), head bias 0.
 */
#ifndef LSTM_H
#define LSTM_H

#include <stddef.h>
#include <stdint.h>

#ifndef LSTM_API
#define LSTM_API
#endif

/* ---- status codes ---------------------------------------------------------------------------- */
enum {
  LSTM_OK = 0,
  LSTM_ERR_ARG = 1,       /* an argument is out of range (the JS layer names which)              */
  LSTM_ERR_NOMEM = 2,     /* the allocation failed or would exceed the limits; nothing changed   */
  LSTM_ERR_FORMAT = 3,    /* a model file is truncated, malformed or not ours                    */
  LSTM_ERR_VERSION = 4,   /* a model file of a format version this build does not read           */
  LSTM_ERR_CHECKSUM = 5,  /* a model file whose CRC-32 does not match                           */
  LSTM_ERR_NONFINITE = 6, /* a loss, gradient, update, output or state would not be finite:
                             nothing was changed                                                 */
  LSTM_ERR_CONFIG = 7     /* an invalid configuration                                            */
};

enum { LSTM_CELL_LSTM = 0, LSTM_CELL_GRU = 1, LSTM_CELL_RNN = 2 };
enum { LSTM_INPUT_DENSE = 0, LSTM_INPUT_TOKENS = 1 };
enum {
  LSTM_LOSS_XENT = 0,      /* softmax cross-entropy over O classes at every valid step (mean over counted steps) */
  LSTM_LOSS_MSE = 1,       /* mean squared error at every valid step (mean over N*O)            */
  LSTM_LOSS_MSE_LAST = 2,  /* mean squared error of the sequence summary (mean over B*O)        */
  LSTM_LOSS_XENT_LAST = 3  /* cross-entropy of one class per sequence from its summary (mean over
                              counted sequences; a target of -1 is ignored)                      */
};
enum { LSTM_GATE_SIGMOID = 0, LSTM_GATE_HARD_SIGMOID = 1 };
enum { LSTM_OPT_ADAM = 0, LSTM_OPT_SGD = 1, LSTM_OPT_RMSPROP = 2, LSTM_OPT_ADAGRAD = 3 };
enum { LSTM_CLIP_NONE = 0, LSTM_CLIP_VALUE = 1, LSTM_CLIP_NORM = 2 };

/* Limits checked by lstm_new / lstm_load before anything is allocated. */
enum {
  LSTM_MAX_LAYERS = 4,
  LSTM_MAX_HIDDEN = 4096,
  LSTM_MAX_INPUT = 1 << 20,
  LSTM_MAX_OUTPUT = 1 << 20,
  LSTM_MAX_PARAMS = 64 << 20, /* floats (256 MB). Memory per parameter: 4 bytes to predict; to
                                 train 20 (two gradient buffers, allocated on the first gradient
                                 computation, and Adam's two moments), so a trainable model stays
                                 below ~48 M parameters in 1 GB of wasm memory (training returns
                                 LSTM_ERR_NOMEM when it cannot, and changes nothing) */
  LSTM_MAX_BATCH = 1 << 20,   /* B of one call or state                                          */
  LSTM_MAX_ROWS = 1 << 24     /* B*T of one call                                                 */
};

/* ---- configuration ---------------------------------------------------------------------------
 * Architecture: fixed for the life of a model. Every field is 4 bytes so that the JS layer can
 * write it at the offsets lstm_abi describes. */
typedef struct {
  int32_t cell;       /* LSTM_CELL_*                                                            */
  int32_t input_kind; /* LSTM_INPUT_*                                                           */
  int32_t input;      /* I: dense input width, or vocabulary size V for token input            */
  int32_t hidden;     /* H: 1..LSTM_MAX_HIDDEN                                                 */
  int32_t layers;     /* L: 1..LSTM_MAX_LAYERS                                                 */
  int32_t output;     /* O: outputs (classes for the xent losses, then at least 2)             */
  int32_t loss;       /* LSTM_LOSS_*                                                            */
  uint32_t seed;      /* RNG seed for initialisation and dropout                               */
  int32_t directions; /* D: 1, or 2 (bidirectional)                                            */
  int32_t gate_act;   /* LSTM_GATE_*: σ of the LSTM/GRU gates; RNN cells have none (must be 0)  */
} lstm_config;

/* Training settings: may change between calls (learning-rate schedules). */
typedef struct {
  int32_t optimizer;  /* LSTM_OPT_*                                                             */
  float lr;           /* learning rate > 0                                                      */
  float beta1;        /* Adam β1; SGD momentum; unused by RMSProp/Adagrad                       */
  float beta2;        /* Adam β2; RMSProp decay ρ                                               */
  float eps;          /* Adam/RMSProp/Adagrad ε                                                 */
  float weight_decay; /* decoupled weight decay (AdamW style) on weight matrices, not biases    */
  int32_t clip_mode;  /* LSTM_CLIP_*                                                            */
  float clip;         /* θ: clip each gradient to [−θ, θ] (VALUE) or rescale to norm θ (NORM)   */
  float dropout;      /* probability of zeroing the input of layers ≥ 1 and of the head (train) */
} lstm_train_config;

/* One call's data. Pointers are owned by the caller and only read during the call. */
enum {
  LSTM_CALL_STATELESS = 1,    /* start from h0/c0 (or zeros when NULL) and leave the carried state
                                 alone. Required for bidirectional models (no carried state).    */
  LSTM_CALL_ADVANCE = 2,      /* lstm_gradients: move the train state on, as lstm_train does      */
  LSTM_PREDICT_SOFTMAX = 4,   /* lstm_predict: softmax over the O outputs of each row             */
  LSTM_PREDICT_LAST_ONLY = 8, /* lstm_predict: only the head of each sequence's summary: (B, O)   */
  LSTM_CALL_KEEP = 16,        /* lstm_gradients: the gradient stays in the work buffer (lstm_work)
                                 and nothing is committed: gradient buffer, its norm, metrics and
                                 train state stay as they were (a data-parallel caller adds the other
                                 shards' gradients there, then calls lstm_apply_work)              */
  LSTM_CALL_SEED = 32,        /* lstm_train/lstm_gradients with dropout: use lstm_batch.seed for the
                                 masks instead of drawing it from the model's RNG                  */
  LSTM_CALL_DROPOUT = 64      /* lstm_gradients: apply dropout as lstm_train does (a data-parallel
                                 caller's shares of one training step)                             */
};
typedef struct {
  const void* inputs;     /* (B,T,I) float, or (B,T) int32 token ids in [0, V)                      */
  const void* targets;    /* per the loss (training calls; ignored by predict and inspect)          */
  const int32_t* lengths; /* (B) valid steps of each sequence, in 1..T; NULL: all T                  */
  const float* h0;        /* (L·D, B, H) initial h with LSTM_CALL_STATELESS, or NULL: zeros          */
  const float* c0;        /* (L·D, B, H) initial c (LSTM) with LSTM_CALL_STATELESS, or NULL: zeros   */
  int32_t batch;          /* B: 1..LSTM_MAX_BATCH                                                    */
  int32_t steps;          /* T, with B*T <= LSTM_MAX_ROWS                                            */
  int32_t flags;          /* LSTM_CALL_* | LSTM_PREDICT_*                                            */
  float norm;             /* what the loss is a mean over, in its unit (xent: counted targets; mse:
                             valid elements): 0 = this batch's own. A data-parallel caller gives each
                             shard the whole batch's count, so that shard losses and gradients sum
                             to the batch's.                                                        */
  float* hn;              /* (L·D, B, H), or NULL: receives every layer's final state (train,        */
  float* cn;              /*  gradients, evaluate; predict has its own arguments); cn LSTM only      */
  uint32_t seed;          /* dropout seed with LSTM_CALL_SEED (else drawn from the model's RNG)      */
  int32_t seq_offset;     /* index of this batch's first sequence in a data-parallel caller's batch:
                             dropout masks are a function of (seed, layer, sequence, step, unit), so
                             a sequence is dropped alike whichever share computes it                */
} lstm_batch;

typedef struct lstm_model lstm_model;

/* The ABI as JSON (enums with their JS names, limits, the cell table, struct field offsets), which
 * build.sh turns into js/build/abi.js: the one source of what the JS layer mirrors. Writes at most
 * cap bytes into buf and returns the length of the whole text (call with cap 0 to size it). */
LSTM_API int lstm_abi(char* buf, int cap);

/* Fills *tc with the defaults: Adam lr 2e-3 β1 0.9 β2 0.999 ε 1e-8, no decay, norm clip 5, no dropout. */
LSTM_API void lstm_train_config_default(lstm_train_config* tc);

/* The parameter count a configuration would have (from the tensor table), also when it is above
 * LSTM_MAX_PARAMS (lstm_new then refuses it with LSTM_ERR_NOMEM); -LSTM_ERR_CONFIG for an invalid
 * configuration. */
LSTM_API double lstm_config_param_count(const lstm_config* cfg);

/* Creates a model; *status gets LSTM_OK or the reason for NULL. */
LSTM_API lstm_model* lstm_new(const lstm_config* cfg, int* status);
/* Frees everything the model owns (NULL is allowed). */
LSTM_API void lstm_free(lstm_model* m);

LSTM_API int lstm_set_train_config(lstm_model* m, const lstm_train_config* tc);
LSTM_API int lstm_get_train_config(const lstm_model* m, lstm_train_config* tc);
LSTM_API int lstm_get_config(const lstm_model* m, lstm_config* cfg);

/* ---- training ---------------------------------------------------------------------------------
 * A unidirectional model carries two recurrent states: the TRAIN state (advanced by lstm_train) and
 * the PREDICT state (advanced by lstm_predict), each (L, B, H) h and, for LSTM, c. A call continues
 * from the final state of the previous call of its kind when B is unchanged (truncated BPTT /
 * stateful generation); a call with another B starts from zeros. lstm_reset_state zeroes them.
 * Bidirectional models have none: their calls must be LSTM_CALL_STATELESS. */
enum { LSTM_STATE_TRAIN = 0, LSTM_STATE_PREDICT = 1 };
LSTM_API int lstm_reset_state(lstm_model* m, int which);

/* One optimisation step: forward, backward through the steps, clip, update, advance the train state.
 * *loss gets the mean loss of the batch before the update. Any failure (LSTM_ERR_NONFINITE among
 * them) leaves parameters, gradients, optimizer moments, step count, state and RNG as they were. */
LSTM_API int lstm_train(lstm_model* m, const lstm_batch* b, float* loss);

/* Loss and gradient without an update, into the gradient buffer (lstm_grads). Dropout is not
 * applied. With LSTM_CALL_ADVANCE the train state moves on as in lstm_train; without it it is left
 * alone (so repeated calls give identical results: gradient checks). *loss may be NULL. */
LSTM_API int lstm_gradients(lstm_model* m, const lstm_batch* b, float* loss);

/* The gradient picture, without changing anything in the model: norms (L·D, T) gets
 * norms[(l·D + d)·T + t] = ‖∂loss/∂h_t‖ of layer l, direction d, the Frobenius norm over the valid
 * sequences and units of the total gradient reaching h_t (from the output at t and from the next
 * step the direction processes). For LSTM models cnorms (L·D, T), when not NULL, gets ‖∂loss/∂c_t‖
 * likewise: the gradient travelling along the cell state; other cells leave it untouched.
 * LSTM_ERR_NONFINITE when a loss, gradient or norm would not be finite as a float. */
LSTM_API int lstm_step_gradient_norms(lstm_model* m, const lstm_batch* b, float* norms, float* cnorms);

/* Forward and loss, without gradients, dropout or any change to the model: out[0] the mean loss,
 * out[1] the count it is a mean over (xent: targets not ignored; mse: valid elements), out[2] for
 * the class losses the targets predicted right (argmax = target), else 0. From the predict state
 * (or, with LSTM_CALL_STATELESS, h0/c0 or zeros); with LSTM_CALL_ADVANCE the predict state moves on
 * (a long validation text read in pieces). */
LSTM_API int lstm_evaluate(lstm_model* m, const lstm_batch* b, double* out);

/* The count and the targets predicted right (out[0], out[1], as lstm_evaluate's out[1], out[2]) of
 * the last successful lstm_train/lstm_gradients call: accuracy during training at no extra cost;
 * out[2], out[3] the same of the last gradient left in the work buffer (LSTM_CALL_KEEP). */
LSTM_API int lstm_last_metrics(const lstm_model* m, double* out);

/* The work gradient buffer (param_count) that LSTM_CALL_KEEP leaves a gradient in (allocated on
 * first use; NULL when memory is exhausted). */
LSTM_API float* lstm_work(lstm_model* m);
/* Applies the work buffer as lstm_train applies its gradient (global norm, clipping, the
 * optimizer). On success it becomes the gradient buffer with its norm, and (counted, correct) the
 * last metrics; on failure nothing changes but the work buffer. */
LSTM_API int lstm_apply_work(lstm_model* m, double counted, double correct);

/* Global L2 norm, before clipping, of the gradient in lstm_grads: that of the last successful
 * lstm_gradients call, or of the last gradient applied (lstm_train, lstm_apply_gradients,
 * lstm_apply_work). */
LSTM_API float lstm_last_gradient_norm(const lstm_model* m);
/* Applies the optimizer to the current gradient buffer (after clipping per the train config):
 * for custom loops that call lstm_gradients and maybe edit lstm_grads first. After any step
 * (this, lstm_train, lstm_apply_work) lstm_grads holds the gradient as applied, i.e. clipped, and
 * lstm_last_gradient_norm its norm before clipping: applying it again clips nothing more and
 * reports the clipped norm. */
LSTM_API int lstm_apply_gradients(lstm_model* m);

/* ---- inference --------------------------------------------------------------------------------
 * Forward pass continuing from the predict state (or, with LSTM_CALL_STATELESS, from h0/c0 or
 * zeros, leaving the predict state alone); out (B,T,O), zero at padded steps, or (B,O) with
 * LSTM_PREDICT_LAST_ONLY. hn and cn (L·D, B, H), when not NULL, get the final state of every layer
 * and direction (cn: LSTM only). An output or state that would not be finite (huge inputs or
 * weights) fails the call with LSTM_ERR_NONFINITE and changes nothing. */
LSTM_API int lstm_predict(lstm_model* m, const lstm_batch* b, float* out, float* hn, float* cn);

/* Channels recorded by lstm_inspect, per cell. */
LSTM_API int lstm_inspect_channels(const lstm_model* m); /* LSTM 6: i f g o c h; GRU 4: r z n h; RNN 1: h */
/* Forward pass (always stateless: from h0/c0 or zeros, touching neither carried state) that
 * records, per layer, direction, step, sequence and channel the H activations: out
 * (L, D, T, B, channels, H), zero at padded steps. */
LSTM_API int lstm_inspect(lstm_model* m, const lstm_batch* b, float* out);

/* ---- parameters and state ---------------------------------------------------------------------*/
LSTM_API int lstm_param_count(const lstm_model* m);
/* (param_count). The caller may write through it until its next call into the model; the model's
 * derived copies of the weights (the panels one-sequence inference reads) are remade after it. */
LSTM_API float* lstm_params(lstm_model* m);
LSTM_API float* lstm_grads(lstm_model* m);    /* (param_count), allocated on first use (NULL: no memory) */
LSTM_API int lstm_tensor_count(const lstm_model* m);
LSTM_API const char* lstm_tensor_name(const lstm_model* m, int k); /* NUL-terminated, or NULL */
/* Writes up to 2 dims into dims[2] and returns the rank (1 or 2), or -1 for a bad k. */
LSTM_API int lstm_tensor_shape(const lstm_model* m, int k, int32_t* dims);
LSTM_API int lstm_tensor_offset(const lstm_model* m, int k); /* in floats, or -1 */

/* Optimizer moments (same layout as the parameters): which = 0 first moment / momentum / square
 * accumulator, 1 second moment. NULL when the optimizer has no such buffer. */
LSTM_API float* lstm_opt_state(lstm_model* m, int which);
LSTM_API double lstm_step_count(const lstm_model* m);

/* The carried state (which = LSTM_STATE_*) of a unidirectional model: B of the state (0 if none),
 * and pointers to h and c, each (L, B, H); c is NULL for GRU/RNN. lstm_state_set_batch(m, which, B)
 * zeroes and sizes it (LSTM_ERR_ARG for bidirectional models). */
LSTM_API int lstm_state_batch(const lstm_model* m, int which);
LSTM_API int lstm_state_set_batch(lstm_model* m, int which, int B);
LSTM_API float* lstm_state_h(lstm_model* m, int which);
LSTM_API float* lstm_state_c(lstm_model* m, int which);

/* The RNG (dropout, init) state: two 32-bit words, for exact resume. lstm_rng_next draws a 32-bit
 * number from it (the data-parallel pool seeds each replica's dropout from the model's RNG). */
LSTM_API uint32_t lstm_rng_get(const lstm_model* m, int word);
LSTM_API void lstm_rng_set(lstm_model* m, uint32_t w0, uint32_t w1);
LSTM_API uint32_t lstm_rng_next(lstm_model* m);

/* ---- model files ------------------------------------------------------------------------------
 * Layout of format version 2 (little-endian), every field checked by the reader:
 *   "WLSTMDL\0" magic | u32 format version (2) | u32 flags (bit0 optimizer state, bit1 train state)
 *   lstm_config (10 × u32) | lstm_train_config (9 × u32) | f64 step count | u32 rng[2]
 *   u32 meta length, meta bytes (opaque to C: the JS layer keeps JSON there), zero-padded to 4
 *   u32 tensor count, then per tensor: u32 name length, name, padded to 4, u32 rank, u32 dims[2]
 *   params (f32 × P) | [m (f32 × P), v (f32 × P) if the optimizer keeps them]
 *   [u32 B, h (L,B,H), c (L,B,H) for LSTM]   train state (unidirectional models only)
 *   u32 CRC-32 (IEEE) of every preceding byte.
 * Version 1 (wasm-lstm 0.1) is the same with an 8-field lstm_config (no directions, gate_act: it is
 * read as unidirectional with the sigmoid); it is read, never written.
 * Files are written and read in pieces, so a model file never has to be whole in wasm memory:
 * the writer and the reader below are the only implementation; lstm_save and lstm_load are the
 * one-piece shorthands. */
typedef struct lstm_writer lstm_writer;
typedef struct lstm_reader lstm_reader;

/* Starts writing m's file with flags (bit0 optimizer moments, bit1 train state, each when present)
 * and meta (copied). Refuses (NULL, *status) content that a reader would refuse: a non-finite
 * parameter, moment or state (LSTM_ERR_NONFINITE), a negative square accumulator (LSTM_ERR_ARG),
 * a file over 2 GB (LSTM_ERR_NOMEM). The model must not change until lstm_write_free. */
LSTM_API lstm_writer* lstm_write_begin(const lstm_model* m, int flags, const uint8_t* meta, int meta_len,
                                       int* status);
LSTM_API int lstm_write_size(const lstm_writer* w);    /* the file's total size in bytes */
/* Writes the next up to cap bytes into buf; returns how many (0 once the file is complete). */
LSTM_API int lstm_write_chunk(lstm_writer* w, uint8_t* buf, int cap);
LSTM_API void lstm_write_free(lstm_writer* w);

/* Starts reading a file of total_len bytes (known in advance). with_model = 0 checks the file and
 * keeps its meta but builds no model (lstm_file_meta). */
LSTM_API lstm_reader* lstm_read_begin(int total_len, int with_model, int* status);
/* Feeds the next len bytes. Structure errors are remembered, not returned: the CRC is checked
 * first at the end, as with a whole file. Returns LSTM_OK, or LSTM_ERR_ARG for more bytes than
 * total_len, or LSTM_ERR_NOMEM when the model cannot be allocated. */
LSTM_API int lstm_read_chunk(lstm_reader* r, const uint8_t* buf, int len);
/* After the last chunk: LSTM_OK, or why the file is refused, in the order of lstm_load: FORMAT
 * (not our magic), VERSION (a format this build cannot read), then CHECKSUM, then the other
 * FORMAT checks and NOMEM. On LSTM_OK lstm_read_model hands over the model (once) and lstm_read_meta shows the meta
 * (valid until lstm_read_free). */
LSTM_API int lstm_read_end(lstm_reader* r);
LSTM_API lstm_model* lstm_read_model(lstm_reader* r);
LSTM_API const uint8_t* lstm_read_meta(const lstm_reader* r, int* len);
LSTM_API void lstm_read_free(lstm_reader* r); /* frees a model not handed over too */

/* One-piece shorthands. lstm_save_size: the size of the file, or a negative status. lstm_save
 * writes it into buf (capacity cap) and returns its size or a negative status. lstm_load checks and
 * loads a whole file (*status gets the reason for NULL). lstm_file_meta checks a whole file and
 * returns its meta's length, writing the meta's offset in buf to *offset, or a negative status. */
LSTM_API int lstm_save_size(const lstm_model* m, int flags, int meta_len);
LSTM_API int lstm_save(const lstm_model* m, int flags, const uint8_t* meta, int meta_len, uint8_t* buf, int cap);
LSTM_API lstm_model* lstm_load(const uint8_t* buf, int len, int* status);
LSTM_API int lstm_file_meta(const uint8_t* buf, int len, int* offset);

/* CRC-32 (IEEE 802.3, reflected, as zlib) of len bytes: exposed for tests and the JS layer.
 * lstm_crc32_update continues a running CRC (start with 0). */
LSTM_API uint32_t lstm_crc32(const uint8_t* buf, int len);
LSTM_API uint32_t lstm_crc32_update(uint32_t crc, const uint8_t* buf, int len);

/* Bytes the model has allocated now: parameters, gradients, optimizer moments, carried states and
 * the per-call workspace (which grows to the largest batch × steps seen). */
LSTM_API double lstm_model_bytes(const lstm_model* m);

/* Which kernels were compiled: 1 = SIMD128, 0 = scalar. */
LSTM_API int lstm_simd(void);

#endif
