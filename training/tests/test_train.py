"""Training tests on a tiny synthetic dataset: masks, conditioning dropout, loss, reproducibility."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from motif.masking import (  # noqa: E402
    DENSITY,
    MASK_TYPES,
    TEMPO,
    BatchSampler,
    Dataset,
    load_dataset,
    bars_after,
    make_synthetic_dataset,
    save_dataset,
)
from motif.model import ModelConfig, MotifDenoiser  # noqa: E402
from motif.train import PRESETS, balanced_loss, lr_at, to_torch, track_losses, train  # noqa: E402

CFG = ModelConfig.from_vocabulary(**PRESETS["tiny"])
SIZES = np.array(CFG.track_sizes)


@pytest.fixture(scope="module")
def ds():
    d = make_synthetic_dataset(num_pieces=48, seed=3)
    assert (d.track_mask == 0).any(), "synthetic data must contain absent tracks"
    return d


def sampler(ds, **kw):
    return BatchSampler(ds, CFG.track_sizes, CFG.num_styles, **kw)


def test_dataset_roundtrip(tmp_path, ds):
    p = tmp_path / "d.npz"
    save_dataset(p, ds)
    d2 = load_dataset(p)
    assert np.array_equal(d2.grids, ds.grids) and np.array_equal(d2.offsets, ds.offsets)
    assert np.array_equal(d2.cond, ds.cond) and np.array_equal(d2.track_mask, ds.track_mask)


def test_masks_never_cover_absent_tracks_or_padding(ds):
    s = sampler(ds)
    rng = np.random.default_rng(0)
    seen_types = set()
    for _ in range(40):
        b = s.sample(rng, 16)
        seen_types.update(b.mask_type.tolist())
        assert b.tokens.shape == b.targets.shape == b.loss_mask.shape and b.tokens.shape[1] % 4 == 0
        assert b.tokens.shape[1] <= 256
        for i in range(16):
            valid = ~np.repeat(b.key_padding[i], 4)
            # every loss cell is a masked input cell on a valid step
            assert np.all(b.tokens[i][b.loss_mask[i]] == np.broadcast_to(SIZES, b.tokens[i].shape)[b.loss_mask[i]])
            assert not b.loss_mask[i][~valid].any()
            assert np.all(b.tokens[i][~valid] == SIZES)
            # unmasked cells carry the truth and are within vocabulary
            vis = b.tokens[i] != SIZES
            assert np.all(b.tokens[i][vis] == b.targets[i][vis])
            assert np.all(b.targets[i] < SIZES)
            # at least one cell to learn from, bar positions in range
            assert b.loss_mask[i].any()
            assert b.bar_pos[i].max() < 16
    assert seen_types == set(range(len(MASK_TYPES)))


def test_absent_tracks_are_masked_and_excluded(ds):
    s = sampler(ds)
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(60):
        piece_rng_state = rng.bit_generator.state
        b = s.sample(rng, 8)
        # recover pieces: re-run the same draw
        rng2 = np.random.default_rng()
        rng2.bit_generator.state = piece_rng_state
        pieces = rng2.choice(s.pieces, size=8, p=s.weights)
        for i, p in enumerate(pieces):
            absent = ds.track_mask[p] == 0
            if absent.any():
                hits += 1
                assert not b.loss_mask[i][:, absent].any()
                assert np.all(b.tokens[i][:, absent] == SIZES[absent])
    assert hits > 0


def test_loss_ignores_absent_track_targets(ds):
    torch.manual_seed(0)
    model = MotifDenoiser(CFG)
    b = sampler(ds).sample(np.random.default_rng(2), 8)
    tb = to_torch(b)
    l1 = balanced_loss(*track_losses(model, tb))
    tb2 = dict(tb)
    t = tb["targets"].clone()
    t[~tb["loss_mask"]] = 0  # anything outside the loss mask must not matter
    tb2["targets"] = t
    l2 = balanced_loss(*track_losses(model, tb2))
    assert torch.allclose(l1, l2)


def test_condition_dropout_rates(ds):
    s = sampler(ds, cond_drop=0.15, style_drop=0.15, all_drop=0.1)
    rng = np.random.default_rng(4)
    styles, conds = [], []
    for _ in range(60):
        b = s.sample(rng, 32)
        styles.append(b.style)
        conds.append(b.cond)
    st = np.concatenate(styles)
    co = np.concatenate(conds)
    assert np.all((st.sum(1) == 0) | (st.sum(1) == 1))
    zero_style = (st.sum(1) == 0).mean()
    all_zero = ((st.sum(1) == 0) & (co == 0).all(1)).mean()
    assert 0.15 < zero_style < 0.35  # 0.1 + 0.9 * 0.15 = 0.235
    assert all_zero >= 0.07


def overlay_dataset() -> Dataset:
    """Tunes (melody, bass, harmony; no drums) of styles 0 and 3, a 3/4 tune, and drum-only pieces: style 0
    (tempo bucket 2 and 7), style 1, a 2-bar style-2 fill and a 3/4 style-4 piece. Each drum piece plays its own
    token, so an example's drum part says which piece it was cut from."""
    pieces = [  # (style, bars, steps per bar, track mask, tempo, drum token)
        (0, 8, 16, (1, 1, 1, 0), 2, 0),
        (3, 8, 16, (1, 1, 1, 0), 2, 0),
        (0, 8, 12, (1, 1, 1, 0), 2, 0),
        (0, 6 + 3 / 16, 16, (0, 0, 0, 1), 2, 11),  # 3 steps of a seventh bar
        (0, 6, 16, (0, 0, 0, 1), 7, 12),
        (1, 5, 16, (0, 0, 0, 1), 2, 21),
        (2, 2, 16, (0, 0, 0, 1), 2, 31),
        (4, 8, 12, (0, 0, 0, 1), 2, 41),
    ]
    grids, offsets = [], [0]
    for style, bars, spb, tm, _, drum in pieces:
        g = np.zeros((round(bars * spb), 4), dtype=np.int16)
        if tm[0]:
            g[:, 0] = np.where(np.arange(len(g)) % 4 == 0, 20, 1)
            g[:, 1] = np.where(np.arange(len(g)) % 8 == 0, 10, 1)
            g[:, 2] = 1
        else:
            g[::2, 3] = drum
        grids.append(g)
        offsets.append(offsets[-1] + len(g))
    n = len(pieces)
    cond = np.zeros((n, 5), dtype=np.int64)
    cond[:, TEMPO] = [p[4] for p in pieces]
    cond[:, DENSITY] = 2
    cond[:, 4] = [1 if p[2] == 16 else 2 for p in pieces]
    return Dataset(
        grids=np.concatenate(grids),
        offsets=np.array(offsets, dtype=np.int64),
        style=np.array([p[0] for p in pieces], dtype=np.int64),
        cond=cond,
        track_mask=np.array([p[3] for p in pieces], dtype=np.uint8),
        split=np.zeros(n, dtype=np.int64),
        source=np.zeros(n, dtype=np.int64),
        piece_names=[f"p{i}" for i in range(n)],
        sources=["test"],
        spb=np.array([p[2] for p in pieces], dtype=np.int64),
    )


