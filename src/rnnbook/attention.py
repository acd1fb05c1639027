"""Attention: a query reads a set of vectors through a weighted average of them.

Introduced in the chapter "Attention". A decoder state (the *query*) scores every
encoder state (the *keys*), the scores become weights by a softmax over the real,
unpadded positions, and the weights average the *values* (usually the keys again) into
one *context* vector. For a query :math:`q_i`, keys :math:`k_j`, values :math:`v_j`,
:math:`j = 1, \\dots, L`, and a mask :math:`m_j` (1 on the real positions, 0 on the
padding):

.. math::

    e_{ij} = \\operatorname{score}(q_i, k_j), \\qquad
    \\alpha_{ij} = \\frac{m_j \\exp(e_{ij})}{\\sum_{j'} m_{j'} \\exp(e_{ij'})}, \\qquad
    c_i = \\sum_{j=1}^{L} \\alpha_{ij} v_j .

The scores (sections "Additive attention" and "Dot products" of the chapter):

- additive (Bahdanau et al. 2015), :class:`AdditiveAttention`:
  :math:`e_{ij} = \\tanh(q_i W_q^\\top + k_j W_k^\\top + b_k)\\, w_a^\\top`;
- multiplicative (Luong et al. 2015, "general"), :class:`MultiplicativeAttention`:
  :math:`e_{ij} = q_i W_a k_j^\\top`;
- (scaled) dot product, :class:`DotProductAttention` and
  :func:`scaled_dot_product_attention`: :math:`e_{ij} = q_i k_j^\\top / \\sqrt{d}`.

Shapes follow the book's notation: ``N`` sequences, ``L`` key positions, ``L_q``
queries; ``H_q``, ``H_k``, ``H_v`` features per query, key and value; ``A`` units of the
additive score's hidden layer. A padded position gets a weight of exactly 0 (its score
is replaced by :math:`-\\infty` before the softmax), and a query with no real position
at all gets all-zero weights and a zero context, as
``torch.nn.functional.scaled_dot_product_attention`` gives.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rnnbook._validation import fmt_shape, shape_error


def _tensor(x, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"expected {name} to be a torch.Tensor, got {type(x).__name__}")
    return x


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Softmax over the last dimension of ``scores``, over the positions where ``mask``
    is True only.

    ``mask`` is a bool tensor broadcastable to ``scores`` (True = a real position), or
    ``None``. Masked positions get a weight of exactly 0; a row with no True position
    gets all zeros (not NaN), with zero gradient.
    """
    if mask is not None:
        if mask.dtype != torch.bool:
            raise TypeError(f"expected a torch.bool mask, got dtype {mask.dtype}")
        scores = scores.masked_fill(~mask, float("-inf"))
    return _softmax_with_empty_rows(scores)


def _softmax_with_empty_rows(scores: torch.Tensor) -> torch.Tensor:
    empty = torch.isneginf(scores).all(dim=-1, keepdim=True)  # rows with no position
    weights = torch.softmax(scores.masked_fill(empty, 0.0), dim=-1)
    return weights.masked_fill(empty, 0.0)


