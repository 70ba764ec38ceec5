"""Chord symbols -> (root pitch class, quality index) and chord recognition from pitches.

Qualities are the vocabulary's 12 (maj, min, 7, maj7, min7, m7b5, dim, dim7, aug, sus4, 6, m6).
Extensions are dropped to the closest of them: 9/11/13/alt/7b9 -> 7, maj9/maj7#11 -> maj7, m9/m11 -> min7,
min-maj7 -> min, sus2 -> maj (functions as the plain triad), 7sus/sus4(b7) -> sus4, +7 -> 7, 69 -> 6,
m69 -> m6, power chord 5 -> maj. Slash basses (C/E, maj/3 inversions) are ignored: the root is kept.
"""
from __future__ import annotations

import re

from .vocab import INTERVALS, Q

_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
NONE_SYMBOLS = {"", "N", "NC", "N.C.", "N.C", "X"}


def parse_root(s: str) -> tuple[int, str] | None:
    """'Bb7' -> (10, '7'). Accidentals: #, b, s (sharp, some corpora), -/+ are not accidentals."""
    if not s or s[0].upper() not in _PC:
        return None
    pc = _PC[s[0].upper()]
    i = 1
    while i < len(s) and s[i] in "#b♯♭":
        # 'b' is an accidental unless it starts a quality ('b' never starts one in our syntaxes)
        pc += 1 if s[i] in "#♯" else -1
        i += 1
    return pc % 12, s[i:]


def _quality(q: str) -> int:
    q = q.strip()
    q = q.split("/")[0]  # slash bass
    q = q.replace("(", "").replace(")", "")
    ql = q.lower()
    if ql.startswith(":"):
        ql = ql[1:]
    # POP909 (Harte) style
    harte = {"maj": "maj", "min": "min", "7": "7", "maj7": "maj7", "min7": "min7", "hdim7": "m7b5",
             "dim": "dim", "dim7": "dim7", "aug": "aug", "sus4": "sus4", "sus2": "maj", "maj6": "6",
             "min6": "m6", "minmaj7": "min", "sus4(b7)": "sus4", "9": "7", "maj9": "maj7", "min9": "min7",
             "11": "7", "13": "7", "min11": "min7", "aug7": "7", "5": "maj", "1": "maj", "6": "6"}
    if ql in harte:
        return Q[harte[ql]]
    if ql.startswith("sus4(") or ql.startswith("sus2("):
        return Q["sus4"] if "b7" in ql and ql.startswith("sus4") else Q["maj"] if ql.startswith("sus2") else Q["sus4"]
    # half-diminished: m7b5, -7b5, h7, h, ø
    if ql.startswith(("m7b5", "-7b5", "min7b5", "h", "ø")):
        return Q["m7b5"]
    # diminished: o7, 07 (JazzStandards' spelling of the degree sign), dim7, o, dim
    if ql.startswith(("o7", "07", "dim7", "°7")):
        return Q["dim7"]
    if ql.startswith(("o", "dim", "°")):
        return Q["dim"]
    if ql.startswith(("+7", "aug7", "7#5", "+9")):
        return Q["7"]
    if ql.startswith(("+", "aug")):
        return Q["aug"]
    if ql.startswith("sus"):
        return Q["sus4"]
    if re.match(r"^(7|9|11|13)sus", ql):
        return Q["sus4"]
    # minor family: '-' (Jazzomat/iReal) or 'm'/'min' not followed by 'aj'
    if ql.startswith("-") or (ql.startswith("m") and not ql.startswith("maj")):
        rest = ql[1:] if ql.startswith("-") else (ql[3:] if ql.startswith("min") else ql[1:])
        if rest.startswith(("j7", "^", "maj", "/maj", "(maj", "m7", "j")):  # min-maj7
            return Q["min"]
        if rest.startswith(("69", "6")):
            return Q["m6"]
        if rest.startswith(("7", "9", "11", "13")):
            return Q["min7"]
        return Q["min"]
    if ql.startswith(("j", "^", "maj", "Δ", "ma7", "ma9")) or q.startswith("M7"):
        return Q["maj7"]
    if ql.startswith(("69", "6")):
        return Q["6"]
    if ql.startswith(("7", "9", "11", "13", "alt")):
        return Q["7"]
    if ql.startswith(("2", "add", "5")) or ql == "":
        return Q["maj"]
    return Q["maj"]


def parse_chord(sym: str) -> tuple[int, int] | None:
    """Parse a chord symbol (POP909 'B:maj7', Jazzomat 'D-7', iReal 'C^7', JazzStandards 'Bb07').

    Returns (root_pc, quality_index) or None for no-chord / unparsable.
    """
    s = sym.strip()
    if s.upper() in NONE_SYMBOLS:
        return None
    if ":" in s:  # Harte: ROOT:quality[/bass]
        root, q = s.split(":", 1)
        r = parse_root(root)
        if r is None:
            return None
        return r[0], _quality(q)
    r = parse_root(s)
    if r is None:
        return None
    return r[0], _quality(r[1])


# ---------------------------------------------------------------- recognition

_TEMPLATES = [(root, qi, frozenset((root + i) % 12 for i in iv)) for qi, iv in enumerate(INTERVALS) for root in range(12)]
# gentle prior: plain triads and common sevenths win ties; rare qualities need clear evidence
_PRIOR = {"maj": 0.06, "min": 0.05, "7": 0.03, "maj7": 0.0, "min7": 0.0, "m7b5": -0.02, "dim": -0.04,
          "dim7": -0.05, "aug": -0.08, "sus4": -0.06, "6": -0.04, "m6": -0.05}
_PRIOR_BY_Q = [_PRIOR[q] for q in Q]


def recognise(weights, bass_pc: int | None = None, min_total: float = 1e-9) -> tuple[int, int] | None:
    """Template matching on a 12-bin pitch-class weight vector (absolute pitch classes).

    score = weight on chord tones - weight on other tones - 0.5*max weight per missing chord tone
            + 0.25*max weight if the lowest sounding pitch class is the root + small prior.
    Returns (root_pc, quality_index) or None when nothing sounds.
    """
    w = [float(x) for x in weights]
    tot = sum(w)
    if tot <= min_total:
        return None
    w = [x / tot for x in w]
    mx = max(w)
    best, best_s = None, -1e9
    for root, qi, pcs in _TEMPLATES:
        inside = sum(w[p] for p in pcs)
        missing = sum(1 for p in pcs if w[p] <= 0)
        s = inside - (1.0 - inside) - 0.5 * mx * missing + _PRIOR_BY_Q[qi] * mx
        if bass_pc is not None and bass_pc == root:
            s += 0.25 * mx
        if s > best_s + 1e-12:
            best, best_s = (root, qi), s
    return best


def recognise_pitches(pitches, durations=None) -> tuple[int, int] | None:
    """Recognise a chord from MIDI pitches (optionally weighted by durations); lowest pitch = bass hint."""
    pitches = list(pitches)
    if not pitches:
        return None
    w = [0.0] * 12
    for i, p in enumerate(pitches):
        w[p % 12] += 1.0 if durations is None else float(durations[i])
    return recognise(w, bass_pc=min(pitches) % 12)
