"""PyTorch's tests of its recurrent modules in ``test/test_nn.py``, run against
``torch.nn`` and against ``rnnbook.nn``.

The equivalent, test by test, of the RNN, LSTM and GRU tests of ``TestNN`` and
``TestNNDeviceType`` in PyTorch's ``test/test_nn.py`` (pytorch/pytorch at commit
74f2fa66feec, run here against torch 2.13.0, the version the book pins). Each test
runs twice: against ``torch.nn``, as a control that the port is right, and with
``rnnbook.nn``'s classes in their place. Each names the test of PyTorch it stands for;
PyTorch's BSD notice is in ``torch_recurrent_samples.py``.

Where PyTorch compares its CPU code with cuDNN (``_test_RNN_cpu_vs_cudnn``), the
library under test is compared here with ``torch.nn`` on the CPU, for the same
configurations (by default those of ``flag_rows``; ``RNNBOOK_TORCH_SUITE=full`` for
all). What cannot apply to a drop-in replacement, and why:

- ``test_rnn_weight_norm`` also counts the parameters in ``_flat_weights``, a private
  list of ``torch.nn.RNNBase`` that holds the weights for cuDNN; its public part (weight
  normalisation applied and removed, the parameters restored) is below;
- ``test_cudnn_weight_format`` checks cuDNN's warning about weights that are not one
  contiguous chunk of memory: there is no such chunk without cuDNN;
- ``test_pack_sequence_batch_sizes_throw`` tests ``PackedSequence`` itself (PyTorch's,
  which ``rnnbook.nn`` uses too), not a recurrent module;
- ``test_cudnn_rnn_dropout_states_device``, ``test_rnn_check_device`` across two GPUs
  and ``test_projections_lstm_check_device`` need two CUDA devices; the device checks
  they make are tested below on the CPU and the meta device;
- ``test_RNN_cpu_vs_cudnn_*``, ``test_RNN_cudnn_weight_norm``,
  ``test_partial_flat_weights``, ``test_cudnn_weight_tying`` and ``test_rnn_fused``
  need CUDA: their CPU part runs here, the CUDA part skips without a GPU.
"""

from __future__ import annotations

import io
import itertools
import re
import warnings
from copy import deepcopy

import pytest
import torch
import torch.nn.utils.rnn as rnn_utils
from single_thread import one_thread  # noqa: F401 (autouse: one CPU thread)
from torch.autograd import gradcheck, gradgradcheck
from torch_recurrent_samples import LIBS, flag_rows

pytestmark = LIBS  # every test runs against torch.nn and against rnnbook.nn
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
MODES = ("RNN", "GRU", "LSTM")


def test_RNN_cell(lib):
    for module in (lib.RNNCell, lib.GRUCell):
        for bias in (True, False):
            input, hx = torch.randn(3, 10), torch.randn(3, 20)
            cell = module(10, 20, bias=bias)
            for _ in range(6):
                hx = cell(input, hx)
            hx.sum().backward()


def test_RNN_cell_forward_zero_hidden_size(lib):
    input, hx = torch.randn(3, 10), torch.randn(3, 0)
    for cell in (
        lib.RNNCell(10, 0, nonlinearity="relu"),
        lib.RNNCell(10, 0, nonlinearity="tanh"),
        lib.GRUCell(10, 0),
    ):
        assert cell(input, hx).shape == torch.Size([3, 0])


def test_RNN_cell_no_broadcasting(lib):
    def check(module, input, hx, input_size=10, hidden_size=20):
        with pytest.raises(RuntimeError):
            module(input_size, hidden_size)(input, hx)

    def check_all(bad_hx, good_hx, input):
        check(lib.RNNCell, input, bad_hx)
        check(lib.GRUCell, input, bad_hx)
        check(lib.LSTMCell, input, (bad_hx, good_hx))
        check(lib.LSTMCell, input, (good_hx, bad_hx))

    input, good_hx = torch.randn(3, 10), torch.randn(3, 20)
    check_all(torch.randn(1, 20), good_hx, input)  # batch size
    check_all(torch.randn(3, 1), good_hx, input)  # hidden size
    check_all(good_hx, good_hx, torch.randn(3, 1))  # input size


