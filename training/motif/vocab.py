"""Grid vocabulary (src/music/vocabulary.json) and encode/decode helpers.

Tokens per cell (see the JSON's notes):
  melody/bass: 0 rest, 1 hold, 2 + (pitch - lowPitch) onset; out-of-range pitches are octave-folded.
  harmony: 0 none, 1 + root*12 + quality (root relative to the tonic, C = 0).
  drums: bitmask over the 8 classes.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache

_HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB_PATH = os.path.normpath(os.path.join(_HERE, "..", "..", "src", "music", "vocabulary.json"))


@lru_cache(maxsize=None)
def load(path: str = VOCAB_PATH) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


V = load()
TRACKS = V["tracks"]
MEL_LO, MEL_HI = V["melody"]["lowPitch"], V["melody"]["highPitch"]
BASS_LO, BASS_HI = V["bass"]["lowPitch"], V["bass"]["highPitch"]
QUALITIES = V["harmony"]["qualities"]
INTERVALS = [tuple(x) for x in V["harmony"]["intervals"]]
Q = {q: i for i, q in enumerate(QUALITIES)}
DRUM_CLASSES = V["drums"]["classes"]
STYLES = V["learnedStyles"]
COND = V["conditions"]
TEMPO_EDGES = COND["tempoEdges"]
REST, HOLD = 0, 1
SIZES = [V[t]["size"] for t in TRACKS]
NOTE_NAMES = ["C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"]
METER_STEPS = {"4/4": 16, "3/4": 12, "6/8": 12}


def fold(pitch: int, lo: int, hi: int) -> int:
    """Fold a MIDI pitch by octaves into [lo, hi]."""
    while pitch < lo:
        pitch += 12
    while pitch > hi:
        pitch -= 12
    return pitch


def melody_token(pitch: int) -> int:
    return 2 + fold(pitch, MEL_LO, MEL_HI) - MEL_LO


def bass_token(pitch: int) -> int:
    return 2 + fold(pitch, BASS_LO, BASS_HI) - BASS_LO


def pitch_of(token: int, track: str) -> int | None:
    lo = MEL_LO if track == "melody" else BASS_LO
    return None if token < 2 else lo + token - 2


def chord_token(root: int, quality: int | str) -> int:
    """root: pitch class relative to the tonic; quality: index or name."""
    qi = Q[quality] if isinstance(quality, str) else int(quality)
    return 1 + (root % 12) * 12 + qi


def chord_of(token: int) -> tuple[int, int] | None:
    if token <= 0:
        return None
    return (token - 1) // 12, (token - 1) % 12


def chord_pcs(token: int) -> set[int]:
    c = chord_of(token)
    if c is None:
        return set()
    return {(c[0] + i) % 12 for i in INTERVALS[c[1]]}


def chord_name(token: int) -> str:
    c = chord_of(token)
    return "N" if c is None else NOTE_NAMES[c[0]] + ("" if QUALITIES[c[1]] == "maj" else QUALITIES[c[1]])


# General MIDI drum key -> class name. Groove (Roland TD-11) extras mapped per the brief.
_DRUM_MAP = {
    35: "kick", 36: "kick",
    37: "snare", 38: "snare", 39: "snare", 40: "snare",
    42: "closedHat", 44: "closedHat", 22: "closedHat",  # 22 = hat edge (closed), 44 = pedal hat
    46: "openHat", 26: "openHat",  # 26 = hat edge (open)
    41: "lowTom", 43: "lowTom", 45: "lowTom", 58: "lowTom",  # floor toms (58 = floor tom rim in Groove)
    47: "highTom", 48: "highTom", 50: "highTom",
    49: "crash", 52: "crash", 55: "crash", 57: "crash",  # crash/china/splash
    51: "ride", 53: "ride", 59: "ride",  # ride bow/bell/edge
    54: "closedHat",  # tambourine: hat-like timekeeping
}


def drum_class(gm_key: int) -> int | None:
    """Class index for a GM drum key, None for keys we drop (cowbell, other percussion)."""
    name = _DRUM_MAP.get(int(gm_key))
    return None if name is None else DRUM_CLASSES.index(name)


def drum_bit(gm_key: int) -> int:
    c = drum_class(gm_key)
    return 0 if c is None else 1 << c


def drums_name(mask: int) -> str:
    short = {"kick": "K", "snare": "S", "closedHat": "h", "openHat": "o", "lowTom": "t", "highTom": "T",
             "crash": "C", "ride": "r"}
    return "".join(short[c] for i, c in enumerate(DRUM_CLASSES) if mask >> i & 1) or "."


def tempo_bucket(bpm: float | None) -> int:
    if not bpm or bpm <= 0:
        return 0
    b = 1
    for e in TEMPO_EDGES:
        if bpm >= e:
            b += 1
    return b


def cond_index(kind: str, value: str | None) -> int:
    if value is None:
        return 0
    return COND[kind].index(value)


def style_index(name: str) -> int:
    return STYLES.index(name)
