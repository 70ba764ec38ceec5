"""JSB chorales (classical): soprano -> melody, bass voice -> bass, harmony recognised per beat (4 steps)
from all four voices (lowest voice = bass hint).

The JSON is one entry per 16th (SATB pitches, -1 rest). Held and repeated notes look the same: equal
consecutive pitches are a hold, but every beat start (step % 4 == 0) re-attacks (chorales move in quarters).
Meter: the data carries none; all chorales are taken as 4/4 (the large majority are). Bar phase: the final
bar is assumed complete, so the remainder n % 16 is an anacrusis: we prepend (16 - n % 16) % 16 rest steps.
Key: Krumhansl-Schmuckler. Tempo: unknown (0). Splits: the data set's own train/valid/test.
"""
from __future__ import annotations

import json
import os

from ..chords import recognise_pitches
from .common import Piece

SPLITS = {"train": 0, "valid": 1, "test": 2}


def voice_line(seq, v, pad):
    notes, cur = [], None
    for i, step in enumerate(seq):
        p = int(step[v]) if step[v] is not None else -1
        s = i + pad
        if p < 0:
            if cur:
                notes.append(tuple(cur))
                cur = None
            continue
        if cur is None or p != cur[2] or s % 4 == 0:
            if cur:
                notes.append(tuple(cur))
            cur = [s, s + 1, p]
        else:
            cur[1] = s + 1
    if cur:
        notes.append(tuple(cur))
    return notes


def chorale_piece(seq, name, split):
    n = len(seq)
    pad = (16 - n % 16) % 16
    total = n + pad
    mel = voice_line(seq, 0, pad)
    bass = voice_line(seq, 3, pad)
    chords = []
    for b in range(0, total, 4):
        ps = [int(p) for st in seq[max(0, b - pad):max(0, b + 4 - pad)] for p in st if p is not None and p >= 0]
        c = recognise_pitches(ps)
        if c is None:
            continue
        if chords and chords[-1][1] == b and chords[-1][2:] == c:
            chords[-1] = (chords[-1][0], b + 4, c[0], c[1])
        else:
            chords.append((b, b + 4, c[0], c[1]))
    return Piece(name=name, source="jsb", style="classical", meter="4/4", n_steps=total, melody=mel, bass=bass,
                 chords=chords, track_mask=(1, 1, 1, 0), tempo=None, split=split)


def load_all(root: str):
    with open(os.path.join(root, "jsb-chorales", "Jsb16thSeparated.json")) as f:
        d = json.load(f)
    out = []
    for sp in ("train", "valid", "test"):
        for i, seq in enumerate(d.get(sp, [])):
            out.append(chorale_piece(seq, f"jsb/{sp}/{i:03d}", SPLITS[sp]))
    return out
