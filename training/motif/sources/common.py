"""Shared pieces of the loaders: the intermediate Piece, MIDI reading, monophonic line extraction,
grid rendering, deterministic splits."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from .. import vocab as V
from ..keys import estimate_key, histogram


@dataclass
class Piece:
    """One piece in 16th-note steps, step 0 = a downbeat, absolute pitches (not yet transposed).

    melody/bass: (on, off, pitch), off exclusive; chords: (on, off, root_pc, quality); drums: (step, mask).
    """
    name: str
    source: str
    style: str
    meter: str
    n_steps: int
    melody: list = field(default_factory=list)
    bass: list = field(default_factory=list)
    chords: list = field(default_factory=list)
    drums: list = field(default_factory=list)
    track_mask: tuple = (1, 1, 1, 0)
    tonic: int | None = None
    mode: str | None = None
    tempo: float | None = None
    mood: int = 0  # 0 = derive later
    split: int | None = None  # None = hash of the name
    split_key: str | None = None  # name used for the hash split (defaults to name)
    min_bars: int = 2  # shorter pieces are dropped (Groove fills: 1)

    @property
    def steps_per_bar(self) -> int:
        return V.METER_STEPS[self.meter]


def hash_split(key: str) -> int:
    """Deterministic 90/5/5 split from a file name: 0 train, 1 valid, 2 test."""
    h = int(hashlib.md5(key.encode("utf-8")).hexdigest()[:8], 16) % 20
    return 1 if h == 0 else 2 if h == 1 else 0


# ---------------------------------------------------------------- MIDI

@dataclass
class Midi:
    tpb: int
    notes: list  # (start_tick, end_tick, pitch, velocity, channel, track_index)
    tempos: list  # (tick, us_per_quarter)
    time_sigs: list  # (tick, num, den)
    track_names: list
    key_sigs: list


def read_midi(path: str) -> Midi:
    import mido
    m = mido.MidiFile(path, clip=True)
    notes, tempos, tss, keys, names = [], [], [], [], []
    for ti, tr in enumerate(m.tracks):
        tick = 0
        active: dict = {}
        name = ""
        for msg in tr:
            tick += msg.time
            if msg.is_meta:
                if msg.type == "set_tempo":
                    tempos.append((tick, msg.tempo))
                elif msg.type == "time_signature":
                    tss.append((tick, msg.numerator, msg.denominator))
                elif msg.type == "key_signature":
                    keys.append((tick, msg.key))
                elif msg.type == "track_name":
                    name = msg.name
                continue
            if msg.type == "note_on" and msg.velocity > 0:
                active.setdefault((msg.channel, msg.note), []).append((tick, msg.velocity))
            elif msg.type in ("note_off", "note_on"):
                st = active.get((msg.channel, msg.note))
                if st:
                    t0, vel = st.pop(0)
                    notes.append((t0, tick, msg.note, vel, msg.channel, ti))
        for (ch, p), st in active.items():  # unterminated notes end at track end
            for t0, vel in st:
                notes.append((t0, max(tick, t0 + 1), p, vel, ch, ti))
        names.append(name)
    notes.sort(key=lambda n: (n[0], n[2], n[1], n[4], n[5]))
    tempos.sort()
    tss.sort()
    return Midi(m.ticks_per_beat, notes, tempos, tss, names, keys)


def tick_to_seconds_fn(midi: Midi):
    """Vectorised tick -> seconds through the tempo map."""
    tempos = [(0, 500000)] + [t for t in midi.tempos if t[0] > 0] if not midi.tempos or midi.tempos[0][0] > 0 else list(midi.tempos)
    # collapse duplicates at the same tick (last wins)
    dedup = {}
    for t, us in tempos:
        dedup[t] = us
    ticks = np.array(sorted(dedup), dtype=np.float64)
    us = np.array([dedup[t] for t in sorted(dedup)], dtype=np.float64)
    secs = np.zeros(len(ticks))
    for i in range(1, len(ticks)):
        secs[i] = secs[i - 1] + (ticks[i] - ticks[i - 1]) * us[i - 1] / 1e6 / midi.tpb

    def f(t):
        t = np.asarray(t, dtype=np.float64)
        i = np.searchsorted(ticks, t, side="right") - 1
        i = np.clip(i, 0, len(ticks) - 1)
        return secs[i] + (t - ticks[i]) * us[i] / 1e6 / midi.tpb
    return f


def first_tempo_bpm(midi: Midi) -> float | None:
    return 60e6 / midi.tempos[0][1] if midi.tempos else None


def meter_of(num: int, den: int) -> str | None:
    if (num, den) in ((4, 4), (2, 2)):
        return "4/4"
    if (num, den) == (3, 4):
        return "3/4"
    if (num, den) == (6, 8):
        return "6/8"
    return None


# ---------------------------------------------------------------- monophonic lines

def line_from_notes(notes, n_steps: int, highest: bool = True):
    """Skyline / bottom line of (on, off, pitch) notes as a monophonic (on, off, pitch) list.

    At each step the highest (lowest) sounding pitch wins; a new onset where that note starts, or where the
    winning pitch changes without an onset (an inner held note becomes the top/bottom: re-articulated).
    """
    if not notes or n_steps <= 0:
        return []
    NEG = -1
    best = np.full(n_steps, NEG if highest else 10**6, dtype=np.int64)
    onset_at = {}
    for on, off, p in notes:
        on = max(0, on)
        off = min(n_steps, max(off, on + 1))
        if on >= n_steps:
            continue
        seg = best[on:off]
        if highest:
            np.maximum(seg, p, out=seg)
        else:
            np.minimum(seg, p, out=seg)
        onset_at.setdefault(on, set()).add(p)
    out = []
    cur = None
    for s in range(n_steps):
        p = int(best[s])
        sounding = p != NEG and p != 10**6
        if not sounding:
            if cur:
                out.append(tuple(cur))
                cur = None
            continue
        if cur is None or p != cur[2] or p in onset_at.get(s, ()):
            if cur:
                out.append(tuple(cur))
            cur = [s, s + 1, p]
        else:
            cur[1] = s + 1
    if cur:
        out.append(tuple(cur))
    return out


# ---------------------------------------------------------------- rendering

def estimate_piece_key(p: Piece):
    extra = [0.0] * 12
    for on, off, r, q in p.chords:
        for i in V.INTERVALS[q]:
            extra[(r + i) % 12] += 0.5 * max(1, off - on)
    notes = list(p.melody) + list(p.bass)
    h = histogram(notes, extra)
    return estimate_key(h)


def _render_line(notes, n_steps: int, tok_fn, prefer_high: bool) -> np.ndarray:
    col = np.zeros(n_steps, dtype=np.int16)
    # at equal onsets keep one note: highest for melody, lowest for bass (sorted so the kept one comes last)
    ordered = sorted(notes, key=lambda n: (n[0], n[2] if prefer_high else -n[2]))
    for on, off, p in ordered:
        if on < 0 or on >= n_steps:
            continue
        off = min(n_steps, max(off, on + 1))
        col[on] = tok_fn(p)
        col[on + 1:off] = V.HOLD
    # a later onset cuts the previous note: holds written by an earlier note but overwritten above are fine;
    # holds after a rest never appear because each hold run starts at an onset.
    return col


def render(p: Piece, shift: int) -> np.ndarray:
    """Grid int16 [n_steps, 4], pitches transposed down by `shift` semitones (tonic -> C)."""
    n = p.n_steps
    g = np.zeros((n, 4), dtype=np.int16)
    if p.track_mask[0]:
        g[:, 0] = _render_line([(a, b, q - shift) for a, b, q in p.melody], n, V.melody_token, True)
    if p.track_mask[1]:
        g[:, 1] = _render_line([(a, b, q - shift) for a, b, q in p.bass], n, V.bass_token, False)
    if p.track_mask[2]:
        for on, off, r, q in sorted(p.chords):
            on, off = max(0, on), min(n, off)
            if off > on:
                g[on:off, 2] = V.chord_token((r - shift) % 12, q)
    if p.track_mask[3]:
        for s, m in p.drums:
            if 0 <= s < n:
                g[s, 3] |= m
    return g


def transpose_shift(tonic: int, p: Piece | None = None) -> int:
    """Semitones to subtract so the tonic becomes C: down t or up 12 - t, whichever leaves fewer melody/bass
    notes outside the vocabulary ranges (octave folding breaks lines); ties -> the smaller move."""
    t = tonic % 12
    cands = sorted({t, t - 12} if t else {0}, key=abs)
    if p is None or len(cands) == 1:
        return cands[0]

    def outside(sh):
        n = sum(1 for _, _, q in p.melody if not V.MEL_LO <= q - sh <= V.MEL_HI)
        return n + sum(1 for _, _, q in p.bass if not V.BASS_LO <= q - sh <= V.BASS_HI)
    return min(cands, key=lambda sh: (outside(sh), abs(sh)))
