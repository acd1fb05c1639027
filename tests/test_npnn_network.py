"""rnnbook.npnn.SoftmaxRNN, the BPTT chapter's network: against a torch
reimplementation, finite differences, and the literal sums over time; plus one_hot and
clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnbook import npnn
from rnnbook.gradcheck import check_gradients


class TorchSoftmaxRNN(torch.nn.Module):
    """The same network in torch: nn.RNN (tanh) + nn.Linear, cross-entropy summed."""

    def __init__(self, H_in, H, K):
        super().__init__()
        self.rnn = torch.nn.RNN(H_in, H, batch_first=True, dtype=torch.float64)
        self.fc = torch.nn.Linear(H, K, dtype=torch.float64)

    def forward(self, x, targets, h0):
        hs, h_n = self.rnn(x, h0[None])
        logits = self.fc(hs)
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="sum"
        )
        return loss, logits, h_n[0]


def make_net(H_in, H, K, seed):
    net = npnn.SoftmaxRNN(H_in, H, K)
    net.init_params(np.random.default_rng(seed))
    return net


@settings(max_examples=15, deadline=None)
@given(
    N=st.integers(1, 3),
    L=st.integers(1, 6),
    H_in=st.integers(2, 5),
    H=st.integers(1, 5),
    K=st.integers(2, 5),
    seed=st.integers(0, 2**16),
    indices=st.booleans(),
)
def test_matches_torch(N, L, H_in, H, K, seed, indices):
    net = make_net(H_in, H, K, seed)
    rng = np.random.default_rng(seed + 1)
    inputs = (
        rng.integers(0, H_in, size=(N, L)) if indices else rng.normal(size=(N, L, H_in))
    )
    targets, h0 = rng.integers(0, K, size=(N, L)), rng.normal(size=(N, H))
    loss, grads, h_last = net.loss_and_grads(inputs, targets, h0)

    tnet = TorchSoftmaxRNN(H_in, H, K)
    tnet.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    x = npnn.one_hot(inputs, H_in) if indices else inputs
    h0_t = torch.tensor(h0, requires_grad=True)
    tloss, tlogits, th_last = tnet(torch.from_numpy(x), torch.from_numpy(targets), h0_t)
    tloss.backward()

    assert loss == pytest.approx(tloss.item(), rel=1e-12)
    np.testing.assert_allclose(
        net.forward(inputs, h0)[0], tlogits.detach().numpy(), rtol=1e-12, atol=1e-14
    )  # atol: a logit near 0 is a sum of O(1) terms, exact only to ~1e-16 absolute
    np.testing.assert_allclose(h_last, th_last.detach().numpy(), rtol=1e-12, atol=1e-14)
    tparams = dict(tnet.named_parameters())
    for name, torch_name in npnn.TORCH_NAMES.items():
        np.testing.assert_allclose(
            grads[name],
            tparams[torch_name].grad.numpy(),
            rtol=1e-10,
            atol=1e-12,
            err_msg=name,
        )


@pytest.mark.parametrize("N,L,h0", [(1, 1, False), (2, 5, True), (3, 8, False)])
def test_shortcut_equals_the_literal_sums_over_time(N, L, h0):
    net = make_net(4, 3, 4, seed=L)
    rng = np.random.default_rng(L)
    inputs, targets = rng.integers(0, 4, size=(N, L)), rng.integers(0, 4, size=(N, L))
    h0 = rng.normal(size=(N, 3)) if h0 else None
    loss, grads, h_last = net.loss_and_grads(inputs, targets, h0)
    loss_n, grads_n, h_last_n = net.loss_and_grads_naive(inputs, targets, h0)
    assert loss == loss_n
    np.testing.assert_array_equal(h_last, h_last_n)
    assert set(grads) == set(grads_n) == set(net.params)
    for k in grads:
        np.testing.assert_allclose(
            grads[k], grads_n[k], rtol=1e-12, atol=1e-14, err_msg=k
        )


def test_gradients_pass_finite_differences():
    net = make_net(3, 4, 3, seed=11)
    rng = np.random.default_rng(12)
    inputs, targets = rng.normal(size=(2, 5, 3)), rng.integers(0, 3, size=(2, 5))
    h0 = rng.normal(size=(2, 4))
    _, grads, _ = net.loss_and_grads(inputs, targets, h0)
    report = check_gradients(
        lambda: net.loss_and_grads(inputs, targets, h0)[0], net.params, grads
    )
    assert set(report.errors) == set(npnn.TORCH_NAMES)
    _, naive, _ = net.loss_and_grads_naive(inputs, targets, h0)
    check_gradients(
        lambda: net.loss_and_grads_naive(inputs, targets, h0)[0], net.params, naive
    )


def test_h_last_continues_the_sequence():
    """Two chunks fed with h_last in between give the loss of the whole sequence."""
    net = make_net(5, 3, 5, seed=0)
    rng = np.random.default_rng(1)
    inputs, targets = rng.integers(0, 5, size=(2, 8)), rng.integers(0, 5, size=(2, 8))
    whole, _, h_whole = net.loss_and_grads(inputs, targets)
    first, _, h_mid = net.loss_and_grads(inputs[:, :3], targets[:, :3])
    second, _, h_end = net.loss_and_grads(inputs[:, 3:], targets[:, 3:], h_mid)
    assert first + second == pytest.approx(whole, rel=1e-13)
    np.testing.assert_allclose(h_end, h_whole, rtol=1e-13)


def test_one_hot():
    np.testing.assert_array_equal(
        npnn.one_hot(np.array([[2, 0]]), 3), [[[0, 0, 1], [1, 0, 0]]]
    )
    with pytest.raises(ValueError, match=r"\[0, 2\], got values in \[0, 3\]"):
        npnn.one_hot(np.array([0, 3]), 3)
    with pytest.raises(TypeError, match="integer dtype, got dtype float64"):
        npnn.one_hot(np.array([0.0]), 3)


def test_bad_input_and_params():
    net = npnn.SoftmaxRNN(3, 4, 2)
    with pytest.raises(ValueError, match="call init_params"):
        net.loss_and_grads(np.zeros((1, 2), int), np.zeros((1, 2), int))
    net.init_params(np.random.default_rng(0))
    with pytest.raises(
        ValueError,
        match=r"expected inputs of shape \(N, L\) of class indices or "
        r"\(N, L, 3\) of floats, got \(1, 2, 5\)",
    ):
        net.forward(np.zeros((1, 2, 5)))
    with pytest.raises(TypeError, match="integer dtype, got dtype float64"):
        net.forward(np.zeros((1, 2)))
    with pytest.raises(TypeError, match="float16"):
        net.forward(np.zeros((1, 2, 3), np.float16))
    with pytest.raises(
        ValueError, match=r"expected targets of shape \(1, 2\) = \(N, L\), got \(2, 1\)"
    ):
        net.loss_and_grads(np.zeros((1, 2), int), np.zeros((2, 1), int))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):  # K = 2 classes
        net.loss_and_grads(np.zeros((1, 2), int), np.array([[0, 2]]))
    with pytest.raises(
        ValueError, match=r"expected h0 of shape \(1, 4\) = \(N, H\), got \(1, 3\)"
    ):
        net.loss_and_grads(
            np.zeros((1, 2), int), np.zeros((1, 2), int), np.zeros((1, 3))
        )
    bad = dict(net.params, weight_hy=np.zeros((2, 5)))
    with pytest.raises(
        ValueError,
        match=r"expected params\['weight_hy'\] of shape \(2, 4\), got \(2, 5\)",
    ):
        npnn.SoftmaxRNN(3, 4, 2, params=bad)
    with pytest.raises(ValueError, match="'bias_y'"):
        npnn.SoftmaxRNN(
            3, 4, 2, params={k: v for k, v in net.params.items() if k != "bias_y"}
        )
    with pytest.raises(
        ValueError,
        match=r"expected params\['weight_ih'\] of shape \(4, 2\), got \(4, 3\)",
    ):
        npnn.SoftmaxRNN(2, 4, 2, params=net.params)
