"""rnnbook.nn.RNN / LSTM / GRU against the oracle torch.nn, in float64.

Outputs, final states and the gradients with respect to the input, the initial state and
every parameter must agree to ~1e-10 relative on random configurations; parameters must
be interchangeable through load_state_dict(strict=True) both ways.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from single_thread import one_thread  # noqa: F401 (autouse: one CPU thread)
from torch.nn.utils.rnn import pack_padded_sequence

import rnnbook.nn

KINDS = ["RNN", "LSTM", "GRU"]
F64 = torch.float64


def make_pair(kind, *, mine_first=False, seed=0, **kwargs):
    """A torch.nn module and an rnnbook.nn module with the same parameters.

    mine_first: build rnnbook's module and load its state_dict into torch's (the other
    way)."""
    torch.manual_seed(seed)
    ref = getattr(torch.nn, kind)(dtype=F64, **kwargs)
    mine = getattr(rnnbook.nn, kind)(dtype=F64, **kwargs)
    if mine_first:
        ref.load_state_dict(mine.state_dict(), strict=True)
    else:
        mine.load_state_dict(ref.state_dict(), strict=True)
    return ref, mine


def as_tuple(state):
    return tuple(state) if isinstance(state, tuple) else (state,)


def run_and_grad(module, x, hx, seed=0):
    """Forward, a random linear loss on every output (the same weights for the same
    ``seed`` and shapes) and the gradients w.r.t. the input, the initial state and every
    parameter."""
    output, state = module(x, hx)
    outs = [output] + list(as_tuple(state))
    g = torch.Generator().manual_seed(seed)
    loss = sum((o * torch.randn(o.shape, generator=g, dtype=F64)).sum() for o in outs)
    wrt = [x] + list(as_tuple(hx) if hx is not None else ()) + list(module.parameters())
    return outs, torch.autograd.grad(loss, wrt)


def assert_same(ref_vals, my_vals):
    assert len(ref_vals) == len(my_vals)
    for a, b in zip(ref_vals, my_vals):
        assert a.shape == b.shape
        torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-12)


def check_against_torch(
    kind,
    *,
    num_layers,
    bidirectional,
    batch_first,
    bias,
    batched,
    with_state,
    N,
    L,
    H_in,
    H,
    nonlinearity="tanh",
    mine_first=False,
    seed=0,
    proj_size=0,
):
    """Outputs, final states and all gradients of one configuration, against torch.nn
    (``proj_size``: an LSTM with projections)."""
    kwargs = dict(
        input_size=H_in,
        hidden_size=H,
        num_layers=num_layers,
        bias=bias,
        batch_first=batch_first,
        bidirectional=bidirectional,
    )
    if kind == "RNN":
        kwargs["nonlinearity"] = nonlinearity
    if proj_size:
        kwargs["proj_size"] = proj_size
    ref, mine = make_pair(kind, mine_first=mine_first, seed=seed, **kwargs)
    g = torch.Generator().manual_seed(seed + 1)
    D = 2 if bidirectional else 1
    shape = ((N, L, H_in) if batch_first else (L, N, H_in)) if batched else (L, H_in)
    # h has proj_size features with projections; c (LSTM) always H
    sizes = [proj_size or H, H][: 2 if kind == "LSTM" else 1]
    x = torch.randn(shape, generator=g, dtype=F64, requires_grad=True)
    hx = None
    if with_state:
        states = [
            torch.randn(
                (D * num_layers, N, size) if batched else (D * num_layers, size),
                generator=g,
                dtype=F64,
                requires_grad=True,
            )
            for size in sizes
        ]
        hx = tuple(states) if kind == "LSTM" else states[0]
    ref_out, ref_grads = run_and_grad(ref, x, hx, seed)
    my_out, my_grads = run_and_grad(mine, x, hx, seed)
    assert_same(ref_out, my_out)
    assert_same(ref_grads, my_grads)


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    num_layers=st.integers(1, 3),
    bidirectional=st.booleans(),
    batch_first=st.booleans(),
    bias=st.booleans(),
    batched=st.booleans(),
    with_state=st.booleans(),
    N=st.integers(1, 3),
    L=st.integers(1, 5),
    H_in=st.integers(1, 4),
    H=st.integers(1, 4),
    nonlinearity=st.sampled_from(["tanh", "relu"]),
    mine_first=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_layers_match_torch_random_configs(
    kind,
    num_layers,
    bidirectional,
    batch_first,
    bias,
    batched,
    with_state,
    N,
    L,
    H_in,
    H,
    nonlinearity,
    mine_first,
    seed,
):
    check_against_torch(
        kind,
        num_layers=num_layers,
        bidirectional=bidirectional,
        batch_first=batch_first,
        bias=bias,
        batched=batched,
        with_state=with_state,
        N=N,
        L=L,
        H_in=H_in,
        H=H,
        nonlinearity=nonlinearity,
        mine_first=mine_first,
        seed=seed,
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_layers_match_torch_larger(kind, bidirectional):
    check_against_torch(
        kind,
        num_layers=2,
        bidirectional=bidirectional,
        batch_first=True,
        bias=True,
        batched=True,
        with_state=True,
        N=4,
        L=12,
        H_in=5,
        H=7,
    )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_parameters_names_shapes_order_and_init_match(kind, bidirectional, bias):
    kwargs = dict(
        input_size=3,
        hidden_size=5,
        num_layers=3,
        bias=bias,
        bidirectional=bidirectional,
    )
    torch.manual_seed(7)
    ref = getattr(torch.nn, kind)(**kwargs)
    torch.manual_seed(7)
    mine = getattr(rnnbook.nn, kind)(**kwargs)
    ref_params, my_params = list(ref.named_parameters()), list(mine.named_parameters())
    assert [n for n, _ in my_params] == [n for n, _ in ref_params]
    assert [p.shape for _, p in my_params] == [p.shape for _, p in ref_params]
    # Same seed, same draws in the same order: the default initialisation is torch's.
    for (_, a), (_, b) in zip(ref_params, my_params):
        assert torch.equal(a, b)
    bound = 1 / 5**0.5
    assert all(p.abs().max() <= bound for p in mine.parameters())
    assert repr(mine) == repr(ref)
    mine.flatten_parameters()  # a no-op kept for drop-in compatibility


def test_strict_load_rejects_a_different_architecture():
    ref = torch.nn.LSTM(3, 5, num_layers=2)
    mine = rnnbook.nn.LSTM(3, 5, num_layers=1)
    with pytest.raises(RuntimeError, match="Unexpected key"):
        mine.load_state_dict(ref.state_dict(), strict=True)


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_eval_mode_equals_torch(kind):
    ref, mine = make_pair(
        kind, input_size=3, hidden_size=4, num_layers=3, dropout=0.5, bidirectional=True
    )
    ref.eval(), mine.eval()
    x = torch.randn(6, 2, 3, dtype=F64)
    assert_same(ref(x)[0:1], mine(x)[0:1])


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_train_mode_drops(kind):
    _, mine = make_pair(kind, input_size=3, hidden_size=8, num_layers=2, dropout=0.5)
    x = torch.randn(6, 2, 3, dtype=F64)
    mine.eval()
    out_eval = mine(x)[0]
    mine.train()
    torch.manual_seed(0)
    out_a = mine(x)[0]
    torch.manual_seed(1)
    out_b = mine(x)[0]
    assert not torch.allclose(out_a, out_eval)
    assert not torch.allclose(out_a, out_b)  # a fresh mask every call
    # The same random stream as torch.nn: with the same seed, the same units are
    # dropped.
    ref, _ = make_pair(kind, input_size=3, hidden_size=8, num_layers=2, dropout=0.5)
    ref.train()
    torch.manual_seed(0)
    torch.testing.assert_close(out_a, ref(x)[0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_one_cuts_the_layers_apart(kind):
    """p = 1 zeroes everything between layers: the top layer then sees only zeros, so
    the output cannot depend on the input; in eval mode it does."""
    _, mine = make_pair(kind, input_size=3, hidden_size=4, num_layers=2, dropout=1.0)
    x1, x2 = torch.randn(5, 2, 3, dtype=F64), torch.randn(5, 2, 3, dtype=F64)
    mine.train()
    torch.testing.assert_close(mine(x1)[0], mine(x2)[0], rtol=0, atol=0)
    mine.eval()
    assert not torch.allclose(mine(x1)[0], mine(x2)[0])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("enforce_sorted", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_dropout_with_packed_input_draws_torchs_mask(
    kind, enforce_sorted, bidirectional
):
    """torch.nn draws the dropout mask over the packed data (only the valid steps), not
    over a padded batch: the same seed must drop the same units and leave the generator
    in the same state."""
    ref, mine = make_pair(
        kind,
        input_size=3,
        hidden_size=5,
        num_layers=3,
        dropout=0.4,
        bidirectional=bidirectional,
    )
    lengths = torch.tensor([6, 4, 3, 1] if enforce_sorted else [3, 6, 1, 4])
    x = torch.randn(6, 4, 3, dtype=F64, requires_grad=True)
    results = []
    for module in (ref, mine):
        module.train()
        torch.manual_seed(7)
        packed = pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
        out, state = module(packed)
        after = torch.rand(3, dtype=F64)  # the generator's state after the call
        grads = torch.autograd.grad(
            out.data.sum() + sum(s.sum() for s in as_tuple(state)),
            [x, *module.parameters()],
        )
        results.append(([out.data, *as_tuple(state), after], grads))
    assert_same(results[0][0], results[1][0])
    assert_same(results[0][1], results[1][1])


def test_dropout_warns_like_torch_for_one_layer():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        rnnbook.nn.GRU(3, 4, num_layers=1, dropout=0.2)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("enforce_sorted", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_sequence_matches_torch(kind, enforce_sorted, bidirectional):
    ref, mine = make_pair(
        kind,
        input_size=3,
        hidden_size=4,
        num_layers=2,
        bidirectional=bidirectional,
        batch_first=True,
    )
    D = 2 if bidirectional else 1
    lengths = torch.tensor([6, 4, 3, 1] if enforce_sorted else [3, 6, 1, 4])
    x = torch.randn(4, 6, 3, dtype=F64, requires_grad=True)
    h0 = torch.randn(2 * D, 4, 4, dtype=F64, requires_grad=True)
    c0 = torch.randn(2 * D, 4, 4, dtype=F64, requires_grad=True)
    hx = (h0, c0) if kind == "LSTM" else h0
    results = []
    for module in (ref, mine):
        packed = pack_padded_sequence(
            x, lengths, batch_first=True, enforce_sorted=enforce_sorted
        )
        out, state = module(packed, hx)
        assert isinstance(out, torch.nn.utils.rnn.PackedSequence)
        g = torch.Generator().manual_seed(3)
        loss = sum(
            (s * torch.randn(s.shape, generator=g, dtype=F64)).sum()
            for s in [out.data, *as_tuple(state)]
        )
        grads = torch.autograd.grad(loss, [x, *as_tuple(hx), *module.parameters()])
        results.append(([out.data, out.batch_sizes, *as_tuple(state)], grads, out))
    assert_same(results[0][0], results[1][0])
    assert_same(results[0][1], results[1][1])
    for name in ("sorted_indices", "unsorted_indices"):
        a, b = getattr(results[0][2], name), getattr(results[1][2], name)
        assert (a is None and b is None) or torch.equal(a, b)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cell", [False, True], ids=["layer", "cell"])
def test_second_derivatives_pass_gradgradcheck(kind, cell):
    """Autograd differentiates the step functions as written, so second derivatives (for
    a
    gradient penalty, or Hessian-vector products) work, as they do for torch.nn in
    float64: the gate split (unsafe_chunk) and the W_hh^T transposed once per sequence
    must not break them. Checked with respect to the input, the initial state and
    W_hh."""
    torch.manual_seed(5)
    if cell:
        module = getattr(rnnbook.nn, f"{kind}Cell")(2, 3, dtype=F64)
        x, h0, name = (
            torch.randn(2, 2, dtype=F64),
            torch.randn(2, 3, dtype=F64),
            "weight_hh",
        )
    else:
        module = getattr(rnnbook.nn, kind)(2, 3, bidirectional=True, dtype=F64)
        x, h0, name = (
            torch.randn(3, 2, 2, dtype=F64),
            torch.randn(2, 2, 3, dtype=F64),
            "weight_hh_l0",
        )
    w_hh = getattr(module, name).detach().clone()

    def outputs(x, h0, w_hh):
        hx = (h0, torch.ones_like(h0)) if kind == "LSTM" else h0
        result = torch.func.functional_call(module, {name: w_hh}, (x, hx))
        if not cell:
            out, state = result
            return (out, *as_tuple(state))
        return as_tuple(result)

    inputs = tuple(t.requires_grad_() for t in (x, h0, w_hh))
    assert torch.autograd.gradgradcheck(outputs, inputs)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bias", [True, False])
def test_all_weights_is_torchs(kind, bias):
    ref, mine = make_pair(
        kind, input_size=3, hidden_size=4, num_layers=2, bidirectional=True, bias=bias
    )
    assert len(mine.all_weights) == len(ref.all_weights) == 4
    for ours, theirs in zip(mine.all_weights, ref.all_weights):
        assert len(ours) == len(theirs) == (4 if bias else 2)
        for a, b in zip(ours, theirs):
            assert isinstance(a, torch.nn.Parameter) and torch.equal(a, b)
