"""Self-attention: a sequence attends over itself, the step from recurrent networks to
Transformers.

Introduced in the chapter "Attention", section "Self-attention: the bridge to
Transformers". With the rows of :math:`X` (L, E) the L positions of one sequence,
each position makes a query, a key and a value, and each output row is an attention
over all positions at once, with no recurrence:

.. math::

    Q = X W_Q^\\top,\\quad K = X W_K^\\top,\\quad V = X W_V^\\top, \\qquad
    \\operatorname{SelfAttention}(X) = \\operatorname{softmax}\\!\\Big(
    \\frac{Q K^\\top}{\\sqrt{d}}\\Big) V\\, W_O^\\top ,

computed per head on :math:`d = E / \\text{heads}` of the features and concatenated.
Nothing in it depends on the order of the rows: permuting the positions of :math:`X`
permutes the outputs the same way. Order must be added back, here by a learned
*position embedding* added to each token's embedding.

- :class:`MultiheadAttention` mirrors ``torch.nn.MultiheadAttention`` (same arguments,
  parameter names and masks; no dropout, no separate key and value sizes);
- :class:`EncoderLayer` mirrors ``torch.nn.TransformerEncoderLayer`` (post-norm, ReLU,
  no dropout);
- :class:`SelfAttentionTagger` and :class:`RecurrentTagger` are the two models the
  chapter compares on an aligned task: the first stacks encoder layers over token
  and (optionally) position embeddings, the second is a bidirectional GRU.

Shapes follow the book's notation: N sequences, L positions, E features (``embed_dim``,
``d_model``), K classes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from rnnbook._validation import shape_error
from rnnbook.attention import attention_weights, scaled_dot_product_attention


class MultiheadAttention(nn.Module):
    """Multi-head attention, as ``torch.nn.MultiheadAttention(embed_dim, num_heads,
    batch_first=...)`` computes it, with the same parameters: ``in_proj_weight`` (3E, E)
    stacking :math:`W_Q, W_K, W_V`, ``in_proj_bias`` (3E,), ``out_proj`` (E -> E).

    Masks use torch's conventions for this module: ``key_padding_mask`` (N, L) and a
    bool ``attn_mask`` (L_q, L) are True where attending is *not* allowed (the opposite
    of :func:`rnnbook.attention.scaled_dot_product_attention`'s bool masks); a float
    ``attn_mask`` is added to the scores.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        bias: bool = True,
        batch_first: bool = False,
    ) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(
                f"expected embed_dim divisible by num_heads, got {embed_dim} and "
                f"{num_heads}"
            )
        self.embed_dim, self.num_heads, self.batch_first = (
            embed_dim,
            num_heads,
            batch_first,
        )
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim)) if bias else None
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        nn.init.xavier_uniform_(self.in_proj_weight)
        if bias:
            nn.init.zeros_(self.out_proj.bias)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        key_padding_mask: torch.Tensor | None = None,
        need_weights: bool = True,
        attn_mask: torch.Tensor | None = None,
        average_attn_weights: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(output, weights)``: output (N, L_q, E) (or (L_q, N, E) without
        ``batch_first``), weights (N, L_q, L) averaged over heads, (N, heads, L_q, L)
        per head, or ``None``."""
        if not self.batch_first:  # (L, N, E) -> (N, L, E)
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        N, L_q, E = query.shape
        L, heads = key.shape[1], self.num_heads
        if (
            E != self.embed_dim
            or key.shape[-1] != E
            or value.shape[:2] != key.shape[:2]
        ):
            raise shape_error(
                "query, key and value", f"(N, L, {self.embed_dim})", query.shape
            )
        W_q, W_k, W_v = self.in_proj_weight.chunk(3)  # (E, E) each
        b_q, b_k, b_v = (
            self.in_proj_bias.chunk(3) if self.in_proj_bias is not None else (None,) * 3
        )

        def split(x, W, b, n):  # (N, n, E) -> (N, heads, n, d)
            return F.linear(x, W, b).view(N, n, heads, E // heads).transpose(1, 2)

        q, k, v = (
            split(query, W_q, b_q, L_q),
            split(key, W_k, b_k, L),
            split(value, W_v, b_v, L),
        )
        mask = torch.zeros(N, 1, L_q, L, dtype=q.dtype, device=q.device)  # added
        if attn_mask is not None:  # (L_q, L) or (N heads, L_q, L)
            attn_mask = _additive(attn_mask, q.dtype)
            if attn_mask.dim() == 3:
                attn_mask = attn_mask.view(N, heads, L_q, L)
            mask = mask + attn_mask
        if key_padding_mask is not None:
            mask = mask + _additive(key_padding_mask, q.dtype)[:, None, None, :]
        out = scaled_dot_product_attention(
            q, k, v, attn_mask=mask
        )  # (N, heads, L_q, d)
        out = self.out_proj(out.transpose(1, 2).reshape(N, L_q, E))  # (N, L_q, E)
        if not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        alpha = attention_weights(q, k, attn_mask=mask)  # (N, heads, L_q, L)
        return out, alpha.mean(dim=1) if average_attn_weights else alpha


def _additive(mask: torch.Tensor, dtype) -> torch.Tensor:
    """torch.nn's masks as a float mask to add: True (not allowed) -> -inf."""
    if mask.dtype == torch.bool:
        return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(
            mask, float("-inf")
        )
    return mask.to(dtype)


