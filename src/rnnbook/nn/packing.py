"""Converting a ``PackedSequence`` to a padded, time-major batch and back, with plain
tensor ops.

Introduced in the Task types chapter, section on variable-length batches.

``torch.nn.utils.rnn.pack_padded_sequence`` sorts the N sequences by decreasing length
and stores, step after step, only the elements that exist: step ``t`` contributes
``batch_sizes[t]`` rows (the sequences still running at ``t``, in sorted order).
``sorted_indices[i]`` is the caller's index of the ``i``-th sorted sequence and
``unsorted_indices`` is its inverse (both None when the caller passed them already
sorted).

The recurrent layers of ``rnnbook.nn`` run packed input as a padded ``(L, N, H_in)``
batch in the caller's order, and mask the state update so that sequence ``n`` stops at
``lengths[n]``.
"""

from __future__ import annotations

import torch
from torch.nn.utils.rnn import PackedSequence


def unpack_time_major(packed: PackedSequence) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded input ``(L, N, F)`` in the caller's order (zeros after each end) and
    ``lengths (N,)``.
    """
    batch_sizes = packed.batch_sizes.tolist()  # L numbers, non-increasing
    N = batch_sizes[0]
    F = packed.data.shape[1]
    # L tensors (batch_sizes[t], F), sorted order
    steps = packed.data.split(batch_sizes)
    padded = torch.stack(
        [torch.cat([s, s.new_zeros(N - s.shape[0], F)]) for s in steps]
    )
    # padded: (L, N, F), sequences in sorted order
    # (L, N): is sorted seq. i at t?
    running = packed.batch_sizes.unsqueeze(1) > torch.arange(N)
    # (N,) in sorted order
    lengths = running.sum(dim=0)
    if packed.unsorted_indices is not None:
        order = packed.unsorted_indices.cpu()
        padded = padded[:, order.to(padded.device)]  # (L, N, F) in the caller's order
        lengths = lengths[order]  # (N,) in the caller's order
    return padded, lengths.to(padded.device)


def pack_time_major(padded: torch.Tensor, like: PackedSequence) -> PackedSequence:
    """Pack a time-major ``(L, N, F)`` output (caller's order) with the layout of
    ``like``.
    """
    if like.sorted_indices is not None:
        # (L, N, F), sorted order
        padded = padded[:, like.sorted_indices.to(padded.device)]
    batch_sizes = like.batch_sizes.tolist()
    # (sum(lengths), F)
    data = torch.cat([padded[t, :bs] for t, bs in enumerate(batch_sizes)])
    return PackedSequence(
        data, like.batch_sizes, like.sorted_indices, like.unsorted_indices
    )