def test_LSTM_cell(lib):
    for bias in (True, False):
        input, hx, cx = torch.randn(3, 10), torch.randn(3, 20), torch.randn(3, 20)
        lstm = lib.LSTMCell(10, 20, bias=bias)
        for _ in range(6):
            hx, cx = lstm(input, (hx, cx))
        (hx + cx).sum().backward()


def test_LSTM_cell_forward_input_size_and_hidden_size(lib):
    """``test_LSTM_cell_forward_input_size`` and ``..._hidden_size``."""
    lstm = lib.LSTMCell(10, 20)
    hx, cx = torch.randn(3, 20), torch.randn(3, 20)
    with pytest.raises(RuntimeError):  # PyTorch asserts Exception
        lstm(torch.randn(3, 11), (hx, cx))
    input, hx = torch.randn(3, 10), torch.randn(3, 21)
    for state in [(hx, cx), (cx, hx)]:
        with pytest.raises(RuntimeError):  # PyTorch asserts Exception
            lstm(input, state)


def test_cudnn_forward_exception(lib):
    """Runs on the CPU in PyTorch too: the words of the two errors."""
    rnns = [
        (lib.LSTM(10, 20, batch_first=True), (torch.zeros(1, 2, 19),) * 2),
        (
            lib.LSTM(10, 20, batch_first=True, proj_size=10),
            (torch.zeros(1, 2, 19), torch.zeros(1, 2, 19)),
        ),
        (lib.GRU(10, 20, batch_first=True), torch.zeros(1, 2, 19)),
        (lib.RNN(10, 20, batch_first=True), torch.zeros(1, 2, 19)),
    ]
    x_wrong, x_right = torch.randn(2, 3, 3), torch.randn(2, 3, 10)
    for rnn, hidden in rnns:
        with pytest.raises(RuntimeError, match="Expected hidden.*size.*got"):
            rnn(x_right, hidden)
        with pytest.raises(
            RuntimeError, match=re.escape("input.size(-1) must be equal to input_size")
        ):
            rnn(x_wrong)


def _update(shape, dim, size):
    shape = list(shape)
    shape[dim] = size
    return tuple(shape)


def test_rnn_args_check(lib):
    input_shape, hidden_shape, bad = (6, 4, 3), (2, 4, 5), 7
    for mode in MODES:
        for shape_x, shape_h in [
            (_update(input_shape, 1, bad), hidden_shape),  # input batch size
            (input_shape, _update(hidden_shape, 1, bad)),  # hidden batch size
            (_update(input_shape, 2, bad), hidden_shape),  # input size
            (input_shape, _update(hidden_shape, 2, bad)),  # hidden size
            (input_shape, _update(hidden_shape, 0, bad)),  # hidden[0]
        ]:
            input, hidden = torch.randn(shape_x), torch.randn(shape_h)
            cases = [hidden]
            if mode == "LSTM":
                good = torch.randn(hidden_shape)
                cases = [(hidden, hidden)] if shape_h == hidden_shape else []
                cases += (
                    [(hidden, good), (good, hidden)] if shape_h != hidden_shape else []
                )
            for hx in cases:
                with pytest.raises(RuntimeError):
                    getattr(lib, mode)(3, 5, 2)(input, hx)


def test_projections_lstm_args_check(lib):
    x, h, c, bad = (6, 4, 3), (2, 4, 2), (2, 4, 5), 7
    cases = [
        (_update(x, 1, bad), h, c),  # input batch size
        (x, _update(h, 1, bad), _update(c, 1, bad)),  # hidden batch size
        (_update(x, 2, bad), h, c),  # input size
        (x, _update(h, 2, bad), _update(c, 2, bad)),  # hidden size
        (x, _update(h, 0, bad), _update(c, 0, bad)),  # hidden[0]
        (x, _update(h, 0, 5), c),  # proj size = hidden size
        (x, _update(h, 0, bad), c),  # proj size != hidden size
        (x, h, _update(c, 0, bad)),  # cell size != hidden size
    ]
    for shape_x, shape_h, shape_c in cases:
        model = lib.LSTM(3, 5, 2, proj_size=2)
        with pytest.raises(RuntimeError):
            model(torch.randn(shape_x), (torch.randn(shape_h), torch.randn(shape_c)))


