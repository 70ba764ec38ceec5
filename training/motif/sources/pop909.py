"""POP909 (pop): MELODY -> melody, lowest PIANO note below E4 -> bass, chord_midi.txt -> harmony,
key_audio.txt -> key (the longest-lasting key when it changes; modulating songs keep one transposition).

Timing: notes (MIDI ticks -> seconds through the tempo map) and chord labels (seconds) are both mapped to
beat positions by linear interpolation in beat_midi.txt (beat times in seconds), then to 16ths
(4 per beat). Bars: column 3 = downbeat flags every 4 beats (4/4); songs whose column-3 marks come every
6 beats and column-2 marks every 3 are 3/4 (bars at the column-2 marks). Bars of irregular length (a 2-beat
bar, a missing beat) split the song into separately stored segments `NNN#k`.

Bar phase: the beat tracker's downbeats are sometimes a beat or more off. In about one segment in seventeen the
chords change mostly on beat 2 or 4 (and the bass plays there: 95% of bars on beat 2, 22% on beat 1, in the 82
segments whose chords change mostly on beat 2), which taught the model pop bass lines that avoid the downbeat.
With `realign_bars` (`python -m motif.prepare --pop909-bar-phase`, `MOTIF_POP909_BAR_PHASE=1 npm run train`; off by
default until a model trained so ships, so that `npm run train` reproduces models/), a segment whose chords change
clearly more often on another beat of the bar than on beat 1 (`bar_phase`) has its bar lines moved to that beat; it
loses its first and last partial bars. 129 of 2,179 segments move (82 by one beat, 24 by two, 23 by three).
"""
from __future__ import annotations

import collections
import os

import numpy as np

from ..chords import parse_chord
from .common import Piece, line_from_notes, read_midi, tick_to_seconds_fn

BASS_MAX_PITCH = 64  # piano notes at or above E4 are never the bass line


def _beats(path):
    rows = []
    with open(path) as f:
        for line in f:
            v = line.split()
            if len(v) >= 3:
                rows.append((float(v[0]), float(v[1]), float(v[2])))
    return rows


def _mode_gap(idx):
    gaps = collections.Counter(b - a for a, b in zip(idx, idx[1:]))
    return gaps.most_common(1)[0][0] if gaps else 0


PHASE_MARGIN = 1.5  # another beat must see this many times the downbeat's chord changes
PHASE_MIN_CHANGES = 4


def bar_phase(change_beats, beats_per_bar: int) -> int:
    """The beat of the bar (0 = as annotated) where a segment's bars really start, from the beats (counted from the
    segment's first downbeat) on which its chord changes: the beat with the most changes, if it has at least
    PHASE_MIN_CHANGES and PHASE_MARGIN times the annotated downbeat's; else 0."""
    counts = np.bincount(np.asarray(change_beats, dtype=np.int64) % beats_per_bar, minlength=beats_per_bar)
    best = int(np.argmax(counts))
    if best == 0 or counts[best] < PHASE_MIN_CHANGES or counts[best] < PHASE_MARGIN * counts[0]:
        return 0
    return best


