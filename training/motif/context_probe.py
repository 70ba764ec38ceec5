"""Context probes: how well a model reads the music around a masked cell, on held-out real data.

The evaluation (motif.evaluate) judges finished clips; these probes look one step earlier, at the model's own
predictions, where a fault can be traced to its cause. Each probe masks part of a real crop (splits 1 and 2, the
data the model did not train on) and compares what the model expects with what the music does:

  neighbour chord   synthetic: harmony F everywhere except C on beats 2 and 4 of bar 4, beat 3 masked, nothing
                    else in view. A model that reads the beats around a masked one gives beat 3 C; one that reads
                    the crop as a bag of chords gives F.
  chord continues   real crops of a style with melody, bass and harmony: the harmony of beats 3-4 of bar 4 masked
                    (melody and bass in view). The model's mean probability that the chord of beat 2 goes on
                    (geometric mean over the span's cells, as the product's sampler draws a chord) against how
                    often it really does. A calibrated model gives the same number.
  melody leap       real crops: the cell of one note masked (the first of bar 4 with a note before it), all else
                    in view. The leap from the note before that the model expects (its pitch distribution at the
                    cell, onset tokens only) against the real leap, in semitones.

  python -m motif.context_probe --model ../models/motif-v1.onnx [--styles pop,jazz,folk] [--crops 256]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .metrics import BASS, HARM, MEL, MEL_LO, default_dataset_path, load_dataset
from .sampling import OnnxDenoiser, _log_softmax

REPO_ROOT = Path(__file__).resolve().parents[2]
CROP_BARS = 8
PROBE_BAR = 3  # bar 4 of the crop: context on both sides
SPB = 16
MAJOR, MEASURE_4_4 = 1, 1  # conditions: mode major, meter 4/4


def _chord(root: int, quality: int = 0) -> int:
    return 1 + root * 12 + quality


def _style_vector(den: OnnxDenoiser, styles: list, name: str, n: int) -> np.ndarray:
    v = np.zeros((n, den.num_styles), np.float32)
    v[:, styles.index(name)] = 1.0
    return v


def _run(den: OnnxDenoiser, x: np.ndarray, style: np.ndarray, mode: int = 0):
    n, steps = x.shape[:2]
    bar_pos = np.broadcast_to(np.arange(steps) % SPB, (n, steps)).astype(np.int64).copy()
    cond = np.zeros((n, 5), np.int64)
    cond[:, 3] = mode
    cond[:, 4] = MEASURE_4_4
    return den(x, bar_pos, style, cond)


def neighbour_chord(den: OnnxDenoiser, styles: list, style: str) -> dict:
    sizes = np.array(den.sizes)
    c, f = _chord(0), _chord(5)
    x = np.broadcast_to(sizes, (1, CROP_BARS * SPB, 4)).copy()
    x[0, :, HARM] = f
    a = PROBE_BAR * SPB
    x[0, a + 4 : a + 16, HARM] = c  # beats 2-4 of bar 4 ...
    x[0, a + 8 : a + 12, HARM] = sizes[HARM]  # ... beat 3 masked
    p = np.exp(_log_softmax(_run(den, x, _style_vector(den, styles, style, 1))[HARM][0].astype(np.float64)))
    return {"p_neighbour": float(p[a + 8 : a + 12, c].mean()), "p_elsewhere": float(p[a + 8 : a + 12, f].mean())}


def real_crops(data, style: str, n: int, rng) -> list[np.ndarray]:
    s = data.styles.index(style)
    pieces = [i for i in data.pieces(s, split=[1, 2]) if data.track_mask[i][[MEL, BASS, HARM]].all()
              and data.steps_per_bar(i) == SPB and data.length(i) >= CROP_BARS * SPB]
    if not pieces:
        return []
    return [data.crop(pieces[rng.integers(len(pieces))], CROP_BARS, rng)[0].astype(np.int64) for _ in range(n)]


def chord_continues(den: OnnxDenoiser, styles: list, style: str, crops: list[np.ndarray]) -> dict:
    sizes = np.array(den.sizes)
    a, b = PROBE_BAR * SPB + 8, PROBE_BAR * SPB + 16
    x = np.stack(crops).copy()
    x[:, :, 3] = sizes[3]
    x[:, a:b, HARM] = sizes[HARM]
    lp = _log_softmax(_run(den, x, _style_vector(den, styles, style, len(x)), MAJOR)[HARM].astype(np.float64))
    joint = lp[:, a:b].mean(1)
    q = np.exp(joint - joint.max(1, keepdims=True))
    q /= q.sum(1, keepdims=True)
    before = np.array([g[a - 1, HARM] for g in crops])
    truth = np.array([g[a, HARM] for g in crops])
    keep = before > 0
    rows = np.arange(len(crops))[keep]
    return {"model": float(q[rows, before[keep]].mean()), "real": float((truth[keep] == before[keep]).mean()),
            "p_true": float(q[rows, truth[keep]].mean())}


def melody_leap(den: OnnxDenoiser, styles: list, style: str, crops: list[np.ndarray]) -> dict:
    sizes = np.array(den.sizes)
    rows, steps, prev = [], [], []
    x = np.stack(crops).copy()
    x[:, :, 3] = sizes[3]
    for i, g in enumerate(crops):
        mel = g[:, MEL]
        notes = np.flatnonzero(mel >= 2)
        pick = notes[(notes >= PROBE_BAR * SPB) & (notes > notes.min(initial=len(mel)))] if len(notes) else notes
        if len(pick) == 0:
            continue
        t = int(pick[0])
        rows.append(i)
        steps.append(t)
        prev.append(int(mel[notes[notes < t].max()]) - 2 + MEL_LO)
        x[i, t, MEL] = sizes[MEL]
    if not rows:
        return {"model": None, "real": None, "n": 0}
    p = np.exp(_log_softmax(_run(den, x, _style_vector(den, styles, style, len(x)), MAJOR)[MEL].astype(np.float64)))
    pitches = np.arange(2, sizes[MEL]) - 2 + MEL_LO
    expected, real = [], []
    for i, t, before in zip(rows, steps, prev):
        onset = p[i, t, 2:]
        if onset.sum() <= 0:
            continue
        expected.append(float((np.abs(pitches - before) * onset).sum() / onset.sum()))
        real.append(abs(int(crops[i][t, MEL]) - 2 + MEL_LO - before))
    return {"model": float(np.mean(expected)), "real": float(np.mean(real)), "n": len(real)}


def report(model: Path, dataset: Path, style_names: list, n: int, seed: int = 0) -> str:
    den = OnnxDenoiser(model)
    styles = list(den.meta.get("styles") or [])
    if not styles:
        from .model import load_vocabulary

        styles = list(load_vocabulary()["learnedStyles"])
    data = load_dataset(dataset)
    lines = [f"Context probes of `{model.name}` (held-out crops, {n} a style)", "",
             "| style | neighbour chord: P(C) / P(F) | chord continues at beat 3: model / real (P(true chord)) "
             "| melody leap expected / real (notes) |", "|---|---|---|---|"]
    for style in style_names:
        rng = np.random.default_rng(seed)
        nb = neighbour_chord(den, styles, style)
        crops = real_crops(data, style, n, rng)
        if crops:
            cc = chord_continues(den, styles, style, crops)
            ml = melody_leap(den, styles, style, crops)
            cont = f"{cc['model']:.2f} / {cc['real']:.2f} ({cc['p_true']:.2f})"
            leap = "–" if ml["model"] is None else f"{ml['model']:.2f} / {ml['real']:.2f} ({ml['n']})"
        else:
            cont = leap = "– (no held-out crops with melody, bass and harmony)"
        lines.append(f"| {style} | {nb['p_neighbour']:.2f} / {nb['p_elsewhere']:.2f} | {cont} | {leap} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(REPO_ROOT / "models" / "motif-v1.onnx"))
    ap.add_argument("--dataset", default=None)
    ap.add_argument("--styles", default="pop,folk,jazz,classical,game")
    ap.add_argument("--crops", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    dataset = Path(args.dataset) if args.dataset else default_dataset_path()
    if not dataset.exists():
        print(f"no dataset at {dataset}: run python -m motif.prepare first", file=sys.stderr)
        return 2
    print(report(Path(args.model), dataset, [s.strip() for s in args.styles.split(",") if s.strip()], args.crops,
                 args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