def test_rnn_initial_hidden_state(lib):
    for mode in MODES:
        rnn = getattr(lib, mode)(30, 20, 2)
        input, hidden = torch.randn(10, 32, 30), torch.zeros(2, 32, 20)
        if mode == "LSTM":
            hidden = (hidden, hidden)
        torch.testing.assert_close(rnn(input, hidden), rnn(input))


def test_projections_lstm_initial_hidden_state(lib):
    for bidir in (False, True):
        rnn = lib.LSTM(30, 20, 2, bidirectional=bidir, proj_size=10)
        D = 2 if bidir else 1
        input = torch.randn(10, 32, 30)
        hidden = (torch.zeros(2 * D, 32, 10), torch.zeros(2 * D, 32, 20))
        torch.testing.assert_close(rnn(input, hidden), rnn(input))


def test_projections_errors_on_gru_and_rnn(lib):
    msg = "proj_size argument is only supported for LSTM, not RNN or GRU"
    for mode in ("RNN", "GRU"):
        with pytest.raises(ValueError, match=msg):
            getattr(lib, mode)(30, 20, 2, proj_size=10)


def test_RNN_nonlinearity(lib):
    """``test_RNN_nonlinearity`` and ``test_RNN_nonlinearity_passed_as_arg``."""
    assert lib.RNN(1, 10).nonlinearity == "tanh"
    assert lib.RNN(1, 10, nonlinearity="relu").nonlinearity == "relu"
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        lib.RNN(1, 10, nonlinearity="garbage")
    assert lib.RNN(2, 3, 1, "relu").nonlinearity == "relu"


def _forward_backward(rnn, input_val, grad_output, hx_val, grad_hy, cx_val, grad_cy):
    """``forward_backward`` of ``_test_RNN_cpu_vs_cudnn``: outputs and gradients."""
    is_lstm = type(rnn).__name__ == "LSTM"
    if isinstance(input_val, rnn_utils.PackedSequence):
        input = rnn_utils.PackedSequence(
            input_val.data.clone().requires_grad_(True), input_val.batch_sizes
        )
        input_var = input.data
    else:
        input = input_var = input_val.clone().requires_grad_(True)
    if is_lstm:
        hx = (hx_val.clone().requires_grad_(True), cx_val.add(1).requires_grad_(True))
    else:
        hx = hx_val.clone().requires_grad_(True)
    output, hy = rnn(input, hx)
    if isinstance(output, rnn_utils.PackedSequence):
        output = output.data
    if is_lstm:
        torch.autograd.backward(
            [output, hy[0], hy[1]], [grad_output, grad_hy, grad_cy + 1]
        )
    else:
        torch.autograd.backward([output, hy], [grad_output, grad_hy])
    return {
        "output": output,
        "hy": hy[0] if is_lstm else hy,
        "cy": hy[1] if is_lstm else None,
        "grad_input": input_var.grad,
        "grad_hx": hx[0].grad if is_lstm else hx.grad,
        "grad_cx": hx[1].grad if is_lstm else None,
        "grad_weights": [[w.grad for w in layer] for layer in rnn.all_weights],
    }


def _noncontig(tensor):
    ndim = tensor.dim()
    return torch.stack([tensor.clone().zero_(), tensor], ndim).select(ndim, 1)


FLAG_NAMES = ("bias", "bidirectional", "batch_first", "contig", "variable_len", "lens")


def _configurations():
    """``(mode, flags, extra constructor arguments)``: the configurations of
    ``_test_RNN_cpu_vs_cudnn`` (``flag_rows`` of its six flags for each mode, the two
    nonlinearities, and the LSTM with projections)."""
    flags = flag_rows(6)
    for mode in MODES:
        yield from ((mode, dict(zip(FLAG_NAMES, f)), {}) for f in flags)
    for nonlinearity in ("tanh", "relu"):
        yield (
            "RNN",
            dict(zip(FLAG_NAMES, (True, False, False, True, False, False))),
            {"nonlinearity": nonlinearity},
        )
    yield from (("LSTM", dict(zip(FLAG_NAMES, f)), {"proj_size": 3}) for f in flags)


