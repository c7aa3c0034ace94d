/*
 * lstm.h — the public C ABI of wasm-lstm.
 *
 * A stacked recurrent network (LSTM, GRU or tanh RNN; 1..4 layers of H units) followed by a linear
 * output head to O outputs, trained by backpropagation through time on minibatches of B sequences
 * of T steps. Everything a model owns lives behind one opaque `lstm_model*`; there is no global
 * mutable state. Only numbers and pointers cross this boundary, so it is the WebAssembly export list
 * too (build.sh exports every function declared with LSTM_API).
 *
 * Legend used in every shape comment: B batch, T steps, I input size (or vocabulary size V for
 * token input), H hidden, O outputs, L layers, G gates per cell (LSTM 4, GRU 3, RNN 1).
 *
 * ---- Conventions --------------------------------------------------------------------------------
 * - Functions return an `int` status (LSTM_OK = 0, or an LSTM_ERR_*). Nothing prints, aborts or exits;
 *   out of memory is LSTM_ERR_NOMEM, never a trap.
 * - User-facing arrays are batch-first: dense inputs (B, T, I) float, token inputs (B, T) int32,
 *   class targets (B, T) int32 (a target of -1 is ignored: masked out of loss and gradient),
 *   regression targets (B, T, O) float, or (B, O) for LSTM_LOSS_MSE_LAST, outputs (B, T, O).
 *   Internally the model works time-major.
 *
 * ---- Equations (PyTorch nn.LSTM / nn.GRU / nn.RNN(tanh)) -----------------------------------------
 *   LSTM  i = σ(x Wx_i + h Wh_i + b_i)      GRU  r = σ(x Wx_r + bx_r + h Wh_r + bh_r)
 *         f = σ(x Wx_f + h Wh_f + b_f)           z = σ(x Wx_z + bx_z + h Wh_z + bh_z)
 *         g = tanh(x Wx_g + h Wh_g + b_g)        n = tanh(x Wx_n + bx_n + r ⊙ (h Wh_n + bh_n))
 *         o = σ(x Wx_o + h Wh_o + b_o)           h' = (1 − z) ⊙ n + z ⊙ h
 *         c' = f ⊙ c + i ⊙ g                RNN  h' = tanh(x Wx + h Wh + b)
 *         h' = o ⊙ tanh(c')
 *   Head  y = h_top Wy + by; for LSTM_LOSS_XENT p = softmax(y).
 *
 * ---- Gate order and weight layout (the one place it is written down) ----------------------------
 * All parameters live in ONE float buffer described by ONE tensor table (lstm_tensor_*); gradients
 * and optimizer moments use the identical layout. Per layer l = 0..L-1, in this order:
 *   "l{l}.wx"  (I_l, G*H)  input weights; I_0 = I (or V), I_l = H for l > 0. Row-major, so x Wx is
 *                         a plain row-vector product; token input gathers row x of wx (an embedding).
 *   "l{l}.wh"  (H, G*H)   recurrent weights.
 *   LSTM/RNN: "l{l}.b"  (G*H)   one bias (PyTorch's bias_ih + bias_hh summed).
 *   GRU:      "l{l}.bx" (3H), "l{l}.bh" (3H)  two biases, because r multiplies (h Wh_n + bh_n).
 * then the head: "head.w" (H, O), "head.b" (O).
 * Along the G*H axis the gates are blocks of H in the order
 *   LSTM: i, f, g, o     (PyTorch order; Keras/TF.js is i, f, c, o: the same; ONNX is i, o, f, c)
 *   GRU:  r, z, n        (PyTorch order)
 * PyTorch stores weight_ih as (G*H, I): ours is its transpose.
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
  LSTM_ERR_NONFINITE = 6, /* loss or gradient not finite: the step was not applied               */
  LSTM_ERR_CONFIG = 7     /* an invalid configuration                                            */
};

enum { LSTM_CELL_LSTM = 0, LSTM_CELL_GRU = 1, LSTM_CELL_RNN = 2 };
enum { LSTM_INPUT_DENSE = 0, LSTM_INPUT_TOKENS = 1 };
enum {
  LSTM_LOSS_XENT = 0,    /* softmax cross-entropy over O classes at every step (mean over counted steps) */
  LSTM_LOSS_MSE = 1,     /* mean squared error at every step (mean over B*T*O)                */
  LSTM_LOSS_MSE_LAST = 2 /* mean squared error at the last step only (mean over B*O)          */
};
enum { LSTM_OPT_ADAM = 0, LSTM_OPT_SGD = 1, LSTM_OPT_RMSPROP = 2, LSTM_OPT_ADAGRAD = 3 };
enum { LSTM_CLIP_NONE = 0, LSTM_CLIP_VALUE = 1, LSTM_CLIP_NORM = 2 };

/* Limits checked by lstm_new / lstm_load before anything is allocated. */
enum {
  LSTM_MAX_LAYERS = 4,
  LSTM_MAX_HIDDEN = 4096,
  LSTM_MAX_INPUT = 1 << 20,
  LSTM_MAX_OUTPUT = 1 << 20,
  LSTM_MAX_PARAMS = 64 << 20 /* floats (256 MB). With gradients and Adam's two moments that is
                                 1 GB, all of wasm memory: in practice a trainable model must stay
                                 well below this (lstm_new returns LSTM_ERR_NOMEM when it cannot) */
};

