"""rnnbook.npnn's LSTM with projections (``weight_hr``, as ``torch.nn.LSTM(...,
proj_size=P)``): the hand-written backward against central finite differences, and
forward and backward against torch.nn + torch.autograd in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from single_thread import one_thread  # noqa: F401 (autouse: one CPU thread)

from rnnbook import npnn
from rnnbook.gradcheck import check_gradients

PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")


def make_case(N, L, H_in, H, P, seed, zero_state=False):
    """Parameters, input, initial states (h: (N, P), c: (N, H)) and the weights of a
    linear loss on every output."""
    rng = np.random.default_rng(seed)
    p = npnn.init_params(rng, H_in, H, "lstm", proj_size=P)
    x = rng.normal(size=(N, L, H_in))
    sizes = (P, H)
    states = [
        np.zeros((N, n)) if zero_state else rng.normal(size=(N, n)) for n in sizes
    ]
    dhs = rng.normal(size=(N, L, P))  # ℒ = Σ hs ⊙ dhs + Σ_j state_n[j] ⊙ dstates[j]
    dstates = [rng.normal(size=(N, n)) for n in sizes]
    return p, x, states, dhs, dstates


def test_init_params_has_torchs_shapes_and_order():
    p = npnn.init_params(np.random.default_rng(0), 3, 5, "lstm", proj_size=2)
    assert list(p) == list(PARAMS)  # torch.nn's registration (and drawing) order
    ref = torch.nn.LSTM(3, 5, proj_size=2)
    for name in PARAMS:
        assert p[name].shape == tuple(getattr(ref, name + "_l0").shape)
        assert np.abs(p[name]).max() <= 1 / np.sqrt(5)  # U(-1/sqrt(H), 1/sqrt(H))
    for bad, cell in [(5, "lstm"), (-1, "lstm"), (2, "gru")]:
        with pytest.raises(ValueError, match="proj_size"):
            npnn.init_params(np.random.default_rng(0), 3, 5, cell, proj_size=bad)


@pytest.mark.parametrize(
    "N,L,H_in,H,P,zero_state",
    [(2, 4, 3, 4, 2, False), (1, 1, 2, 3, 1, True), (3, 5, 1, 5, 3, False)],
)
def test_sequence_backward_matches_finite_differences(N, L, H_in, H, P, zero_state):
    p, x, states, dhs, dstates = make_case(
        N, L, H_in, H, P, seed=N + 10 * L, zero_state=zero_state
    )

    def loss():
        hs, states_n, _ = npnn.lstm_forward(x, tuple(states), p)
        return (hs * dhs).sum() + sum((s * d).sum() for s, d in zip(states_n, dstates))

    hs, _, cache = npnn.lstm_forward(x, tuple(states), p)
    assert hs.shape == (N, L, P)
    dx, (dh0, dc0), grads = npnn.lstm_backward(dhs, cache, tuple(dstates))
    values = {**p, "x": x, "h0": states[0], "c0": states[1]}
    analytic = {**grads, "x": dx, "h0": dh0, "c0": dc0}
    report = check_gradients(loss, values, analytic, eps=1e-5, tol=1e-4)
    assert report.passed and set(report.errors) == set(values)


def test_cell_backward_matches_finite_differences():
    p, x, states, _, dstates = make_case(3, 1, 2, 4, 3, seed=7)
    x = x[:, 0]

    def loss():
        out, _ = npnn.lstm_cell_forward(x, tuple(states), p)
        return sum((o * d).sum() for o, d in zip(out, dstates))

    (h, c), cache = npnn.lstm_cell_forward(x, tuple(states), p)
    assert (h.shape, c.shape) == ((3, 3), (3, 4))
    dx, (dh, dc), grads = npnn.lstm_cell_backward(tuple(dstates), cache)
    check_gradients(
        loss,
        {**p, "x": x, "h_prev": states[0], "c_prev": states[1]},
        {**grads, "x": dx, "h_prev": dh, "c_prev": dc},
        eps=1e-5,
        tol=1e-4,
    )


def assert_close(ours, theirs, what):
    np.testing.assert_allclose(
        ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=what
    )


@pytest.mark.parametrize(
    "N,L,H_in,H,P,seed", [(2, 5, 3, 4, 2, 0), (1, 1, 1, 2, 1, 1), (3, 7, 4, 6, 5, 2)]
)
def test_sequence_matches_torch(N, L, H_in, H, P, seed):
    p, x, states, dhs, dstates = make_case(N, L, H_in, H, P, seed)
    hs, states_n, cache = npnn.lstm_forward(x, tuple(states), p)
    dx, dstates0, grads = npnn.lstm_backward(dhs, cache, tuple(dstates))

    m = torch.nn.LSTM(H_in, H, batch_first=True, proj_size=P, dtype=torch.float64)
    with torch.no_grad():
        for name in PARAMS:  # the same numbers, no transpose
            getattr(m, name + "_l0").copy_(torch.from_numpy(p[name]))
    xt = torch.tensor(x, requires_grad=True)
    st0 = [torch.tensor(s[None], requires_grad=True) for s in states]  # (1, N, ·)
    out, tn = m(xt, tuple(st0))
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
        assert_close(grads[name], getattr(m, name + "_l0").grad, name)


def test_params_from_state_dict_copies_the_projection():
    m = torch.nn.LSTM(3, 4, proj_size=2, batch_first=True, dtype=torch.float64)
    p = npnn.params_from_state_dict(m.state_dict())
    assert set(p) == set(PARAMS)
    x = np.random.default_rng(2).normal(size=(2, 5, 3))
    hs, _, _ = npnn.lstm_forward(x, None, p)  # zero initial states
    assert_close(hs, m(torch.from_numpy(x))[0], "outputs with zero initial state")


def test_projection_shapes_are_checked():
    p = npnn.init_params(np.random.default_rng(0), 3, 4, "lstm", proj_size=2)
    x = np.zeros((2, 5, 3))
    with pytest.raises(ValueError, match=r"expected h0 of shape \(2, 2\) = \(N, P\)"):
        npnn.lstm_forward(x, (np.zeros((2, 4)), np.zeros((2, 4))), p)
    with pytest.raises(ValueError, match=r"params\['weight_hr'\]"):
        npnn.lstm_forward(x, None, {**p, "weight_hr": np.zeros((3, 4))})
    with pytest.raises(ValueError, match=r"\(4\*H, P\) = \(16, 2\) with projections"):
        npnn.lstm_forward(x, None, {**p, "weight_hh": np.zeros((12, 2))})
    gru = npnn.init_params(np.random.default_rng(0), 3, 4, "gru")
    with pytest.raises(ValueError, match="only an LSTM has projections"):
        npnn.gru_forward(x, None, {**gru, "weight_hr": p["weight_hr"]})
    _, _, cache = npnn.lstm_forward(x, None, p)
    with pytest.raises(ValueError, match=r"expected dhs of shape \(2, 5, 2\)"):
        npnn.lstm_backward(np.zeros((2, 5, 4)), cache)
