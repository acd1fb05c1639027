"""Train the models of the chapter "Attention" and write ``checkpoints/attention.pt``.

    make attention-models     # = .venv/bin/python scripts/train_attention.py

Two experiments, each with one recipe for every model it compares (the same data, the
same number of updates, the same optimiser), seeded and pinned to one CPU thread
(``--threads``), so that a run is reproducible on the same machine:

1. Reversal of 1 to 20 digits (``rnnbook.transduction.reversal``) by four GRU
   encoder-decoders (``rnnbook.seq2seq.Seq2Seq``): chapter 10's model (``plain``,
   H = 64), the same with a wider state (``wide``, H = 96, more parameters than the
   attention models), and the same with additive (``additive``) or multiplicative
   (``multiplicative``) attention (H = 64). Each epoch
   draws 10,000 fresh training pairs (seed 1000 + epoch), so no model can overfit a
   fixed set; the validation set (1,000 pairs, seed 1) picks the epoch whose weights
   are kept (greedy exact match, then per-token accuracy); the test set (seed 2) is
   left to the chapter.
2. Reversal at the fixed length 20 as an aligned task
   (``rnnbook.transduction.aligned_reversal``) by a bidirectional GRU tagger and a
   two-layer self-attention tagger with and without position embeddings
   (``rnnbook.selfattention``): 10,000 fresh pairs per epoch (seed 2000 + epoch),
   validation seed 3, test seed 4. The CPU time of every epoch is recorded.

Recipe: Adam, learning rate 3e-3 decaying linearly to 3e-4 over the run, batches of 64,
gradient norm clipped at 1, initial weights from ``torch.manual_seed(0)``. Everything is
saved with ``rnnbook.seq2seq.save_checkpoint`` (readable with ``weights_only=True``).
See ``checkpoints/README.md``.
"""

from __future__ import annotations

import argparse
import copy
import platform
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import rnnbook
from rnnbook import transduction as td
from rnnbook.selfattention import RecurrentTagger, SelfAttentionTagger
from rnnbook.seq2seq import Seq2Seq, save_checkpoint

ROOT = Path(__file__).resolve().parents[1]
SEEDS = dict(seq2seq_train=1000, seq2seq_valid=1, seq2seq_test=2)
SEEDS.update(tagger_train=2000, tagger_valid=3, tagger_test=4)


def seq2seq_models(max_len: int) -> dict:
    return {
        "plain": dict(hidden_size=64),
        "wide": dict(hidden_size=96),
        "additive": dict(hidden_size=64, attention="additive"),
        "multiplicative": dict(hidden_size=64, attention="multiplicative"),
    }


def tagger_models(length: int) -> dict:
    return {
        "bigru": (RecurrentTagger, dict(vocab_size=10, num_classes=10)),
        "selfattention": (
            SelfAttentionTagger,
            dict(vocab_size=10, num_classes=10, max_len=length),
        ),
        "selfattention_nopos": (
            SelfAttentionTagger,
            dict(vocab_size=10, num_classes=10, max_len=length, positions=False),
        ),
    }


def _optimizer(model, args, updates: int):
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: 1 - 0.9 * min(k, updates) / updates
    )
    return opt, sched


def _update(model, opt, sched, loss, clip: float) -> float:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    sched.step()
    return float(loss.detach())


