"""Jazz standards (iReal charts): harmony only; melody, bass, drums masked.

Form: sections in order; a section with Endings is played once per ending (main segment + that ending);
`Repeats: n` plays it n+1 times (endings cycle if there are fewer than passes). Bars split by `|`, chords
in a bar by `,`, placed evenly (1 chord = whole bar, 2 = halves, 4 = beats; 3 in 4/4 -> 5/5/6 steps).
Parenthesised chords are alternates and ignored; an empty slot continues the previous chord.
Chord symbols: `07` = dim7 (the degree sign), `m7b5`, `maj7`, `m/maj7`, `7sus`, alterations -> 7.

Style from Rhythm: swing feels, Ballad, Waltz, Even 8ths (jazz-pop straight 8ths, the harmony is jazz)
-> jazz; Bossa Nova, Latin, Samba, Afro, Latin-Swing, Calypso -> latin; Funk -> funk; Rock Pop and Slow Rock
-> rock; Even 16ths -> funk. Tempo (BPM) from Rhythm: Ballad 70, Slow Swing 90, Medium Slow 100,
Medium Swing 130, Medium Up Swing 170, Up Tempo Swing 220, Waltz 140, Bossa Nova 130, Latin 140,
Samba 180, Afro 120, Latin-Swing 140, Calypso 120, Even 8ths 120, Even 16ths 100, Funk 100, Rock Pop 120,
Slow Rock 75. Key from `Key` (`Cmin` = C minor), else Krumhansl-Schmuckler on chord tones.
Meter: 4/4 and 3/4 kept; 6/4, 5/4, 2/4 and charts without a TimeSignature dropped.
"""
from __future__ import annotations

import collections
import json
import os
import re

from ..chords import parse_chord, parse_root
from .common import Piece

RHYTHM = {
    "Ballad": ("jazz", 70), "Slow Swing": ("jazz", 90), "Medium Slow": ("jazz", 100),
    "Medium Swing": ("jazz", 130), "Medium Up Swing": ("jazz", 170), "Up Tempo Swing": ("jazz", 220),
    "Waltz": ("jazz", 140), "Even 8ths": ("jazz", 120), "Bossa Nova": ("latin", 130), "Latin": ("latin", 140),
    "Samba": ("latin", 180), "Afro": ("latin", 120), "Latin-Swing": ("latin", 140), "Calypso": ("latin", 120),
    "Funk": ("funk", 100), "Even 16ths": ("funk", 100), "Rock Pop": ("rock", 120), "Slow Rock": ("rock", 75),
}


def _bars(s):
    return s.split("|") if s else []


def play_form(sections):
    bars = []
    for sec in sections:
        main = _bars(sec.get("MainSegment", {}).get("Chords", ""))
        ends = [_bars(e.get("Chords", "")) for e in sec.get("Endings", []) or []]
        passes = int(sec.get("Repeats", 0) or 0) + 1
        if ends:
            passes = max(passes, len(ends))
            for i in range(passes):
                bars += main + ends[min(i, len(ends) - 1)]
        else:
            for _ in range(passes):
                bars += main
    return bars


def chart_piece(chart, idx, drops: collections.Counter):
    title = chart.get("Title", f"chart{idx}")
    meter = {"4/4": "4/4", "3/4": "3/4"}.get(chart.get("TimeSignature") or "")
    if meter is None:
        drops[f"jazz_standards: meter {chart.get('TimeSignature')}"] += 1
        return None
    rhythm = chart.get("Rhythm") or ""
    style, bpm = RHYTHM.get(rhythm, ("jazz", None))
    spb = 16 if meter == "4/4" else 12
    chords = []
    prev = None
    bars = play_form(chart.get("Sections", []))
    for bi, bar in enumerate(bars):
        slots = bar.split(",")
        k = len(slots)
        for j, sym in enumerate(slots):
            a = bi * spb + (j * spb) // k
            b = bi * spb + ((j + 1) * spb) // k
            sym = re.sub(r"\([^)]*\)", "", sym).strip()
            c = parse_chord(sym) if sym else prev
            if sym and c is None and parse_root(sym) is None and sym.upper() not in ("N.C.", "NC", "N"):
                c = prev  # unparsable symbol: keep the previous chord
            prev = c
            if c is None:
                continue
            if chords and chords[-1][1] == a and chords[-1][2:] == c:
                chords[-1] = (chords[-1][0], b, c[0], c[1])
            else:
                chords.append((a, b, c[0], c[1]))
    if not bars:
        drops["jazz_standards: empty"] += 1
        return None
    tonic = mode = None
    key = chart.get("Key")
    if key:
        r = parse_root(key)
        if r is not None:
            tonic, mode = r[0], ("minor" if r[1].startswith("m") else "major")
    safe = re.sub(r"[^A-Za-z0-9]+", "_", title).strip("_")
    return Piece(name=f"jazz_standards/{idx:04d}_{safe}", source="jazz_standards", style=style, meter=meter,
                 n_steps=len(bars) * spb, chords=chords, track_mask=(0, 0, 1, 0), tonic=tonic, mode=mode,
                 tempo=bpm, split_key=f"jazz_standards/{title}")


def load_all(root: str, drops: collections.Counter):
    with open(os.path.join(root, "jazz-standards", "JazzStandards.json"), encoding="utf-8") as f:
        d = json.load(f)
    out = []
    for i, ch in enumerate(d):
        p = chart_piece(ch, i, drops)
        if p is not None:
            out.append(p)
    return out
