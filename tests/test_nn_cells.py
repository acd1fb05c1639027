"""rnnbook.nn.RNNCell / LSTMCell / GRUCell against the oracle torch.nn cells, in
float64, and the step functions they share with the layers."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from single_thread import one_thread  # noqa: F401 (autouse: one CPU thread)

import rnnbook.nn

KINDS = ["RNNCell", "LSTMCell", "GRUCell"]
F64 = torch.float64


def make_pair(kind, *, mine_first=False, seed=0, **kwargs):
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


def run_and_grad(module, x, hx, seed):
    outs = as_tuple(module(x, hx))
    g = torch.Generator().manual_seed(seed)
    loss = sum((o * torch.randn(o.shape, generator=g, dtype=F64)).sum() for o in outs)
    wrt = [x, *(as_tuple(hx) if hx is not None else ()), *module.parameters()]
    return outs, torch.autograd.grad(loss, wrt)


def assert_same(ref_vals, my_vals):
    assert len(ref_vals) == len(my_vals)
    for a, b in zip(ref_vals, my_vals):
        assert a.shape == b.shape
        torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    bias=st.booleans(),
    batched=st.booleans(),
    with_state=st.booleans(),
    N=st.integers(1, 4),
    H_in=st.integers(1, 5),
    H=st.integers(1, 5),
    nonlinearity=st.sampled_from(["tanh", "relu"]),
    mine_first=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_cells_match_torch(
    kind, bias, batched, with_state, N, H_in, H, nonlinearity, mine_first, seed
):
    kwargs = dict(input_size=H_in, hidden_size=H, bias=bias)
    if kind == "RNNCell":
        kwargs["nonlinearity"] = nonlinearity
    ref, mine = make_pair(kind, mine_first=mine_first, seed=seed, **kwargs)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(
        (N, H_in) if batched else (H_in,), generator=g, dtype=F64, requires_grad=True
    )
    hx = None
    if with_state:
        states = tuple(
            torch.randn(
                (N, H) if batched else (H,), generator=g, dtype=F64, requires_grad=True
            )
            for _ in range(2 if kind == "LSTMCell" else 1)
        )
        hx = states if kind == "LSTMCell" else states[0]
    ref_out, ref_grads = run_and_grad(ref, x, hx, seed)
    my_out, my_grads = run_and_grad(mine, x, hx, seed)
    assert_same(ref_out, my_out)
    assert_same(ref_grads, my_grads)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bias", [False, True])
def test_cell_parameters_names_shapes_init_and_repr(kind, bias):
    torch.manual_seed(3)
    ref = getattr(torch.nn, kind)(4, 6, bias=bias)
    torch.manual_seed(3)
    mine = getattr(rnnbook.nn, kind)(4, 6, bias=bias)
    ref_params, my_params = list(ref.named_parameters()), list(mine.named_parameters())
    assert [(n, p.shape) for n, p in my_params] == [(n, p.shape) for n, p in ref_params]
    for (_, a), (_, b) in zip(ref_params, my_params):
        assert torch.equal(a, b)
    assert (mine.bias_ih is None) == (not bias)
    assert repr(mine) == repr(ref)


def test_relu_cell_repr_and_attribute():
    mine = rnnbook.nn.RNNCell(2, 3, nonlinearity="relu")
    assert mine.nonlinearity == "relu"
    assert repr(mine) == repr(torch.nn.RNNCell(2, 3, nonlinearity="relu"))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_a_layer_is_its_cell_applied_step_by_step(kind):
    """One layer, one direction: looping the cell over time gives the layer's output."""
    torch.manual_seed(0)
    layer = getattr(rnnbook.nn, kind)(3, 4, dtype=F64)
    cell = getattr(rnnbook.nn, kind + "Cell")(3, 4, dtype=F64)
    cell.load_state_dict(
        {k[:-3]: v for k, v in layer.state_dict().items()}, strict=True
    )
    x = torch.randn(5, 2, 3, dtype=F64)
    state = None
    outputs = []
    for t in range(5):
        state = cell(x[t], state)
        outputs.append(as_tuple(state)[0])
    output, final = layer(x)
    torch.testing.assert_close(output, torch.stack(outputs), rtol=1e-12, atol=1e-14)
    for a, b in zip(as_tuple(final), as_tuple(state)):
        torch.testing.assert_close(a[0], b, rtol=1e-12, atol=1e-14)


def test_step_functions_follow_the_equations():
    """The step functions against the equations with explicit gate matrices."""
    torch.manual_seed(1)
    N, H_in, H = 3, 2, 4
    x, h, c = (
        torch.randn(N, H_in, dtype=F64),
        torch.randn(N, H, dtype=F64),
        torch.randn(N, H, dtype=F64),
    )
    W_ih, W_hh = torch.randn(4 * H, H_in, dtype=F64), torch.randn(4 * H, H, dtype=F64)
    b_ih, b_hh = torch.randn(4 * H, dtype=F64), torch.randn(4 * H, dtype=F64)
    Wi, Wh, bi, bh = W_ih.split(H), W_hh.split(H), b_ih.split(H), b_hh.split(H)

    def pre(k):  # x W_i?^T + b_i? + h W_h?^T + b_h? for gate block k
        return x @ Wi[k].T + bi[k] + h @ Wh[k].T + bh[k]

    i, f, g, o = (
        torch.sigmoid(pre(0)),
        torch.sigmoid(pre(1)),
        torch.tanh(pre(2)),
        torch.sigmoid(pre(3)),
    )
    c_new = f * c + i * g
    h_new, c_got = rnnbook.nn.lstm_step(x @ W_ih.T + b_ih, h, c, W_hh.T, b_hh)
    torch.testing.assert_close(c_got, c_new)
    torch.testing.assert_close(h_new, o * torch.tanh(c_new))

    W_ih3, W_hh3, b_ih3, b_hh3 = (
        W_ih[: 3 * H],
        W_hh[: 3 * H],
        b_ih[: 3 * H],
        b_hh[: 3 * H],
    )
    r, z = torch.sigmoid(pre(0)), torch.sigmoid(pre(1))
    n = torch.tanh(x @ Wi[2].T + bi[2] + r * (h @ Wh[2].T + bh[2]))
    torch.testing.assert_close(
        rnnbook.nn.gru_step(x @ W_ih3.T + b_ih3, h, W_hh3.T, b_hh3), (1 - z) * n + z * h
    )

    for act, fn in [("tanh", torch.tanh), ("relu", torch.relu)]:
        got = rnnbook.nn.rnn_step(x @ Wi[0].T + bi[0], h, Wh[0].T, bh[0], act)
        torch.testing.assert_close(got, fn(pre(0)))
