"""Build the training grid data set from the public data sets in ../shared/data.

    python -m motif.prepare --data ../shared/data --out .cache/dataset.npz     (from training/)

Output (.npz, written atomically): see FORMAT below / README of the report.

Conditions
- tempo: vocabulary tempoEdges bucket of the source's quarter-note BPM (0 when unknown: JSB, Nottingham
  files without a tempo event).
- density: melody onsets per bar, buckets at the terciles of all pieces with a melody (thresholds saved as
  `density_thresholds`). Drum-only pieces (Groove) use drum-hit steps per bar with their own terciles
  (`drum_density_thresholds`). Harmony-only pieces (jazz standards): 0.
- mode: the source's key (POP909 key_audio, JazzStandards Key) else Krumhansl-Schmuckler; 0 for drums.
- meter: 4/4, 3/4, 6/8.
- mood: VGMIDI's valence/arousal labels: (+,+) bright-energetic, (+,-) bright-calm, (-,+) dark-energetic,
  (-,-) dark-calm. Elsewhere derived: valence = mode (major bright, minor dark; unknown mode -> mood 0),
  arousal = energetic when melody onsets per second (onsets/bar * bars/s) >= the median over all pieces
  with a melody and a tempo (`arousal_threshold`); without a tempo, onsets per bar >= their median;
  harmony-only pieces: energetic when BPM >= 130. Drum-only pieces have no mode, hence mood 0.
"""
from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import os
import random
import sys
import time

import numpy as np

from . import vocab as V
from .sources import common
from .sources.common import Piece

SOURCES = ["pop909", "nottingham", "jsb", "groove", "wjazzd", "jazz_standards", "vgmidi"]


# --------------------------------------------------------------------------- loading (workers)

def _load_one(args):
    src, item, pop909_bar_phase = args
    drops = collections.Counter()
    try:
        if src == "pop909":
            from .sources import pop909
            ps = pop909.load_song(item, drops, realign_bars=pop909_bar_phase)
        elif src == "nottingham":
            from .sources import nottingham
            ps = nottingham.load_tune(item, drops)
        elif src == "groove":
            from .sources import groove
            ps = groove.load_file(item, drops)
        elif src == "wjazzd":
            from .sources import wjazzd
            ps = wjazzd.load_solo(item, drops)
        elif src == "vgmidi":
            from .sources import vgmidi
            ps = vgmidi.load_piece(item, drops)
        else:
            raise ValueError(src)
    except Exception as e:  # a broken file must not stop the run; it is counted
        drops[f"{src}: error {type(e).__name__}"] += 1
        ps = []
    return [_finish(p) for p in ps], drops


def _items(src, root):
    if src == "pop909":
        from .sources import pop909
        return pop909.list_items(root)
    if src == "nottingham":
        from .sources import nottingham
        return nottingham.list_items(root)
    if src == "groove":
        from .sources import groove
        return groove.list_items(root)
    if src == "wjazzd":
        from .sources import wjazzd
        return wjazzd.list_items(root)
    if src == "vgmidi":
        from .sources import vgmidi
        return vgmidi.list_items(root)
    return None