def drawn_pieces(s: BatchSampler, rng: np.random.Generator, batch_size: int) -> np.ndarray:
    """The pieces the next s.sample(rng, batch_size) draws (its first use of rng), rng left untouched."""
    rng2 = np.random.default_rng()
    rng2.bit_generator.state = rng.bit_generator.state
    return rng2.choice(s.pieces, size=batch_size, p=s.weights)


def test_drum_overlay_lays_whole_bars_of_drum_pieces_over_tunes():
    ds = overlay_dataset()
    s = BatchSampler(ds, CFG.track_sizes, CFG.num_styles, overlay_prob=1.0, overlay_cross=0.0, cond_drop=0.0,
                     style_drop=0.0, all_drop=0.0, short_crop_prob=0.0)
    assert sorted(s.drum_pools) == [0, 1, 2]  # 4/4 drum pieces only
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(30):
        pieces = drawn_pieces(s, rng, 16)
        b = s.sample(rng, 16)
        for i, p in enumerate(pieces):
            drums = b.targets[i][~np.repeat(b.key_padding[i], 4), 3]
            if p in (0, 1):  # a 4/4 tune: always gets drums here, which it is taught to predict
                # style 0 has drums of its own; style 3 has none and borrows another style's
                assert b.drum_style[i] == 0 if p == 0 else b.drum_style[i] in (0, 1, 2)
                assert set(np.unique(drums)) - {0} <= {11, 21, 31}, "tempo bucket 2: never the bucket-7 piece"
                assert (drums > 0).any()
                assert not drums[1::2].any(), "whole bars only: every hit stays on an even step"
                seen.update(np.unique(drums).tolist())
                assert b.style[i].sum() == pytest.approx(1.0)
                if p == 0:
                    assert b.style[i, 0] == 1.0
            else:  # the 3/4 tune and the drum pieces are left as they are
                assert b.drum_style[i] == -1
                if p == 2:
                    assert not b.loss_mask[i][:, 3].any() and not (drums > 0).any()
            if ds.track_mask[p][3] and not ds.track_mask[p][0]:
                assert b.cond[i, DENSITY] == 0, "a drum piece's density is left unspecified"
            else:
                assert b.cond[i, DENSITY] == 2
    assert {11} <= seen
    # the overlaid drums are learned like any present track
    b = s.sample(np.random.default_rng(1), 64)
    assert b.loss_mask[b.drum_style >= 0][..., 3].any()


