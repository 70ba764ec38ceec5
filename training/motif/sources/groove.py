"""Groove MIDI (drums): `beat` and `fill` files, hits quantised to the nearest 16th (class bitmask,
micro-timing and velocity dropped); melody/bass/harmony masked. Bars start at tick 0.

Style from info.csv's style prefix: rock/punk -> rock; funk/soul -> funk; latin/afrobeat/afrocuban/highlife
-> latin; jazz/neworleans/blues (shuffle feels) -> jazz; hiphop -> hiphop; pop/dance/gospel -> pop;
country -> folk (a train beat is the nearest thing folk gets to drums); reggae -> reggae; others dropped.
Tempo from info.csv bpm; split from info.csv. Meter 4-4, 3-4, 6-8 kept. Fills are kept even when they
are a single bar (the 2-bar minimum applies to beats only); a hit quantised onto the next downbeat makes
the fill span that bar too.
"""
from __future__ import annotations

import collections
import csv
import os

from .. import vocab as V
from .common import Piece, read_midi

STYLE = {"rock": "rock", "punk": "rock", "funk": "funk", "soul": "funk", "latin": "latin", "afrobeat": "latin",
         "afrocuban": "latin", "highlife": "latin", "jazz": "jazz", "neworleans": "jazz", "blues": "jazz",
         "hiphop": "hiphop", "pop": "pop", "dance": "pop", "gospel": "pop", "country": "folk", "reggae": "reggae"}
METERS = {"4-4": "4/4", "3-4": "3/4", "6-8": "6/8"}
SPLITS = {"train": 0, "validation": 1, "valid": 1, "test": 2}


def list_items(root: str):
    base = os.path.join(root, "groove", "groove")
    with open(os.path.join(base, "info.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    rows.sort(key=lambda r: r["midi_filename"])
    return [(base, r) for r in rows]


def load_file(item, drops: collections.Counter):
    base, r = item
    style = STYLE.get(r["style"].split("/")[0])
    if style is None:
        drops[f"groove: style {r['style'].split('/')[0]}"] += 1
        return []
    meter = METERS.get(r["time_signature"])
    if meter is None:
        drops[f"groove: meter {r['time_signature']}"] += 1
        return []
    m = read_midi(os.path.join(base, r["midi_filename"]))
    q = m.tpb / 4.0
    hits = collections.defaultdict(int)
    for a, b, p, vel, ch, ti in m.notes:
        bit = V.drum_bit(p)
        if bit:
            hits[int(round(a / q))] |= bit
    if not hits:
        drops["groove: no hits"] += 1
        return []
    spb = V.METER_STEPS[meter]
    end = max(hits) + 1
    n_steps = -(-end // spb) * spb
    name = os.path.splitext(r["midi_filename"])[0]
    return [Piece(name=f"groove/{name}", source="groove", style=style, meter=meter, n_steps=n_steps,
                  drums=sorted(hits.items()), track_mask=(0, 0, 0, 1), tempo=float(r["bpm"]),
                  split=SPLITS.get(r["split"], 0), min_bars=1 if r["beat_type"] == "fill" else 2)]
