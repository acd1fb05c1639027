"""A character-level language model: the network, truncated BPTT with a carried state,
held-out loss, temperature sampling and the checkpoint format.

Introduced in the chapter "A character-level language model" (@sec-char-lm).

The model reads characters :math:`x_1, \\dots, x_L` (integer ids in ``0..K-1``) and
predicts
at every step the distribution of the next one:

.. math::

    e_t = E[x_t], \\qquad h_t = \\text{LSTM}(e_t, h_{t-1}), \\qquad
    \\hat y_t = \\operatorname{softmax}(h_t W_{hy}^\\top + b_y) \\in \\mathbb{R}^K,

trained with the mean cross-entropy :math:`\\mathcal{L} = -\\frac{1}{NL}\\sum \\ln \\hat
y_t[x_{t+1}]` in nats per character (divide by :math:`\\ln 2` for bits per character;
:math:`e^{\\mathcal{L}}` is the perplexity).
"""

from __future__ import annotations

import math
import numbers
from pathlib import Path
from typing import Callable, Iterator

import torch
from torch import nn

from rnnbook.datasets import data_dir
from rnnbook.text import Vocabulary

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def _positive_int(value, name: str) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"expected {name} to be a positive integer, got {value!r}")
    return int(value)


def char_vocabulary(text: str) -> Vocabulary:
    """A :class:`rnnbook.text.Vocabulary` whose tokens are the distinct characters of
    ``text``, sorted (ids 0 and 1 are ``<pad>`` and ``<unk>``, which a language model
    never has to predict)."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"expected a non-empty str, got {text!r:.40}")
    return Vocabulary(sorted(set(text)))


def encode(vocab: Vocabulary, text: str) -> torch.Tensor:
    """The ids of the characters of ``text``: a 1-D ``torch.long`` tensor of length
    ``len(text)``. A character the vocabulary does not hold is an error (naming it), not
    a silent ``<unk>``."""
    if not isinstance(text, str):
        raise TypeError(f"expected text to be a str, got {type(text).__name__}")
    unknown = sorted(set(text) - set(vocab.stoi))
    if unknown:
        raise ValueError(
            f"expected characters from the vocabulary, got {len(unknown)} unknown: "
            f"{unknown[:10]}"
        )
    return torch.tensor(vocab.encode(list(text)), dtype=torch.long)


def decode(vocab: Vocabulary, ids) -> str:
    """The text of a sequence of ids (``<pad>`` dropped)."""
    return "".join(vocab.decode(ids))


def _check_ids(ids, name: str, min_len: int = 2) -> torch.Tensor:
    if not isinstance(ids, torch.Tensor) or ids.dtype != torch.long or ids.ndim != 1:
        got = (
            f"{ids.dtype} tensor of shape {tuple(ids.shape)}"
            if isinstance(ids, torch.Tensor)
            else type(ids).__name__
        )
        raise TypeError(
            f"expected {name} to be a 1-D torch.long tensor of character ids, got {got}"
        )
    if len(ids) < min_len:
        raise ValueError(
            f"expected {name} to hold at least {min_len} characters, got {len(ids)}"
        )
    return ids


class CharLM(nn.Module):
    """Embedding -> ``num_layers`` recurrent layers (``cell`` = ``"lstm"``, ``"gru"`` or
    ``"rnn"``, from ``torch.nn``; ``rnnbook.nn``'s layers load the same state dict) ->
    linear layer to ``K = vocab_size`` logits.

    ``forward(x, state=None)`` takes ids of shape ``(N, L)`` and returns
    ``(logits (N, L, K), state)``, where ``state`` is the recurrent layer's final state
    (``h_n``, or ``(h_n, c_n)`` for the LSTM) to pass to the next chunk of the same
    streams.

    ``dropout`` (a probability in ``[0, 1)``) zeroes entries of the embeddings fed to
    the recurrent layers, of the outputs fed to the linear layer and, with two or more
    layers, of the outputs passed between layers, in training mode only; it never
    touches the carried state (Zaremba et al., 2014). A one-layer model therefore gets
    dropout too, unlike ``nn.LSTM(dropout=...)``, which only drops between layers.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_size: int = 64,
        hidden_size: int = 256,
        num_layers: int = 1,
        cell: str = "lstm",
        dropout: float = 0.0,
    ):
        super().__init__()
        for value, name in [
            (vocab_size, "vocab_size"),
            (embed_size, "embed_size"),
            (hidden_size, "hidden_size"),
            (num_layers, "num_layers"),
        ]:
            _positive_int(value, name)
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, (int, float))
            or not 0 <= dropout < 1
        ):
            raise ValueError(
                f"expected dropout to be a number in [0, 1), got {dropout!r}"
            )
        if cell not in CELLS:
            raise ValueError(
                f"expected cell to be one of {sorted(CELLS)}, got {cell!r}"
            )
        self.config = dict(
            vocab_size=int(vocab_size),
            embed_size=int(embed_size),
            hidden_size=int(hidden_size),
            num_layers=int(num_layers),
            cell=cell,
            dropout=float(dropout),
        )
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.drop = nn.Dropout(float(dropout))
        self.rnn = CELLS[cell](
            embed_size,
            hidden_size,
            num_layers,
            batch_first=True,
            dropout=float(dropout) if num_layers > 1 else 0.0,
        )
        self.fc = nn.Linear(hidden_size, vocab_size)  # W_hy, b_y

    def forward(self, x: torch.Tensor, state=None):
        if not isinstance(x, torch.Tensor) or x.dtype != torch.long or x.ndim != 2:
            got = (
                f"{x.dtype} tensor of shape {tuple(x.shape)}"
                if isinstance(x, torch.Tensor)
                else type(x).__name__
            )
            raise ValueError(
                "expected x to be a torch.long tensor of ids of shape (N, L), got "
                f"{got}"
            )
        out, state = self.rnn(self.drop(self.embed(x)), state)  # (N, L, H_out)
        return self.fc(self.drop(out)), state  # (N, L, K)