def test_drum_overlay_across_styles_blends_the_style_vector():
    ds = overlay_dataset()
    s = BatchSampler(ds, CFG.track_sizes, CFG.num_styles, overlay_prob=1.0, overlay_cross=1.0, cond_drop=0.0,
                     style_drop=0.0, all_drop=0.0)
    rng = np.random.default_rng(2)
    blends = 0
    for _ in range(20):
        pieces = drawn_pieces(s, rng, 16)
        b = s.sample(rng, 16)
        for i, p in enumerate(pieces):
            if p not in (0, 1):
                continue
            tune, drum = int(ds.style[p]), int(b.drum_style[i])
            assert drum != tune and drum in (0, 1, 2)
            assert 0.3 <= b.style[i, tune] <= 0.7
            assert b.style[i, drum] == pytest.approx(1.0 - b.style[i, tune])
            blends += 1
    assert blends > 0


def test_overlay_off_leaves_examples_as_they_are():
    ds = overlay_dataset()
    s = BatchSampler(ds, CFG.track_sizes, CFG.num_styles, cond_drop=0.0, style_drop=0.0, all_drop=0.0)
    rng = np.random.default_rng(3)
    for _ in range(10):
        pieces = drawn_pieces(s, rng, 16)
        b = s.sample(rng, 16)
        assert (b.drum_style == -1).all()
        for i, p in enumerate(pieces):
            assert b.cond[i, DENSITY] == 2, "density kept, the drum pieces' too"
            if not ds.track_mask[p][3]:
                assert not b.loss_mask[i][:, 3].any()


def test_no_overlay_without_drum_pieces(ds):
    s = sampler(ds, overlay_prob=1.0)
    assert not s.overlay_ok.any()
    b = s.sample(np.random.default_rng(0), 16)
    assert (b.drum_style == -1).all()