@pytest.mark.slow
@pytest.mark.parametrize("dropout", [0, 1])
def test_RNN_cpu_vs_reference(lib, dropout):
    """``_test_RNN_cpu_vs_cudnn`` (``test_RNN_cpu_vs_cudnn_no_dropout`` and
    ``_with_dropout``, which compares dropout 1 because it is deterministic), with
    ``torch.nn`` on the CPU as the reference instead of cuDNN."""
    dtype, input_size, hidden_size, num_layers, L, N = torch.double, 10, 6, 2, 7, 6
    torch.manual_seed(0)
    for mode, f, extra in _configurations():
        proj = extra.get("proj_size", 0)
        out_size, D = proj or hidden_size, 2 if f["bidirectional"] else 1
        shape_x = (N, L, input_size) if f["batch_first"] else (L, N, input_size)
        shape_y = shape_x[:2] + (D * out_size,)
        input_val = torch.randn(shape_x, dtype=dtype)
        grad_output = torch.randn(shape_y, dtype=dtype)
        hx_val = torch.randn(num_layers * D, N, out_size, dtype=dtype)
        grad_hy = torch.randn(num_layers * D, N, out_size, dtype=dtype)
        cx_val = torch.randn(num_layers * D, N, hidden_size, dtype=dtype)
        grad_cy = torch.randn(num_layers * D, N, hidden_size, dtype=dtype)
        if not f["contig"]:
            grad_output, grad_hy, grad_cy, input_val, hx_val, cx_val = map(
                _noncontig, (grad_output, grad_hy, grad_cy, input_val, hx_val, cx_val)
            )
        if f["variable_len"]:
            lengths = [7, 5, 5, 2, 1, 1]
            if f["lens"]:
                lengths = torch.tensor(lengths, dtype=torch.long)
            bf = f["batch_first"]
            input_val = rnn_utils.pack_padded_sequence(
                input_val, lengths, batch_first=bf
            )
            grad_output = rnn_utils.pack_padded_sequence(
                grad_output, lengths, batch_first=bf
            ).data
        kwargs = dict(bias=f["bias"], dropout=dropout, batch_first=f["batch_first"])
        kwargs.update(bidirectional=f["bidirectional"], **extra)
        args = (input_size, hidden_size, num_layers)
        ours = getattr(lib, mode)(*args, **kwargs).to(dtype)
        ref = getattr(torch.nn, mode)(*args, **kwargs).to(dtype)
        ref.load_state_dict(ours.state_dict())
        got, expected = [
            _forward_backward(
                m, input_val, grad_output, hx_val, grad_hy, cx_val, grad_cy
            )
            for m in (ours, ref)
        ]
        for key in expected:
            torch.testing.assert_close(got[key], expected[key], atol=5e-5, rtol=0)


def test_RNN_dropout(lib):
    """Dropout sits between the layers (PyTorch checks this with and without cuDNN;
    here on the CPU)."""
    for p, train in itertools.product((0, 0.276, 0.731, 1), (True, False)):
        rnn = lib.RNN(10, 1000, 2, bias=False, dropout=p, nonlinearity="relu")
        rnn = rnn.double().train(train)
        for name in ("weight_ih_l0", "weight_hh_l0", "weight_ih_l1", "weight_hh_l1"):
            getattr(rnn, name).data.fill_(1)
        input = torch.ones(1, 1, 10, dtype=torch.double)
        output, hy = rnn(input, torch.zeros(2, 1, 1000, dtype=torch.double))
        assert output.min() == output.max()
        value = output[0][0][0].item()
        if p == 0 or not train:
            assert value == 10000
        elif p == 1:
            assert value == 0
        else:
            assert 8000 < value < 12000
            denorm_mod = (value * (1 - p)) % 10
            assert min(denorm_mod, 10 - denorm_mod) < 1e-2
        assert hy[0].min() == hy[0].max() and hy[1].min() == hy[1].max()
        assert hy[0][0][0] == 10 and hy[1][0][0] == value


def test_error_RNN_seq_len_zero(lib):
    for module, bidirectional in itertools.product(MODES, (True, False)):
        rnn = getattr(lib, module)(5, 6, bidirectional=bidirectional)
        with pytest.raises(
            RuntimeError, match="Expected sequence length to be larger than 0 in RNN"
        ):
            rnn(torch.ones(0, 10, 5))


def test_RNN_input_size_zero(lib):
    for module in MODES:
        rnn = getattr(lib, module)(input_size=3, hidden_size=4)
        outs = rnn(torch.zeros((5, 0, 3)))
        assert outs[0].shape == torch.Size([5, 0, 4])
        outs[0].sum().backward()