class EncoderLayer(nn.Module):
    """One Transformer encoder layer, as ``torch.nn.TransformerEncoderLayer(d_model,
    nhead, dim_feedforward, dropout=0.0, batch_first=True)`` computes it (post-norm):

    .. math::

        Z = \\operatorname{LayerNorm}_1\\big(X + \\operatorname{SelfAttention}(X)\\big),
        \\qquad
        Y = \\operatorname{LayerNorm}_2\\big(Z + \\operatorname{relu}(Z W_1^\\top + b_1)
        W_2^\\top + b_2\\big),

    with the parameters named as there (``self_attn``, ``linear1``, ``linear2``,
    ``norm1``, ``norm2``)."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int) -> None:
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, batch_first=True)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)

    def forward(
        self, src: torch.Tensor, src_key_padding_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """(N, L, E) -> (N, L, E); ``src_key_padding_mask`` (N, L) True on padding."""
        a, _ = self.self_attn(
            src, src, src, key_padding_mask=src_key_padding_mask, need_weights=False
        )
        z = self.norm1(src + a)  # (N, L, E)
        return self.norm2(z + self.linear2(F.relu(self.linear1(z))))  # (N, L, E)


class SelfAttentionTagger(nn.Module):
    """Token embedding (+ position embedding when ``positions``), ``num_layers``
    :class:`EncoderLayer` s, and a linear layer to K scores at every position:
    (N, L) ids -> (N, L, K). Positions up to ``max_len``."""

    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        d_model: int = 64,
        nhead: int = 4,
        num_layers: int = 2,
        dim_feedforward: int = 128,
        max_len: int = 64,
        positions: bool = True,
    ) -> None:
        super().__init__()
        self.config = dict(
            vocab_size=vocab_size,
            num_classes=num_classes,
            d_model=d_model,
            nhead=nhead,
            num_layers=num_layers,
            dim_feedforward=dim_feedforward,
            max_len=max_len,
            positions=positions,
        )
        self.embed = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(max_len, d_model) if positions else None
        self.layers = nn.ModuleList(
            EncoderLayer(d_model, nhead, dim_feedforward) for _ in range(num_layers)
        )
        self.fc = nn.Linear(d_model, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)  # (N, L, E)
        if self.pos is not None:
            h = h + self.pos(torch.arange(x.shape[1], device=x.device))  # + (L, E)
        for layer in self.layers:
            h = layer(h)  # (N, L, E)
        return self.fc(h)  # (N, L, K)


class RecurrentTagger(nn.Module):
    """Token embedding, a bidirectional GRU (``num_layers`` layers) and a linear layer
    to K scores at every position: (N, L) ids -> (N, L, K), the tagger of the chapter
    "Bidirectional RNNs"."""

    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        embed_size: int = 32,
        hidden_size: int = 64,
        num_layers: int = 1,
    ) -> None:
        super().__init__()
        self.config = dict(
            vocab_size=vocab_size,
            num_classes=num_classes,
            embed_size=embed_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
        )
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(
            embed_size, hidden_size, num_layers, batch_first=True, bidirectional=True
        )
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embed(x))  # (N, L, 2H)
        return self.fc(out)  # (N, L, K)
