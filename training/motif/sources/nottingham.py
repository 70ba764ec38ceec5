"""Nottingham (folk): MIDI/melody/NAME.mid -> melody, MIDI/chords/NAME.mid -> harmony (block chords
recognised at each chord onset, lasting to the next chord onset or the chord's release), bass = the chord
root at its onset, placed in C2..B2 (36..47), re-attacked only when the chord changes or after a gap.

The converter pads the anacrusis to a full bar, so bars start at tick 0. Meter from the time signature:
4/4 and 2/2 -> 4/4, 3/4, 6/8; 2/4, 9/8 (slip jigs), others and tunes that change meter are dropped.
Key: the key signature does not give the mode (dorian/mixolydian tunes), so Krumhansl-Schmuckler on
melody + chords. Tempo: the file's first set_tempo (quarter-note BPM).
"""
from __future__ import annotations

import collections
import os

from ..chords import recognise_pitches
from .common import Piece, first_tempo_bpm, meter_of, read_midi


def load_tune(path_pair, drops: collections.Counter):
    mel_path, chd_path = path_pair
    name = os.path.splitext(os.path.basename(mel_path))[0]
    m = read_midi(mel_path)
    sigs = {(n, d) for _, n, d in m.time_sigs} or {(4, 4)}
    meters = {meter_of(n, d) for n, d in sigs}
    if len(sigs) != 1 and len(meters) != 1:
        drops["nottingham: meter changes"] += 1
        return []
    meter = meters.pop()
    if meter is None:
        drops[f"nottingham: meter {'/'.join(map(str, sigs.pop()))}"] += 1
        return []
    q = m.tpb / 4.0

    def st(t):
        return int(round(t / q))
    mel = [(st(a), max(st(b), st(a) + 1), p) for a, b, p, *_ in m.notes]
    chords, bass = [], []
    end = max((b for _, b, _ in mel), default=0)
    if chd_path and os.path.exists(chd_path):
        c = read_midi(chd_path)
        groups = collections.defaultdict(list)
        for a, b, p, *_ in c.notes:
            groups[st(a)].append((st(b), p))
        onsets = sorted(groups)
        for i, on in enumerate(onsets):
            rel = max(b for b, _ in groups[on])
            nxt = onsets[i + 1] if i + 1 < len(onsets) else rel
            off = max(on + 1, min(nxt, rel) if rel > on else nxt)
            ch = recognise_pitches([p for _, p in groups[on]])
            if ch is None:
                continue
            if chords and chords[-1][1] == on and chords[-1][2:] == ch:
                chords[-1] = (chords[-1][0], off, ch[0], ch[1])
            else:
                chords.append((on, off, ch[0], ch[1]))
        for on, off, r, qq in chords:
            if bass and bass[-1][1] == on and bass[-1][2] % 12 == r:
                bass[-1] = (bass[-1][0], off, bass[-1][2])
            else:
                bass.append((on, off, 36 + r))
        end = max(end, max((c[1] for c in chords), default=0))
    spb = 16 if meter == "4/4" else 12
    n_steps = -(-end // spb) * spb
    has_chords = 1 if chords else 0
    return [Piece(name=f"nottingham/{name}", source="nottingham", style="folk", meter=meter, n_steps=n_steps,
                  melody=mel, bass=bass, chords=chords, track_mask=(1, has_chords, has_chords, 0),
                  tempo=first_tempo_bpm(m))]


def list_items(root: str):
    base = os.path.join(root, "nottingham", "MIDI")
    out = []
    for f in sorted(os.listdir(os.path.join(base, "melody"))):
        if f.endswith(".mid"):
            out.append((os.path.join(base, "melody", f), os.path.join(base, "chords", f)))
    return out