def _change_beats(chords, s0: int, s1: int):
    """Beats (from step s0) on which a chord starts that differs from the one before, within [s0, s1)."""
    out, prev = [], None
    for a, _b, root, quality in chords:
        if s0 <= a < s1 and a % 4 == 0 and prev is not None and (root, quality) != prev:
            out.append((a - s0) // 4)
        prev = (root, quality)
    return out


def load_song(song_dir: str, drops: collections.Counter, realign_bars: bool = False):
    sid = os.path.basename(song_dir.rstrip("/"))
    rows = _beats(os.path.join(song_dir, "beat_midi.txt"))
    if len(rows) < 8:
        drops["pop909: no beats"] += 1
        return []
    c3 = [i for i, r in enumerate(rows) if r[2] == 1]
    c2 = [i for i, r in enumerate(rows) if r[1] == 1]
    g3, g2 = _mode_gap(c3), _mode_gap(c2)
    if g3 == 4:
        meter, bpb, downs = "4/4", 4, c3
    elif g3 == 6 and g2 == 3:
        meter, bpb, downs = "3/4", 3, c2
    else:
        drops["pop909: meter not 4/4 or 3/4"] += 1
        return []
    bt = np.array([r[0] for r in rows])

    def sec_to_beat(s):
        s = np.asarray(s, dtype=np.float64)
        b = np.interp(s, bt, np.arange(len(bt), dtype=np.float64))
        d0, d1 = bt[1] - bt[0], bt[-1] - bt[-2]
        b = np.where(s < bt[0], (s - bt[0]) / d0, b)
        b = np.where(s > bt[-1], len(bt) - 1 + (s - bt[-1]) / d1, b)
        return b

    midi = read_midi(os.path.join(song_dir, sid + ".mid"))
    t2s = tick_to_seconds_fn(midi)
    names = [n.upper() for n in midi.track_names]
    mel_t = names.index("MELODY") if "MELODY" in names else None
    pia_t = names.index("PIANO") if "PIANO" in names else None
    if mel_t is None or pia_t is None:
        drops["pop909: missing MELODY/PIANO"] += 1
        return []
    arr = np.array([(n[0], n[1]) for n in midi.notes], dtype=np.float64)
    st = np.rint(sec_to_beat(t2s(arr[:, 0])) * 4).astype(int)
    en = np.rint(sec_to_beat(t2s(arr[:, 1])) * 4).astype(int)
    mel, pia = [], []
    for (s, e), n in zip(zip(st.tolist(), en.tolist()), midi.notes):
        e = max(e, s + 1)
        if n[5] == mel_t:
            mel.append((s, e, n[2]))
        elif n[5] == pia_t:
            pia.append((s, e, n[2]))
    chords = []
    with open(os.path.join(song_dir, "chord_midi.txt")) as f:
        for line in f:
            v = line.split()
            if len(v) < 3:
                continue
            c = parse_chord(v[2])
            if c is None:
                continue
            a, b = np.rint(sec_to_beat([float(v[0]), float(v[1])]) * 4).astype(int).tolist()
            if b > a:
                chords.append((a, b, c[0], c[1]))
    # key: longest-lasting entry
    tonic = mode = None
    kp = os.path.join(song_dir, "key_audio.txt")
    if os.path.exists(kp):
        best = -1.0
        with open(kp) as f:
            for line in f:
                v = line.split()
                if len(v) >= 3 and float(v[1]) - float(v[0]) > best:
                    c = parse_chord(v[2])
                    if c is not None:
                        best = float(v[1]) - float(v[0])
                        tonic, mode = c[0], ("minor" if v[2].endswith("min") else "major")
    bpm = 60.0 / float(np.median(np.diff(bt)))
    # regular-bar segments
    bars = [(a, b) for a, b in zip(downs, downs[1:])]
    if downs and len(rows) - downs[-1] >= bpb:
        bars.append((downs[-1], downs[-1] + bpb))
    segs, cur = [], []
    for a, b in bars:
        if b - a == bpb and (not cur or cur[-1][1] == a):
            cur.append((a, b))
        else:
            if cur:
                segs.append(cur)
            cur = [(a, b)] if b - a == bpb else []
    if cur:
        segs.append(cur)
    bass_all = line_from_notes([n for n in pia if n[2] < BASS_MAX_PITCH and n[0] >= 0], max(en.max(), 1) + 1, highest=False)
    out = []
    for k, seg in enumerate(segs):
        if len(seg) < 2:
            drops["pop909: segment < 2 bars"] += 1
            continue
        s0, s1 = seg[0][0] * 4, seg[-1][1] * 4
        phase = bar_phase(_change_beats(chords, s0, s1), bpb) if realign_bars else 0
        if phase:
            drops[f"pop909: segment bars moved by {phase} beat(s) (kept)"] += 1
            if len(seg) < 3:
                drops["pop909: segment < 2 bars"] += 1
                continue
            s0, s1 = s0 + phase * 4, s1 - (bpb - phase) * 4

        def clip(notes):
            return [(max(a, s0) - s0, min(b, s1) - s0, p) for a, b, p in notes if s0 <= a < s1]
        ch = [(max(a, s0) - s0, min(b, s1) - s0, r, q) for a, b, r, q in chords if a < s1 and b > s0]
        m = clip(mel)  # segments without melody (intros, interludes) are kept: the rests are real data
        out.append(Piece(name=f"pop909/{sid}#{k}", source="pop909", style="pop", meter=meter, n_steps=s1 - s0,
                         melody=m, bass=clip(bass_all), chords=ch, track_mask=(1, 1, 1, 0), tonic=tonic,
                         mode=mode, tempo=bpm, split_key=f"pop909/{sid}"))
    return out


def list_items(root: str):
    base = os.path.join(root, "pop909", "POP909")
    return sorted(os.path.join(base, d) for d in os.listdir(base) if d.isdigit())
