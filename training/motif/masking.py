"""Training examples for masked discrete diffusion: piece sampling, bar-aligned crops, mask schedules,
conditioning dropout. Everything is numpy, driven by one np.random.Generator (reproducible).

Dataset (.cache/dataset.npz, written by training/motif/prepare.py):
  grids int16 [N_steps_total, 4]; offsets int64 [P+1]; per piece: style, mood, tempo, density, mode, meter
  (condition indices, 0 = unknown), track_mask uint8 [P, 4], source, split (0 train / 1 valid / 2 test);
  piece_names, sources.
  steps_per_bar int8 [P] (16 or 12; derived from meter when absent), styles str [S] (names of style indices).
Style: index into the dataset's `styles` names, mapped by name onto the model's learnedStyles;
negative (or a name the model does not know) = unknown -> all-zeros style vector.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .model import COND_FIELDS

# Steps per bar for each meter index of vocabulary conditions.meter: unspecified, 4/4, 3/4, 6/8
METER_STEPS_PER_BAR = np.array([16, 16, 12, 12], dtype=np.int64)

MASK_TYPES = ("random", "track", "extend", "infill")
DEFAULT_MASK_PROBS = (0.55, 0.15, 0.15, 0.15)
DENSITY = COND_FIELDS.index("density")
TEMPO = COND_FIELDS.index("tempo")
# A drum part laid over a tune (see BatchSampler) is cut from drum-only 4/4 pieces of at least this many bars, one
# after another: Groove MIDI's beats and its one- or two-bar fills alike.
OVERLAY_MIN_BARS = 1


@dataclass
class Dataset:
    grids: np.ndarray  # int16 [N, 4]
    offsets: np.ndarray  # int64 [P+1]
    style: np.ndarray  # int64 [P]
    cond: np.ndarray  # int64 [P, 5]
    track_mask: np.ndarray  # uint8 [P, 4]
    split: np.ndarray  # int64 [P]
    source: np.ndarray  # int64 [P]
    piece_names: list
    sources: list
    spb: np.ndarray | None = None  # int64 [P] steps per bar


    @property
    def num_pieces(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def steps_per_bar(self) -> np.ndarray:
        if self.spb is not None:
            return self.spb
        meter = np.clip(self.cond[:, COND_FIELDS.index("meter")], 0, len(METER_STEPS_PER_BAR) - 1)
        return METER_STEPS_PER_BAR[meter]


def load_dataset(path: Path, learned_styles: list | None = None) -> Dataset:
    """Loads the .npz; style indices are remapped onto `learned_styles` (default: vocabulary learnedStyles),
    -1 = unknown."""
    learned = list(learned_styles or _learned_styles())
    z = np.load(Path(path), allow_pickle=True)
    p = len(z["offsets"]) - 1

    def per_piece(name: str) -> np.ndarray:
        if name in z.files:
            return np.asarray(z[name]).astype(np.int64).reshape(p)
        return np.zeros(p, dtype=np.int64)

    cond = np.stack([per_piece(c) for c in COND_FIELDS], axis=1)
    track_mask = (
        np.asarray(z["track_mask"]).astype(np.uint8) if "track_mask" in z.files else np.ones((p, 4), np.uint8)
    )
    style = per_piece("style") if "style" in z.files else np.full(p, -1, dtype=np.int64)
    if "styles" in z.files:
        names = [str(n) for n in z["styles"]]
        lut = np.array([learned.index(n) if n in learned else -1 for n in names] + [-1], dtype=np.int64)
        style = np.where((style >= 0) & (style < len(names)), lut[np.clip(style, 0, len(names))], -1)
    return Dataset(
        grids=np.asarray(z["grids"]),
        offsets=np.asarray(z["offsets"]).astype(np.int64),
        style=style,
        cond=cond,
        track_mask=track_mask,
        split=per_piece("split"),
        source=per_piece("source"),
        piece_names=list(z["piece_names"]) if "piece_names" in z.files else [str(i) for i in range(p)],
        sources=list(z["sources"]) if "sources" in z.files else [],
        spb=np.asarray(z["steps_per_bar"]).astype(np.int64).reshape(p) if "steps_per_bar" in z.files else None,
    )


def _learned_styles() -> list:
    from .model import load_vocabulary

    return list(load_vocabulary()["learnedStyles"])


def save_dataset(path: Path, ds: Dataset) -> None:
    """Same format as prepare.py (style = index into learnedStyles, also saved as `styles`)."""
    np.savez_compressed(
        Path(path),
        grids=ds.grids,
        offsets=ds.offsets,
        style=ds.style,
        **{c: ds.cond[:, i] for i, c in enumerate(COND_FIELDS)},
        track_mask=ds.track_mask,
        steps_per_bar=ds.steps_per_bar(),
        styles=np.array(_learned_styles()),
        split=ds.split,
        source=ds.source,
        piece_names=np.array(ds.piece_names),
        sources=np.array(ds.sources),
    )


def piece_weights(ds: Dataset, pieces: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Sampling probability per piece: proportional to its length (capped at 2 windows) within its
    (style, source) group, and each group's total mass tempered by `alpha` (0 = uniform over groups,
    1 = proportional to data) so small sources/styles are not drowned."""
    lengths = ds.lengths()[pieces].astype(np.float64)
    w = np.minimum(lengths, 512.0)
    groups = ds.style[pieces] * 100000 + ds.source[pieces]
    out = np.zeros(len(pieces), dtype=np.float64)
    for g in np.unique(groups):
        sel = groups == g
        mass = w[sel].sum()
        if mass <= 0:
            continue
        out[sel] = w[sel] / mass * mass**alpha
    total = out.sum()
    if total <= 0:
        return np.full(len(pieces), 1.0 / max(1, len(pieces)))
    return out / total


