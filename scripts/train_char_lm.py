"""Train the book's full character-level language model and write
``checkpoints/char_lm.pt``.

    make char-lm          # = .venv/bin/python scripts/train_char_lm.py

A one-layer LSTM over character embeddings (``rnnbook.charlm.CharLM``, dropout 0.1 on
its inputs and outputs), trained on the first 90 % of the seven Shakespeare tragedies
(``rnnbook.text.load_shakespeare("train")``) with truncated BPTT (the state carried
across consecutive chunks and detached), gradient clipping and Adam with a linearly
decaying learning rate. Seeded and pinned to one CPU thread (``--threads``), so a run is
reproducible on the same machine. It prints the training loss and the validation loss as
it goes, then evaluates the validation and test splits and saves the model, its
vocabulary and the run's metadata (configuration, losses, learning curve, training
time), all readable with ``torch.load(path, weights_only=True)``
(``rnnbook.charlm.load_checkpoint``).

Used by the chapter "A character-level language model"; see ``checkpoints/README.md``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

import rnnbook
from rnnbook import charlm
from rnnbook.text import load_shakespeare

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "checkpoints" / "char_lm.pt")
    parser.add_argument(
        "--steps", type=int, default=3400, help="training chunks (optimizer steps)"
    )
    parser.add_argument("--embed-size", type=int, default=64)
    parser.add_argument("--hidden-size", type=int, default=384)
    parser.add_argument("--num-layers", type=int, default=1)
    parser.add_argument(
        "--dropout",
        type=float,
        default=0.1,
        help="dropout on embeddings and outputs (never on the carried state)",
    )
    parser.add_argument("--batch-size", type=int, default=32, help="N parallel streams")
    parser.add_argument(
        "--seq-len",
        type=int,
        default=100,
        help="L, characters per chunk (truncation length)",
    )
    parser.add_argument(
        "--lr", type=float, default=3e-3, help="Adam's initial learning rate"
    )
    parser.add_argument(
        "--final-lr-factor",
        type=float,
        default=0.01,
        help="the learning rate decays linearly to lr x this factor",
    )
    parser.add_argument(
        "--clip-norm", type=float, default=1.0, help="maximum total gradient norm"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--eval-every", type=int, default=400, help="steps between validation losses"
    )
    args = parser.parse_args(argv)

    rnnbook.setup(seed=args.seed, threads=args.threads, style=False)
    train_text, valid_text, test_text = (
        load_shakespeare(s) for s in ("train", "valid", "test")
    )
    vocab = charlm.char_vocabulary(train_text)
    train_ids, valid_ids, test_ids = (
        charlm.encode(vocab, t) for t in (train_text, valid_text, test_text)
    )
    model = charlm.CharLM(
        len(vocab),
        embed_size=args.embed_size,
        hidden_size=args.hidden_size,
        num_layers=args.num_layers,
        cell="lstm",
        dropout=args.dropout,
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"{len(train_ids):,} training characters, K = {len(vocab)}; {n_params:,} "
        "parameters; "
        f"{args.steps} steps of N={args.batch_size} x L={args.seq_len}; {args.threads} "
        "thread(s)",
        flush=True,
    )

    curve = {"step": [], "train_loss": [], "valid_loss": []}
    window: list[float] = []
    start, cpu_start = time.perf_counter(), time.process_time()
    eval_seconds = 0.0

    def callback(step: int, loss: float, grad_norm: float) -> None:
        nonlocal eval_seconds
        # linear decay from lr to lr * final_lr_factor over the run
        for group in optimizer.param_groups:
            group["lr"] = args.lr * (1 - (1 - args.final_lr_factor) * step / args.steps)
        window.append(loss)
        if step % args.eval_every == 0 or step == args.steps:
            t0 = time.perf_counter()
            valid = charlm.evaluate_loss(model, valid_ids)
            model.train()
            eval_seconds += time.perf_counter() - t0
            curve["step"].append(step)
            curve["train_loss"].append(sum(window) / len(window))
            curve["valid_loss"].append(valid)
            print(
                f"step {step:5d}/{args.steps}  train {curve['train_loss'][-1]:.3f}  "
                f"valid {valid:.3f} "
                f"nats/char  grad_norm {grad_norm:.2f}  "
                f"({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
            window.clear()

    history = charlm.train_tbptt(
        model,
        train_ids,
        steps=args.steps,
        batch_size=args.batch_size,
        seq_len=args.seq_len,
        clip_norm=args.clip_norm,
        optimizer=optimizer,
        callback=callback,
    )
    total_seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    valid_loss = charlm.evaluate_loss(model, valid_ids)
    test_loss = charlm.evaluate_loss(model, test_ids)
    print(
        f"done in {total_seconds / 60:.1f} min "
        f"({(total_seconds - eval_seconds) / 60:.1f} min training, "
        f"{cpu_seconds / 60:.1f} min of CPU time in all); "
        f"valid {valid_loss:.4f}, test {test_loss:.4f} nats/char",
        flush=True,
    )

    clipped = sum(n > args.clip_norm for n in history["grad_norm"]) / len(
        history["grad_norm"]
    )
    metadata = {
        "command": " ".join(
            [
                "python scripts/train_char_lm.py",
                *(argv if argv is not None else sys.argv[1:]),
            ]
        ),
        "data": "rnnbook.text.load_shakespeare('train'); valid/test = next/last 5 % of "
        "the characters",
        "seed": args.seed,
        "threads": args.threads,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "seq_len": args.seq_len,
        "lr": args.lr,
        "lr_schedule": f"linear decay to lr x {args.final_lr_factor}",
        "dropout": args.dropout,
        "clip_norm": args.clip_norm,
        "optimizer": "Adam",
        "parameters": n_params,
        "train_seconds": round(total_seconds - eval_seconds, 1),
        "total_seconds": round(total_seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1),
        "valid_loss": valid_loss,
        "test_loss": test_loss,
        "fraction_clipped": clipped,
        "curve": curve,
        "torch": str(torch.__version__),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    charlm.save_checkpoint(args.out, model, vocab, **metadata)
    print(f"wrote {args.out} ({args.out.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