def train_seq2seq(model: Seq2Seq, args) -> dict:
    valid = td.encode_pairs(
        *td.reversal(args.valid_size, 1, args.max_len, rng=SEEDS["seq2seq_valid"])
    )
    per_epoch = -(-args.train_size // args.batch_size)
    opt, sched = _optimizer(model, args, per_epoch * args.epochs)
    hist = {k: [] for k in ("train_loss", "val_token", "val_exact", "cpu_seconds")}
    best, best_state = (-1.0, -1.0), None
    for epoch in range(1, args.epochs + 1):
        t0, total, count = time.process_time(), 0.0, 0
        train = td.encode_pairs(
            *td.reversal(
                args.train_size, 1, args.max_len, rng=SEEDS["seq2seq_train"] + epoch
            )
        )
        model.train()
        for (x, lengths, dec_in), dec_out in td.Batches(
            train, args.batch_size, shuffle=True, seed=epoch
        ):
            loss = td.sequence_loss(model(x, lengths, dec_in), dec_out)
            total += _update(model, opt, sched, loss, args.clip) * len(x)
            count += len(x)
        hist["cpu_seconds"].append(time.process_time() - t0)
        model.eval()
        pred, _ = model.generate(valid.x, valid.lengths)
        token, exact = td.accuracies(pred, valid.dec_out)
        hist["train_loss"].append(total / count)
        hist["val_token"].append(token)
        hist["val_exact"].append(exact)
        if (exact, token) > best:
            best, best_state = (exact, token), copy.deepcopy(model.state_dict())
            hist["best_epoch"] = epoch
        print(
            f"  epoch {epoch:2d}  loss {total / count:.4f}  valid token {token:.3f} "
            f"exact {exact:.3f}  ({hist['cpu_seconds'][-1]:.1f} s CPU)",
            flush=True,
        )
    model.load_state_dict(best_state)
    return hist


def train_tagger(model, args) -> dict:
    xv, yv = td.aligned_reversal(
        args.valid_size, args.tagger_len, rng=SEEDS["tagger_valid"]
    )
    per_epoch = -(-args.train_size // args.batch_size)
    opt, sched = _optimizer(model, args, per_epoch * args.tagger_epochs)
    hist = {k: [] for k in ("train_loss", "val_token", "val_exact", "cpu_seconds")}
    best, best_state = (-1.0, -1.0), None
    for epoch in range(1, args.tagger_epochs + 1):
        t0, total = time.process_time(), 0.0
        x, y = td.aligned_reversal(
            args.train_size, args.tagger_len, rng=SEEDS["tagger_train"] + epoch
        )
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(epoch))
        model.train()
        for i in range(0, len(x), args.batch_size):
            idx = order[i : i + args.batch_size]
            loss = F.cross_entropy(model(x[idx]).transpose(1, 2), y[idx])
            total += _update(model, opt, sched, loss, args.clip) * len(idx)
        hist["cpu_seconds"].append(time.process_time() - t0)
        model.eval()
        with torch.no_grad():
            right = model(xv).argmax(-1) == yv  # (N, L)
        token, exact = right.float().mean().item(), right.all(1).float().mean().item()
        hist["train_loss"].append(total / len(x))
        hist["val_token"].append(token)
        hist["val_exact"].append(exact)
        if (token, exact) > best:
            best, best_state = (token, exact), copy.deepcopy(model.state_dict())
            hist["best_epoch"] = epoch
        print(
            f"  epoch {epoch:2d}  loss {total / len(x):.4f}  valid token {token:.3f} "
            f"exact {exact:.3f}  ({hist['cpu_seconds'][-1]:.1f} s CPU)",
            flush=True,
        )
    model.load_state_dict(best_state)
    return hist


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "checkpoints" / "attention.pt"
    )
    parser.add_argument("--epochs", type=int, default=20, help="encoder-decoders")
    parser.add_argument("--tagger-epochs", type=int, default=10)
    parser.add_argument("--train-size", type=int, default=10_000, help="pairs/epoch")
    parser.add_argument("--valid-size", type=int, default=1000)
    parser.add_argument("--max-len", type=int, default=20, help="longest source")
    parser.add_argument("--tagger-len", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", nargs="*", help="train only these models (a test)")
    args = parser.parse_args(argv)

    rnnbook.setup(seed=args.seed, threads=args.threads, style=False)
    start = time.perf_counter()
    models, histories = {}, {}
    for name, kw in seq2seq_models(args.max_len).items():
        if args.only and name not in args.only:
            continue
        torch.manual_seed(args.seed)
        models[name] = Seq2Seq(**kw)
        n = sum(p.numel() for p in models[name].parameters())
        print(f"{name}: Seq2Seq({kw}), {n:,} parameters", flush=True)
        histories[name] = train_seq2seq(models[name], args)
    for name, (cls, kw) in tagger_models(args.tagger_len).items():
        if args.only and name not in args.only:
            continue
        torch.manual_seed(args.seed)
        models[name] = cls(**kw)
        n = sum(p.numel() for p in models[name].parameters())
        print(f"{name}: {cls.__name__}, {n:,} parameters", flush=True)
        histories[name] = train_tagger(models[name], args)
    seconds = time.perf_counter() - start
    print(f"done in {seconds / 60:.1f} min", flush=True)

    metadata = {
        "command": " ".join(
            ["python scripts/train_attention.py", *(argv if argv else sys.argv[1:])]
        ),
        "seeds": dict(SEEDS, init=args.seed),
        "settings": {k: v for k, v in vars(args).items() if k not in ("out", "only")},
        "recipe": "Adam, lr decaying linearly to lr/10, gradient norm clipped; "
        "fresh training data every epoch; the epoch with the best validation score",
        "seconds": round(seconds, 1),
        "cpu_seconds": round(time.process_time(), 1),
        "torch": str(torch.__version__),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(args.out, models, histories, **metadata)
    print(f"wrote {args.out} ({args.out.stat().st_size / 2**10:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