def test_bars_to_the_end_count_down_to_the_last_bar_of_whole_pieces():
    d = make_synthetic_dataset(num_pieces=24, seed=5, min_bars=2, max_bars=10)
    s = BatchSampler(d, CFG.track_sizes, CFG.num_styles, short_crop_prob=0.0, end_buckets=5, end_drop=0.0)
    rng = np.random.default_rng(0)
    for _ in range(5):
        pieces = drawn_pieces(s, rng, 8)
        b = s.sample(rng, 8)
        for i, p in enumerate(pieces):
            spb = int(s.spb[p])
            n = int(d.offsets[p + 1] - d.offsets[p])  # pieces of at most 10 bars: every crop is the whole piece
            bars = n // spb
            want = np.repeat(1 + np.minimum(np.arange(bars)[::-1], 3), spb)
            assert np.array_equal(b.to_end[i, :n], want)
            assert (b.to_end[i, n:] == 0).all(), "padding reads as unknown"


def test_a_segment_counts_the_bars_of_the_segments_after_it_and_the_end_is_dropped_sometimes():
    names = ["pop909/001#0", "pop909/001#1", "pop909/002#0", "jsb/000", "a#b#2", "a#b#10", "pop909/001#2"]
    lengths = np.array([64, 32, 48, 16, 24, 36, 16])
    spb = np.array([16, 16, 16, 16, 12, 12, 16])
    assert bars_after(names, lengths, spb).tolist() == [3, 1, 0, 0, 3, 0, 0]
    d = make_synthetic_dataset(num_pieces=24, seed=5, min_bars=2, max_bars=10)
    d.piece_names = [f"song{i // 2}#{i % 2}" for i in range(d.num_pieces)]  # even pieces: a segment follows
    s = BatchSampler(d, CFG.track_sizes, CFG.num_styles, short_crop_prob=0.0, end_buckets=3, end_drop=0.3)
    rng = np.random.default_rng(1)
    told, count = 0, 0
    for _ in range(40):
        pieces = drawn_pieces(s, rng, 16)
        b = s.sample(rng, 16)
        for i, p in enumerate(pieces):
            n = int(d.offsets[p + 1] - d.offsets[p])
            row = b.to_end[i, :n]
            count += 1
            if not row.any():
                continue
            told += 1
            last_bar = row[n - int(s.spb[p]) :]
            # the last bar of a segment another one follows is not the song's last bar
            assert (last_bar == (2 if p % 2 == 0 else 1)).all()
            assert (row[: n - int(s.spb[p])] == 2).all()
    assert 0.6 < told / count < 0.8  # end_drop 0.3
    off = BatchSampler(d, CFG.track_sizes, CFG.num_styles)
    assert not off.sample(np.random.default_rng(2), 16).to_end.any(), "models without the input: all unknown"


def test_loss_goes_down(ds):
    _, summary = train(ds, CFG, steps=50, batch_size=16, lr=3e-3, warmup=5, seed=0, val_every=0, quiet=True)
    h = summary["history"]
    assert np.mean(h[-10:]) < 0.7 * np.mean(h[:5]), h


def test_reproducible_given_seed_and_steps(ds):
    m1, s1 = train(ds, CFG, steps=6, batch_size=8, seed=11, val_every=0, quiet=True)
    m2, s2 = train(ds, CFG, steps=6, batch_size=8, seed=11, val_every=0, quiet=True)
    assert s1["history"] == s2["history"]
    for (k, a), (_, b) in zip(m1.state_dict().items(), m2.state_dict().items()):
        assert torch.equal(a, b), k


def test_time_budget_stops(ds):
    _, s = train(ds, CFG, minutes=0.02, batch_size=8, seed=0, val_every=0, quiet=True)
    assert s["seconds"] < 5 and s["steps"] >= 1


def test_lr_schedule():
    assert lr_at(0, 100, 1.0, 10) == pytest.approx(0.1)
    assert lr_at(9, 100, 1.0, 10) == pytest.approx(1.0)
    assert lr_at(100, 100, 1.0, 10) == pytest.approx(0.1)
    assert lr_at(55, 100, 1.0, 10) < lr_at(20, 100, 1.0, 10)
