"""PyTorch's module tests (``test/test_modules.py``) of its six recurrent modules, run
against ``torch.nn`` and against ``rnnbook.nn``.

``TestModule`` in PyTorch's ``test/test_modules.py`` (pytorch/pytorch at commit
33263640046f; the module database is that of torch 2.13.0, the version the book
pins) runs a set of generic tests over every entry of its module database;
this file is the equivalent, test by test, for the entries ``RNN``, ``GRU``, ``LSTM``,
``RNNCell``, ``GRUCell`` and ``LSTMCell``, with the database's own sample and error
inputs (``torch_recurrent_samples.py``, which carries PyTorch's BSD notice). Each test
runs twice: against ``torch.nn``, as a control that the port is right, and with
``rnnbook.nn``'s classes in their place. Each test names the one of PyTorch it stands
for.

Written anew for pytest, on the CPU, because PyTorch's runner (its ``TestCase``, device
and dtype instantiation) needs PyTorch's test dependencies. To stay within the unit
suite's time, a default run takes, for the layers, the combinations of ``bias``,
``batch_first``, ``bidirectional`` (and ``nonlinearity``, ``proj_size``) in which
every two values meet, checks second derivatives on two samples with a state, and
differentiates with respect to all inputs and parameters at once;
``RNNBOOK_TORCH_SUITE=full`` runs every sample, both modes and every partial
derivative, as PyTorch does. What does not apply here:

- ``test_multiple_device_transfer`` and ``test_cpu_gpu_parity`` need a CUDA device:
  they are below and skip without one;
- ``test_check_inplace`` covers modules with an ``inplace`` argument: none of these;
- ``test_memory_format``'s channels-last variants apply to 4-D and 5-D inputs only;
  recurrent modules take 2-D and 3-D ones, so only its contiguous-format part runs.
"""

from __future__ import annotations

import io
import itertools
import warnings

import pytest
import torch
from single_thread import one_thread  # noqa: F401 (autouse: one CPU thread)
from torch.autograd import gradcheck, gradgradcheck
from torch_recurrent_samples import (
    FULL,
    KINDS,
    LAYERS,
    LIBS,
    batch_of_one,
    error_samples,
    flatten,
    samples,
)

pytestmark = LIBS  # every test runs against torch.nn and against rnnbook.nn

FLOATS = [torch.float32, torch.float64]
TRAINING = [True, False]  # the layers' train and eval modes differ (dropout)
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def build(lib, kind, sample, dtype=torch.float64, training=True, device="cpu"):
    module = getattr(lib, kind)(*sample.args, **sample.kwargs)
    module.to(device).to(dtype)
    module.train(training)
    return module


def assert_params_are(module, device, dtype):
    for name, p in module.named_parameters():
        assert p.device == torch.device(device), name
        assert p.dtype == dtype, name


def modes(kind):
    """Training flags: both for the layers, train only for the cells (as PyTorch's
    ``modules`` decorator does for entries whose train and eval modes agree)."""
    return TRAINING if kind in LAYERS else [True]


CASES = [(k, d, t) for k in KINDS for d in FLOATS for t in modes(k)]


@pytest.mark.parametrize("kind,dtype,training", CASES)
def test_forward(lib, kind, dtype, training):
    """``test_forward``: every sample runs, matches the reference (the unbatched call
    equals a batch of one), and ``float()`` / ``double()`` convert the parameters."""
    torch.manual_seed(0)
    for sample in samples(kind, dtype):
        m = build(lib, kind, sample, dtype, training)
        outputs = m(*sample.forward)
        torch.testing.assert_close(outputs, batch_of_one(sample, m))
        (m.float() if dtype == torch.float32 else m.double())(*sample.forward)
        assert_params_are(m, "cpu", dtype)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_factory_kwargs(lib, kind, dtype):
    """``test_factory_kwargs``: ``device`` and ``dtype`` given to the constructor reach
    every parameter it creates (on the meta device too)."""
    for sample in samples(kind, dtype):
        for device in ("cpu", "meta"):
            kwargs = dict(sample.kwargs, device=device, dtype=dtype)
            m = getattr(lib, kind)(*sample.args, **kwargs)
            assert len(list(m.parameters())) > 0
            assert_params_are(m, device, dtype)


@pytest.mark.parametrize("kind", KINDS)
def test_repr(lib, kind):
    """``test_repr``: ``repr`` and ``str`` work; here they must also read as
    ``torch.nn``'s do."""
    for sample in samples(kind):
        m = getattr(lib, kind)(*sample.args, **sample.kwargs)
        assert repr(m) == str(m)
        assert repr(m) == repr(getattr(torch.nn, kind)(*sample.args, **sample.kwargs))


