"""Krumhansl-Schmuckler key estimation from a pitch-class histogram (duration-weighted).

Used where the source gives no key (JSB, WJazzD, VGMIDI, Nottingham whose key signature does not carry the
mode, JazzStandards without Key). Returns (tonic_pc, 'major'|'minor').
"""
from __future__ import annotations

import math

MAJOR = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]
MINOR = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]


def _corr(a, b):
    ma, mb = sum(a) / 12, sum(b) / 12
    num = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    den = math.sqrt(sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b))
    return num / den if den > 0 else 0.0


def estimate_key(hist) -> tuple[int, str] | None:
    h = [float(x) for x in hist]
    if sum(h) <= 0:
        return None
    best, best_r = None, -2.0
    for mode, prof in (("major", MAJOR), ("minor", MINOR)):
        for t in range(12):
            rot = [prof[(pc - t) % 12] for pc in range(12)]
            r = _corr(h, rot)
            if r > best_r + 1e-12:
                best, best_r = (t, mode), r
    return best


def histogram(notes, extra=None):
    """notes: iterable of (on, off, pitch) in steps; extra: optional 12-vector to add."""
    h = [0.0] * 12
    for on, off, p in notes:
        h[p % 12] += max(1, off - on)
    if extra is not None:
        for i in range(12):
            h[i] += extra[i]
    return h