def detach_state(state):
    """Cut the graph behind a carried state (a tensor, a tuple of tensors, or ``None``):
    the values flow into the next chunk, the gradients stop here (truncated BPTT)."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.detach()
    return tuple(s.detach() for s in state)


def batchify(ids: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Cut a 1-D stream of ids into ``N = batch_size`` equal, contiguous streams: shape
    ``(N, T)`` with ``T = len(ids) // N``; row ``n`` is ``ids[n*T:(n+1)*T]`` (the tail
    is dropped)."""
    _check_ids(ids, "ids")
    N = _positive_int(batch_size, "batch_size")
    T = len(ids) // N
    if T < 2:
        raise ValueError(
            f"expected at least {2 * N} ids for batch_size={N}, got {len(ids)}"
        )
    return ids[: N * T].view(N, T)  # (N, T)


def bptt_chunks(
    streams: torch.Tensor, seq_len: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Consecutive ``(x, y)`` chunks of ``streams`` (N, T): ``x = streams[:, s:s+L]``
    and ``y = streams[:, s+1:s+L+1]`` for ``s = 0, L, 2L, ...``; the last chunk may be
    shorter. Row ``n`` of one chunk continues row ``n`` of the previous one, so a state
    can be carried."""
    if not isinstance(streams, torch.Tensor) or streams.ndim != 2:
        got = (
            tuple(streams.shape)
            if isinstance(streams, torch.Tensor)
            else type(streams).__name__
        )
        raise ValueError(f"expected streams of shape (N, T), got {got}")
    L = _positive_int(seq_len, "seq_len")
    for s in range(0, streams.shape[1] - 1, L):
        y = streams[:, s + 1 : s + L + 1]  # (N, <=L)
        yield streams[:, s : s + y.shape[1]], y


def chunk_loss(model: CharLM, x: torch.Tensor, y: torch.Tensor, state=None):
    """Mean cross-entropy (nats per character) of one chunk, and the state after it."""
    logits, state = model(x, state)  # (N, L, K)
    loss = nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), y.reshape(-1)
    )
    return loss, state


@torch.no_grad()
def evaluate_loss(
    model: CharLM, ids: torch.Tensor, batch_size: int = 16, seq_len: int = 256
) -> float:
    """Mean cross-entropy in nats per character of ``model`` on held-out ids, read as
    ``batch_size`` streams with the state carried across chunks (as in training)."""
    streams = batchify(ids, batch_size)
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    try:
        for x, y in bptt_chunks(streams, seq_len):
            loss, state = chunk_loss(model, x, y, state)
            total, count = total + float(loss) * y.numel(), count + y.numel()
    finally:
        model.train(was_training)
    return total / count


def train_tbptt(
    model: CharLM,
    ids: torch.Tensor,
    *,
    steps: int,
    batch_size: int = 32,
    seq_len: int = 100,
    lr: float = 2e-3,
    clip_norm: float | None = 1.0,
    optimizer: torch.optim.Optimizer | None = None,
    callback: Callable[[int, float, float], None] | None = None,
) -> dict:
    """Train for ``steps`` chunks with truncated BPTT and return ``{"loss": [...],
    "grad_norm": [...]}``.

    The training ids are cut into ``batch_size`` streams (:func:`batchify`) and read in
    consecutive chunks of ``seq_len`` (:func:`bptt_chunks`); the final state of each
    chunk is detached and carried into the next, and reset to zeros when the streams
    wrap around. Each step: cross-entropy, backward, clip the total gradient norm to
    ``clip_norm``, Adam step. ``callback(step, loss, grad_norm)`` is called after every
    step (for logging, sampling or a learning-rate schedule).
    """
    _positive_int(steps, "steps")
    streams = batchify(ids, batch_size)
    if streams.shape[1] < seq_len + 1:
        raise ValueError(
            f"expected streams longer than seq_len={seq_len}, got {streams.shape[1]} "
            "ids per stream"
        )
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    history = {"loss": [], "grad_norm": []}
    model.train()
    step, state = 0, None
    while step < steps:
        state = None  # a new pass over the streams starts from h_0 = 0
        for x, y in bptt_chunks(streams, seq_len):
            if x.shape[1] < seq_len:
                break  # skip the short tail chunk
            loss, state = chunk_loss(model, x, y, detach_state(state))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            norm = nn.utils.clip_grad_norm_(
                model.parameters(), clip_norm if clip_norm else math.inf
            )
            optimizer.step()
            step += 1
            history["loss"].append(float(loss.detach()))
            history["grad_norm"].append(float(norm))
            if callback is not None:
                callback(step, history["loss"][-1], history["grad_norm"][-1])
            if step == steps:
                break
    return history


def _check_temperature(temperature) -> float:
    ok = isinstance(temperature, numbers.Real) and not isinstance(temperature, bool)
    if not ok or not math.isfinite(temperature) or temperature < 0:
        raise ValueError(
            "expected temperature to be a finite number >= 0 (0 = greedy), got "
            f"{temperature!r}"
        )
    return float(temperature)


def next_char_probs(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """``softmax(logits / T)`` along the last dimension; ``T = 0`` gives the one-hot of
    the argmax (greedy decoding), ``T = 1`` the model's distribution, large ``T`` nearly
    uniform."""
    T = _check_temperature(temperature)
    if T == 0:
        return nn.functional.one_hot(logits.argmax(-1), logits.shape[-1]).to(
            logits.dtype
        )
    return torch.softmax(logits / T, dim=-1)


@torch.no_grad()
def sample(
    model: CharLM,
    vocab,
    prefix: str,
    n: int,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
) -> str:
    """Generate ``n`` characters after ``prefix`` and return them (without the prefix).

    ``vocab`` is the model's character vocabulary (:func:`char_vocabulary`). The prefix
    is read to warm up the state; then each next character is drawn from
    :func:`next_char_probs` at ``temperature`` with ``torch.multinomial`` and
    ``generator`` (pass a seeded ``torch.Generator`` for reproducible text), and fed
    back in. The two special ids (``<pad>``, ``<unk>``) are never drawn.
    """
    T = _check_temperature(temperature)
    if not isinstance(prefix, str) or not prefix:
        raise ValueError(f"expected prefix to be a non-empty string, got {prefix!r}")
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 0:
        raise ValueError(f"expected n to be a non-negative integer, got {n!r}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            "expected generator to be a torch.Generator or None, got "
            f"{type(generator).__name__}"
        )
    ids = encode(vocab, prefix)[None]  # (1, len(prefix))
    was_training = model.training
    model.eval()
    out: list[int] = []
    try:
        logits, state = model(ids)
        for _ in range(int(n)):
            z = logits[0, -1].clone()  # (K,)
            z[:2] = -math.inf  # <pad> and <unk> are not characters: never drawn
            probs = next_char_probs(z, T)
            nxt = (
                int(probs.argmax())
                if T == 0
                else int(torch.multinomial(probs, 1, generator=generator))
            )
            out.append(nxt)
            logits, state = model(torch.tensor([[nxt]]), state)
    finally:
        model.train(was_training)
    return decode(vocab, out)


def save_checkpoint(path, model: CharLM, vocab: Vocabulary, **metadata) -> None:
    """Write ``{"config", "chars", "state_dict", "metadata"}`` with ``torch.save``,
    where ``chars`` is the vocabulary's characters in id order (without the two special
    tokens). Only tensors, strings, numbers, lists and dicts, so :func:`load_checkpoint`
    can read it with ``weights_only=True``."""
    if len(vocab) != model.config["vocab_size"]:
        raise ValueError(
            f"expected a vocabulary of {model.config['vocab_size']} tokens for this "
            f"model, got {len(vocab)}"
        )
    torch.save(
        {
            "config": dict(model.config),
            "chars": "".join(vocab.itos[2:]),
            "state_dict": {
                k: v.detach().cpu().clone() for k, v in model.state_dict().items()
            },
            "metadata": dict(metadata),
        },
        Path(path),
    )


def default_checkpoint() -> Path:
    """``checkpoints/char_lm.pt`` next to the book's ``data/`` folder (which
    ``$RNNBOOK_DATA`` can move): the full model that ``make char-lm`` trains."""
    return data_dir().parent / "checkpoints" / "char_lm.pt"


def load_checkpoint(path=None) -> tuple[CharLM, Vocabulary, dict]:
    """Read a checkpoint (default: :func:`default_checkpoint`) with
    ``torch.load(path, weights_only=True)`` and return ``(model in eval mode, its
    character vocabulary, metadata)``."""
    path = default_checkpoint() if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}; make it with `make char-lm`")
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    missing = {"config", "chars", "state_dict", "metadata"} - set(ckpt)
    if missing:
        raise ValueError(
            "expected a CharLM checkpoint with config, chars, state_dict and "
            "metadata, "
            f"got one without {sorted(missing)}"
        )
    model = CharLM(**ckpt["config"])
    model.load_state_dict(ckpt["state_dict"])
    return model.eval(), Vocabulary(ckpt["chars"]), ckpt["metadata"]