def _finish(p: Piece):
    """Key, transposition, grid and raw stats for one piece (runs in the workers)."""
    if p.track_mask[:3] != (0, 0, 0) and (p.tonic is None or p.mode is None):
        k = common.estimate_piece_key(p)
        if k is not None:
            p.tonic, p.mode = k
    shift = common.transpose_shift(p.tonic, p) if p.tonic is not None else 0
    g = common.render(p, shift)
    # trim whole silent bars at both ends (intros before the music, tails after it)
    spb = p.steps_per_bar
    nz = np.nonzero(np.any(g != 0, axis=1))[0]
    if len(nz):
        a, b = (nz[0] // spb) * spb, -(-(nz[-1] + 1) // spb) * spb
        g = g[a:b]
        if len(g) and g[0, 0] == V.HOLD:
            g[0, 0] = 0
        if len(g) and g[0, 1] == V.HOLD:
            g[0, 1] = 0
    bars = len(g) / spb
    mel_on = int(np.count_nonzero(g[:, 0] >= 2)) if p.track_mask[0] else None
    drum_on = int(np.count_nonzero(g[:, 3])) if p.track_mask[3] else None
    split = p.split if p.split is not None else common.hash_split(p.split_key or p.name)
    return dict(min_bars=p.min_bars, name=p.name, source=p.source, style=p.style, meter=p.meter, grid=g, bars=bars,
                mode=p.mode if p.track_mask[:3] != (0, 0, 0) else None, tempo=p.tempo, mood=p.mood,
                mask=p.track_mask, split=split, mel_per_bar=None if mel_on is None else mel_on / bars,
                drum_per_bar=None if drum_on is None else drum_on / bars)


def load_sources(root, sources, workers=2, pop909_bar_phase=False):
    recs, drops = [], collections.Counter()
    for src in sources:
        t0 = time.time()
        if src == "jsb":
            from .sources import jsb
            got = [_finish(p) for p in jsb.load_all(root)]
            d = collections.Counter()
        elif src == "jazz_standards":
            from .sources import jazz_standards
            d = collections.Counter()
            got = [_finish(p) for p in jazz_standards.load_all(root, d)]
        else:
            items = _items(src, root)
            got, d = [], collections.Counter()
            with mp.get_context("fork").Pool(workers) as pool:
                for ps, dd in pool.imap(_load_one, [(src, it, pop909_bar_phase) for it in items], chunksize=4):
                    got.extend(ps)
                    d.update(dd)
        short = [r for r in got if r["bars"] < r["min_bars"]]
        got = [r for r in got if r["bars"] >= r["min_bars"]]
        if short:
            d[f"{src}: shorter than 2 bars"] += len(short)
        recs.extend(got)
        drops.update(d)
        print(f"  {src:15s} {len(got):6d} pieces  {time.time() - t0:6.1f}s", flush=True)
    return recs, drops


# --------------------------------------------------------------------------- conditions

def _bucket(x, th):
    if x is None:
        return 0
    return 1 if x < th[0] else 2 if x < th[1] else 3


def conditions(recs):
    mel = np.array([r["mel_per_bar"] for r in recs if r["mel_per_bar"] is not None], dtype=np.float64)
    drm = np.array([r["drum_per_bar"] for r in recs if r["drum_per_bar"] is not None and r["mel_per_bar"] is None],
                   dtype=np.float64)
    dth = np.quantile(mel, [1 / 3, 2 / 3]) if len(mel) else np.array([0.0, 0.0])
    drth = np.quantile(drm, [1 / 3, 2 / 3]) if len(drm) else np.array([0.0, 0.0])

    def nps(r):  # melody onsets per second
        qpb = {"4/4": 4.0, "3/4": 3.0, "6/8": 3.0}[r["meter"]]
        return r["mel_per_bar"] * r["tempo"] / 60.0 / qpb
    with_t = [nps(r) for r in recs if r["mel_per_bar"] is not None and r["tempo"]]
    ar_th = float(np.median(with_t)) if with_t else 0.0
    no_t = [r["mel_per_bar"] for r in recs if r["mel_per_bar"] is not None and not r["tempo"]]
    ar_th_bar = float(np.median(no_t)) if no_t else 0.0
    for r in recs:
        if r["mel_per_bar"] is not None:
            r["density"] = _bucket(r["mel_per_bar"], dth)
        elif r["drum_per_bar"] is not None:
            r["density"] = _bucket(r["drum_per_bar"], drth)
        else:
            r["density"] = 0
        r["tempo_b"] = V.tempo_bucket(r["tempo"])
        r["mode_i"] = V.cond_index("mode", r["mode"])
        r["meter_i"] = V.cond_index("meter", r["meter"])
        if r["mood"]:
            continue
        if r["mode"] is None:
            r["mood"] = 0
            continue
        if r["mel_per_bar"] is not None:
            energetic = nps(r) >= ar_th if r["tempo"] else r["mel_per_bar"] >= ar_th_bar
        else:
            energetic = bool(r["tempo"] and r["tempo"] >= 130)
        bright = r["mode"] == "major"
        r["mood"] = 1 + (0 if bright else 2) + (0 if energetic else 1)
    return dth, drth, ar_th, ar_th_bar


# --------------------------------------------------------------------------- output

def save(recs, out, thresholds, sources):
    dth, drth, ar_th, ar_th_bar = thresholds
    grids = np.concatenate([r["grid"] for r in recs]).astype(np.int16)
    lens = np.array([len(r["grid"]) for r in recs], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    src_names = sorted(set(r["source"] for r in recs), key=lambda s: SOURCES.index(s))
    arrays = dict(
        grids=grids,
        offsets=offsets,
        style=np.array([V.style_index(r["style"]) for r in recs], dtype=np.int8),
        mood=np.array([r["mood"] for r in recs], dtype=np.int8),
        tempo=np.array([r["tempo_b"] for r in recs], dtype=np.int8),
        density=np.array([r["density"] for r in recs], dtype=np.int8),
        mode=np.array([r["mode_i"] for r in recs], dtype=np.int8),
        meter=np.array([r["meter_i"] for r in recs], dtype=np.int8),
        steps_per_bar=np.array([V.METER_STEPS[r["meter"]] for r in recs], dtype=np.int8),
        tempo_bpm=np.array([r["tempo"] or 0.0 for r in recs], dtype=np.float32),
        track_mask=np.array([r["mask"] for r in recs], dtype=np.uint8),
        source=np.array([src_names.index(r["source"]) for r in recs], dtype=np.int8),
        split=np.array([r["split"] for r in recs], dtype=np.int8),
        piece_names=np.array([r["name"] for r in recs], dtype=np.str_),
        sources=np.array(src_names, dtype=np.str_),
        styles=np.array(V.STYLES, dtype=np.str_),
        density_thresholds=np.array(dth, dtype=np.float32),
        drum_density_thresholds=np.array(drth, dtype=np.float32),
        arousal_threshold=np.array([ar_th, ar_th_bar], dtype=np.float32),
        vocab_version=np.array(V.V["version"], dtype=np.int32),
    )
    os.makedirs(os.path.dirname(os.path.abspath(out)) or ".", exist_ok=True)
    tmp = out + ".tmp.npz"
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, out)
    return arrays


# --------------------------------------------------------------------------- reports

def decode_text(grid, spb, bars=2):
    lines = []
    for b in range(min(bars, -(-len(grid) // spb))):
        seg = grid[b * spb:(b + 1) * spb]
        mel = " ".join(("." if t == 0 else "-" if t == 1 else V.NOTE_NAMES[(V.pitch_of(int(t), "melody")) % 12]
                        + str(V.pitch_of(int(t), "melody") // 12 - 1)) for t in seg[:, 0])
        bas = " ".join(("." if t == 0 else "-" if t == 1 else V.NOTE_NAMES[(V.pitch_of(int(t), "bass")) % 12]
                        + str(V.pitch_of(int(t), "bass") // 12 - 1)) for t in seg[:, 1])
        chs = []
        for i, t in enumerate(seg[:, 2]):
            if i == 0 or t != seg[i - 1, 2]:
                chs.append(f"{i}:{V.chord_name(int(t))}")
        drm = " ".join(V.drums_name(int(t)) for t in seg[:, 3])
        lines.append(f"   bar {b + 1}  mel  {mel}\n          bass {bas}\n          harm {' '.join(chs)}\n          drum {drm}")
    return "\n".join(lines)


def chord_tone_ratio(grids, offsets, src_idx, which, spb_arr):
    """Fraction of melody onsets on strong beats (bar start and half bar in 4/4, bar start in 3/4 and 6/8)
    whose pitch class is a tone of the chord sounding there (steps with a chord only)."""
    hit = tot = 0
    for i in np.nonzero(src_idx == which)[0]:
        g = grids[offsets[i]:offsets[i + 1]]
        spb = int(spb_arr[i])
        strong = (np.arange(len(g)) % (spb // 2 if spb == 16 else spb)) == 0
        sel = strong & (g[:, 0] >= 2) & (g[:, 2] > 0)
        for m, c in zip(g[sel, 0], g[sel, 2]):
            tot += 1
            hit += (V.pitch_of(int(m), "melody") % 12) in V.chord_pcs(int(c))
    return hit / tot if tot else float("nan"), tot


def summary(arr, drops, recs):
    src = arr["sources"]
    lens = np.diff(arr["offsets"])
    spb = arr["steps_per_bar"].astype(np.int64)
    bars = lens / spb
    print("\n== per source")
    print(f"  {'source':15s} {'pieces':>7s} {'bars':>9s} {'steps':>10s}  train/valid/test")
    for i, s in enumerate(src):
        k = arr["source"] == i
        sp = [int(np.sum(k & (arr["split"] == j))) for j in range(3)]
        print(f"  {s:15s} {int(k.sum()):7d} {int(bars[k].sum()):9d} {int(lens[k].sum()):10d}  {sp[0]}/{sp[1]}/{sp[2]}")
    print(f"  {'TOTAL':15s} {len(lens):7d} {int(bars.sum()):9d} {int(lens.sum()):10d}")
    print("\n== per style")
    for i, s in enumerate(V.STYLES):
        k = arr["style"] == i
        if k.any():
            print(f"  {s:15s} {int(k.sum()):7d} {int(bars[k].sum()):9d} {int(lens[k].sum()):10d}")
    print("\n== condition histograms (index: count)")
    for c in ("mood", "tempo", "density", "mode", "meter"):
        print(f"  {c:8s}", dict(sorted(collections.Counter(arr[c].tolist()).items())))
    print("\n== dropped or changed")
    for k, v in sorted(drops.items()):
        print(f"  {k:45s} {v}")
    print("\n== thresholds")
    print("  density (melody onsets/bar terciles):", [round(float(x), 3) for x in arr["density_thresholds"]])
    print("  drum density (hit steps/bar terciles):", [round(float(x), 3) for x in arr["drum_density_thresholds"]])
    print("  arousal (melody onsets/s median, onsets/bar median w/o tempo):", [round(float(x), 3) for x in arr["arousal_threshold"]])


def resolve_data(path):
    """Accept the path as given, or relative to the repository root (so `../shared/data` works both from
    the repo root and from training/), falling back to the shared folder beside the repository."""
    repo = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    for c in (path, os.path.join(repo, path), os.path.join(repo, "..", "shared", "data")):
        if os.path.isdir(c):
            return os.path.normpath(c)
    return path


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join("..", "shared", "data"))
    ap.add_argument("--out", default=os.path.join(".cache", "dataset.npz"))
    ap.add_argument("--sources", default=",".join(SOURCES))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pop909-bar-phase", action="store_true",
                    help="move a POP909 segment's bar lines to the beat its chords change on (sources/pop909.py)")
    a = ap.parse_args(argv)
    a.data = resolve_data(a.data)
    t0 = time.time()
    sources = [s for s in a.sources.split(",") if s]
    print(f"prepare: data={a.data} sources={sources}", flush=True)
    recs, drops = load_sources(a.data, sources, a.workers, a.pop909_bar_phase)
    if not recs:
        print("no pieces", file=sys.stderr)
        return 1
    th = conditions(recs)
    arr = save(recs, a.out, th, sources)
    summary(arr, drops, recs)
    print("\n== chord-tone ratio of strong-beat melody onsets")
    for s in ("pop909", "wjazzd", "nottingham", "jsb", "vgmidi"):  # quality check: should be > 0.5
        if s in list(arr["sources"]):
            r, n = chord_tone_ratio(arr["grids"], arr["offsets"], arr["source"], list(arr["sources"]).index(s),
                                    arr["steps_per_bar"])
            print(f"  {s:15s} {r:.3f}  ({n} onsets)")
    print("\n== self-check: 3 random pieces, first 2 bars (C = tonic)")
    rng = random.Random(a.seed)
    for i in sorted(rng.sample(range(len(recs)), min(3, len(recs)))):
        g = arr["grids"][arr["offsets"][i]:arr["offsets"][i + 1]]
        print(f"  [{arr['piece_names'][i]}] style={V.STYLES[arr['style'][i]]} meter={V.COND['meter'][arr['meter'][i]]}"
              f" mode={V.COND['mode'][arr['mode'][i]]} tempo={V.COND['tempo'][arr['tempo'][i]]}"
              f" mood={V.COND['mood'][arr['mood'][i]]} mask={arr['track_mask'][i].tolist()}")
        print(decode_text(g, int(arr["steps_per_bar"][i])))
    print(f"\nwrote {a.out}  ({os.path.getsize(a.out) / 1e6:.1f} MB) in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
