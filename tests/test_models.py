"""Tests for rnnbook.models.SeqForecaster: shapes, parameter layout, equality with a
plain ``torch.nn`` model, the two backends agreeing, and clear errors for bad input."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rnnbook.models import SeqForecaster


class SeedModel(nn.Module):
    """The model as the seed writes it: reshape to (N * L, H), Linear, reshape back."""

    def __init__(self, layer, horizon=10):
        super().__init__()
        self.rnn = layer
        self.fc = nn.Linear(layer.hidden_size, horizon)

    def forward(self, x):
        out, _ = self.rnn(x)
        flat = out.contiguous().view(-1, out.size(-1))
        return self.fc(flat).view(x.size(0), -1, self.fc.out_features)


@pytest.mark.parametrize(
    "cell,layer", [("rnn", nn.RNN), ("lstm", nn.LSTM), ("gru", nn.GRU)]
)
def test_matches_the_seed_model(cell, layer):
    torch.manual_seed(0)
    seed = SeedModel(layer(1, 20, 2, batch_first=True))
    model = SeqForecaster(cell, input_size=1, hidden_size=20, num_layers=2, horizon=10)
    model.load_state_dict(seed.state_dict())
    x = torch.randn(4, 50, 1)
    out = model(x)
    assert out.shape == (4, 50, 10)
    torch.testing.assert_close(out, seed(x), rtol=0, atol=0)


@pytest.mark.parametrize("cell,gates", [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_parameter_names_and_count(cell, gates):
    H_in, H, layers, K = 3, 7, 2, 5
    model = SeqForecaster(
        cell, input_size=H_in, hidden_size=H, num_layers=layers, horizon=K
    )
    names = [name for name, _ in model.named_parameters()]
    assert names[:4] == [
        "rnn.weight_ih_l0",
        "rnn.weight_hh_l0",
        "rnn.bias_ih_l0",
        "rnn.bias_hh_l0",
    ]
    assert names[-2:] == ["fc.weight", "fc.bias"]
    G = gates * H
    expected = G * (H_in + H + 2) + (layers - 1) * G * (2 * H + 2) + K * (H + 1)
    assert sum(p.numel() for p in model.parameters()) == expected


def test_forecast_at_step_t_uses_only_the_past():
    torch.manual_seed(1)
    model = SeqForecaster("gru", hidden_size=8, horizon=3)
    x = torch.randn(2, 12, 1)
    changed = x.clone()
    changed[:, 6:] += 1.0  # change the future from step 7 (index 6) on
    torch.testing.assert_close(model(x)[:, :6], model(changed)[:, :6])
    assert not torch.allclose(model(x)[:, 6:], model(changed)[:, 6:])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_rnnbook_backend_agrees_with_torch(cell):
    torch.manual_seed(2)
    fast = SeqForecaster(cell, hidden_size=6, horizon=4).double()
    own = SeqForecaster(cell, hidden_size=6, horizon=4, backend="rnnbook").double()
    own.load_state_dict(fast.state_dict())
    x = torch.randn(3, 9, 1, dtype=torch.float64)
    torch.testing.assert_close(own(x), fast(x))
    fast.load_state_dict(own.state_dict())  # and back


def test_trains_on_a_tiny_problem():
    torch.manual_seed(3)
    model = SeqForecaster("lstm", hidden_size=8, num_layers=1, horizon=2)
    t = torch.linspace(0, 6, 22)
    series = torch.sin(t[None, :] + torch.rand(16, 1) * 6).unsqueeze(-1)  # (16, 22, 1)
    x, y = series[:, :20], torch.stack([series[:, 1:21, 0], series[:, 2:22, 0]], dim=-1)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    first = nn.functional.mse_loss(model(x), y).item()
    for _ in range(60):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    assert loss.item() < first / 5


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"cell": "transformer"}, "cell"),
        ({"backend": "keras"}, "backend"),
        ({"hidden_size": 0}, "hidden_size"),
        ({"horizon": 2.5}, "horizon"),
        ({"num_layers": True}, "num_layers"),
    ],
)
def test_bad_configuration(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SeqForecaster(**kwargs)


def test_bad_input_names_expected_and_received_shape():
    model = SeqForecaster("rnn", input_size=1)
    with pytest.raises(
        ValueError, match=r"expected x of shape \(N, L, 1\), got \(4, 50\)"
    ):
        model(torch.randn(4, 50))
    with pytest.raises(ValueError, match=r"got \(4, 50, 2\)"):
        model(torch.randn(4, 50, 2))
    with pytest.raises(TypeError, match="torch.Tensor"):
        model([[0.0]])
    with pytest.raises(ValueError, match="non-empty"):
        model(torch.randn(0, 5, 1))