def test_RNN_dropout_state(lib):
    for p, train in itertools.product((0, 0.1234), (True, False)):
        rnn = lib.RNN(100, 100, 2, bias=False, dropout=p, nonlinearity="relu")
        rnn.train(train)
        input, hx = torch.rand(1, 1, 100), torch.rand(2, 1, 100)
        output1, hy1 = rnn(input, hx)
        output2, hy2 = rnn(input, hx)
        buf = io.BytesIO()
        torch.save(rnn, buf)
        buf.seek(0)
        rnn2 = torch.load(buf, weights_only=False)
        rnn2.flatten_parameters()
        output3, hy3 = rnn2(input, hx)
        same = p == 0 or not train
        for a, b in [(output1, output2), (output1, output3), (hy1, hy2), (hy1, hy3)]:
            assert torch.equal(a, b) == same


def test_RNN_change_dropout(lib):
    for train in (True, False):
        rnn = lib.RNN(100, 100, 2, dropout=0, nonlinearity="relu").train(train)
        input, prev_output = torch.rand(3, 2, 100), None
        for p in (0, 0.5, 0, 0.7, 0.2, 1, 0.2, 0):
            rnn.dropout = p
            output1, hy1 = rnn(input)
            output2, hy2 = rnn(input)
            same = p == 0 or p == 1 or not train
            assert torch.equal(output1, output2) == same
            assert torch.equal(hy1, hy2) == same
            if prev_output is not None:
                assert torch.equal(output1, prev_output) == (not train)
                assert torch.equal(output2, prev_output) == (not train)
            prev_output = output1


def test_rnn_weight_norm(lib):
    """The public part of ``test_rnn_weight_norm`` (its count of ``_flat_weights`` is
    private to ``torch.nn``): weight normalisation applied to, then removed from, one
    weight leaves the other parameters alone and restores that one."""

    def check(module, name, num_params):
        module = torch.nn.utils.weight_norm(module, name=name)
        params = dict(module.named_parameters())
        assert name not in params and {name + "_g", name + "_v"} <= set(params)
        assert len(params) == num_params + 1
        module = torch.nn.utils.remove_weight_norm(module, name=name)
        params = dict(module.named_parameters())
        assert name in module._parameters and params[name] is not None
        assert name + "_v" not in params and name + "_g" not in params
        assert len(params) == num_params

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # weight_norm is deprecated
        check(lib.LSTM(32, 32), "weight_ih_l0", 4)
        check(lib.LSTM(32, 32, proj_size=16), "weight_hr_l0", 5)


