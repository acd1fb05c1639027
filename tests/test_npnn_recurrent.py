"""rnnbook.npnn: RNN (tanh, relu), LSTM and GRU forward and backward, per cell and per
sequence, against central finite differences and against torch.nn + torch.autograd
(float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from single_thread import one_thread  # noqa: F401 (autouse: one CPU thread)

from rnnbook import npnn
from rnnbook.gradcheck import check_gradients

KINDS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]
CELL = {"rnn_tanh": "rnn", "rnn_relu": "rnn", "lstm": "lstm", "gru": "gru"}
NSTATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 2, "gru": 1}
PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


# --- one calling convention for the four kinds: states are lists ([h] or [h, c]) ------


def seq_forward(kind, x, states, p):
    if kind == "lstm":
        hs, (h, c), cache = npnn.lstm_forward(x, tuple(states), p)
        return hs, [h, c], cache
    if kind == "gru":
        hs, h, cache = npnn.gru_forward(x, states[0], p)
    else:
        hs, h, cache = npnn.rnn_forward(x, states[0], p, nonlinearity=kind[4:])
    return hs, [h], cache


def seq_backward(kind, dhs, cache, dstates):
    if kind == "lstm":
        dx, (dh0, dc0), g = npnn.lstm_backward(dhs, cache, tuple(dstates))
        return dx, [dh0, dc0], g
    back = npnn.gru_backward if kind == "gru" else npnn.rnn_backward
    dx, dh0, g = back(dhs, cache, dstates[0])
    return dx, [dh0], g


def cell_forward(kind, x, states, p):
    if kind == "lstm":
        (h, c), cache = npnn.lstm_cell_forward(x, tuple(states), p)
        return [h, c], cache
    if kind == "gru":
        h, cache = npnn.gru_cell_forward(x, states[0], p)
    else:
        h, cache = npnn.rnn_cell_forward(x, states[0], p, nonlinearity=kind[4:])
    return [h], cache


def cell_backward(kind, dstates, cache):
    if kind == "lstm":
        dx, (dh, dc), g = npnn.lstm_cell_backward(tuple(dstates), cache)
        return dx, [dh, dc], g
    back = npnn.gru_cell_backward if kind == "gru" else npnn.rnn_cell_backward
    dx, dh, g = back(dstates[0], cache)
    return dx, [dh], g


def torch_module(kind, H_in, H, p, cell=False):
    """The torch.nn counterpart in float64, loaded with the very same numbers."""
    cls = {
        "rnn": (torch.nn.RNN, torch.nn.RNNCell),
        "lstm": (torch.nn.LSTM, torch.nn.LSTMCell),
        "gru": (torch.nn.GRU, torch.nn.GRUCell),
    }[CELL[kind]][cell]
    kw = {"nonlinearity": kind[4:]} if CELL[kind] == "rnn" else {}
    if not cell:
        kw["batch_first"] = True
    m = cls(H_in, H, dtype=torch.float64, **kw)
    suffix = "" if cell else "_l0"
    with torch.no_grad():
        for name in PARAMS:
            getattr(m, name + suffix).copy_(torch.from_numpy(p[name]))  # no transpose
    return m, suffix


def make_case(kind, N, L, H_in, H, seed, zero_state=False):
    rng = np.random.default_rng(seed)
    p = npnn.init_params(rng, H_in, H, CELL[kind])
    x = rng.normal(size=(N, L, H_in))
    states = [
        np.zeros((N, H)) if zero_state else rng.normal(size=(N, H))
        for _ in range(NSTATES[kind])
    ]
    dhs = rng.normal(size=(N, L, H))  # ℒ = Σ hs ⊙ dhs + Σ_j state_n[j] ⊙ dstates[j]
    dstates = [rng.normal(size=(N, H)) for _ in range(NSTATES[kind])]
    return p, x, states, dhs, dstates


# --- finite differences ---------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "N,L,H_in,H,zero_state",
    [(2, 4, 3, 3, False), (1, 1, 2, 4, True), (3, 5, 1, 2, False)],
)
def test_sequence_backward_matches_finite_differences(kind, N, L, H_in, H, zero_state):
    p, x, states, dhs, dstates = make_case(
        kind, N, L, H_in, H, seed=N * 100 + L, zero_state=zero_state
    )

    def loss():
        hs, states_n, _ = seq_forward(kind, x, states, p)
        return (hs * dhs).sum() + sum((s * d).sum() for s, d in zip(states_n, dstates))

    _, _, cache = seq_forward(kind, x, states, p)
    dx, dstates0, grads = seq_backward(kind, dhs, cache, dstates)
    names = ["h0", "c0"][: len(states)]
    values = {**p, "x": x, **dict(zip(names, states))}
    analytic = {**grads, "x": dx, **dict(zip(names, dstates0))}
    report = check_gradients(loss, values, analytic, eps=1e-5, tol=1e-4)
    assert report.passed and set(report.errors) == set(values)


@pytest.mark.parametrize("kind", KINDS)
def test_cell_backward_matches_finite_differences(kind):
    p, x, states, dhs, dstates = make_case(kind, 3, 1, 2, 3, seed=7)
    x = x[:, 0]

    def loss():
        out, _ = cell_forward(kind, x, states, p)
        return sum((o * d).sum() for o, d in zip(out, dstates))

    _, cache = cell_forward(kind, x, states, p)
    dx, dprev, grads = cell_backward(kind, dstates, cache)
    names = ["h_prev", "c_prev"][: len(states)]
    check_gradients(
        loss,
        {**p, "x": x, **dict(zip(names, states))},
        {**grads, "x": dx, **dict(zip(names, dprev))},
        eps=1e-5,
        tol=1e-4,
    )


def test_relu_backward_is_zero_where_the_unit_is_off():
    p = npnn.init_params(np.random.default_rng(0), 2, 3, "rnn")
    p["bias_ih"][:] = [-100.0, 0.0, 0.0]  # unit 0 is never on
    x = np.random.default_rng(1).normal(size=(2, 4, 2))
    hs, _, cache = npnn.rnn_forward(x, None, p, nonlinearity="relu")
    assert (hs[..., 0] == 0).all() and (hs >= 0).all()
    _, _, g = npnn.rnn_backward(np.ones_like(hs), cache)
    assert (g["weight_ih"][0] == 0).all() and g["bias_hh"][0] == 0
    assert np.abs(g["weight_ih"][1:]).sum() > 0


# --- torch.nn and torch.autograd as the oracle ----------------------------------------


def assert_close(ours, theirs, what):
    np.testing.assert_allclose(
        ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=what
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(KINDS),
    N=st.integers(1, 3),
    L=st.integers(1, 6),
    H_in=st.integers(1, 4),
    H=st.integers(1, 5),
    seed=st.integers(0, 2**16),
    zero_state=st.booleans(),
)
def test_sequence_matches_torch(kind, N, L, H_in, H, seed, zero_state):
    p, x, states, dhs, dstates = make_case(kind, N, L, H_in, H, seed, zero_state)
    hs, states_n, cache = seq_forward(kind, x, states, p)
    dx, dstates0, grads = seq_backward(kind, dhs, cache, dstates)

    m, sfx = torch_module(kind, H_in, H, p)
    xt = torch.tensor(x, requires_grad=True)
    st0 = [torch.tensor(s[None], requires_grad=True) for s in states]  # (1, N, H)
    out, tn = m(xt, tuple(st0) if kind == "lstm" else st0[0])
    tn = list(tn) if kind == "lstm" else [tn]
    loss = (out * torch.from_numpy(dhs)).sum()
    loss = loss + sum((s[0] * torch.from_numpy(d)).sum() for s, d in zip(tn, dstates))
    loss.backward()

    assert_close(hs, out, "outputs")
    for ours, theirs in zip(states_n, tn):
        assert_close(ours, theirs[0], "final state")
    assert_close(dx, xt.grad, "dx")
    for ours, theirs in zip(dstates0, st0):
        assert_close(ours, theirs.grad[0], "initial-state gradient")
    for name in PARAMS:
        assert_close(grads[name], getattr(m, name + sfx).grad, name)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_cell_matches_torch_cell(kind, seed):
    p, x, states, _, dstates = make_case(kind, 4, 1, 3, 2, seed)
    x = x[:, 0]
    out, cache = cell_forward(kind, x, states, p)
    dx, dprev, grads = cell_backward(kind, dstates, cache)

    m, _ = torch_module(kind, 3, 2, p, cell=True)
    xt = torch.tensor(x, requires_grad=True)
    st0 = [torch.tensor(s, requires_grad=True) for s in states]
    tout = m(xt, tuple(st0) if kind == "lstm" else st0[0])
    tout = list(tout) if kind == "lstm" else [tout]
    sum((o * torch.from_numpy(d)).sum() for o, d in zip(tout, dstates)).backward()

    for ours, theirs in zip(out, tout):
        assert_close(ours, theirs, "cell output")
    assert_close(dx, xt.grad, "dx")
    for ours, theirs in zip(dprev, st0):
        assert_close(ours, theirs.grad, "previous-state gradient")
    for name in PARAMS:
        assert_close(grads[name], getattr(m, name).grad, name)


@pytest.mark.parametrize("kind", KINDS)
def test_params_from_state_dict_round_trip(kind):
    torch.manual_seed(0)
    m, _ = torch_module(
        kind, 3, 4, npnn.init_params(np.random.default_rng(0), 3, 4, CELL[kind])
    )
    torch.nn.init.normal_(m.weight_hh_l0)  # make sure we copy what torch holds now
    p = npnn.params_from_state_dict(m.state_dict())
    assert all(p[k].dtype == np.float64 for k in PARAMS)
    x = np.random.default_rng(2).normal(size=(2, 5, 3))
    # None: zero initial state
    hs, _, _ = seq_forward(kind, x, [None] * NSTATES[kind], p)
    assert_close(hs, m(torch.from_numpy(x))[0], "outputs with zero initial state")


def test_lstm_without_state_gradients_treats_them_as_zero():
    p, x, states, dhs, _ = make_case("lstm", 2, 3, 2, 3, seed=5)
    _, _, cache = npnn.lstm_forward(x, tuple(states), p)
    a = npnn.lstm_backward(dhs, cache)
    b = npnn.lstm_backward(dhs, cache, (np.zeros((2, 3)), None))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1][1], b[1][1])


def test_float32_runs_and_stays_float32():
    rng = np.random.default_rng(0)
    p = npnn.init_params(rng, 2, 3, "gru", dtype=np.float32)
    x = rng.normal(size=(2, 4, 2)).astype(np.float32)
    hs, h_n, cache = npnn.gru_forward(x, None, p)  # None: zeros of the dtype of x
    assert hs.dtype == np.float32 and hs.shape == (2, 4, 3)
    dx, dh0, g = npnn.gru_backward(np.ones_like(hs), cache)
    assert dx.dtype == np.float32 and g["weight_hh"].dtype == np.float32
