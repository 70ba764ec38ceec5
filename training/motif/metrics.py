"""Objective music metrics over one grid (pure numpy), plus the small dataset helpers the evaluation shares.

A grid is int [T, 4]: cells melody, bass, harmony, drums (src/music/vocabulary.json). Every metric takes
`steps_per_bar` and `tracks` (which tracks the piece actually has: a 4-bool mask, None = all four) and is
computed only over those tracks; it returns None when it is undefined for the grid (e.g. no melody, no onset).

Onsets per track (used by every metric):
  melody, bass   token >= 2 (a new note; 1 = hold, 0 = rest)
  harmony        a chord starts: token > 0 and differs from the previous step's token (a chord lasts while its
                 token repeats)
  drums          token > 0 (any class hit)

Metrics (METRICS lists them in table order):
  pitch_class_entropy  Shannon entropy (bits) of the pitch-class histogram of melody onsets. [melody]
  scale_consistency    fraction of melody+bass onset pitch classes inside the best-fitting of the 12 diatonic
                       scales (a natural-minor scale is the diatonic set of its relative major). [melody|bass]
  groove_consistency   1 - mean over consecutive bar pairs of Hamming(g_b, g_b+1) / steps_per_bar, where g_b is
                       the bar's onset pattern (step has an onset in any present track); as MusDr's grooving
                       pattern similarity. Needs >= 2 full bars. [any]
  chord_tone_ratio     fraction of melody onsets, at steps where a chord sounds, whose pitch class is a tone of
                       that chord. [melody & harmony]
  empty_beat_rate      fraction of beats (beat_steps steps: 4 = a quarter; 6 for 6/8) with no onset in any
                       present track. [any]
  notes_per_bar        melody onsets per bar. [melody]
notes_per_bar_by_track() gives the same count for every track (bass notes, chord changes, drum hits per bar).

Diagnostics (DIAGNOSTICS; reported beside the metrics, not counted toward the evaluation's target):
  melodic_leap         mean absolute interval, in semitones, between consecutive melody onsets. [melody]
  wide_leap_share      share of those intervals wider than a perfect fifth (> 7 semitones). [melody]
  bass_on_chord_change share of chord changes (a chord starting after another step's chord or rest, so not at the
                       grid's first step) that have a bass onset on the same step. [bass & harmony]
  half_bar_change      share of bars whose chord changes at the half bar (step 8 of 16; 6 of a 6/8 bar), of the bars
                       with a chord sounding there; None for 3/4, whose half bar is no beat. [harmony]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

MEL, BASS, HARM, DRUMS = 0, 1, 2, 3
TRACK_NAMES = ("melody", "bass", "harmony", "drums")
MEL_LO, BASS_LO = 48, 28  # vocabulary lowPitch of melody / bass

# Chord intervals per quality index (vocabulary harmony.intervals).
_INTERVALS = [
    (0, 4, 7), (0, 3, 7), (0, 4, 7, 10), (0, 4, 7, 11), (0, 3, 7, 10), (0, 3, 6, 10),
    (0, 3, 6), (0, 3, 6, 9), (0, 4, 8), (0, 5, 7), (0, 4, 7, 9), (0, 3, 7, 9),
]
# CHORD_PC[token, pc] = pitch class pc is a tone of chord `token` (token 0 = no chord: all False).
CHORD_PC = np.zeros((145, 12), dtype=bool)
for _root in range(12):
    for _q, _iv in enumerate(_INTERVALS):
        for _i in _iv:
            CHORD_PC[1 + _root * 12 + _q, (_root + _i) % 12] = True
# DIATONIC[k, pc]: pc in the major scale on tonic k.
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
DIATONIC = np.zeros((12, 12), dtype=bool)
for _k in range(12):
    for _d in _MAJOR:
        DIATONIC[_k, (_k + _d) % 12] = True

METRICS = (
    ("pitch_class_entropy", "PC entropy"),
    ("scale_consistency", "scale cons."),
    ("groove_consistency", "groove cons."),
    ("chord_tone_ratio", "chord-tone ratio"),
    ("empty_beat_rate", "empty-beat rate"),
    ("notes_per_bar", "melody notes/bar"),
)
METRIC_KEYS = tuple(k for k, _ in METRICS)
DIAGNOSTICS = (
    ("melodic_leap", "melody leap (semitones)"),
    ("wide_leap_share", "leaps > fifth"),
    ("bass_on_chord_change", "bass on chord change"),
    ("half_bar_change", "chord change at half bar"),
)
DIAGNOSTIC_KEYS = tuple(k for k, _ in DIAGNOSTICS)
# Tracks whose presence a metric depends on (for like-with-like comparisons).
METRIC_TRACKS = {
    "pitch_class_entropy": (MEL,),
    "scale_consistency": (MEL, BASS),
    "groove_consistency": (MEL, BASS, HARM, DRUMS),
    "chord_tone_ratio": (MEL, HARM),
    "empty_beat_rate": (MEL, BASS, HARM, DRUMS),
    "notes_per_bar": (MEL,),
    "melodic_leap": (MEL,),
    "wide_leap_share": (MEL,),
    "bass_on_chord_change": (BASS, HARM),
    "half_bar_change": (HARM,),
}


def track_mask(tracks=None) -> np.ndarray:
    """Normalise a track selection to bool[4]: None = all; 4 bools/ints; or an iterable of names/indices."""
    if tracks is None:
        return np.ones(4, dtype=bool)
    if isinstance(tracks, np.ndarray) and tracks.shape == (4,) and tracks.dtype != object:
        return tracks.astype(bool)
    t = list(tracks)
    if len(t) == 4 and all(isinstance(x, (bool, np.bool_)) for x in t):
        return np.array(t, dtype=bool)
    m = np.zeros(4, dtype=bool)
    for x in t:
        m[TRACK_NAMES.index(x) if isinstance(x, str) else int(x)] = True
    return m


def _grid(grid) -> np.ndarray:
    g = np.asarray(grid)
    if g.ndim == 1:
        g = g.reshape(-1, 4)
    return g.astype(np.int64, copy=False)


def onsets(grid, tracks=None) -> np.ndarray:
    """bool [T, 4]: onset per step and track (absent tracks all False)."""
    g = _grid(grid)
    m = track_mask(tracks)
    on = np.zeros(g.shape, dtype=bool)
    on[:, MEL] = g[:, MEL] >= 2
    on[:, BASS] = g[:, BASS] >= 2
    h = g[:, HARM]
    prev = np.concatenate([[0], h[:-1]]) if len(h) else h
    on[:, HARM] = (h > 0) & (h != prev)
    on[:, DRUMS] = g[:, DRUMS] > 0
    on[:, ~m] = False
    return on


def _pcs(tokens: np.ndarray, low: int) -> np.ndarray:
    t = tokens[tokens >= 2]
    return (t - 2 + low) % 12


def pitch_class_entropy(grid, steps_per_bar: int = 16, tracks=None) -> float | None:
    g, m = _grid(grid), track_mask(tracks)
    if not m[MEL]:
        return None
    pcs = _pcs(g[:, MEL], MEL_LO)
    if len(pcs) == 0:
        return None
    p = np.bincount(pcs, minlength=12) / len(pcs)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum()) + 0.0


def scale_consistency(grid, steps_per_bar: int = 16, tracks=None) -> float | None:
    g, m = _grid(grid), track_mask(tracks)
    parts = []
    if m[MEL]:
        parts.append(_pcs(g[:, MEL], MEL_LO))
    if m[BASS]:
        parts.append(_pcs(g[:, BASS], BASS_LO))
    if not parts:
        return None
    pcs = np.concatenate(parts)
    if len(pcs) == 0:
        return None
    hist = np.bincount(pcs, minlength=12)
    return float((DIATONIC @ hist).max() / len(pcs))


def _bars(on_any: np.ndarray, steps_per_bar: int) -> np.ndarray:
    n = len(on_any) // steps_per_bar
    return on_any[: n * steps_per_bar].reshape(n, steps_per_bar)


def groove_consistency(grid, steps_per_bar: int = 16, tracks=None) -> float | None:
    m = track_mask(tracks)
    if not m.any():
        return None
    bars = _bars(onsets(grid, m).any(axis=1), steps_per_bar)
    if len(bars) < 2:
        return None
    ham = (bars[1:] != bars[:-1]).sum(axis=1) / steps_per_bar
    return float(1.0 - ham.mean())


def chord_tone_ratio(grid, steps_per_bar: int = 16, tracks=None) -> float | None:
    g, m = _grid(grid), track_mask(tracks)
    if not (m[MEL] and m[HARM]):
        return None
    sel = (g[:, MEL] >= 2) & (g[:, HARM] > 0)
    if not sel.any():
        return None
    pcs = (g[sel, MEL] - 2 + MEL_LO) % 12
    chords = np.clip(g[sel, HARM], 0, 144)
    return float(CHORD_PC[chords, pcs].mean())


def empty_beat_rate(grid, steps_per_bar: int = 16, tracks=None, beat_steps: int = 4) -> float | None:
    m = track_mask(tracks)
    if not m.any():
        return None
    on_any = onsets(grid, m).any(axis=1)
    n = len(on_any) // beat_steps
    if n == 0:
        return None
    beats = on_any[: n * beat_steps].reshape(n, beat_steps)
    return float((~beats.any(axis=1)).mean())


def notes_per_bar_by_track(grid, steps_per_bar: int = 16, tracks=None) -> dict[str, float | None]:
    """Onsets per bar for each track (None for absent tracks): melody/bass notes, chord changes, drum hits."""
    g, m = _grid(grid), track_mask(tracks)
    if len(g) == 0:
        return {t: None for t in TRACK_NAMES}
    on = onsets(g, m)
    bars = len(g) / steps_per_bar
    return {t: (float(on[:, i].sum() / bars) if m[i] else None) for i, t in enumerate(TRACK_NAMES)}


def notes_per_bar(grid, steps_per_bar: int = 16, tracks=None) -> float | None:
    return notes_per_bar_by_track(grid, steps_per_bar, tracks)["melody"]


def all_metrics(grid, steps_per_bar: int = 16, tracks=None, beat_steps: int = 4) -> dict[str, float | None]:
    """Every metric of METRICS for one grid, keyed by METRIC_KEYS."""
    g, m = _grid(grid), track_mask(tracks)
    return {
        "pitch_class_entropy": pitch_class_entropy(g, steps_per_bar, m),
        "scale_consistency": scale_consistency(g, steps_per_bar, m),
        "groove_consistency": groove_consistency(g, steps_per_bar, m),
        "chord_tone_ratio": chord_tone_ratio(g, steps_per_bar, m),
        "empty_beat_rate": empty_beat_rate(g, steps_per_bar, m, beat_steps),
        "notes_per_bar": notes_per_bar(g, steps_per_bar, m),
    }


def melodic_intervals(grid, tracks=None) -> np.ndarray | None:
    """Absolute intervals (semitones) between consecutive melody onsets, rests between them included; None
    without a melody."""
    g, m = _grid(grid), track_mask(tracks)
    if not m[MEL]:
        return None
    pitches = g[g[:, MEL] >= 2, MEL]
    return np.abs(np.diff(pitches))


def melodic_leap(grid, steps_per_bar: int = 16, tracks=None) -> float | None:
    iv = melodic_intervals(grid, tracks)
    return None if iv is None or len(iv) == 0 else float(iv.mean())


def wide_leap_share(grid, steps_per_bar: int = 16, tracks=None) -> float | None:
    iv = melodic_intervals(grid, tracks)
    return None if iv is None or len(iv) == 0 else float(np.mean(iv > 7))


def bass_on_chord_change(grid, steps_per_bar: int = 16, tracks=None) -> float | None:
    g, m = _grid(grid), track_mask(tracks)
    if not (m[BASS] and m[HARM]):
        return None
    on = onsets(g, m)
    changes = on[1:, HARM]
    if not changes.any():
        return None
    return float(on[1:, BASS][changes].mean())


def half_bar_change(grid, steps_per_bar: int = 16, tracks=None, beat_steps: int = 4) -> float | None:
    g, m = _grid(grid), track_mask(tracks)
    half = steps_per_bar // 2
    if not m[HARM] or half % beat_steps != 0:
        return None
    h = g[:, HARM]
    at = np.arange(half, len(h), steps_per_bar)
    at = at[h[at] > 0]
    if len(at) == 0:
        return None
    return float((h[at] != h[at - 1]).mean())


def all_diagnostics(grid, steps_per_bar: int = 16, tracks=None, beat_steps: int = 4) -> dict[str, float | None]:
    """Every diagnostic of DIAGNOSTICS for one grid, keyed by DIAGNOSTIC_KEYS (same signature as all_metrics)."""
    g, m = _grid(grid), track_mask(tracks)
    return {
        "melodic_leap": melodic_leap(g, steps_per_bar, m),
        "wide_leap_share": wide_leap_share(g, steps_per_bar, m),
        "bass_on_chord_change": bass_on_chord_change(g, steps_per_bar, m),
        "half_bar_change": half_bar_change(g, steps_per_bar, m, beat_steps),
    }


# ---------------------------------------------------------------------------------------------------------
# Dataset helpers (the .cache/dataset.npz format; shared by style_classifier, copy_check and evaluate)

METER_STEPS = {0: 16, 1: 16, 2: 12, 3: 12}  # meter condition index -> steps per bar
METER_BEAT = {0: 4, 1: 4, 2: 4, 3: 6}  # meter condition index -> steps per beat (6/8: dotted quarter)


@dataclass
class RealData:
    grids: np.ndarray  # int16 [N, 4]
    offsets: np.ndarray  # int64 [P+1]
    style: np.ndarray  # int64 [P]
    meter: np.ndarray  # int64 [P]
    track_mask: np.ndarray  # bool [P, 4]
    split: np.ndarray  # int64 [P]
    source: np.ndarray  # int64 [P]
    spb: np.ndarray | None = None  # int64 [P] steps per bar (the npz's steps_per_bar; else from meter)
    piece_names: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    styles: list = field(default_factory=list)

    @property
    def num_pieces(self) -> int:
        return len(self.offsets) - 1

    def piece(self, i: int) -> np.ndarray:
        return self.grids[self.offsets[i] : self.offsets[i + 1]]

    def length(self, i: int) -> int:
        return int(self.offsets[i + 1] - self.offsets[i])

    def steps_per_bar(self, i: int) -> int:
        if self.spb is not None and int(self.spb[i]) > 0:
            return int(self.spb[i])
        return METER_STEPS.get(int(self.meter[i]), 16)

    def beat_steps(self, i: int) -> int:
        return METER_BEAT.get(int(self.meter[i]), 4)

    def pieces(self, style: int | None = None, split: int | Sequence[int] | None = None) -> np.ndarray:
        sel = np.ones(self.num_pieces, dtype=bool)
        if style is not None:
            sel &= self.style == style
        if split is not None:
            sel &= np.isin(self.split, np.atleast_1d(split))
        sel &= (self.offsets[1:] - self.offsets[:-1]) > 0
        return np.flatnonzero(sel)

    def crop(self, i: int, bars: int, rng: np.random.Generator | None = None, start_bar: int | None = None):
        """A bar-aligned crop of `bars` bars of piece i (the whole piece when shorter): (grid, start_step)."""
        spb = self.steps_per_bar(i)
        n = self.length(i)
        want = bars * spb
        if n <= want:
            return self.piece(i), 0
        n_starts = (n - want) // spb + 1
        if start_bar is None:
            start_bar = int(rng.integers(n_starts)) if rng is not None else 0
        s = min(start_bar, n_starts - 1) * spb
        return self.piece(i)[s : s + want], s


def _vocab_styles() -> list:
    try:
        from .vocab import STYLES

        return list(STYLES)
    except Exception:  # pragma: no cover - vocabulary missing
        return []


def default_dataset_path() -> Path:
    """training/.cache/dataset.npz when it exists, else <repo>/.cache/dataset.npz."""
    here = Path(__file__).resolve().parents[1]
    for p in (here / ".cache" / "dataset.npz", here.parent / ".cache" / "dataset.npz"):
        if p.exists():
            return p
    return here.parent / ".cache" / "dataset.npz"


def load_dataset(path) -> RealData:
    z = np.load(Path(path), allow_pickle=True)
    p = len(z["offsets"]) - 1

    def per_piece(name: str, default: int = 0) -> np.ndarray:
        if name in z.files:
            return np.asarray(z[name]).astype(np.int64).reshape(p)
        return np.full(p, default, dtype=np.int64)

    tm = np.asarray(z["track_mask"]).astype(bool) if "track_mask" in z.files else np.ones((p, 4), bool)
    styles = [str(s) for s in z["styles"]] if "styles" in z.files else _vocab_styles()
    return RealData(
        grids=np.asarray(z["grids"]),
        offsets=np.asarray(z["offsets"]).astype(np.int64),
        style=per_piece("style"),
        meter=per_piece("meter", 1),
        track_mask=tm,
        split=per_piece("split"),
        source=per_piece("source"),
        spb=per_piece("steps_per_bar") if "steps_per_bar" in z.files else None,
        piece_names=[str(x) for x in z["piece_names"]] if "piece_names" in z.files else [],
        sources=[str(x) for x in z["sources"]] if "sources" in z.files else [],
        styles=styles,
    )


def save_dataset(path, grids_list, style, meter, track_mask, split, source=None, names=None, sources=None):
    """Write a dataset.npz (used by tests to build synthetic data)."""
    lengths = [len(g) for g in grids_list]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    grids = np.concatenate([np.asarray(g, dtype=np.int16).reshape(-1, 4) for g in grids_list]).astype(np.int16)
    p = len(grids_list)
    z = dict(
        grids=grids,
        offsets=offsets,
        style=np.asarray(style, np.int64),
        meter=np.asarray(meter, np.int64),
        steps_per_bar=np.array([METER_STEPS.get(int(m), 16) for m in meter], np.int8),
        mood=np.zeros(p, np.int64),
        tempo=np.zeros(p, np.int64),
        density=np.zeros(p, np.int64),
        mode=np.zeros(p, np.int64),
        track_mask=np.asarray(track_mask, np.uint8),
        split=np.asarray(split, np.int64),
        source=np.asarray(source if source is not None else np.zeros(p), np.int64),
        piece_names=np.array(names if names is not None else [f"p{i}" for i in range(p)]),
        sources=np.array(sources if sources is not None else ["synthetic"]),
    )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **z)


def mean_or_none(values) -> float | None:
    v = [x for x in values if x is not None and not (isinstance(x, float) and math.isnan(x))]
    return float(np.mean(v)) if v else None
