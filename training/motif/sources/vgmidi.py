"""VGMIDI labelled (game): piano arrangements. Top line (skyline of all notes) -> melody, bottom line
(lowest sounding note below C4, when it is not the melody note) -> bass, harmony recognised per beat from the
remaining notes (duration-weighted; all notes when nothing else sounds), consecutive equal chords merged.

Mood from vgmidi_labelled.csv (valence, arousal in {-1, 1}; pieces with several labelled phrases take the
majority, ties -> first): (+,+) bright-energetic, (+,-) bright-calm, (-,+) dark-energetic, (-,-) dark-calm.
The csv names phrase files `labelled/phrases/NAME_k.mid`; the pieces are `labelled/midi/NAME.mid`.
Meter from the first time signature (4/4, 2/2, 3/4, 6/8; others and meter changes dropped).
Key: Krumhansl-Schmuckler. Tempo: first set_tempo.
"""
from __future__ import annotations

import collections
import csv
import os
import re

import numpy as np

from ..chords import recognise
from .common import Piece, first_tempo_bpm, line_from_notes, meter_of, read_midi

BASS_MAX = 60


def _norm(s):
    return re.sub(r"[^a-z0-9]", "", s.lower())


def list_items(root: str):
    base = os.path.join(root, "vgmidi")
    labels = collections.defaultdict(list)
    with open(os.path.join(base, "vgmidi_labelled.csv"), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            stem = os.path.basename(r["midi"]).rsplit("_", 1)[0]
            labels[_norm(stem)].append((int(r["valence"]), int(r["arousal"])))
    out = []
    mdir = os.path.join(base, "labelled", "midi")
    for fn in sorted(os.listdir(mdir)):
        if fn.endswith(".mid"):
            out.append((os.path.join(mdir, fn), labels.get(_norm(fn[:-4]), [])))
    return out


def mood_of(labels):
    if not labels:
        return 0
    c = collections.Counter(labels)
    top = max(c.values())
    va = next(l for l in labels if c[l] == top)
    return {(1, 1): 1, (1, -1): 2, (-1, 1): 3, (-1, -1): 4}.get(va, 0)


def load_piece(item, drops: collections.Counter):
    path, labels = item
    m = read_midi(path)
    sigs = {(n, d) for t, n, d in m.time_sigs} or {(4, 4)}
    meters = {meter_of(n, d) for n, d in sigs}
    if len(meters) != 1 or None in meters:
        drops["vgmidi: meter not 4/4, 3/4, 6/8 throughout"] += 1
        return []
    meter = meters.pop()
    q = m.tpb / 4.0
    notes = [(int(round(a / q)), max(int(round(b / q)), int(round(a / q)) + 1), p) for a, b, p, v, ch, ti in m.notes if ch != 9]
    if not notes:
        drops["vgmidi: no notes"] += 1
        return []
    spb = 16 if meter == "4/4" else 12
    end = max(b for _, b, _ in notes)
    n_steps = -(-end // spb) * spb
    mel = line_from_notes(notes, n_steps, highest=True)
    mel_set = set(mel)
    low = [n for n in notes if n[2] < BASS_MAX]
    bass = [n for n in line_from_notes(low, n_steps, highest=False)]
    # drop bass steps that are the melody itself
    mel_pitch = np.full(n_steps, -1)
    for a, b, p in mel:
        mel_pitch[a:b] = p
    bass = [n for n in bass if not np.all(mel_pitch[n[0]:n[1]] == n[2])]
    rest = [n for n in notes if n not in mel_set] or notes
    beat = 6 if meter == "6/8" else 4
    nb = n_steps // beat
    w = np.zeros((nb, 12))
    lowest = np.full(nb, 999)
    for a, b, p in rest:
        for bi in range(a // beat, min(nb, (b - 1) // beat + 1)):
            ov = min(b, (bi + 1) * beat) - max(a, bi * beat)
            if ov > 0:
                w[bi, p % 12] += ov
                lowest[bi] = min(lowest[bi], p)
    chords = []
    for bi in range(nb):
        c = recognise(w[bi], bass_pc=int(lowest[bi]) % 12 if lowest[bi] < 999 else None)
        if c is None:
            continue
        s = bi * beat
        if chords and chords[-1][1] == s and chords[-1][2:] == c:
            chords[-1] = (chords[-1][0], s + beat, c[0], c[1])
        else:
            chords.append((s, s + beat, c[0], c[1]))
    name = os.path.basename(path)[:-4]
    return [Piece(name=f"vgmidi/{name}", source="vgmidi", style="game", meter=meter, n_steps=n_steps, melody=mel,
                  bass=bass, chords=chords, track_mask=(1, 1, 1, 0), tempo=first_tempo_bpm(m), mood=mood_of(labels))]