@pytest.mark.parametrize("kind,dtype,training", CASES)
def test_pickle(lib, kind, dtype, training):
    """``test_pickle``: a module saved with ``torch.save`` and loaded back gives the
    same output."""
    torch.manual_seed(0)
    for sample in samples(kind, dtype):
        m = build(lib, kind, sample, dtype, training)
        output = m(*sample.forward)
        buffer = io.BytesIO()
        torch.save(m, buffer)
        buffer.seek(0)
        copy = torch.load(buffer, weights_only=False)
        torch.testing.assert_close(copy(*sample.forward), output)


def _non_contiguous(obj):
    if isinstance(obj, tuple):
        return tuple(_non_contiguous(o) for o in obj)
    out = torch.repeat_interleave(obj, 2, dim=-1)[..., ::2].detach()
    return out.requires_grad_(obj.requires_grad)


def _grads(module, inputs, outputs, grad_outputs):
    wanted = [t for t in flatten(inputs) if t.requires_grad] + list(module.parameters())
    return torch.autograd.grad(flatten(outputs), wanted, flatten(grad_outputs))


@pytest.mark.parametrize("kind,dtype,training", CASES)
def test_non_contiguous_tensors(lib, kind, dtype, training):
    """``test_non_contiguous_tensors``: non-contiguous inputs and upstream gradients
    give the same outputs and gradients as contiguous ones."""
    torch.manual_seed(0)
    for sample in samples(kind, dtype, requires_grad=True):
        m = build(lib, kind, sample, dtype, training)
        outputs = m(*sample.forward)
        grad_outputs = tuple(torch.randn_like(o) for o in flatten(outputs))
        grads = _grads(m, sample.forward, outputs, grad_outputs)
        non_contiguous = _non_contiguous(sample.forward)
        assert not flatten(non_contiguous)[0].is_contiguous()
        for args, g_out in itertools.product(
            [sample.forward, non_contiguous],
            [grad_outputs, _non_contiguous(grad_outputs)],
        ):
            outs = m(*args)
            torch.testing.assert_close(outs, outputs)
            torch.testing.assert_close(_grads(m, args, outs, g_out), grads)


def _gradient_checks(lib, kind, training, check):
    """``_test_gradients_helper``: the total derivative with respect to the inputs and
    all parameters, then (with RNNBOOK_TORCH_SUITE=full) the partial derivative with
    respect to each parameter alone; in float64, with PyTorch's ``gradcheck``
    defaults (fast mode, batched gradients)."""
    torch.manual_seed(0)
    chosen = samples(kind, torch.float64, requires_grad=True)
    if check is gradgradcheck and not FULL:  # by default two samples with a state
        with_state = [s for s in chosen if len(s.forward) == 2]
        chosen = [with_state[1], with_state[-1]]
    for sample in chosen:
        m = build(lib, kind, sample, torch.float64, training)
        params = tuple(m.parameters())
        flat, spec = torch.utils._pytree.tree_flatten(tuple(sample.forward) + params)
        n_args = len(sample.forward)

        def call(*flat_inputs, m=m, spec=spec, n_args=n_args):
            args = torch.utils._pytree.tree_unflatten(list(flat_inputs), spec)
            return tuple(flatten(m(*args[:n_args])))

        kwargs = dict(fast_mode=True, check_batched_grad=True)
        assert check(call, flat, **kwargs)
        if not FULL:
            continue
        for p in params:
            p.requires_grad_(False)
        for p in params:
            p.requires_grad_(True)
            assert check(call, flat, **kwargs)
            p.requires_grad_(False)


# the samples have no dropout: train and eval mode differ only with RNNBOOK_TORCH_SUITE
GRAD_CASES = [(k, t) for k in KINDS for t in (modes(k) if FULL else [True])]


@pytest.mark.slow
@pytest.mark.parametrize("kind,training", GRAD_CASES)
def test_grad(lib, kind, training):
    """``test_grad`` (float64 only, as in PyTorch)."""
    _gradient_checks(lib, kind, training, gradcheck)


@pytest.mark.slow
@pytest.mark.parametrize("kind,training", GRAD_CASES)
def test_gradgrad(lib, kind, training):
    """``test_gradgrad`` (float64 only, as in PyTorch)."""
    _gradient_checks(lib, kind, training, gradgradcheck)


