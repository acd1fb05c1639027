"""rnnbook.seq2seq and rnnbook.transduction: the encoder-decoder with and without
attention, and the reversal data it learns from."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnbook import transduction as td
from rnnbook.seq2seq import ATTENTIONS, Seq2Seq


def _pairs(n=6, seed=0):
    return td.encode_pairs(*td.reversal(n, 1, 5, rng=seed))


def _model(attention, seed=0):
    torch.manual_seed(seed)
    return Seq2Seq(embed_size=6, hidden_size=8, attention=attention).eval()


# ----------------------------------------------------------------------- the data
def test_reversal_is_seeded_and_reversed():
    src, tgt = td.reversal(50, 2, 7, rng=3)
    src2, _ = td.reversal(50, 2, 7, rng=3)
    assert all(torch.equal(a, b) for a, b in zip(src, src2))
    assert {len(s) for s in src} <= set(range(2, 8)) and len({len(s) for s in src}) > 3
    for s, t in zip(src, tgt):
        assert s.dtype == torch.int64 and torch.equal(t, s.flip(0))
        assert ((s >= 3) & (s <= 12)).all()


def test_encode_pairs_adds_start_and_end_tokens():
    p = td.encode_pairs(
        [torch.tensor([3, 4, 5]), torch.tensor([7])],
        [
            torch.tensor([5, 4, 3]),
            torch.tensor([7]),
        ],
    )
    assert p.x.tolist() == [[3, 4, 5], [7, 0, 0]] and p.lengths.tolist() == [3, 1]
    assert p.dec_in.tolist() == [[td.START, 5, 4, 3], [td.START, 7, 0, 0]]
    assert p.dec_out.tolist() == [[5, 4, 3, td.END], [7, td.END, 0, 0]]
    assert td.show(p.dec_in[0]) == "<s> 2 1 0" and td.show(p.dec_out[1]) == "4 </s>"
    with pytest.raises(ValueError, match="same length"):
        td.encode_pairs([torch.tensor([3])], [])


def test_batches_cover_the_data_and_trim_the_padding():
    p = _pairs(23)
    seen, loader = 0, td.Batches(p, 5, shuffle=True, seed=1)
    assert len(loader) == 5
    for (x, lengths, dec_in), dec_out in loader:
        assert x.shape[1] == lengths.max() and dec_in.shape == dec_out.shape
        assert dec_out.shape[1] == lengths.max() + 1  # reversal: L' = L
        seen += len(x)
    assert seen == 23
    again = td.Batches(p, 5, shuffle=True, seed=1)
    first = next(iter(again))[1]
    assert torch.equal(first, next(iter(td.Batches(p, 5, shuffle=True, seed=1)))[1])
    assert not torch.equal(first, next(iter(again))[1])  # the next epoch, reshuffled


def test_accuracies_and_loss_ignore_the_padding():
    targets = torch.tensor([[5, 6, td.END], [7, td.END, 0]])
    pred = torch.tensor([[5, 6, td.END, 0], [7, 9, 4, 4]])
    tok, exact = td.accuracies(pred, targets)
    assert tok == pytest.approx(4 / 5) and exact == 0.5
    assert td.accuracies(pred[:, :1], targets) == (pytest.approx(2 / 5), 0.0)
    logits = torch.randn(2, 3, 13)
    noisy = logits.clone()
    noisy[1, 2] = 100.0
    assert td.sequence_loss(logits, targets) == td.sequence_loss(noisy, targets)


def test_reversal_rejects_bad_lengths():
    with pytest.raises(ValueError, match="max_len"):
        td.reversal(3, 5, 4)
    with pytest.raises(ValueError, match="n to be an integer"):
        td.reversal(np.float64(3), 1, 4)


# ----------------------------------------------------------------------- the models
@pytest.mark.parametrize("attention", ATTENTIONS)
def test_teacher_forcing_equals_stepping(attention):
    model, p = _model(attention), _pairs()
    with torch.no_grad():
        logits = model(p.x, p.lengths, p.dec_in)  # (N, L', K)
        state = model.start(p.x, p.lengths)
        for i in range(p.dec_in.shape[1]):
            step_logits, state = model.step(p.dec_in[:, i], state)
            torch.testing.assert_close(logits[:, i], step_logits)
    assert logits.shape == (*p.dec_in.shape, td.VOCAB_SIZE)


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_a_sequence_decodes_the_same_alone_and_in_a_padded_batch(attention):
    model, p = _model(attention), _pairs(8, seed=2)
    tokens, alpha = model.generate(p.x, p.lengths, max_len=7)
    for n in range(len(p.x)):
        L = int(p.lengths[n])
        alone, alone_alpha = model.generate(p.x[n : n + 1, :L], p.lengths[n : n + 1], 7)
        T = alone.shape[1]
        assert torch.equal(tokens[n, :T], alone[0])
        torch.testing.assert_close(alpha[n, :T, :L], alone_alpha[0], atol=1e-6, rtol=0)


@pytest.mark.parametrize("attention", ["additive", "multiplicative", "dot"])
def test_attention_weights_live_on_the_real_source_positions(attention):
    model, p = _model(attention), _pairs(8, seed=3)
    _, alpha = model.generate(p.x, p.lengths, max_len=4)  # (N, T, L)
    mask = torch.arange(p.x.shape[1]) < p.lengths[:, None]
    assert (alpha.masked_select(~mask[:, None, :]) == 0).all()
    torch.testing.assert_close(alpha.sum(-1), torch.ones(alpha.shape[:2]))


def test_without_attention_the_weights_are_zero_and_the_decoder_sees_only_h_L():
    model, p = _model(None), _pairs(4)
    _, alpha = model.generate(p.x, p.lengths)
    assert (alpha == 0).all()
    state = model.start(p.x, p.lengths)
    scrambled = state._replace(values=torch.randn_like(state.values))
    torch.testing.assert_close(
        model.step(p.dec_in[:, 0], state)[0], model.step(p.dec_in[:, 0], scrambled)[0]
    )


def test_config_rebuilds_the_model_and_bad_attention_is_rejected():
    model = _model("additive")
    again = Seq2Seq(**model.config)
    again.load_state_dict(model.state_dict())
    with pytest.raises(ValueError, match="attention"):
        Seq2Seq(attention="cosine")
    with pytest.raises(ValueError, match=r"\(N, L\)"):
        model.start(torch.zeros(3, dtype=torch.long), torch.tensor([3]))


# ----------------------------------------------------------------------- the checkpoint
def test_save_and_load_round_trip(tmp_path):
    from rnnbook.selfattention import RecurrentTagger, SelfAttentionTagger
    from rnnbook.seq2seq import load_checkpoint, save_checkpoint

    torch.manual_seed(0)
    models = {
        "s": _model("additive"),
        "t": SelfAttentionTagger(10, 10, d_model=8, nhead=2, max_len=5),
        "r": RecurrentTagger(10, 10, hidden_size=4),
    }
    save_checkpoint(tmp_path / "m.pt", models, {"s": {"best_epoch": 3}}, seed=7)
    loaded, histories, meta = load_checkpoint(tmp_path / "m.pt")
    assert meta == {"seed": 7} and histories["s"] == {"best_epoch": 3}
    for name, model in models.items():
        assert type(loaded[name]) is type(model) and not loaded[name].training
        for (k, v), (k2, v2) in zip(
            model.state_dict().items(), loaded[name].state_dict().items()
        ):
            assert k == k2 and torch.equal(v, v2)
    with pytest.raises(FileNotFoundError, match="make attention-models"):
        load_checkpoint(tmp_path / "missing.pt")


def test_the_committed_checkpoint_holds_what_the_chapter_reads():
    from rnnbook.seq2seq import load_checkpoint

    models, histories, meta = load_checkpoint()  # checkpoints/attention.pt
    assert set(models) == {
        "plain",
        "wide",
        "additive",
        "multiplicative",
        "bigru",
        "selfattention",
        "selfattention_nopos",
    }
    assert meta["settings"]["epochs"] == 20 and meta["seeds"]["seq2seq_test"] == 2
    assert all(len(histories[n]["val_exact"]) == 20 for n in ("plain", "additive"))
    pairs = td.encode_pairs(*td.reversal(300, 15, 20, rng=123))  # long inputs only
    exact = {}
    for name in ("plain", "additive", "multiplicative"):
        pred, _ = models[name].generate(pairs.x, pairs.lengths)
        exact[name] = td.accuracies(pred, pairs.dec_out)[1]
    assert exact["additive"] > 0.97 and exact["multiplicative"] > 0.97, exact
    assert exact["plain"] < 0.5, exact  # the bottleneck