/* ---- configuration ---------------------------------------------------------------------------
 * Architecture: fixed for the life of a model. Every field is 4 bytes so that the JS layer can
 * write it as an Int32Array/Float32Array pair at fixed offsets (see lstm_config_size). */
typedef struct {
  int32_t cell;       /* LSTM_CELL_*                                                            */
  int32_t input_kind; /* LSTM_INPUT_*                                                           */
  int32_t input;      /* I: dense input width, or vocabulary size V for token input            */
  int32_t hidden;     /* H: 1..LSTM_MAX_HIDDEN                                                 */
  int32_t layers;     /* L: 1..LSTM_MAX_LAYERS                                                 */
  int32_t output;     /* O: outputs (classes for LSTM_LOSS_XENT, then at least 2)              */
  int32_t loss;       /* LSTM_LOSS_*                                                            */
  uint32_t seed;      /* RNG seed for initialisation and dropout                               */
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

typedef struct lstm_model lstm_model;

/* sizeof the two structs, so the JS layer can check its field tables against the C build. */
LSTM_API int lstm_config_size(void);
LSTM_API int lstm_train_config_size(void);

/* Fills *tc with the defaults: Adam lr 2e-3 β1 0.9 β2 0.999 ε 1e-8, no decay, norm clip 5, no dropout. */
LSTM_API void lstm_train_config_default(lstm_train_config* tc);

/* Creates a model; *status gets LSTM_OK or the reason for NULL. */
LSTM_API lstm_model* lstm_new(const lstm_config* cfg, int* status);
/* Frees everything the model owns (NULL is allowed). */
LSTM_API void lstm_free(lstm_model* m);

LSTM_API int lstm_set_train_config(lstm_model* m, const lstm_train_config* tc);
LSTM_API int lstm_get_train_config(const lstm_model* m, lstm_train_config* tc);
LSTM_API int lstm_get_config(const lstm_model* m, lstm_config* cfg);

/* ---- training ---------------------------------------------------------------------------------
 * The model carries two recurrent states: the TRAIN state (advanced by lstm_train) and the PREDICT
 * state (advanced by lstm_predict), each (L, B, H) h and, for LSTM, c. A call continues from the
 * final state of the previous call of its kind when B is unchanged (truncated BPTT / stateful
 * generation); a call with another B starts from zeros. lstm_reset_state zeroes them. */
enum { LSTM_STATE_TRAIN = 0, LSTM_STATE_PREDICT = 1 };
LSTM_API int lstm_reset_state(lstm_model* m, int which);

/* One optimisation step: forward, backward through T steps, clip, update, advance the train state.
 * inputs: (B,T,I) float or (B,T) int32; targets per the loss (see conventions). *loss gets the
 * mean loss of the batch before the update. LSTM_ERR_NONFINITE leaves parameters, optimizer
 * moments, step count and state exactly as they were. */
LSTM_API int lstm_train(lstm_model* m, const void* inputs, const void* targets, int B, int T, float* loss);

/* Loss and gradient without an update, into the gradient buffer (lstm_grads). Dropout is not
 * applied. With advance != 0 the train state moves on as in lstm_train; with 0 it is left alone
 * (so repeated calls give identical results: gradient checks). *loss may be NULL. */
LSTM_API int lstm_gradients(lstm_model* m, const void* inputs, const void* targets, int B, int T,
                            int advance, float* loss);

/* Like lstm_gradients(advance = 0) and also writes norms (L, T): norms[l*T + t] = ‖∂loss/∂h_t‖ of
 * layer l, the Frobenius norm over batch and units of the total gradient reaching h_t (from the
 * output at t and from step t+1): the vanishing-gradient picture. For LSTM models cnorms (L, T),
 * when not NULL, gets ‖∂loss/∂c_t‖ likewise: the gradient travelling along the cell state (from h_t
 * through tanh, and from c_{t+1} through f); other cells leave it untouched. Like lstm_gradients it
 * overwrites the gradient buffer and the last gradient norm. */
LSTM_API int lstm_step_gradient_norms(lstm_model* m, const void* inputs, const void* targets, int B,
                                      int T, float* norms, float* cnorms);

/* Global L2 norm of the gradient of the last lstm_train/lstm_gradients call, before clipping. */
LSTM_API float lstm_last_gradient_norm(const lstm_model* m);
/* Applies the optimizer to the current gradient buffer (after clipping per the train config):
 * for custom loops that call lstm_gradients and maybe edit lstm_grads first. */
LSTM_API int lstm_apply_gradients(lstm_model* m);

/* ---- inference --------------------------------------------------------------------------------*/
enum {
  LSTM_PREDICT_SOFTMAX = 1,  /* softmax over the O outputs of each row (meant for LSTM_LOSS_XENT
                                models; the JS layer allows it only there)                   */
  LSTM_PREDICT_LAST_ONLY = 2 /* write only the last step's outputs: out is (B, O)             */
};
/* Forward pass continuing from the predict state; out (B,T,O) or (B,O). */
LSTM_API int lstm_predict(lstm_model* m, const void* inputs, int B, int T, int flags, float* out);

/* Channels recorded by lstm_inspect, per cell. */
LSTM_API int lstm_inspect_channels(const lstm_model* m); /* LSTM 6: i f g o c h; GRU 4: r z n h; RNN 1: h */
/* Forward pass from a zero state (touching neither carried state) that records, per layer, step,
 * sequence and channel the H activations: out (L, T, B, channels, H). */
LSTM_API int lstm_inspect(lstm_model* m, const void* inputs, int B, int T, float* out);

/* ---- parameters and state ---------------------------------------------------------------------*/
LSTM_API int lstm_param_count(const lstm_model* m);
LSTM_API float* lstm_params(lstm_model* m);   /* (param_count) */
LSTM_API float* lstm_grads(lstm_model* m);    /* (param_count) */
LSTM_API int lstm_tensor_count(const lstm_model* m);
LSTM_API const char* lstm_tensor_name(const lstm_model* m, int k); /* NUL-terminated, or NULL */
/* Writes up to 2 dims into dims[2] and returns the rank (1 or 2), or -1 for a bad k. */
LSTM_API int lstm_tensor_shape(const lstm_model* m, int k, int32_t* dims);
LSTM_API int lstm_tensor_offset(const lstm_model* m, int k); /* in floats, or -1 */

/* Optimizer moments (same layout as the parameters): which = 0 first moment / momentum / square
 * accumulator, 1 second moment. NULL when the optimizer has no such buffer. */
LSTM_API float* lstm_opt_state(lstm_model* m, int which);
LSTM_API double lstm_step_count(const lstm_model* m);

/* The carried state (which = LSTM_STATE_*): B of the state (0 if none), and pointers to h and c,
 * each (L, B, H); c is NULL for GRU/RNN. lstm_state_set_batch(m, which, B) zeroes and sizes it. */
LSTM_API int lstm_state_batch(const lstm_model* m, int which);
LSTM_API int lstm_state_set_batch(lstm_model* m, int which, int B);
LSTM_API float* lstm_state_h(lstm_model* m, int which);
LSTM_API float* lstm_state_c(lstm_model* m, int which);

/* The RNG (dropout, init) state: two 32-bit words, for exact resume. */
LSTM_API uint32_t lstm_rng_get(const lstm_model* m, int word);
LSTM_API void lstm_rng_set(lstm_model* m, uint32_t w0, uint32_t w1);

/* ---- model files ------------------------------------------------------------------------------
 * Layout (little-endian), every field checked by lstm_load before anything is allocated:
 *   "WLSTMDL\0" magic | u32 format version (1) | u32 flags (bit0 optimizer state, bit1 train state)
 *   lstm_config (8 × u32) | lstm_train_config (9 × u32) | f64 step count | u32 rng[2]
 *   u32 meta length, meta bytes (opaque to C: the JS layer keeps JSON there), zero-padded to 4
 *   u32 tensor count, then per tensor: u32 name length, name, padded to 4, u32 rank, u32 dims[2]
 *   params (f32 × P) | [m (f32 × P), v (f32 × P) if the optimizer keeps them]
 *   [u32 B, h (L,B,H), c (L,B,H) for LSTM]   train state
 *   u32 CRC-32 (IEEE) of every preceding byte. */
LSTM_API int lstm_save_size(const lstm_model* m, int flags, int meta_len);
/* Writes the file into buf (capacity cap); returns its size, or a negative status: -LSTM_ERR_ARG for
 * a bad argument or buffer (or a negative square accumulator), -LSTM_ERR_NONFINITE when a parameter,
 * a saved moment or the saved state is not finite (such a file could not be loaded). */
LSTM_API int lstm_save(const lstm_model* m, int flags, const uint8_t* meta, int meta_len, uint8_t* buf, int cap);
/* Checks and loads a file. *status gets the reason for NULL. Besides sizes, names, shapes and the
 * CRC, a file must hold what lstm_save writes: zero padding, a nonzero RNG state, finite
 * parameters, moments and state, non-negative second moments (else LSTM_ERR_FORMAT). */
LSTM_API lstm_model* lstm_load(const uint8_t* buf, int len, int* status);
/* Where the opaque meta bytes are in a file (after the same checks as lstm_load): returns the
 * length and writes the offset to *offset, or a negative status. */
LSTM_API int lstm_file_meta(const uint8_t* buf, int len, int* offset);

/* CRC-32 (IEEE 802.3, reflected, as zlib) of len bytes: exposed for tests and the JS layer. */
LSTM_API uint32_t lstm_crc32(const uint8_t* buf, int len);

/* Bytes the model has allocated now: parameters, gradients, optimizer moments, carried states and
 * the per-call workspace (which grows to the largest batch × steps seen). */
LSTM_API double lstm_model_bytes(const lstm_model* m);

/* Which kernels were compiled: 1 = SIMD128, 0 = scalar. */
LSTM_API int lstm_simd(void);

#endif
