"""Tests for the objective evaluation: metrics, copy check, style classifier, evaluate CLI (synthetic data)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from motif import metrics as M
from motif.copy_check import CopyIndex
from motif.evaluate import main as evaluate_main
from motif.style_classifier import evaluate_real, train_classifier


def mel(pitch: int) -> int:
    return 2 + pitch - 48


def bass(pitch: int) -> int:
    return 2 + pitch - 28


def chord(root: int, q: int = 0) -> int:
    return 1 + root * 12 + q


def grid(T: int) -> np.ndarray:
    return np.zeros((T, 4), dtype=np.int64)


# ---------------------------------------------------------------------------------------------------------
# metrics


def test_c_major_scale_is_fully_diatonic():
    g = grid(32)
    for k, p in enumerate([60, 62, 64, 65, 67, 69, 71, 72]):
        g[4 * k, 0] = mel(p)
        g[4 * k + 1 : 4 * k + 4, 0] = 1
    assert M.scale_consistency(g, 16) == pytest.approx(1.0)
    assert M.notes_per_bar(g, 16) == pytest.approx(4.0)
    # a chromatic note lowers it: 7 of 8 in the best scale
    g[0, 0] = mel(61)
    assert M.scale_consistency(g, 16) == pytest.approx(7 / 8)


def test_entropy_uniform_twelve_pitch_classes():
    g = grid(48)
    for k in range(12):
        g[4 * k, 0] = mel(60 + k)
    assert M.pitch_class_entropy(g, 16) == pytest.approx(math.log2(12))
    g2 = grid(16)
    g2[0, 0] = g2[4, 0] = mel(60)
    assert M.pitch_class_entropy(g2, 16) == pytest.approx(0.0)


def test_chord_tone_ratio():
    g = grid(16)
    g[:, 2] = chord(0)  # C major all bar
    for k, p in enumerate([60, 64, 67, 72]):
        g[4 * k, 0] = mel(p)
    assert M.chord_tone_ratio(g, 16) == pytest.approx(1.0)
    g[4, 0] = mel(62)
    g[12, 0] = mel(65)
    assert M.chord_tone_ratio(g, 16) == pytest.approx(0.5)
    # onsets where no chord sounds are not counted
    g[8:, 2] = 0
    assert M.chord_tone_ratio(g, 16) == pytest.approx(0.5)  # C yes, D no
    # needs both melody and harmony
    assert M.chord_tone_ratio(g, 16, tracks=[True, True, False, True]) is None


def test_groove_consistency_and_empty_beats():
    bar = np.zeros((16, 4), dtype=np.int64)
    bar[0, 3] = 1
    bar[4, 3] = 2
    bar[8, 3] = 1
    bar[12, 3] = 2
    g = np.concatenate([bar] * 4)
    assert M.groove_consistency(g, 16) == pytest.approx(1.0)
    assert M.empty_beat_rate(g, 16) == pytest.approx(0.0)
    # alternate with a bar that adds 4 hits: each consecutive pair differs in 4 of 16 steps
    bar2 = bar.copy()
    bar2[[2, 6, 10, 14], 3] = 4
    g2 = np.concatenate([bar, bar2, bar, bar2])
    assert M.groove_consistency(g2, 16) == pytest.approx(1 - 4 / 16)
    # onsets only on the first beat of each bar: 3 of 4 beats empty
    g3 = grid(64)
    g3[::16, 0] = mel(60)
    g3[g3[:, 0] == 0, 0] = 1  # held notes are not onsets
    assert M.empty_beat_rate(g3, 16) == pytest.approx(0.75)
    # 3/4 with 12 steps per bar works the same
    assert M.groove_consistency(grid(48), 12) == pytest.approx(1.0)
    assert M.groove_consistency(grid(16), 16) is None  # one bar: undefined


def test_track_mask_restricts_metrics():
    g = grid(32)
    g[::4, 0] = mel(61)  # melody onsets every beat
    g[0, 3] = 1
    no_mel = [False, False, False, True]
    assert M.pitch_class_entropy(g, 16, no_mel) is None
    assert M.notes_per_bar(g, 16, no_mel) is None
    assert M.scale_consistency(g, 16, no_mel) is None
    assert M.empty_beat_rate(g, 16, no_mel) == pytest.approx(7 / 8)
    assert M.empty_beat_rate(g, 16) == pytest.approx(0.0)
    assert M.track_mask(["melody", "drums"]).tolist() == [True, False, False, True]
    d = M.all_metrics(g, 16, ["drums"])
    assert set(d) == set(M.METRIC_KEYS)
    assert d["pitch_class_entropy"] is None and d["chord_tone_ratio"] is None
    # chord changes count as harmony onsets; a held chord does not
    h = grid(16)
    h[:8, 2] = chord(0)
    h[8:, 2] = chord(7)
    assert M.notes_per_bar_by_track(h, 16)["harmony"] == pytest.approx(2.0)
    assert M.scale_consistency(grid(16), 16) is None  # no onsets: undefined


def test_diagnostics_leaps_bass_under_chord_changes_and_half_bar_changes():
    g = grid(32)
    for k, p in enumerate([60, 62, 64, 72, 71, 60, 62, 60]):  # steps 2, 2, 8, 1, 11, 2, 2
        g[4 * k, 0] = mel(p)
    assert M.melodic_leap(g, 16) == pytest.approx(28 / 7)
    assert M.wide_leap_share(g, 16) == pytest.approx(2 / 7)
    assert M.melodic_leap(g, 16, tracks=["bass"]) is None
    # chords: C (bar 1), F from the half bar, F through bar 2 (no change at its half bar); no chord at step 0 of bar 3
    h = grid(48)
    h[:8, 2] = chord(0)
    h[8:32, 2] = chord(5)
    h[40:, 2] = chord(7)
    h[0, 1] = bass(36)
    h[8, 1] = bass(41)
    h[9:40, 1] = 1  # F held across bar 2 and into bar 3's G chord at its half bar
    assert M.bass_on_chord_change(h, 16) == pytest.approx(1 / 2)  # F has a bass note, G has none
    # bar 1 changes at its half bar, bar 2 does not, bar 3 does (from no chord to G)
    assert M.half_bar_change(h, 16) == pytest.approx(2 / 3)
    assert M.half_bar_change(h, 12, beat_steps=4) is None  # 3/4: the half bar is no beat
    d = M.all_diagnostics(h, 16)
    assert set(d) == set(M.DIAGNOSTIC_KEYS)
    assert d["melodic_leap"] is None


# ---------------------------------------------------------------------------------------------------------
# synthetic data set


def _style_piece(rng, style: int, bars: int = 16) -> np.ndarray:
    """Style 0: diatonic quarter notes on C, four-on-the-floor. Style 1: off-beat 8ths from a minor/blue set,
    backbeat-only drums, minor chords."""
    g = grid(bars * 16)
    if style == 0:
        pcs = [0, 2, 4, 5, 7, 9, 11]
        for s in range(0, len(g), 4):
            g[s, 0] = mel(60 + int(rng.choice(pcs)))
            g[s + 1 : s + 4, 0] = 1
        g[::4, 3] = 1  # kick every beat
        g[:, 2] = chord(0)
        g[::8, 1] = bass(36)
    else:
        pcs = [0, 3, 5, 6, 7, 10]
        for s in range(2, len(g), 4):
            g[s, 0] = mel(60 + int(rng.choice(pcs)))
        g[4::8, 3] = 2  # snare on 2 and 4
        g[:, 2] = chord(9, 1)
        g[2::16, 1] = bass(33)
    return g


def _write_synthetic(path, rng, n_per_style: int = 24) -> None:
    grids, styles, splits, masks = [], [], [], []
    for s in (0, 1):
        for k in range(n_per_style):
            grids.append(_style_piece(rng, s))
            styles.append(s)
            splits.append(2 if k % 4 == 0 else 0)
            masks.append([1, 1, 1, 1])
    M.save_dataset(path, grids, styles, [1] * len(grids), masks, splits)


def test_copy_check_finds_planted_copy(tmp_path):
    rng = np.random.default_rng(1)
    pieces = []
    for _ in range(6):
        g = grid(16 * 12)
        g[::2, 0] = 2 + rng.integers(0, 48, size=len(g) // 2)  # random 8th-note melodies
        g[:, 2] = chord(int(rng.integers(12)))
        pieces.append(g)
    M.save_dataset(tmp_path / "d.npz", pieces, [0] * 6, [1] * 6, [[1, 1, 1, 1]] * 6, [0] * 6)
    data = M.load_dataset(tmp_path / "d.npz")
    index = CopyIndex(data, span_bars=4, min_onsets=6)

    clean = grid(16 * 8)
    clean[::2, 0] = 2 + rng.integers(0, 48, size=64)
    r = index.check_grid(clean, 16)
    assert r["melody_copies"] == 0 and r["melody_copies_any_offset"] == 0 and r["longest_copy_bars"] == 0

    planted = clean.copy()
    planted[32:32 + 80, 0] = pieces[3][48:128, 0]  # 5 bars of training piece 3, bar-aligned
    r = index.check_grid(planted, 16)
    assert r["melody_copies"] == 2  # 4-bar windows starting at bars 2 and 3
    assert r["longest_copy_bars"] == 5
    assert r["examples"][0]["piece"] == "p3"

    shifted = clean.copy()
    shifted[36:36 + 64, 0] = pieces[1][16:80, 0]  # 4 bars, off by one beat
    r = index.check_grid(shifted, 16)
    assert r["melody_copies"] == 0 and r["melody_copies_any_offset"] == 1

    # trivial spans (fewer than 6 onsets) are never reported
    sparse = grid(16 * 8)
    M.save_dataset(tmp_path / "e.npz", [sparse], [0], [1], [[1, 1, 1, 1]], [0])
    r = CopyIndex(M.load_dataset(tmp_path / "e.npz")).check_grid(sparse, 16)
    assert r["melody_copies_any_offset"] == 0 and r["longest_copy_bars"] == 0


def test_classifier_learns_two_synthetic_styles(tmp_path):
    rng = np.random.default_rng(0)
    _write_synthetic(tmp_path / "d.npz", rng)
    data = M.load_dataset(tmp_path / "d.npz")
    data.styles = ["a", "b"]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny model: one thread is fastest (and robust to a busy machine)
    try:
        model, info = train_classifier(data, steps=40, batch_size=32, lr=3e-3, seed=0, log_every=0,
                                       d_model=32, n_layers=1, n_heads=2, d_ff=64)
    finally:
        torch.set_num_threads(threads)
    ev = evaluate_real(model, data, split=2)
    assert ev["n"] > 0
    assert ev["accuracy"] > 0.9, ev


def test_evaluate_cli_end_to_end(tmp_path, capsys):
    rng = np.random.default_rng(2)
    _write_synthetic(tmp_path / "d.npz", rng, n_per_style=8)
    # dataset styles come from the vocabulary: indices 0, 1 = pop, folk
    gen = tmp_path / "generated.jsonl"
    with open(gen, "w") as f:
        for k in range(6):
            g = _style_piece(rng, 0, bars=8)
            f.write(json.dumps({"style": "pop", "learnedMix": {"pop": 1.0}, "stepsPerBar": 16, "steps": len(g),
                                "tokens": g.reshape(-1).tolist()}) + "\n")
            g = _style_piece(rng, 1, bars=8)
            f.write(json.dumps({"style": "mixed", "learnedMix": {"folk": 0.7, "pop": 0.3}, "stepsPerBar": 16,
                                "steps": len(g), "tokens": g.reshape(-1).tolist()}) + "\n")
    out = tmp_path / "report.md"
    assert evaluate_main(["--dataset", str(tmp_path / "d.npz"), "--generated", str(gen), "--out", str(out),
                          "--no-classifier", "--n-ref", "60"]) == 0
    text = out.read_text()
    assert "| pop | 6 |" in text and "| mixed | 6 |" in text
    assert "Metrics within ±15%" in text
    # pop clips are drawn from the same distribution as the pop data: scale consistency matches
    row = next(ln for ln in text.splitlines() if ln.startswith("| pop | 6 |"))
    assert row.count("✓") >= 4, row
    assert evaluate_main(["--dataset", str(tmp_path / "d.npz"), "--real-only", "--no-classifier", "--n-ref", "30"]) == 0
    assert "| pop | 8 |" in capsys.readouterr().out