class _Attention(nn.Module):
    """What the three scoring modules share: checks, the masked softmax, the average.

    A subclass defines ``project_keys`` (what of the keys can be computed once per
    sequence) and ``score`` (the scores from the queries and the projected keys), so
    that a decoder can project the encoder's states once and attend at every step."""

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        """(N, L, H_k) -> what :meth:`score` needs of the keys (the keys themselves
        by default)."""
        return keys

    def score(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """(N, L_q, H_q) queries and projected keys (N, L, .) -> scores (N, L_q, L)."""
        raise NotImplementedError

    def forward(
        self,
        query: torch.Tensor,
        keys: torch.Tensor,
        values: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Context and weights for a query (N, H_q) or queries (N, L_q, H_q).

        ``keys`` (N, L, H_k); ``values`` (N, L, H_v), the keys when ``None``; ``mask``
        (N, L) bool, True on the real positions. Returns ``(context, weights)`` of
        shapes (N, H_v) and (N, L), or (N, L_q, H_v) and (N, L_q, L).
        """
        keys = _tensor(keys, "keys")
        if keys.dim() != 3:
            raise shape_error("keys", "(N, L, H_k)", keys.shape)
        values = keys if values is None else values
        return self.attend(query, self.project_keys(keys), values, mask)

    def attend(
        self,
        query: torch.Tensor,
        projected_keys: torch.Tensor,
        values: torch.Tensor,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`forward` with keys already passed through :meth:`project_keys`."""
        query, keys = _tensor(query, "query"), _tensor(projected_keys, "keys")
        values = _tensor(values, "values")
        N, L, _ = keys.shape
        one = query.dim() == 2
        if query.dim() not in (2, 3) or query.shape[0] != N:
            raise shape_error("query", [f"({N}, H_q)", f"({N}, L_q, H_q)"], query.shape)
        if values.dim() != 3 or values.shape[:2] != (N, L):
            raise shape_error("values", f"({N}, {L}, H_v)", values.shape)
        if mask is not None:
            if _tensor(mask, "mask").shape != (N, L):
                raise shape_error("mask", f"({N}, {L})", mask.shape)
            mask = mask[:, None, :]  # (N, 1, L): the same for every query
        q = query[:, None, :] if one else query  # (N, L_q, H_q)
        e = self.score(q, keys)  # (N, L_q, L): e_ij
        alpha = masked_softmax(e, mask)  # (N, L_q, L): alpha_ij, 0 on the padding
        context = alpha @ values  # (N, L_q, H_v): c_i = sum_j alpha_ij v_j
        return (context[:, 0], alpha[:, 0]) if one else (context, alpha)


class AdditiveAttention(_Attention):
    """Additive attention (Bahdanau et al. 2015): a one-hidden-layer network scores each
    key against the query,

    .. math:: e_{ij} = \\tanh(q_i W_q^\\top + k_j W_k^\\top + b_k)\\, w_a^\\top ,

    with :math:`W_q` of shape (A, H_q) (``query_proj.weight``), :math:`W_k` (A, H_k) and
    :math:`b_k` (A,) (``key_proj.weight``, ``key_proj.bias``) and :math:`w_a` (1, A)
    (``score_proj.weight``). Queries and keys may have different sizes. Introduced in
    the chapter "Attention", section "Additive attention".
    """

    def __init__(self, query_size: int, key_size: int, attn_size: int) -> None:
        super().__init__()
        self.query_proj = nn.Linear(query_size, attn_size, bias=False)  # W_q
        self.key_proj = nn.Linear(key_size, attn_size)  # W_k, b_k
        self.score_proj = nn.Linear(attn_size, 1, bias=False)  # w_a

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        return self.key_proj(keys)  # (N, L, A): k_j W_k^T + b_k

    def score(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        q = self.query_proj(query)  # (N, L_q, A): q_i W_q^T
        k = keys  # (N, L, A), projected
        hidden = torch.tanh(q[:, :, None, :] + k[:, None, :, :])  # (N, L_q, L, A)
        return self.score_proj(hidden).squeeze(-1)  # (N, L_q, L)


class MultiplicativeAttention(_Attention):
    """Multiplicative ("general") attention (Luong et al. 2015): a bilinear form,

    .. math:: e_{ij} = q_i W_a k_j^\\top ,

    with :math:`W_a` of shape (H_q, H_k), stored as ``key_proj.weight`` (the map
    :math:`k \\mapsto k W_a^\\top` from keys to the query's space). Introduced in the
    chapter "Attention", section "Dot products".
    """

    def __init__(self, query_size: int, key_size: int) -> None:
        super().__init__()
        self.key_proj = nn.Linear(key_size, query_size, bias=False)  # W_a

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        return self.key_proj(keys)  # (N, L, H_q): k_j W_a^T

    def score(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return query @ keys.transpose(1, 2)  # (N, L_q, L): q_i W_a k_j^T


class DotProductAttention(_Attention):
    """Dot-product attention, :math:`e_{ij} = q_i k_j^\\top`, divided by
    :math:`\\sqrt{d}` (``d`` = the size of a key) when ``scaled`` (the default). No
    parameters: queries and keys must have the same size. Introduced in the chapter
    "Attention", section "Dot products".
    """

    def __init__(self, scaled: bool = True) -> None:
        super().__init__()
        self.scaled = bool(scaled)

    def score(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        if query.shape[-1] != keys.shape[-1]:
            raise ValueError(
                "expected queries and keys of the same size for dot-product attention, "
                f"got {query.shape[-1]} and {keys.shape[-1]}"
            )
        e = query @ keys.transpose(1, 2)  # (N, L_q, L)
        return e / math.sqrt(keys.shape[-1]) if self.scaled else e

    def extra_repr(self) -> str:
        return f"scaled={self.scaled}"


def attention_weights(
    query: torch.Tensor,
    key: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> torch.Tensor:
    """The weights :math:`\\alpha = \\operatorname{softmax}(q k^\\top s + M)` that
    :func:`scaled_dot_product_attention` averages the values with, of shape
    (..., L_q, L). Arguments as there."""
    query, key = _tensor(query, "query"), _tensor(key, "key")
    if query.dim() < 2 or key.dim() < 2 or query.shape[-1] != key.shape[-1]:
        raise ValueError(
            "expected query (..., L_q, d) and key (..., L, d) with the same d, got "
            f"{fmt_shape(query.shape)} and {fmt_shape(key.shape)}"
        )
    L_q, L = query.shape[-2], key.shape[-2]
    s = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * s  # (..., L_q, L)
    if is_causal:
        if attn_mask is not None:
            raise ValueError("pass either attn_mask or is_causal=True, not both")
        # query i sees keys 1 .. i (aligned top-left, as in torch)
        attn_mask = torch.ones(L_q, L, dtype=torch.bool, device=query.device).tril()
    if attn_mask is not None:
        attn_mask = _tensor(attn_mask, "attn_mask")
        try:
            torch.broadcast_shapes(attn_mask.shape, scores.shape)
        except RuntimeError:
            raise shape_error(
                "attn_mask",
                f"broadcastable to {fmt_shape(scores.shape)}",
                attn_mask.shape,
            ) from None
        if attn_mask.dtype == torch.bool:  # True = may attend
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:  # added to the scores, -inf forbids
            scores = scores + attn_mask
    return _softmax_with_empty_rows(scores)


def scaled_dot_product_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> torch.Tensor:
    """Scaled dot-product attention, the same computation as
    ``torch.nn.functional.scaled_dot_product_attention`` (without dropout):

    .. math:: \\operatorname{softmax}\\!\\Big(\\frac{Q K^\\top}{\\sqrt{d}} + M\\Big) V,

    for ``query`` Q (..., L_q, d), ``key`` K (..., L, d) and ``value`` V (..., L, H_v),
    with any leading batch dimensions (e.g. (N, heads, ...)). Returns (..., L_q, H_v).

    - ``attn_mask``: broadcastable to (..., L_q, L); bool (True = the query may attend
      to that key) or float (added to the scores; ``-inf`` forbids);
    - ``is_causal``: query ``i`` attends to keys ``1 .. i`` only;
    - ``scale``: the factor on :math:`Q K^\\top`, :math:`1 / \\sqrt{d}` by default.

    Introduced in the chapter "Attention", section "Dot products".
    """
    if dropout_p != 0.0:
        raise NotImplementedError("dropout on the attention weights is not implemented")
    value = _tensor(value, "value")
    if value.shape[-2] != key.shape[-2]:
        raise shape_error("value", f"(..., {key.shape[-2]}, H_v)", value.shape)
    alpha = attention_weights(query, key, attn_mask, is_causal, scale)
    return alpha @ value  # (..., L_q, H_v)
