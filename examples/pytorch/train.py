#!/usr/bin/python3
"""Train a character-level LSTM in PyTorch and save it for wasm-lstm.

    /usr/bin/python3 train.py --minutes 3          # writes model.pt and model.vocab.json

The model is char-rnn's: Embedding -> LSTM (2 x 128) -> Linear over the characters, trained with
truncated backpropagation through time (batch streams of the text, the state carried from one
chunk to the next), Adam 2e-3 and gradient-norm clipping 5, on the CPU.

What it writes:
  model.pt          torch.save(model.state_dict()): tensors embed.weight, lstm.weight_ih_l0, ...,
                    fc.weight, fc.bias (wasm-lstm guesses these names)
  model.vocab.json  the characters by id, as a JSON array: id i is input token i and output
                    class i. sorted(set(text)): the distinct characters of the text sorted by code
                    point, which is also what `wasm-lstm convert --vocab-from-text` computes.

The text is read as UTF-8 (invalid bytes become U+FFFD, a leading byte-order mark is dropped,
newlines are kept as they are), as wasm-lstm reads it, so the same text gives the same
vocabulary in both. Default text: Tiny Shakespeare at shared/data/tinyshakespeare.txt beside
the repository (or beside one of its parent directories), else a small built-in text.
"""

import argparse
import json
import math
import pathlib
import time

import torch
from torch import nn

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent

BUILT_IN = """\
The river ran past the mill and under the old stone bridge, and the miller's children
watched it every morning from the window. In spring it was brown and fast; in summer it
was slow and green, and the swallows skimmed it for flies. The miller said that a river
is never the same river twice, and the children said that it looked the same to them.
"""


class CharLSTM(nn.Module):
    """Embedding -> LSTM -> Linear: logits for the next character at every step."""

    def __init__(self, vocab, hidden=128, layers=2, embed=64):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, layers, batch_first=True)
        self.fc = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        y, state = self.lstm(self.embed(x), state)
        return self.fc(y), state


def default_text_path():
    """shared/data/tinyshakespeare.txt beside the repository or one of its parents, or None."""
    for d in [REPO.parent, *REPO.parent.parents]:
        p = d / 'shared' / 'data' / 'tinyshakespeare.txt'
        if p.is_file():
            return p
    return None


def read_text(path):
    text = pathlib.Path(path).read_bytes().decode('utf-8', errors='replace')
    return text[1:] if text.startswith('\ufeff') else text


def batches(ids, batch, seq):
    """Yields (x, y) chunks of `batch` parallel streams of the text, `seq` steps each, in order:
    stream b reads its own contiguous part of the text, so the state carries across chunks."""
    per_stream = (len(ids) - 1) // batch
    chunks = per_stream // seq
    if chunks < 1:
        raise SystemExit(f'the text is too short for --batch {batch} x --seq {seq}')
    x = ids[: batch * per_stream].view(batch, per_stream)
    y = ids[1 : batch * per_stream + 1].view(batch, per_stream)
    while True:
        for c in range(chunks):
            yield c == 0, x[:, c * seq : (c + 1) * seq], y[:, c * seq : (c + 1) * seq]


@torch.no_grad()
def evaluate(model, ids, seq=256):
    """Mean cross-entropy (nats per character) over `ids`, read as one stream."""
    model.eval()
    state, total, count = None, 0.0, 0
    for at in range(0, len(ids) - 1, seq):
        end = min(at + seq, len(ids) - 1)
        logits, state = model(ids[at:end][None], state)
        total += nn.functional.cross_entropy(logits[0], ids[at + 1 : end + 1], reduction='sum').item()
        count += end - at
    model.train()
    return total / max(count, 1)


@torch.no_grad()
def sample(model, chars, prime, length, temperature=0.8, seed=1):
    index = {ch: i for i, ch in enumerate(chars)}
    g = torch.Generator().manual_seed(seed)
    ids = [index[ch] for ch in prime if ch in index] or [0]
    logits, state = model(torch.tensor([ids]))
    out = []
    for _ in range(length):
        p = torch.softmax(logits[0, -1] / temperature, dim=-1)
        i = torch.multinomial(p, 1, generator=g).item()
        out.append(chars[i])
        logits, state = model(torch.tensor([[i]]), state)
    return prime + ''.join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--text', help='a UTF-8 text file (default: Tiny Shakespeare if found, else a built-in text)')
    ap.add_argument('--minutes', type=float, default=3.0, help='train this long (default 3)')
    ap.add_argument('--steps', type=int, help='train this many steps instead of --minutes')
    ap.add_argument('--hidden', type=int, default=128)
    ap.add_argument('--layers', type=int, default=2)
    ap.add_argument('--embed', type=int, default=64, help='embedding width (default 64)')
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--seq', type=int, default=64)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--threads', type=int, help="CPU threads for PyTorch (default: PyTorch's choice)")
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--out', default='model.pt', help='the state_dict file (default model.pt); the '
                    'vocabulary goes beside it as <name>.vocab.json')
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    path = args.text or default_text_path()
    if path:
        text, source = read_text(path), str(path)
    else:
        text, source = BUILT_IN * 40, 'the built-in text'
    chars = sorted(set(text))
    index = {ch: i for i, ch in enumerate(chars)}
    ids = torch.tensor([index[ch] for ch in text], dtype=torch.long)
    n_val = max(2, len(ids) // 20)  # the last 5% for validation, as wasm-lstm holds out
    train_ids, val_ids = ids[:-n_val], ids[-n_val:]
    print(f'{source}: {len(text):,} characters, vocabulary {len(chars)}; '
          f'train {len(train_ids):,}, validation {len(val_ids):,}')

    model = CharLSTM(len(chars), args.hidden, args.layers, args.embed)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    print(f'LSTM {args.layers} x {args.hidden}, embedding {args.embed}: '
          f'{sum(p.numel() for p in model.parameters()):,} parameters; batch {args.batch} x seq {args.seq}, '
          f'{f"{args.steps} steps" if args.steps else f"{args.minutes} minutes"}')

    deadline = time.monotonic() + args.minutes * 60
    state, step, t0, recent = None, 0, time.monotonic(), []
    for first, x, y in batches(train_ids, args.batch, args.seq):
        if (args.steps is not None and step >= args.steps) or (args.steps is None and time.monotonic() > deadline):
            break
        if first:
            state = None  # a new pass over the text: start the streams from zeros
        logits, state = model(x, state)
        state = tuple(s.detach() for s in state)  # truncated BPTT: carry the state, not its graph
        loss = nn.functional.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        recent.append(loss.item())
        if step % 100 == 0:
            # a quick look at the first 20,000 validation characters; all of them at the end
            print(f'step {step}  train {sum(recent) / len(recent):.3f}  val {evaluate(model, val_ids[:20000]):.3f} nats/char  '
                  f'({time.monotonic() - t0:.0f} s)', flush=True)
            recent = []

    seconds = time.monotonic() - t0
    val = evaluate(model, val_ids)
    out = pathlib.Path(args.out)
    vocab = out.with_name(out.stem + '.vocab.json')
    torch.save(model.state_dict(), out)
    vocab.write_text(json.dumps(chars, ensure_ascii=False), encoding='utf-8')
    print(f'{step} steps in {seconds:.0f} s: validation {val:.3f} nats/char = '
          f'{val / math.log(2):.3f} bits/char')
    print(f'saved {out} and {vocab}')
    print('--- a PyTorch sample ---')
    print(sample(model, chars, '\n', 200))


if __name__ == '__main__':
    main()
