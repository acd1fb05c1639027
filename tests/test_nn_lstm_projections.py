"""rnnbook.nn.LSTM with projections (``proj_size``, Sak et al. 2014) against the oracle
torch.nn.LSTM, in float64: outputs, states (h with ``proj_size`` features, c with
``hidden_size``) and every gradient on random configurations; parameters named,
shaped, registered and initialised as torch's; stacked, bidirectional, packed input,
dropout; second derivatives."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from single_thread import one_thread  # noqa: F401 (autouse: one CPU thread)
from test_nn_layers import F64, as_tuple, assert_same, check_against_torch, make_pair
from torch.nn.utils.rnn import pack_padded_sequence

import rnnbook.nn


@settings(max_examples=30, deadline=None)
@given(
    num_layers=st.integers(1, 3),
    bidirectional=st.booleans(),
    batch_first=st.booleans(),
    bias=st.booleans(),
    batched=st.booleans(),
    with_state=st.booleans(),
    N=st.integers(1, 3),
    L=st.integers(1, 5),
    H_in=st.integers(1, 4),
    H_and_P=st.integers(2, 5).flatmap(
        lambda H: st.tuples(st.just(H), st.integers(1, H - 1))
    ),
    mine_first=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_projections_match_torch_random_configs(H_and_P, **config):
    H, P = H_and_P  # 0 < proj_size < hidden_size
    check_against_torch("LSTM", H=H, proj_size=P, **config)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_parameters_names_shapes_order_and_init_match(bidirectional, bias):
    kwargs = dict(input_size=3, hidden_size=5, num_layers=3, bias=bias, proj_size=2)
    kwargs["bidirectional"] = bidirectional
    torch.manual_seed(7)
    ref = torch.nn.LSTM(**kwargs)
    torch.manual_seed(7)
    mine = rnnbook.nn.LSTM(**kwargs)
    ref_params, my_params = list(ref.named_parameters()), list(mine.named_parameters())
    assert [n for n, _ in my_params] == [n for n, _ in ref_params]
    assert "weight_hr_l2_reverse" in dict(my_params) or not bidirectional
    for (_, a), (_, b) in zip(ref_params, my_params):  # same seed, same draws
        assert a.shape == b.shape and torch.equal(a, b)
    assert all(p.abs().max() <= 1 / 5**0.5 for p in mine.parameters())  # 1/sqrt(H)
    assert repr(mine) == repr(ref)
    assert mine.proj_size == 2 and mine.weight_hh_l1.shape == (20, 2)
    for ours, theirs in zip(mine.all_weights, ref.all_weights):
        assert [tuple(p.shape) for p in ours] == [tuple(p.shape) for p in theirs]
        assert all(torch.equal(a, b) for a, b in zip(ours, theirs))


def test_state_shapes():
    lstm = rnnbook.nn.LSTM(3, 6, num_layers=2, bidirectional=True, proj_size=4)
    out, (h_n, c_n) = lstm(torch.randn(5, 2, 3))
    assert out.shape == (5, 2, 8) and h_n.shape == (4, 2, 4) and c_n.shape == (4, 2, 6)
    out, (h_n, c_n) = lstm(torch.randn(5, 3))  # unbatched
    assert out.shape == (5, 8) and h_n.shape == (4, 4) and c_n.shape == (4, 6)
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(4, 2, 4\)"):
        lstm(torch.randn(5, 2, 3), (torch.zeros(4, 2, 6), torch.zeros(4, 2, 6)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(4, 2, 6\)"):
        lstm(torch.randn(5, 2, 3), (torch.zeros(4, 2, 4), torch.zeros(4, 2, 4)))


@pytest.mark.parametrize("enforce_sorted", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("dropout", [0.0, 0.4])
def test_packed_input_and_dropout_match_torch(enforce_sorted, bidirectional, dropout):
    """Packed input with an initial state, and in training mode the dropout mask that
    torch.nn draws (the same seed drops the same units)."""
    ref, mine = make_pair(
        "LSTM",
        input_size=3,
        hidden_size=5,
        num_layers=3,
        dropout=dropout,
        bidirectional=bidirectional,
        batch_first=True,
        proj_size=2,
    )
    D = 2 if bidirectional else 1
    lengths = torch.tensor([6, 4, 3, 1] if enforce_sorted else [3, 6, 1, 4])
    x = torch.randn(4, 6, 3, dtype=F64, requires_grad=True)
    h0 = torch.randn(3 * D, 4, 2, dtype=F64, requires_grad=True)
    c0 = torch.randn(3 * D, 4, 5, dtype=F64, requires_grad=True)
    results = []
    for module in (ref, mine):
        module.train()
        torch.manual_seed(11)
        packed = pack_padded_sequence(
            x, lengths, batch_first=True, enforce_sorted=enforce_sorted
        )
        out, state = module(packed, (h0, c0))
        loss = out.data.square().sum() + sum(s.sum() for s in as_tuple(state))
        grads = torch.autograd.grad(loss, [x, h0, c0, *module.parameters()])
        results.append(([out.data, *as_tuple(state)], grads))
    assert_same(results[0][0], results[1][0])
    assert_same(results[0][1], results[1][1])


def test_dropout_eval_mode_equals_torch_and_one_cuts_layers():
    ref, mine = make_pair(
        "LSTM", input_size=3, hidden_size=4, num_layers=2, dropout=1.0, proj_size=3
    )
    x1, x2 = torch.randn(5, 2, 3, dtype=F64), torch.randn(5, 2, 3, dtype=F64)
    ref.eval(), mine.eval()
    assert_same(ref(x1)[0:1], mine(x1)[0:1])
    mine.train()  # p = 1: the top layer sees only zeros
    torch.testing.assert_close(mine(x1)[0], mine(x2)[0], rtol=0, atol=0)


def test_second_derivatives_pass_gradgradcheck():
    torch.manual_seed(5)
    lstm = rnnbook.nn.LSTM(2, 3, bidirectional=True, proj_size=2, dtype=F64)
    w_hr = lstm.weight_hr_l0.detach().clone()

    def outputs(x, h0, c0, w_hr):
        out, (h, c) = torch.func.functional_call(
            lstm, {"weight_hr_l0": w_hr}, (x, (h0, c0))
        )
        return out, h, c

    inputs = (
        torch.randn(3, 2, 2, dtype=F64),
        torch.randn(2, 2, 2, dtype=F64),
        torch.randn(2, 2, 3, dtype=F64),
        w_hr,
    )
    assert torch.autograd.gradgradcheck(
        outputs, tuple(t.requires_grad_() for t in inputs)
    )


def test_load_state_dict_both_ways_and_sizes_are_checked():
    ref = torch.nn.LSTM(3, 5, num_layers=2, proj_size=2)
    mine = rnnbook.nn.LSTM(3, 5, num_layers=2, proj_size=2)
    mine.load_state_dict(ref.state_dict(), strict=True)
    ref.load_state_dict(mine.state_dict(), strict=True)
    with pytest.raises(RuntimeError, match="Unexpected key.*weight_hr_l0"):
        rnnbook.nn.LSTM(3, 5, num_layers=2).load_state_dict(ref.state_dict())
    for bad, words in [
        (5, "proj_size has to be smaller than hidden_size"),
        (-1, "proj_size should be a positive integer or zero"),
    ]:
        with pytest.raises(ValueError, match=words):
            rnnbook.nn.LSTM(3, 5, proj_size=bad)
        with pytest.raises(ValueError, match=words):
            torch.nn.LSTM(3, 5, proj_size=bad)