@dataclass
class Batch:
    tokens: np.ndarray  # int64 [B, T, 4] model input (MASK where masked or absent or padding)
    targets: np.ndarray  # int64 [B, T, 4] ground truth (0 where padding)
    loss_mask: np.ndarray  # bool [B, T, 4] cells that count in the loss
    bar_pos: np.ndarray  # int64 [B, T]
    style: np.ndarray  # float32 [B, S]
    cond: np.ndarray  # int64 [B, 5]
    key_padding: np.ndarray  # bool [B, T // patch]
    mask_type: np.ndarray  # int64 [B] index into MASK_TYPES
    drum_style: np.ndarray | None = None  # int64 [B]: style of the drum part laid over the example, -1 = none
    to_end: np.ndarray | None = None  # int64 [B, T]: bars to the piece's end (see BatchSampler), 0 = unknown


class BatchSampler:
    """Training examples from the dataset's pieces.

    Drum overlay (off by default; `train.py --drum-overlay P`, an experiment the model card reports): no source
    has drums playing beside a melody (the drums are Groove MIDI's drum-only pieces), yet the product generates
    all four tracks together. With probability `overlay_prob` a 4/4 tune without drums gets a drum part cut from
    drum-only pieces: of its own style when the data has drums for it (pop, folk, jazz); else, and also with
    probability `overlay_cross`, of another drum style (drawn by the square root of its number of pieces), and
    the example's style vector is then the blend (tune style w, drum style 1 - w, w ~ U(0.3, 0.7)), as the
    product's recipes ask for ("rock" = pop 0.5 + rock 0.5). The drum pieces are chosen within one tempo bucket of
    the tune's when there are any. With the overlay on, density describes only the melody (onsets per bar):
    drum-only pieces train with density unspecified. With it off, batches are exactly those of earlier versions
    (no random draw is added), so `npm run train` still reproduces models/.

    Bars to the end (`to_end`, for models with `end_buckets` > 0): per step, 1 for the music's last bar, 2 for the
    one before, up to end_buckets - 1 for that many bars or more before it (a POP909 song is stored in segments
    `NNN#k`, split where its bars are irregular: the bars of its later segments count too); 0 (unknown) for a whole
    example with probability `end_drop`. The product tells such a model where a clip ends. Off (0) by default: with
    it off no random draw is added, so batches are exactly those of earlier versions.
    """

    def __init__(
        self,
        ds: Dataset,
        track_sizes: tuple[int, ...],
        num_styles: int,
        split: int = 0,
        max_steps: int = 256,
        patch_steps: int = 4,
        short_crop_prob: float = 0.25,
        mask_probs: tuple[float, ...] = DEFAULT_MASK_PROBS,
        cond_drop: float = 0.15,
        style_drop: float = 0.15,
        all_drop: float = 0.1,
        style_alpha: float = 0.5,
        overlay_prob: float = 0.0,
        overlay_cross: float = 0.0,
        end_buckets: int = 0,
        end_drop: float = 0.3,
    ):
        self.ds = ds
        self.track_sizes = np.asarray(track_sizes, dtype=np.int64)
        self.num_styles = num_styles
        self.max_steps = max_steps
        self.patch_steps = patch_steps
        self.short_crop_prob = short_crop_prob
        self.mask_probs = np.asarray(mask_probs, dtype=np.float64) / np.sum(mask_probs)
        self.cond_drop = cond_drop
        self.style_drop = style_drop
        self.all_drop = all_drop
        lengths = ds.lengths()
        self.pieces = np.nonzero((ds.split == split) & (lengths >= patch_steps) & (ds.track_mask.sum(1) > 0))[0]
        if len(self.pieces) == 0:
            raise ValueError(f"no usable pieces in split {split}")
        self.weights = piece_weights(ds, self.pieces, style_alpha)
        self.spb = ds.steps_per_bar()
        self.overlay_prob = overlay_prob
        self.overlay_cross = overlay_cross
        tm = ds.track_mask.astype(bool)
        drum_only = tm[:, 3] & ~tm[:, :3].any(1)
        self.drum_only = drum_only
        in_split = ds.split == split
        sources = in_split & drum_only & (self.spb == 16) & (lengths >= OVERLAY_MIN_BARS * 16) & (ds.style >= 0)
        self.drum_pools = {int(st): np.nonzero(sources & (ds.style == st))[0] for st in np.unique(ds.style[sources])}
        self.drum_styles = np.array(sorted(self.drum_pools), dtype=np.int64)
        self.overlay_ok = tm[:, 0] & ~tm[:, 3] & (self.spb == 16) & (ds.style >= 0) & (len(self.drum_styles) > 0)
        self.end_buckets = end_buckets
        self.end_drop = end_drop
        self.bars_after = bars_after(ds.piece_names, ds.lengths(), self.spb)

    # ---- crops -------------------------------------------------------------------------------------
    def _crop(self, rng: np.random.Generator, piece: int) -> tuple[int, int, int]:
        """Returns (start, length, steps_per_bar): bar-aligned start, whole number of bars when possible,
        length a multiple of patch_steps and at most max_steps."""
        n = int(self.ds.offsets[piece + 1] - self.ds.offsets[piece])
        spb = int(self.spb[piece])
        max_bars = max(1, self.max_steps // spb)
        piece_bars = n // spb
        if piece_bars >= 1:
            bars = min(max_bars, piece_bars)
            if bars > 1 and rng.random() < self.short_crop_prob:
                bars = int(rng.integers(1, bars + 1))
            length = bars * spb
            start = spb * int(rng.integers(0, piece_bars - bars + 1))
        else:  # shorter than one bar
            length = n
            start = 0
        length -= length % self.patch_steps
        return start, length, spb

    def _to_end(self, piece: int, start: int, length: int, spb: int) -> np.ndarray:
        """Bars to the music's end per step of the crop (1 = the last bar), capped at end_buckets - 1."""
        n = int(self.ds.offsets[piece + 1] - self.ds.offsets[piece])
        last_bar = (n - 1) // spb
        bars_left = last_bar - (start + np.arange(length)) // spb + int(self.bars_after[piece])
        return 1 + np.minimum(bars_left, self.end_buckets - 2)

    # ---- drum overlay ------------------------------------------------------------------------------
    def _overlay_style(self, rng: np.random.Generator, tune_style: int) -> int:
        own = tune_style in self.drum_pools
        others = self.drum_styles[self.drum_styles != tune_style]
        if own and (len(others) == 0 or rng.random() >= self.overlay_cross):
            return tune_style
        if not len(others):
            return -1
        # styles with few drum pieces (folk, reggae: 2-3) are drawn less often than uniform, so their few
        # pieces are not repeated over and over
        w = np.sqrt([len(self.drum_pools[int(d)]) for d in others])
        return int(others[int(rng.choice(len(others), p=w / w.sum()))])

    def _drum_part(self, rng: np.random.Generator, drum_style: int, length: int, tempo: int) -> np.ndarray:
        """`length` steps of drums (bar-aligned): whole bars of a drum piece of the style from a random bar on,
        continued by further pieces of the same style while more steps are needed."""
        pool = self.drum_pools[drum_style]
        if tempo > 0:
            near = pool[np.abs(self.ds.cond[pool, TEMPO] - tempo) <= 1]
            if len(near):
                pool = near
        out = np.zeros(length, dtype=np.int64)
        filled, first = 0, True
        while filled < length:
            p = int(pool[int(rng.integers(0, len(pool)))])
            bars = int(self.ds.offsets[p + 1] - self.ds.offsets[p]) // 16  # a last, partial bar is left out
            start = 16 * int(rng.integers(0, bars)) if first else 0
            first = False
            take = min(length - filled, 16 * bars - start)
            g0 = int(self.ds.offsets[p]) + start
            out[filled : filled + take] = self.ds.grids[g0 : g0 + take, 3]
            filled += take
        return out

    # ---- masks -------------------------------------------------------------------------------------
    @staticmethod
    def _ratio(rng: np.random.Generator) -> float:
        # cosine schedule (MaskGIT): ratio = cos(pi/2 * u), u ~ U(0, 1)
        return float(math.cos(math.pi / 2 * rng.random()))

    def _region_ratio(self, rng: np.random.Generator) -> float:
        # whole region masked half the time (the start of regenerate/extend/infill), else a sampler state
        return 1.0 if rng.random() < 0.5 else self._ratio(rng)

    def _mask(self, rng, length: int, spb: int, present: np.ndarray) -> tuple[np.ndarray, int]:
        """bool [length, 4]: cells to hide (and predict). Only present tracks are ever selected."""
        mtype = int(rng.choice(len(MASK_TYPES), p=self.mask_probs))
        nbars = max(1, -(-length // spb))
        region = np.zeros((length, 4), dtype=bool)
        present_tracks = np.nonzero(present)[0]
        if mtype == 1 and len(present_tracks) >= 2:  # track
            region[:, int(rng.choice(present_tracks))] = True
            ratio = self._region_ratio(rng)
        elif mtype == 2 and nbars >= 2:  # extend: everything after a bar boundary
            k = int(rng.integers(1, nbars))
            region[k * spb :, :] = True
            ratio = self._region_ratio(rng)
        elif mtype == 3 and nbars >= 3:  # infill: a span of bars inside
            span = int(rng.integers(1, max(2, nbars // 2) + 1))
            a = int(rng.integers(0, nbars - span + 1))
            region[a * spb : (a + span) * spb, :] = True
            ratio = self._region_ratio(rng)
        else:
            mtype = 0
            region[:] = True
            ratio = self._ratio(rng)
        region &= present[None, :]
        mask = region & (rng.random((length, 4)) < ratio)
        if not mask.any():
            cells = np.argwhere(region)
            if len(cells):
                i, j = cells[int(rng.integers(0, len(cells)))]
                mask[i, j] = True
        return mask, mtype

    # ---- batch -------------------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, batch_size: int) -> Batch:
        ds = self.ds
        pieces = rng.choice(self.pieces, size=batch_size, p=self.weights)
        crops = [self._crop(rng, int(p)) for p in pieces]
        t_max = max(c[1] for c in crops)
        t_max = max(self.patch_steps, t_max)
        ps = self.patch_steps
        mask_ids = self.track_sizes[None, None, :]
        tokens = np.broadcast_to(mask_ids, (batch_size, t_max, 4)).copy()
        targets = np.zeros((batch_size, t_max, 4), dtype=np.int64)
        loss_mask = np.zeros((batch_size, t_max, 4), dtype=bool)
        bar_pos = np.zeros((batch_size, t_max), dtype=np.int64)
        key_padding = np.ones((batch_size, t_max // ps), dtype=bool)
        style = np.zeros((batch_size, self.num_styles), dtype=np.float32)
        cond = np.zeros((batch_size, 5), dtype=np.int64)
        mask_type = np.zeros(batch_size, dtype=np.int64)
        drum_style = np.full(batch_size, -1, dtype=np.int64)
        to_end = np.zeros((batch_size, t_max), dtype=np.int64)
        for i, (piece, (start, length, spb)) in enumerate(zip(pieces, crops)):
            piece = int(piece)
            g0 = int(ds.offsets[piece]) + start
            grid = ds.grids[g0 : g0 + length].astype(np.int64)
            present = ds.track_mask[piece].astype(bool)
            if self.overlay_prob > 0 and self.overlay_ok[piece] and length >= 16 and rng.random() < self.overlay_prob:
                drum_style[i] = self._overlay_style(rng, int(ds.style[piece]))
                if drum_style[i] >= 0:
                    grid[:, 3] = self._drum_part(rng, int(drum_style[i]), length, int(ds.cond[piece, TEMPO]))
                    present = present.copy()
                    present[3] = True
            hide, mask_type[i] = self._mask(rng, length, spb, present)
            hide |= ~present[None, :]
            targets[i, :length] = grid
            tokens[i, :length] = np.where(hide, mask_ids[0], grid)
            loss_mask[i, :length] = hide & present[None, :]
            bar_pos[i, :length] = (start + np.arange(length)) % spb
            key_padding[i, : length // ps] = False
            # conditioning (with dropout for classifier-free guidance)
            s = int(ds.style[piece])
            c = ds.cond[piece].copy()
            if self.overlay_prob > 0 and self.drum_only[piece]:
                c[DENSITY] = 0
            if rng.random() < self.all_drop:
                s = -1
                c[:] = 0
            else:
                if rng.random() < self.style_drop:
                    s = -1
                c[rng.random(5) < self.cond_drop] = 0
            if 0 <= s < self.num_styles:
                d = int(drum_style[i])
                if d != s and 0 <= d < self.num_styles:
                    w = float(rng.uniform(0.3, 0.7))
                    style[i, s] = w
                    style[i, d] = 1.0 - w
                else:
                    style[i, s] = 1.0
            cond[i] = c
            if self.end_buckets > 0 and rng.random() >= self.end_drop:
                to_end[i, :length] = self._to_end(piece, start, length, spb)
        return Batch(tokens, targets, loss_mask, bar_pos, style, cond, key_padding, mask_type, drum_style, to_end)


def bars_after(piece_names, lengths, steps_per_bar) -> np.ndarray:
    """int [P]: whole bars of the same music after the piece. Pieces named `BASE#k` are segments of one piece
    (POP909 splits a song where its bars are irregular): segment k is followed by the segments of its BASE with a
    higher k. Any other piece ends its music (0)."""
    names = [str(n) for n in piece_names]
    bars = np.asarray(lengths) // np.asarray(steps_per_bar)
    segments: dict[str, list[tuple[int, int]]] = {}
    for i, n in enumerate(names):
        base, sep, k = n.rpartition("#")
        if sep and k.isdigit():
            segments.setdefault(base, []).append((int(k), i))
    out = np.zeros(len(names), dtype=np.int64)
    for parts in segments.values():
        for k, i in parts:
            out[i] = sum(int(bars[j]) for kk, j in parts if kk > k)
    return out


# ---- synthetic data (tests, tiny fixture) ---------------------------------------------------------------


def make_synthetic_dataset(
    num_pieces: int = 48, seed: int = 0, min_bars: int = 4, max_bars: int = 20, num_styles: int = 10
) -> Dataset:
    """Small structured grids (chord loops, arpeggiated melodies, root bass, style-dependent drum
    patterns) so a model can visibly learn in a few dozen steps. Some pieces lack tracks."""
    rng = np.random.default_rng(seed)
    grids, offsets = [], [0]
    style, cond, track_mask, split, source = [], [], [], [], []
    drum_patterns = [
        np.array([1 | 4, 4, 2 | 4, 4] * 4),  # kick/snare/hats
        np.array([1, 0, 0, 0, 2, 0, 0, 0] * 2),
        np.array([1 | 128, 128, 128, 2 | 128] * 4),
    ]
    for p in range(num_pieces):
        meter = 1 if rng.random() < 0.8 else 2
        spb = int(METER_STEPS_PER_BAR[meter])
        bars = int(rng.integers(min_bars, max_bars + 1))
        n = bars * spb
        roots = rng.choice([0, 5, 7, 9], size=4)
        quals = rng.choice([0, 1], size=4)
        g = np.zeros((n, 4), dtype=np.int16)
        st = int(rng.integers(0, num_styles))
        pat = drum_patterns[st % len(drum_patterns)]
        for step in range(n):
            bar = step // spb
            r, q = int(roots[bar % 4]), int(quals[bar % 4])
            g[step, 2] = 1 + r * 12 + q
            pos = step % spb
            # bass: root onset each beat, held otherwise
            g[step, 1] = 2 + (36 + r - 28) if pos % 4 == 0 else 1
            # melody: chord tones on 8ths
            if pos % 2 == 0:
                tone = [0, 4 if q == 0 else 3, 7][(pos // 2) % 3]
                g[step, 0] = 2 + (60 + r + tone - 48)
            else:
                g[step, 0] = 1
            g[step, 3] = pat[pos % len(pat)]
        tm = np.ones(4, dtype=np.uint8)
        if rng.random() < 0.25:
            tm[int(rng.integers(0, 4))] = 0
        g[:, tm == 0] = 0
        grids.append(g)
        offsets.append(offsets[-1] + n)
        style.append(st)
        cond.append([int(rng.integers(0, 5)), int(rng.integers(0, 9)), int(rng.integers(0, 4)), 1 + int(q), meter])
        track_mask.append(tm)
        split.append(1 if p % 8 == 7 else 0)
        source.append(p % 2)
    return Dataset(
        grids=np.concatenate(grids).astype(np.int16),
        offsets=np.array(offsets, dtype=np.int64),
        style=np.array(style, dtype=np.int64),
        cond=np.array(cond, dtype=np.int64),
        track_mask=np.stack(track_mask).astype(np.uint8),
        split=np.array(split, dtype=np.int64),
        source=np.array(source, dtype=np.int64),
        piece_names=[f"synthetic-{i}" for i in range(num_pieces)],
        sources=["synthA", "synthB"],
    )
