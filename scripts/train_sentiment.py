"""Tune a bag of words and a GRU on the review sentences with equal budgets and write
``checkpoints/sentiment.pt``.

    make sentiment        # = .venv/bin/python scripts/train_sentiment.py

Each model gets the same budget: ``--trials`` configurations drawn at random (seed 0)
from its search space below, each trained by the same loop (``rnnbook.train.fit``:
AdamW, batches of 32 reshuffled every epoch, at most ``--max-epochs`` epochs, early
stopping after ``--patience`` epochs without a lower validation loss, the best epoch's
weights restored). The vocabulary's ``min_count`` is part of both spaces. The
configuration with the highest validation accuracy is kept; only the two kept models
are scored on the test split, once.

Then the "final verdict" task (``rnnbook.sentiment.verdict_pairs``): two sentences of
opposite sentiment joined, labelled by the second. Both models are trained on it with
their kept configurations, by the same loop, and scored once on pairs built from the
test sentences.

Seeded and pinned to one CPU thread, so a run is reproducible on the same machine. Used
by the chapter "Task types"; see ``checkpoints/README.md``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from rnnbook import sentiment, text
from rnnbook.train import fit

ROOT = Path(__file__).resolve().parents[1]

#: The search spaces: each trial draws one value per entry, uniformly.
SPACES = {
    "bow": {
        "min_count": [1, 2, 3],
        "binary": [False, True],
        "lr": [3e-3, 1e-2, 3e-2],
        "weight_decay": [0.0, 0.1, 1.0],
    },
    "gru": {
        "min_count": [1, 2, 3],
        "embed_size": [32, 64],
        "hidden_size": [32, 64],
        "dropout": [0.2, 0.35, 0.5],
        "bidirectional": [False, True],
        "lr": [1e-3, 3e-3],
        "weight_decay": [0.0, 0.1],
    },
}


def draw(space: dict, n: int, rng: np.random.Generator) -> list[dict]:
    """``n`` distinct configurations drawn uniformly from ``space``."""
    configs, seen = [], set()
    while len(configs) < n:
        config = {k: v[rng.integers(len(v))] for k, v in space.items()}
        config = {k: v.item() if hasattr(v, "item") else v for k, v in config.items()}
        key = tuple(sorted(config.items()))
        if key not in seen:
            seen.add(key)
            configs.append(config)
    return configs


def train(kind, config, tokens, labels, args):
    """Train one configuration; returns (model, vocabulary, record)."""
    vocab = text.Vocabulary.build(tokens["train"], min_count=config["min_count"])
    data = {
        s: (*sentiment.encode(tokens[s], vocab), torch.from_numpy(labels[s]))
        for s in ("train", "valid")
    }
    torch.manual_seed(args.seed)
    model = sentiment.build(kind, len(vocab), config)
    wd = config["weight_decay"]
    start = time.process_time()
    history = fit(
        model,
        sentiment.Batches(*data["train"], 32, shuffle=True, seed=args.seed),
        sentiment.Batches(*data["valid"], 1000),
        loss_fn=F.cross_entropy,
        epochs=args.max_epochs,
        optimizer=lambda p, lr: torch.optim.AdamW(p, lr=lr, weight_decay=wd),
        lr=config["lr"],
        early_stopping=args.patience,
        metrics={"accuracy": sentiment.accuracy},
        progress=False,
    )
    record = {
        "kind": kind,
        "config": config,
        "vocab_size": len(vocab),
        "parameters": sum(p.numel() for p in model.parameters()),
        "epochs_run": history.epochs_run,
        "best_epoch": history.best_epoch,
        "val_loss": history.val_loss[history.best_epoch - 1],
        "val_accuracy": history.metrics["accuracy"][history.best_epoch - 1],
        "cpu_seconds": time.process_time() - start,
    }
    return model.eval(), vocab, record


def test_accuracy(model, vocab, tokens, labels) -> float:
    ids, lengths = sentiment.encode(tokens, vocab)
    pred = sentiment.predict(model, ids, lengths)
    return (pred == torch.from_numpy(labels)).float().mean().item()


def entry(model, vocab, record, test) -> dict:
    return {
        "kind": record["kind"],
        "config": record["config"],
        "tokens": vocab.itos[2:],
        "state_dict": model.state_dict(),
        "record": record,
        "test_accuracy": test,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=sentiment.CHECKPOINT)
    parser.add_argument("--trials", type=int, default=8, help="configurations each")
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    start = time.perf_counter()

    splits = {s: text.load_reviews(s) for s in ("train", "valid", "test")}
    tokens = {s: [text.tokenize(t) for t in r.texts] for s, r in splits.items()}
    labels = {s: r.labels for s, r in splits.items()}

    trials, models = [], {}
    rng = np.random.default_rng(args.seed)
    for kind in ("bow", "gru"):
        best = None
        for i, config in enumerate(draw(SPACES[kind], args.trials, rng), start=1):
            model, vocab, record = train(kind, config, tokens, labels, args)
            record["trial"] = i
            trials.append(record)
            print(
                f"{kind} trial {i:2d}: validation accuracy "
                f"{record['val_accuracy']:.3f} (epoch {record['best_epoch']}, "
                f"{record['cpu_seconds']:.0f} s) {config}",
                flush=True,
            )
            if best is None or record["val_accuracy"] > best[2]["val_accuracy"]:
                best = (model, vocab, record)
        test = test_accuracy(best[0], best[1], tokens["test"], labels["test"])
        print(f"{kind}: kept trial {best[2]['trial']}, test accuracy {test:.3f}")
        models[kind] = entry(*best, test)

    pairs = {
        s: sentiment.verdict_pairs(
            tokens[s], labels[s], rounds=2 if s == "train" else 1
        )
        for s in ("train", "valid", "test")
    }
    pair_tokens = {s: p[0] for s, p in pairs.items()}
    pair_labels = {s: p[1] for s, p in pairs.items()}
    for kind in ("bow", "gru"):
        config = models[kind]["config"]
        model, vocab, record = train(kind, config, pair_tokens, pair_labels, args)
        test = test_accuracy(model, vocab, pair_tokens["test"], pair_labels["test"])
        print(
            f"verdict task, {kind}: validation {record['val_accuracy']:.3f}, "
            f"test {test:.3f} ({record['cpu_seconds']:.0f} s)",
            flush=True,
        )
        models[f"verdict_{kind}"] = entry(model, vocab, record, test)

    seconds = time.perf_counter() - start
    checkpoint = {
        "models": models,
        "trials": trials,
        "spaces": SPACES,
        "metadata": {
            "command": "make sentiment (python scripts/train_sentiment.py)",
            "args": {
                k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
            },
            "seconds": seconds,
            "torch": str(torch.__version__),
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
        },
    }
    checkpoint["metadata"]["args"].pop("out")
    args.out.parent.mkdir(exist_ok=True)
    torch.save(checkpoint, args.out)
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size / 2**20:.1f} MiB) in {seconds / 60:.1f} minutes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
