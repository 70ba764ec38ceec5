"""Context probes (motif.context_probe) against fake denoisers whose predictions are known."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from motif.context_probe import chord_continues, melody_leap, neighbour_chord  # noqa: E402
from motif.metrics import BASS, HARM, MEL, MEL_LO  # noqa: E402
from motif.model import load_vocabulary  # noqa: E402

VOCAB = load_vocabulary()
SIZES = [VOCAB[t]["size"] for t in VOCAB["tracks"]]
STYLES = list(VOCAB["learnedStyles"])
C, F, G = 1, 1 + 5 * 12, 1 + 7 * 12


class Fake:
    """Logits of 0 everywhere, `favoured(track, tokens)` tokens at +20 (per row and step), recording its inputs."""

    def __init__(self, favoured):
        self.sizes = SIZES
        self.num_styles = len(STYLES)
        self.favoured = favoured
        self.seen = []

    def __call__(self, tokens, bar_pos, style, cond):
        self.seen.append(tokens.copy())
        n, steps = tokens.shape[:2]
        out = []
        for k, size in enumerate(SIZES):
            logits = np.zeros((n, steps, size), np.float32)
            for i in range(n):
                for t in range(steps):
                    tok = self.favoured(k, tokens[i], t)
                    if tok is not None:
                        logits[i, t, tok] = 20.0
            out.append(logits)
        return out


def crop(chord_before: int, chord_after: int, melody=()) -> np.ndarray:
    """8 bars of 4/4: chord_before up to the half of bar 4, chord_after from there; melody notes (step, pitch)."""
    g = np.zeros((128, 4), np.int64)
    g[:56, HARM] = chord_before
    g[56:, HARM] = chord_after
    g[:, BASS] = 1
    g[0, BASS] = 2 + 36 - 28
    for step, pitch in melody:
        g[step, MEL] = 2 + pitch - MEL_LO
    return g


def test_a_model_that_reads_the_beat_before_gives_the_neighbours_chord():
    # the chord of the nearest visible step before: C from the beats around the masked one
    def before(k, row, t):
        if k != HARM:
            return None
        for u in range(t - 1, -1, -1):
            if row[u, HARM] < SIZES[HARM]:
                return int(row[u, HARM])
        return None

    fake = Fake(before)
    got = neighbour_chord(fake, STYLES, "pop")
    assert got["p_neighbour"] == pytest.approx(1.0, abs=1e-6) and got["p_elsewhere"] < 1e-6
    shown = fake.seen[0][0]
    assert (shown[56:60, HARM] == SIZES[HARM]).all() and (shown[52:56, HARM] == C).all()
    assert (shown[60:64, HARM] == C).all() and (shown[:52, HARM] == F).all()
    assert (shown[:, [MEL, BASS, 3]] == np.array(SIZES)[[MEL, BASS, 3]]).all(), "nothing else in view"
    # a model that always says F reads a bag of chords
    bag = neighbour_chord(Fake(lambda k, row, t: F if k == HARM else None), STYLES, "pop")
    assert bag["p_elsewhere"] == pytest.approx(1.0, abs=1e-6)


def test_chord_continues_compares_the_models_odds_with_how_often_the_chord_goes_on():
    crops = [crop(C, C), crop(C, G), crop(C, C), crop(F, G)]  # the chord goes on in 2 of 4
    always_c = chord_continues(Fake(lambda k, row, t: C if k == HARM else None), STYLES, "pop", crops)
    assert always_c["real"] == pytest.approx(0.5)
    assert always_c["model"] == pytest.approx(0.75, abs=1e-6)  # P(C) = 1 where C came before: 3 of 4 crops
    assert always_c["p_true"] == pytest.approx(0.5, abs=1e-6)  # C is the truth in 2 crops


def test_melody_leap_weighs_pitches_by_the_models_onset_odds():
    # G4 at step 40 (bar 3), then in bar 4: C5 (masked), E5, F5; a crop whose first note is in bar 4 (skipped, no
    # note before it) and one with a note before it in bar 1: A4 at step 0, D5 at step 56 (masked)
    crops = [crop(C, C, [(40, 67), (48, 72), (52, 76), (60, 77)]), crop(C, C, [(50, 60)]),
             crop(C, C, [(0, 69), (56, 74)])]
    e4 = 2 + 64 - MEL_LO
    fake = Fake(lambda k, row, t: e4 if k == MEL else None)
    got = melody_leap(fake, STYLES, "pop", crops)
    assert got["n"] == 2
    assert got["model"] == pytest.approx((abs(64 - 67) + abs(64 - 69)) / 2, abs=1e-4)
    assert got["real"] == pytest.approx((abs(72 - 67) + abs(74 - 69)) / 2)
    shown = fake.seen[0]
    assert shown[0, 48, MEL] == SIZES[MEL] and shown[0, 52, MEL] == 2 + 76 - MEL_LO, "one cell masked"
    assert shown[2, 56, MEL] == SIZES[MEL] and (shown[1, :, MEL] < SIZES[MEL]).all()


def test_the_shipped_model_reads_the_beats_around_a_masked_one():
    from motif.sampling import OnnxDenoiser

    den = OnnxDenoiser(Path(__file__).resolve().parents[2] / "models" / "motif-v1.onnx")
    for style in ("pop", "jazz", "folk"):
        got = neighbour_chord(den, list(den.meta["styles"]), style)
        assert got["p_neighbour"] > 0.9 and got["p_elsewhere"] < 0.05, (style, got)
