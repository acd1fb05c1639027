"""The recurrent encoder-decoder, with or without attention.

:class:`Seq2Seq` with ``attention=None`` is the encoder-decoder of the chapter "Task
types", section "Sequence to sequence": a GRU encoder reads the source and its final
state :math:`h_L` starts a GRU decoder, which sees nothing else of the source. With
``attention="additive"`` (Bahdanau et al. 2015) the decoder also reads all the encoder's
states :math:`h_1, \\dots, h_L` at every step through :mod:`rnnbook.attention`:

.. math::

    c_i, \\alpha_i = \\operatorname{attention}(s_{i-1};\\ h_1, \\dots, h_L), \\qquad
    s_i = \\operatorname{GRU}([E y_{i-1};\\ c_i],\\ s_{i-1}), \\qquad
    \\hat y_i = [s_i;\\ c_i]\\, W_{hy}^\\top + b_y ,

with :math:`s_0 = h_L` in both models, :math:`E y_{i-1}` the embedding of the previous
output token and :math:`[\\,\\cdot\\,;\\,\\cdot\\,]` concatenation. Without attention,
:math:`s_i = \\operatorname{GRU}(E y_{i-1}, s_{i-1})` and
:math:`\\hat y_i = s_i W_{hy}^\\top + b_y`. Introduced in the chapter "Attention",
sections "The bottleneck, measured" and "A decoder that reads the encoder's states".

Both models have the same interface, which :mod:`rnnbook.decoding` uses: ``start(x,
lengths)`` encodes a batch into a :class:`DecoderState`, ``step(tokens, state)``
advances it by one output token, and ``forward(x, lengths, dec_in)`` computes the
logits of every step under teacher forcing. Token ids are those of
:mod:`rnnbook.transduction`.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnbook import attention as attn
from rnnbook import decoding
from rnnbook.transduction import END, START, VOCAB_SIZE

#: The scoring functions a :class:`Seq2Seq` can attend with.
ATTENTIONS = (None, "additive", "multiplicative", "dot")


class DecoderState(NamedTuple):
    """What the decoder carries from step to step; every tensor has N rows.

    ``s`` (N, H) the decoder's state :math:`s_{i-1}`; ``values`` (N, L, H) the
    encoder's states :math:`h_j`; ``keys`` (N, L, .) the same after the attention's key
    projection (computed once); ``mask`` (N, L) True on the real source positions;
    ``alpha`` (N, L) the attention weights of the step just taken (zeros before the
    first step, and always without attention).
    """

    s: torch.Tensor
    values: torch.Tensor
    keys: torch.Tensor
    mask: torch.Tensor
    alpha: torch.Tensor

    def select_beams(self, rows: torch.Tensor) -> DecoderState:
        """The state of the beams ``rows``, for ``rnnbook.decoding.beam_search``. Rows
        move only between the beams of one source sequence, whose encoder states are
        the same, so only ``s`` and ``alpha`` are copied."""
        return self._replace(s=self.s[rows], alpha=self.alpha[rows])


class Seq2Seq(nn.Module):
    """A GRU encoder-decoder over token ids, with optional attention (module
    docstring).

    ``attention``: ``None``, ``"additive"`` (:class:`~rnnbook.attention.
    AdditiveAttention` with ``attn_size`` hidden units, ``hidden_size`` by default),
    ``"multiplicative"`` or ``"dot"`` (scaled).
    """

    def __init__(
        self,
        vocab_size: int = VOCAB_SIZE,
        embed_size: int = 16,
        hidden_size: int = 64,
        attention: str | None = None,
        attn_size: int | None = None,
    ) -> None:
        super().__init__()
        if attention not in ATTENTIONS:
            raise ValueError(f"expected attention in {ATTENTIONS}, got {attention!r}")
        H = hidden_size
        self.config = dict(
            vocab_size=vocab_size,
            embed_size=embed_size,
            hidden_size=H,
            attention=attention,
            attn_size=attn_size,
        )
        self.src_embed = nn.Embedding(vocab_size, embed_size, padding_idx=0)
        self.tgt_embed = nn.Embedding(vocab_size, embed_size, padding_idx=0)
        self.encoder = nn.GRU(embed_size, H, batch_first=True)
        if attention is None:
            self.attention = None
            self.decoder = nn.GRUCell(embed_size, H)
            self.fc = nn.Linear(H, vocab_size)
        else:
            self.attention = {
                "additive": lambda: attn.AdditiveAttention(H, H, attn_size or H),
                "multiplicative": lambda: attn.MultiplicativeAttention(H, H),
                "dot": lambda: attn.DotProductAttention(scaled=True),
            }[attention]()
            self.decoder = nn.GRUCell(embed_size + H, H)  # reads [E y_{i-1}; c_i]
            self.fc = nn.Linear(2 * H, vocab_size)  # reads [s_i; c_i]

    def start(self, x: torch.Tensor, lengths: torch.Tensor) -> DecoderState:
        """Encode source ids ``x`` (N, L) of the given ``lengths`` (N,)."""
        if not isinstance(x, torch.Tensor) or x.dim() != 2:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"expected source ids of shape (N, L), got {got}")
        N, L = x.shape
        packed = pack_padded_sequence(
            self.src_embed(x), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        out, h_n = self.encoder(packed)  # h_n: (1, N, H), each after its own last step
        values, _ = pad_packed_sequence(out, batch_first=True, total_length=L)
        mask = torch.arange(L, device=x.device) < lengths.to(x.device)[:, None]
        keys = values if self.attention is None else self.attention.project_keys(values)
        return DecoderState(h_n[0], values, keys, mask, values.new_zeros(N, L))

    def step(
        self, tokens: torch.Tensor, state: DecoderState
    ) -> tuple[torch.Tensor, DecoderState]:
        """Read the previous output tokens (N,) and return the logits of the next
        ones, (N, K), and the new state."""
        y = self.tgt_embed(tokens)  # (N, E): E y_{i-1}
        if self.attention is None:
            s = self.decoder(y, state.s)  # (N, H): s_i
            return self.fc(s), state._replace(s=s)
        c, alpha = self.attention.attend(  # (N, H), (N, L): c_i, alpha_i from s_{i-1}
            state.s, state.keys, state.values, state.mask
        )
        s = self.decoder(torch.cat([y, c], dim=-1), state.s)  # (N, H): s_i
        logits = self.fc(torch.cat([s, c], dim=-1))  # (N, K)
        return logits, state._replace(s=s, alpha=alpha)

    def forward(
        self, x: torch.Tensor, lengths: torch.Tensor, dec_in: torch.Tensor
    ) -> torch.Tensor:
        """Teacher forcing: the logits (N, L', K) of every step, the decoder reading
        the true previous tokens ``dec_in`` (N, L')."""
        state = self.start(x, lengths)
        logits = []
        for i in range(dec_in.shape[1]):
            step_logits, state = self.step(dec_in[:, i], state)
            logits.append(step_logits)
        return torch.stack(logits, dim=1)  # (N, L', K)

    @torch.no_grad()
    def generate(
        self, x: torch.Tensor, lengths: torch.Tensor, max_len: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Greedy decoding: ``(tokens, alpha)``, the generated ids (N, L') (the end
        token included, padding after it) and the attention weights of every step
        (N, L', L), zeros without attention. ``max_len`` defaults to L + 1."""
        max_len = x.shape[1] + 1 if max_len is None else max_len
        out = decoding.greedy(
            self.step,
            self.start(x, lengths),
            start=START,
            end=END,
            max_len=max_len,
            keep_states=True,
        )
        alpha = torch.stack([s.alpha for s in out.states], dim=1)  # (N, L', L)
        return out.tokens, alpha


# ------------------------------------------------------------------ the checkpoint
CHECKPOINT_NAME = "attention.pt"


def default_checkpoint() -> Path:
    """``checkpoints/attention.pt`` next to the book's ``data/`` folder: the models
    that ``make attention-models`` trains (``scripts/train_attention.py``)."""
    from rnnbook.datasets import data_dir

    return data_dir().parent / "checkpoints" / CHECKPOINT_NAME


def _classes() -> dict:
    from rnnbook.selfattention import RecurrentTagger, SelfAttentionTagger

    return {c.__name__: c for c in (Seq2Seq, SelfAttentionTagger, RecurrentTagger)}


def save_checkpoint(path, models: dict, histories: dict, **metadata) -> None:
    """Write ``{"models", "metadata"}`` with ``torch.save``: per name the model's class
    name, ``config``, state dict and training ``history`` (a dict of lists and numbers),
    so that :func:`load_checkpoint` can read it with ``weights_only=True``."""
    payload = {
        "models": {
            name: {
                "class": type(model).__name__,
                "config": dict(model.config),
                "state_dict": {
                    k: v.detach().cpu().clone() for k, v in model.state_dict().items()
                },
                "history": dict(histories.get(name, {})),
            }
            for name, model in models.items()
        },
        "metadata": dict(metadata),
    }
    torch.save(payload, Path(path))


def load_checkpoint(path=None) -> tuple[dict, dict, dict]:
    """Read a file written by :func:`save_checkpoint` (default:
    :func:`default_checkpoint`) with ``torch.load(path, weights_only=True)`` and return
    ``(models, histories, metadata)``: name -> model in eval mode, name -> history."""
    path = default_checkpoint() if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no checkpoint at {path}; make it with `make attention-models`"
        )
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or not {"models", "metadata"} <= set(payload):
        raise ValueError(f"expected a checkpoint with models and metadata in {path}")
    classes, models, histories = _classes(), {}, {}
    for name, saved in payload["models"].items():
        model = classes[saved["class"]](**saved["config"])
        model.load_state_dict(saved["state_dict"])
        models[name], histories[name] = model.eval(), saved["history"]
    return models, histories, payload["metadata"]
