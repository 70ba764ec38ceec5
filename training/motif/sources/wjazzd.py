"""Weimar Jazz Database solos (jazz): mcsv_melody -> melody, mcsv_beat -> harmony (chord per beat,
Jazzomat symbols) and bass (`bass` pitch per beat where the column exists; a new onset when the pitch
changes and at every bar start, else held; files without the column get a masked bass).

Onset step = (bar - first_bar) * steps_per_bar + (beat - 1) * 4 + round(4 * (tatum - 1) / division)
(swing and triplet tatums snap to the nearest 16th; a tatum rounding to the next beat moves there).
Duration: round(duration / beat_duration * 4) steps, at least 1. The grid runs from the first bar holding
a melody note (pickup bars before the solo are negative and included) to the last one. Meter: files whose
signature is 4/4 or 3/4 throughout (others dropped). Key: Krumhansl-Schmuckler on melody + chords.
Tempo: 60 / median beat_duration.
"""
from __future__ import annotations

import collections
import csv
import os
import statistics

from ..chords import parse_chord
from .common import Piece


def _sig(s):
    s = s.strip().strip("'\"")
    return {"4/4": "4/4", "3/4": "3/4"}.get(s)


def list_items(root: str):
    base = os.path.join(root, "wjazzd")
    out = []
    for f in sorted(os.listdir(os.path.join(base, "mcsv_melody"))):
        if f.endswith(".csv"):
            stem = f[:-4]
            out.append((os.path.join(base, "mcsv_melody", f), os.path.join(base, "mcsv_beat", stem + "_beattrack.csv")))
    return out


def load_solo(item, drops: collections.Counter):
    mp, bp = item
    name = os.path.basename(mp)[:-4]
    with open(mp, newline="") as f:
        mel = list(csv.DictReader(f))
    beats = []
    if os.path.exists(bp):
        with open(bp, newline="") as f:
            beats = list(csv.DictReader(f))
    if not mel:
        drops["wjazzd: empty"] += 1
        return []
    sigs = {_sig(r["signature"]) for r in mel} | {_sig(r["signature"]) for r in beats}
    if len(sigs) != 1 or None in sigs:
        drops["wjazzd: meter not 4/4 or 3/4 throughout"] += 1
        return []
    meter = sigs.pop()
    bpb = 4 if meter == "4/4" else 3
    spb = bpb * 4
    bar0 = min(int(r["bar"]) for r in mel)
    bar1 = max(int(r["bar"]) for r in mel)
    n_steps = (bar1 - bar0 + 1) * spb
    notes = []
    for r in mel:
        div = max(1, int(r["division"]))
        s = (int(r["bar"]) - bar0) * spb + (int(r["beat"]) - 1) * 4 + int(round(4 * (int(r["tatum"]) - 1) / div))
        bd = float(r["beat_duration"]) or 0.5
        d = max(1, int(round(float(r["duration"]) / bd * 4)))
        notes.append((s, s + d, int(float(r["pitch"]))))
    chords, bass = [], []
    has_bass = bool(beats) and "bass" in beats[0]
    for r in beats:
        b = int(r["bar"])
        if b < bar0 or b > bar1:
            continue
        s = (b - bar0) * spb + (int(r["beat"]) - 1) * 4
        c = parse_chord(r["chord"])
        if c is not None:
            if chords and chords[-1][1] == s and chords[-1][2:] == c:
                chords[-1] = (chords[-1][0], s + 4, c[0], c[1])
            else:
                chords.append((s, s + 4, c[0], c[1]))
        if has_bass:
            try:
                p = int(float(r["bass"]))
            except ValueError:
                continue
            if p <= 0:
                continue
            if bass and bass[-1][1] == s and bass[-1][2] == p and s % spb != 0:
                bass[-1] = (bass[-1][0], s + 4, p)
            else:
                bass.append((s, s + 4, p))
    bds = [float(r["beat_duration"]) for r in mel if float(r["beat_duration"]) > 0]
    bpm = 60.0 / statistics.median(bds) if bds else None
    return [Piece(name=f"wjazzd/{name}", source="wjazzd", style="jazz", meter=meter, n_steps=n_steps,
                  melody=notes, bass=bass, chords=chords, track_mask=(1, 1 if has_bass else 0, 1, 0), tempo=bpm)]