@pytest.mark.parametrize("kind,dtype,training", CASES)
def test_memory_format(lib, kind, dtype, training):
    """``test_memory_format`` (contiguous format: the inputs are 2-D and 3-D): the
    outputs, and in training mode the gradients, are contiguous."""
    torch.manual_seed(0)
    for sample in samples(kind, dtype, requires_grad=True):
        m = build(lib, kind, sample, dtype, training)
        outputs = flatten(m(*sample.forward))
        assert all(o.is_contiguous() for o in outputs)
        if training:
            grads = _grads(
                m, sample.forward, outputs, [torch.rand_like(o) for o in outputs]
            )
            assert all(g.is_contiguous() for g in grads)


@pytest.mark.parametrize("kind", KINDS)
def test_if_train_and_eval_modes_differ(lib, kind):
    """``test_if_train_and_eval_modes_differ``: a cell's forward never reads
    ``training`` (its entry says train and eval agree); a layer may (dropout)."""
    for sample in samples(kind, torch.float32):
        m = build(lib, kind, sample, torch.float32)
        del m.training
        try:
            m(*sample.forward)
        except AttributeError as err:
            assert "'training'" in str(err) and kind in LAYERS


@pytest.mark.parametrize("kind", KINDS)
def test_device_ctx_init(lib, kind):
    """``test_device_ctx_init``: built inside ``torch.device('meta')``, the module has
    meta parameters of the same shapes and dtypes as one built on the CPU."""
    for sample in samples(kind, torch.float32):
        on_cpu = getattr(lib, kind)(*sample.args, **sample.kwargs)
        with torch.device("meta"):
            on_meta = getattr(lib, kind)(*sample.args, **sample.kwargs)
        for p_meta, p_cpu in zip(on_meta.parameters(), on_cpu.parameters()):
            assert p_meta.is_meta
            assert (p_meta.shape, p_meta.dtype) == (p_cpu.shape, p_cpu.dtype)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_errors(lib, kind, dtype):
    """``test_errors``: each error sample raises PyTorch's exception class with a
    message that matches PyTorch's regular expression."""
    torch.manual_seed(0)
    for e in error_samples(kind, dtype):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if e.forward is None:
                with pytest.raises(e.error, match=e.regex):
                    getattr(lib, kind)(*e.args, **e.kwargs)
            else:
                m = getattr(lib, kind)(*e.args, **e.kwargs)
                with pytest.raises(e.error, match=e.regex):
                    m(*e.forward)


def _to(obj, device):
    if isinstance(obj, tuple):
        return tuple(_to(o, device) for o in obj)
    return obj.detach().to(device).requires_grad_(obj.requires_grad)


@cuda
@pytest.mark.parametrize("kind,dtype,training", CASES)
def test_cpu_gpu_parity(lib, kind, dtype, training):
    """``test_cpu_gpu_parity``: the same module on the CPU and on the GPU gives the
    same outputs and gradients."""
    torch.manual_seed(0)
    for sample in samples(kind, dtype, requires_grad=True):
        cpu = build(lib, kind, sample, dtype, training)
        gpu = build(lib, kind, sample, dtype, training, device="cuda")
        gpu.load_state_dict(cpu.state_dict())
        args_gpu = _to(sample.forward, "cuda")
        out_cpu, out_gpu = cpu(*sample.forward), gpu(*args_gpu)
        torch.testing.assert_close(_to(out_gpu, "cpu"), out_cpu, atol=4e-4, rtol=0)
        g = [torch.randn_like(o) for o in flatten(out_cpu)]
        grads_cpu = _grads(cpu, sample.forward, out_cpu, g)
        grads_gpu = _grads(gpu, args_gpu, out_gpu, [t.cuda() for t in g])
        torch.testing.assert_close(_to(grads_gpu, "cpu"), grads_cpu, atol=4e-4, rtol=0)


@cuda
@pytest.mark.parametrize("kind", KINDS)
def test_multiple_device_transfer(lib, kind):
    """``test_multiple_device_transfer``: GPU, CPU, GPU again, with the parameters on
    the device of each call."""
    torch.manual_seed(0)
    for sample in samples(kind, torch.float32):
        m = build(lib, kind, sample, torch.float32, device="cuda")
        m(*_to(sample.forward, "cuda"))
        assert_params_are(m, "cuda:0", torch.float32)
        m.cpu()(*sample.forward)
        assert_params_are(m, "cpu", torch.float32)
        m.cuda()(*_to(sample.forward, "cuda"))
        assert_params_are(m, "cuda:0", torch.float32)