def test_RNN_weight_norm_output(lib):
    """The CPU part of ``test_RNN_cudnn_weight_norm``: with weight normalisation, and
    after removing it, the output is unchanged."""
    input = torch.randn(7, 6, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for m, name in [
            (lib.LSTM(10, 6, 2), "weight_hh_l0"),
            (lib.LSTM(10, 6, 2, proj_size=3), "weight_hr_l0"),
        ]:
            expected = m(input)
            m = torch.nn.utils.weight_norm(m, name=name)
            torch.testing.assert_close(m(input), expected)
            m = torch.nn.utils.remove_weight_norm(m, name=name)
            torch.testing.assert_close(m(input), expected)


def test_partial_flat_weights(lib):
    """``test_partial_flat_weights`` without the move to CUDA: a module whose parameter
    was deleted converts, and works again once it is given back."""
    m = lib.LSTM(10, 6, 2)
    inp = torch.randn(3, 2, 10)
    expected = m(inp)[0]
    weight = m.weight_hh_l0
    del m.weight_hh_l0
    assert not hasattr(m, "weight_hh_l0")
    m.float()
    m.weight_hh_l0 = weight
    torch.testing.assert_close(m(inp)[0], expected)


def test_weight_tying(lib):
    """The CPU part of ``test_cudnn_weight_tying``: a bias shared by both directions
    gets the gradient of both, and after an optimiser step the module still computes
    what ``torch.nn`` does with the same tied weights."""
    configurations = [
        ("LSTM", {}),
        ("LSTM", {"proj_size": 10}),
        ("GRU", {}),
        ("RNN", {}),
    ]
    for mode, kwargs in configurations:
        kwargs.update(batch_first=True, bidirectional=True)
        ours = getattr(lib, mode)(10, 20, **kwargs)
        ref = getattr(torch.nn, mode)(10, 20, **kwargs)
        ref.load_state_dict(ours.state_dict())
        input = torch.randn(5, 4, 10)
        for rnn in (ours, ref):
            rnn.bias_ih_l0_reverse = rnn.bias_ih_l0
            opt = torch.optim.SGD(rnn.parameters(), lr=0.1)
            rnn(input)[0].sum().backward()
            opt.step()
        assert ours.bias_ih_l0_reverse is ours.bias_ih_l0
        torch.testing.assert_close(ours(input), ref(input))


def pad(var, length):
    if var.size(0) == length:
        return var
    return torch.cat([var, var.new_zeros(length - var.size(0), *var.size()[1:])])


def test_variable_sequence(lib):
    """``TestNNDeviceType.test_variable_sequence`` (float32 on the CPU)."""

    def index(hx, i):
        return None if hx is None else tuple(h[:, i : i + 1] for h in hx)

    def check_lengths(lengths, enforce_sorted, use_default_hiddens, proj_size):
        input_size, hidden_size, num_layers, D = 3, 4, 2, 2
        max_length = max(lengths)
        x_leaf = torch.randn(max_length, len(lengths), input_size, requires_grad=True)
        lstm = lib.LSTM(
            input_size, hidden_size, num_layers, bidirectional=True, proj_size=proj_size
        )
        lstm2 = deepcopy(lstm)
        hidden0 = None
        if not use_default_hiddens:
            real_hidden_size = proj_size or hidden_size
            hidden0 = (
                torch.randn(D * num_layers, len(lengths), real_hidden_size),
                torch.randn(D * num_layers, len(lengths), hidden_size),
            )
        # sequence by sequence
        seq_outs, seq_hiddens = [], []
        for i, length in enumerate(lengths):
            out, hid = lstm2(x_leaf[:length, i : i + 1], index(hidden0, i))
            seq_outs.append(pad(out, max_length))
            seq_hiddens.append(hid)
        seq_out = torch.cat(seq_outs, 1)
        seq_hidden = tuple(torch.cat(hids, 1) for hids in zip(*seq_hiddens))
        # packed
        packed = rnn_utils.pack_padded_sequence(
            x_leaf, lengths, enforce_sorted=enforce_sorted
        )
        packed_out, packed_hidden = lstm(packed, hidden0)
        unpacked, unpacked_len = rnn_utils.pad_packed_sequence(packed_out)
        prec = 1e-5  # dtype2prec_DONTUSE[torch.float]
        torch.testing.assert_close(packed_hidden, seq_hidden, atol=prec, rtol=0)
        torch.testing.assert_close(unpacked, seq_out, atol=prec, rtol=0)
        assert unpacked_len.tolist() == list(lengths)
        seq_out.sum().backward()
        grad_x = x_leaf.grad.clone()
        x_leaf.grad.zero_()
        unpacked.sum().backward()
        torch.testing.assert_close(x_leaf.grad, grad_x, atol=prec, rtol=0)
        for p1, p2 in zip(lstm.parameters(), lstm2.parameters()):
            torch.testing.assert_close(p1.grad, p2.grad, atol=prec, rtol=0)

    tests = [
        [True, [5]],
        [False, [5]],
        [True, [10, 10, 6, 2, 2, 1, 1]],
        [False, [10, 10, 6, 2, 2, 1, 1]],
        [False, [2, 1, 3, 2, 10, 5, 3]],
    ]
    torch.manual_seed(0)
    for enforce_sorted, seq_lens in tests:
        for use_default_hiddens, proj_size in itertools.product((True, False), (0, 2)):
            check_lengths(seq_lens, enforce_sorted, use_default_hiddens, proj_size)


def test_lstmcell_backward_only_one_output_grad(lib):
    """An undefined gradient (of h or of c) does not hamper the backward pass
    (PyTorch runs it on CUDA only; it holds on the CPU too)."""
    cell = lib.LSTMCell(2, 3).double()
    s = torch.randn(1, 2, dtype=torch.double, requires_grad=True)
    for i in range(2):
        cell(s)[i].sum().backward()
        assert s.grad is not None and s.grad.abs().sum().item() != 0


def _test_rnn_mod(mod, inp):
    def flatten_out(inp):
        out = mod(inp)
        return tuple(t if isinstance(t, torch.Tensor) else tt for t in out for tt in t)

    assert gradcheck(flatten_out, inp, check_batched_grad=False)
    assert gradgradcheck(flatten_out, inp, check_batched_grad=False)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_grad_and_gradgrad(lib, mode):
    """``test_LSTM_grad_and_gradgrad`` and ``test_GRU_grad_and_gradgrad``."""
    hsize = 4
    inp = torch.rand(1, 3, hsize, dtype=torch.float64, requires_grad=True)
    for bias in (True, False):
        _test_rnn_mod(getattr(lib, mode)(hsize, hsize, bias=bias).double(), inp)


def test_rnn_retain_variables(lib):
    """``test_rnn_retain_variables`` (float64 on the CPU)."""
    rnns = [
        lib.LSTM(10, 20, num_layers=2),
        lib.LSTM(10, 20, num_layers=2, proj_size=5),
        lib.GRU(10, 20, num_layers=2),
        lib.RNN(10, 20, num_layers=2),
    ]
    for rnn in rnns:
        rnn = rnn.double()
        input = torch.randn(5, 6, 10, dtype=torch.double, requires_grad=True)
        output = rnn(input)
        output[0].sum().backward(retain_graph=True)
        grads = [input.grad.clone()] + [p.grad.clone() for p in rnn.parameters()]
        for _ in range(4):
            rnn.zero_grad()
            input.grad.zero_()
            output[0].sum().backward(retain_graph=True)
            grads2 = [input.grad] + [p.grad for p in rnn.parameters()]
            torch.testing.assert_close(grads, grads2)


def test_rnn_check_device(lib):
    """The checks of ``test_rnn_check_device`` and
    ``test_projections_lstm_check_device`` (two CUDA devices in PyTorch), made here with
    the meta device in place of a second one."""
    x, h, c = torch.randn(6, 4, 3), torch.randn(2, 4, 5), torch.randn(2, 4, 5)
    msg = "Input and parameter tensors are not at the same device"
    for mode, kwargs in [(m, {}) for m in MODES] + [("LSTM", {"proj_size": 2})]:
        model = getattr(lib, mode)(3, 5, 2, **kwargs)
        state = (h[..., : kwargs.get("proj_size", 5)], c) if mode == "LSTM" else h
        with pytest.raises(RuntimeError, match=msg):
            model(x.to("meta"))
        with pytest.raises(RuntimeError, match=msg):
            getattr(lib, mode)(3, 5, 2, device="meta", **kwargs)(x)
        on_meta = (
            tuple(s.to("meta") for s in state) if mode == "LSTM" else state.to("meta")
        )
        with pytest.raises(RuntimeError, match="Input and hidden tensors are not at"):
            model(x, on_meta)


def _cpu(out):
    return tuple(_cpu(t) for t in out) if isinstance(out, tuple) else out.cpu()


@cuda
@pytest.mark.parametrize("mode", MODES)
def test_RNN_cpu_vs_cuda(lib, mode):
    """The CUDA part of ``_test_RNN_cpu_vs_cudnn``, for one configuration per mode:
    outputs and input gradients on the GPU as on the CPU."""
    cpu = getattr(lib, mode)(10, 6, 2, bidirectional=True).double()
    gpu = deepcopy(cpu).cuda()
    x = torch.randn(7, 6, 10, dtype=torch.double, requires_grad=True)
    x_gpu = x.detach().cuda().requires_grad_()
    out_cpu, out_gpu = cpu(x), gpu(x_gpu)
    torch.testing.assert_close(_cpu(out_gpu), out_cpu, atol=5e-5, rtol=0)
    out_cpu[0].sum().backward()
    out_gpu[0].sum().backward()
    torch.testing.assert_close(x_gpu.grad.cpu(), x.grad, atol=5e-5, rtol=0)


@cuda
def test_rnn_fused(lib):
    """``test_rnn_fused``: the cells on CUDA compute what they compute on the CPU."""
    for module in (lib.GRUCell, lib.LSTMCell):
        for bias in (True, False):
            cpu = module(10, 20, bias=bias).double()
            gpu = deepcopy(cpu).cuda()
            x = torch.randn(3, 10, dtype=torch.double)
            torch.testing.assert_close(_cpu(gpu(x.cuda())), cpu(x))
