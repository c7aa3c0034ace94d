// FLOPs per character of a char-level recurrent language model: one formula for us and every peer,
// so that GFLOP/s figures compare the work the model needs, not the work an implementation does.

const GATES = { lstm: 4, gru: 3, rnn: 1 };

/**
 * FLOPs per character (one time step of one sequence) of a char-level recurrent LM.
 *
 * Only matrix products count, a multiply-add being 2 FLOPs; elementwise work (gates, activations,
 * cell update, bias adds, softmax, loss, optimizer update) is ignored. With G gates (lstm 4, gru 3,
 * rnn 1), forward per character:
 *   layer 0 input projection  0           (one-hot x W is a row gather)
 *   layer l >= 1 input        2 H G H     (dense, input = previous layer's h)
 *   recurrent, each layer     2 H G H
 *   output head               2 H V
 *   forward = 2 G H^2 (2L - 1) + 2 H V
 * Training = forward + backward, backward = 2 x forward (gradients w.r.t. inputs and weights):
 *   train = 3 x forward;  sample = forward.
 * Bidirectional (D = 2 directions; D = 1 otherwise): each direction does the recurrent work, layer
 * l >= 1 reads the D H wide output of the layer below, and the head reads D H:
 *   forward = D (2 G H^2 L + 2 (D H) G H (L - 1)) + 2 D H V
 * A classifier ('classify': one label per sequence at its last valid step) runs its head once per
 * sequence, not per character: the head term is left out, and characters are valid (unpadded) steps.
 * Work an implementation adds (a dense one-hot input product, an embedding layer, re-running a
 * window per generated character, computing padded steps) is not counted: it shows up as lower GFLOP/s.
 *
 * @param {{cell?: 'lstm'|'gru'|'rnn', V: number, H: number, L?: number, bi?: boolean, mode?: 'train'|'sample'|'classify'}} p
 * @returns {number} FLOPs per character
 */
export function flopsPerChar({ cell = 'lstm', V, H, L = 1, bi = false, mode = 'train' }) {
  const G = GATES[cell];
  if (!G) throw new Error(`unknown cell '${cell}' (lstm, gru, rnn)`);
  if (!(V > 0 && H > 0 && L >= 1)) throw new Error('V, H must be > 0 and L >= 1');
  const D = bi ? 2 : 1;
  const inputProj = D * 2 * (D * H) * G * H * (L - 1);
  const recurrent = D * 2 * H * G * H * L;
  const head = mode === 'classify' ? 0 : 2 * D * H * V;
  const forward = inputProj + recurrent + head;
  if (mode === 'sample') return forward;
  if (mode === 'train' || mode === 'classify') return 3 * forward;
  throw new Error(`unknown mode '${mode}' (train, sample, classify)`);
}
