"""Objective evaluation of generated clips against the real data of each style's sources.

  cd training
  python -m motif.evaluate --dataset ../.cache/dataset.npz --generated ../.cache/eval/generated.jsonl \\
      --out ../.cache/eval/report.md
  python -m motif.evaluate --dataset ../.cache/dataset.npz --real-only          # real data per learned style

generated.jsonl: one clip per line, {"style": product style, "learnedMix": {learned style: weight},
"stepsPerBar": 16, "steps": T, "tokens": [T*4 ints, step by step: melody, bass, harmony, drums]} (in C).
Optional per clip: "meter" ("4/4" | "3/4" | "6/8"; only used for the beat length of the empty-beat rate).

Like with like:
  * Reference real data of a product style = crops of real pieces (all splits by default), the learned style of
    each drawn with the clip's learnedMix weights, a piece uniformly within it, crop length = a generated
    clip's length in bars. Each real crop is measured over the tracks its piece has.
  * A generated clip is measured over the same track subsets, in the same proportions: for each metric, the
    generated value is sum_m p(m) * mean_clips(metric(clip, tracks m)), p(m) = share of the reference crops
    (where the metric is defined) whose relevant tracks are m.
  * Style classifier (motif.style_classifier, trained on split 0): accuracy on held-out real crops (split 2,
    native tracks) and on generated 8-bar crops, the target being the heaviest learned style of the clip's mix,
    the clip shown with the track subsets the held-out real data of that style has (same proportions).
    Ratio = generated accuracy / held-out real accuracy of the same target styles (target >= 0.8).
  * Copy check (motif.copy_check): exact 4-bar melody spans (>= 6 onsets) shared with the training split, the
    same for harmony+bass, and the longest copied melody run; the same check on held-out real crops is the
    chance baseline.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from .metrics import (
    DIAGNOSTIC_KEYS,
    DIAGNOSTICS,
    METRIC_KEYS,
    METRIC_TRACKS,
    METRICS,
    RealData,
    all_diagnostics,
    all_metrics,
    default_dataset_path,
    load_dataset,
    mean_or_none,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 0.15
_SHORT = "MBHD"


def mask_label(m) -> str:
    return "".join(_SHORT[i] if m[i] else "·" for i in range(4))


def load_generated(path) -> list[dict]:
    clips = []
    with open(path, encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            if not line.strip():
                continue
            c = json.loads(line)
            spb = int(c.get("stepsPerBar", 16))
            tok = np.asarray(c["tokens"], dtype=np.int64).reshape(-1, 4)
            if "steps" in c and int(c["steps"]) != len(tok):
                raise ValueError(f"{path}:{ln}: steps={c['steps']} but {len(tok)} token rows")
            c["grid"] = tok
            c["spb"] = spb
            c["beat"] = 6 if c.get("meter") == "6/8" else 4
            clips.append(c)
    return clips


def _norm_mix(mix: dict, styles: list) -> dict:
    m = {k: float(v) for k, v in (mix or {}).items() if k in styles and float(v) > 0}
    tot = sum(m.values())
    return {k: v / tot for k, v in m.items()} if tot > 0 else {}


def heaviest(mix: dict) -> str | None:
    return max(mix, key=lambda k: (mix[k], k)) if mix else None


# ---------------------------------------------------------------------------------------------------------
# Metrics


# Real reference crops per style. With 400, the reference alone moved the count by up to 4 of 96 between sampling
# seeds on the same generated clips (75-79); with 4000, by 1 (77-78), in seconds.
N_REF = 4000


def reference_crops(data: RealData, mix: dict, n: int, bars_choices, rng, split=None) -> list[tuple]:
    """n (grid, spb, beat, mask, piece) real crops, learned style drawn by the mix weights, then a piece of it
    with a probability proportional to its length: a random span of the style's music, where every bar counts
    once. (Drawing pieces uniformly let Groove MIDI's one-bar fills weigh as much as a sixty-bar groove: 63% of the
    drum pieces are under 8 bars, 7% of the drum bars, and their first and last bars made the drums' empty-beat rate
    10 times that of the middle of a groove.)"""
    styles = data.styles
    names = [k for k in mix if len(data.pieces(style=styles.index(k), split=split))]
    if not names:
        return []
    w = np.array([mix[k] for k in names])
    w = w / w.sum()
    pools = {k: data.pieces(style=styles.index(k), split=split) for k in names}
    by_length = {}
    for k, pool in pools.items():
        lengths = np.array([data.length(int(i)) for i in pool], dtype=np.float64)
        by_length[k] = lengths / lengths.sum()
    out = []
    for _ in range(n):
        k = names[int(rng.choice(len(names), p=w))]
        i = int(rng.choice(pools[k], p=by_length[k]))
        bars = int(rng.choice(bars_choices))
        g, _ = data.crop(i, bars, rng)
        out.append((g, data.steps_per_bar(i), data.beat_steps(i), data.track_mask[i].astype(bool), i))
    return out


def compare_metrics(clips: list[dict], refs: list[tuple], keys=METRIC_KEYS, measure=all_metrics) -> dict:
    """Per metric: real mean, generated mean (mask-matched), relative difference, counts, mask shares.
    `keys` and `measure` (a function like all_metrics) choose the measures: the metrics, or the diagnostics."""
    real_vals = {k: [] for k in keys}
    real_masks = {k: [] for k in keys}
    for g, spb, beat, m, _ in refs:
        vals = measure(g, spb, m, beat)
        for k in keys:
            if vals[k] is not None:
                rel = np.zeros(4, bool)
                rel[list(METRIC_TRACKS[k])] = True
                real_vals[k].append(vals[k])
                real_masks[k].append(tuple(m & rel))
    cache: dict = {}
    out = {}
    for k in keys:
        res = {"real": mean_or_none(real_vals[k]), "real_std": float(np.std(real_vals[k])) if real_vals[k] else None,
               "n_real": len(real_vals[k]), "gen": None, "gen_std": None, "n_gen": 0, "masks": {}}
        counts = Counter(real_masks[k])
        total = sum(counts.values())
        acc, wsum, pooled = 0.0, 0.0, []
        for m, c in counts.items():
            res["masks"][mask_label(m)] = c / total
            key = (m, id(clips))
            if key not in cache:
                cache[key] = [measure(cl["grid"], cl["spb"], np.array(m), cl["beat"]) for cl in clips]
            vals = [v[k] for v in cache[key] if v[k] is not None]
            if vals:
                acc += c / total * float(np.mean(vals))
                wsum += c / total
                pooled.extend(vals)
                res["n_gen"] = max(res["n_gen"], len(vals))
        if wsum > 0:
            res["gen"] = acc / wsum
            res["gen_std"] = float(np.std(pooled))
        if res["gen"] is not None and res["real"] is not None:
            if abs(res["real"]) > 1e-9:
                res["rel"] = (res["gen"] - res["real"]) / abs(res["real"])
            else:
                res["rel"] = 0.0 if abs(res["gen"]) <= 1e-9 else float("inf")
            res["ok"] = bool(abs(res["rel"]) <= TOLERANCE + 1e-12)
        else:
            res["rel"], res["ok"] = None, None
        out[k] = res
    return out


def real_metrics_by_style(data: RealData, bars: int = 8, n_per_style: int = N_REF, seed: int = 0, split=None) -> dict:
    rng = np.random.default_rng(seed)
    out = {}
    for s, name in enumerate(data.styles):
        pieces = data.pieces(style=s, split=split)
        if not len(pieces):
            continue
        refs = reference_crops(data, {name: 1.0}, n_per_style, [bars], rng, split)
        vals = {k: [] for k in METRIC_KEYS}
        for g, spb, beat, m, _ in refs:
            for k, v in all_metrics(g, spb, m, beat).items():
                if v is not None:
                    vals[k].append(v)
        masks = Counter(mask_label(data.track_mask[i].astype(bool)) for i in pieces)
        out[name] = {
            "pieces": int(len(pieces)),
            "bars": float(sum(data.length(i) / data.steps_per_bar(i) for i in pieces)),
            "masks": dict(masks.most_common()),
            "metrics": {k: (mean_or_none(v), float(np.std(v)) if v else None, len(v)) for k, v in vals.items()},
        }
    return out


# ---------------------------------------------------------------------------------------------------------
# Classifier


def classifier_on_generated(model, data: RealData, clips: list[dict], target: str, split=2) -> dict:
    """Accuracy of the classifier on generated clips (target learned style), track subsets matched to the
    held-out real data of the target style; also with all four tracks."""
    from .style_classifier import crops_of, predict_proba

    styles = model.cfg.styles
    t = styles.index(target)
    pieces = data.pieces(style=t, split=split)
    if not len(pieces):
        pieces = data.pieces(style=t)
    masks = Counter(tuple(data.track_mask[i].astype(bool)) for i in pieces)
    total = sum(masks.values())
    crops, spbs = [], []
    for c in clips:
        for g in crops_of(c["grid"], c["spb"], model.cfg.crop_bars):
            crops.append(g)
            spbs.append(c["spb"])
    if not crops or not total:
        return {"accuracy": None, "all_tracks": None, "crops": 0}
    acc = 0.0
    for m, cnt in masks.items():
        p = predict_proba(model, crops, spbs, [np.array(m)] * len(crops))
        acc += cnt / total * float((p.argmax(1) == t).mean())
    p4 = predict_proba(model, crops, spbs, [np.ones(4, bool)] * len(crops))
    return {"accuracy": acc, "all_tracks": float((p4.argmax(1) == t).mean()), "crops": len(crops),
            "masks": {mask_label(m): c / total for m, c in masks.items()}}


def get_classifier(path, data: RealData, train_if_missing: bool, steps: int = 1200):
    from .style_classifier import dataset_fingerprint, evaluate_real, load_classifier, save_classifier, train_classifier

    path = Path(path)
    if path.exists():
        model, payload = load_classifier(path)
        if list(model.cfg.styles) == list(data.styles):
            if payload.get("dataset") != dataset_fingerprint(data):
                print(f"note: {path} was trained on another version of the dataset ({payload.get('dataset')}); "
                      "retrain it (python -m motif.style_classifier) for a clean held-out split", file=sys.stderr)
            ev = evaluate_real(model, data, split=2)
            return model, ev
        print(f"note: {path} was trained on other styles; ignoring it", file=sys.stderr)
    if not train_if_missing:
        return None, None
    print(f"training the style classifier ({steps} steps) ...", file=sys.stderr)
    model, info = train_classifier(data, steps=steps)
    ev = evaluate_real(model, data, split=2)
    save_classifier(path, model, {"train": info, "heldout": ev, "dataset": dataset_fingerprint(data)})
    return model, ev


# ---------------------------------------------------------------------------------------------------------
# Report


def _fmt(v, k) -> str:
    if v is None:
        return "–"
    if k in ("scale_consistency", "groove_consistency", "chord_tone_ratio", "empty_beat_rate", "wide_leap_share",
             "bass_on_chord_change", "half_bar_change"):
        return f"{v:.3f}"
    return f"{v:.2f}"


def _diag_cell(r: dict, k: str) -> str:
    """A diagnostic: generated / real (relative difference), no verdict (diagnostics are not counted)."""
    if r["gen"] is None or r["real"] is None or r["rel"] is None or r["rel"] == float("inf"):
        return f"{_fmt(r['gen'], k)} / {_fmt(r['real'], k)}"
    return f"{_fmt(r['gen'], k)} / {_fmt(r['real'], k)} ({r['rel']:+.0%})"


def _cell(r: dict, k: str) -> str:
    if r["gen"] is None or r["real"] is None:
        return f"{_fmt(r['gen'], k)} / {_fmt(r['real'], k)}"
    rel = r["rel"]
    rs = "∞" if rel == float("inf") else f"{rel:+.0%}"
    return f"{_fmt(r['gen'], k)} / {_fmt(r['real'], k)} ({rs}){' ✓' if r['ok'] else ' ✗'}"


def _pct(v) -> str:
    return "n/a" if v is None else f"{v:.1%}"


def evaluate(args) -> str:
    data = load_dataset(args.dataset)
    clips = load_generated(args.generated)
    rng = np.random.default_rng(args.seed)
    ref_split = None if args.ref_split == "all" else [int(x) for x in args.ref_split.split(",")]
    groups: dict[str, list] = {}
    for c in clips:
        c["mix"] = _norm_mix(c.get("learnedMix") or {c.get("style"): 1.0}, data.styles)
        groups.setdefault(c.get("style", "?"), []).append(c)

    model, real_ev = (None, None)
    if not args.no_classifier:
        model, real_ev = get_classifier(args.classifier, data, args.train_classifier, args.classifier_steps)
    copy_index = None
    if not args.no_copy_check:
        from .copy_check import CopyIndex, real_baseline, summarize

        copy_index = CopyIndex(data, split=0)

    rows = []
    diagnostics: dict[str, dict | None] = {}
    tot_ok = tot_cells = 0
    gen_correct = gen_expected = gen_n = 0.0
    pure_correct = pure_expected = pure_n = 0.0
    copies_total = hb_total = spans_total = 0
    longest = 0
    for style, cl in groups.items():
        mix = cl[0]["mix"]
        if not mix:
            rows.append((style, len(cl), None, None, None, None, "no learned style in the mix"))
            diagnostics[style] = None
            continue
        bars_choices = [max(1, len(c["grid"]) // c["spb"]) for c in cl]
        refs = reference_crops(data, mix, args.n_ref, bars_choices, rng, ref_split)
        cmp = compare_metrics(cl, refs)
        diagnostics[style] = compare_metrics(cl, refs, DIAGNOSTIC_KEYS, all_diagnostics)
        for k in METRIC_KEYS:
            if cmp[k]["ok"] is not None:
                tot_cells += 1
                tot_ok += int(cmp[k]["ok"])
        target = heaviest(mix)
        pure = len(mix) == 1 and all(c["mix"] == mix for c in cl)
        cls = None
        if model is not None:
            cls = classifier_on_generated(model, data, cl, target)
            real_t = (real_ev["per_style"].get(target) or {}).get("accuracy")
            if cls["accuracy"] is not None and real_t is not None:
                gen_correct += cls["accuracy"] * len(cl)
                gen_expected += real_t * len(cl)
                gen_n += len(cl)
                if pure:
                    pure_correct += cls["accuracy"] * len(cl)
                    pure_expected += real_t * len(cl)
                    pure_n += len(cl)
            cls["real"] = real_t
        cp = None
        if copy_index is not None:
            per = [copy_index.check_grid(c["grid"], c["spb"]) for c in cl]
            cp = summarize(per)
            copies_total += cp["melody_copies_any_offset"]
            hb_total += cp["hb_copies"]
            spans_total += cp["spans"]
            longest = max(longest, cp["longest_copy_bars"])
        rows.append((style, len(cl), mix, cmp, cls, cp, "pure" if pure else "mix"))

    # ---- Markdown
    L = ["# Motif objective evaluation", ""]
    L.append(f"Generated: `{args.generated}` ({len(clips)} clips, {len(groups)} styles). Real data: `{args.dataset}` "
             f"(reference crops per style: {args.n_ref}, splits: {args.ref_split}). Cells: generated / real "
             f"(relative difference), ✓ within ±{TOLERANCE:.0%}.")
    L.append("")
    head = ["style", "n gen", "mix"] + [lab for _, lab in METRICS] + ["classifier acc gen (real)", "copies (4-bar mel / hb, longest)"]
    L.append("| " + " | ".join(head) + " |")
    L.append("|" + "|".join(["---"] * len(head)) + "|")
    for style, n, mix, cmp, cls, cp, kind in rows:
        if cmp is None:
            L.append(f"| {style} | {n} | – | " + " | ".join(["–"] * len(METRICS)) + f" | – | {kind} |")
            continue
        mix_s = ", ".join(f"{k} {v:.2g}" for k, v in sorted(mix.items(), key=lambda x: -x[1]))
        cells = [_cell(cmp[k], k) for k in METRIC_KEYS]
        if cls is None:
            cls_s = "n/a"
        else:
            cls_s = f"{_pct(cls['accuracy'])} ({_pct(cls.get('real'))}) → {heaviest(mix)}" + ("" if kind == "pure" else " [mix]")
        cp_s = "n/a" if cp is None else f"{cp['melody_copies_any_offset']} / {cp['hb_copies']} of {cp['spans']}, {cp['longest_copy_bars']} bars"
        L.append(f"| {style} | {n} | {mix_s} | " + " | ".join(cells) + f" | {cls_s} | {cp_s} |")
    L.append("")
    L.append("## Summary")
    L.append("")
    L.append(f"- Metrics within ±{TOLERANCE:.0%} of the real data: **{tot_ok} / {tot_cells}**")
    if real_ev is not None:
        L.append(f"- Style classifier, held-out real data (split 2, {real_ev['n']} crops): accuracy "
                 f"**{_pct(real_ev['accuracy'])}** (balanced {_pct(real_ev['balanced_accuracy'])})")
        if gen_n:
            g, e = gen_correct / gen_n, gen_expected / gen_n
            L.append(f"- Generated clips (target = heaviest learned style, all {int(gen_n)} clips): **{_pct(g)}** vs "
                     f"{_pct(e)} on real data of the same styles → ratio **{g / e:.2f}** (target ≥ 0.80) "
                     f"{'✓' if e > 0 and g / e >= 0.8 else '✗'}")
        if pure_n:
            g, e = pure_correct / pure_n, pure_expected / pure_n
            L.append(f"- Pure learned styles only ({int(pure_n)} clips): **{_pct(g)}** vs {_pct(e)} → ratio "
                     f"**{g / e:.2f}** {'✓' if e > 0 and g / e >= 0.8 else '✗'}")
    else:
        L.append("- Style classifier: not available (train it: `python -m motif.style_classifier`, or --train-classifier)")
    if copy_index is not None:
        base = real_baseline(copy_index, data, split=2, bars=8, seed=args.seed)
        L.append(f"- Copy check vs training split: {copies_total} copied 4-bar melody spans (any offset) of "
                 f"{spans_total} bar-aligned spans; {hb_total} harmony+bass spans; longest copied melody run "
                 f"{longest} bars. Chance baseline, held-out real 8-bar crops: {base['melody_copies_any_offset']} "
                 f"melody / {base['hb_copies']} harmony+bass matches of {base['spans']} spans "
                 f"({base['clips_with_copy']} of {base['clips']} crops with a melody match).")
    L.append("")
    L.append("## Diagnostics (not counted)")
    L.append("")
    L.append("Measured on the same clips and reference crops, outside the target: melody leap = mean interval "
             "between consecutive melody notes in semitones; leaps > fifth = share of those intervals wider than 7 "
             "semitones; bass on chord change = share of chord changes with a bass note on the same step; chord "
             "change at half bar = share of bars whose chord changes on beat 3 (4/4). Cells: generated / real "
             "(relative difference).")
    L.append("")
    L.append("| style | " + " | ".join(lab for _, lab in DIAGNOSTICS) + " |")
    L.append("|---|" + "|".join(["---"] * len(DIAGNOSTICS)) + "|")
    for style, diag in diagnostics.items():
        if diag is not None:
            L.append(f"| {style} | " + " | ".join(_diag_cell(diag[k], k) for k in DIAGNOSTIC_KEYS) + " |")
    L.append("")
    L.append("## Metric definitions")
    L.append("")
    L.append("PC entropy: bits, melody onsets' pitch classes. Scale cons.: share of melody+bass onset pitch classes in "
             "the best of the 12 diatonic scales. Groove cons.: 1 − mean Hamming distance between consecutive "
             "bars' onset patterns (any present track) / steps per bar. Chord-tone ratio: melody onsets on a "
             "sounding chord that are chord tones. Empty-beat rate: beats with no onset in any present track. "
             "Melody notes/bar. Each metric is computed on the tracks the reference pieces have (mask shares below).")
    L.append("")
    L.append("| style | " + " | ".join(lab for _, lab in METRICS) + " |")
    L.append("|---|" + "|".join(["---"] * len(METRICS)) + "|")
    for style, n, mix, cmp, cls, cp, kind in rows:
        if cmp is None:
            continue
        L.append(f"| {style} | " + " | ".join(
            ", ".join(f"{m} {p:.0%}" for m, p in sorted(cmp[k]["masks"].items(), key=lambda x: -x[1])) or "–"
            for k in METRIC_KEYS) + " |")
    return "\n".join(L) + "\n"


def real_only(args) -> str:
    data = load_dataset(args.dataset)
    split = None if args.ref_split == "all" else [int(x) for x in args.ref_split.split(",")]
    res = real_metrics_by_style(data, bars=args.bars, n_per_style=args.n_ref, seed=args.seed, split=split)
    L = ["# Motif real data: metrics per learned style", ""]
    L.append(f"`{args.dataset}`: {data.num_pieces} pieces; {args.n_ref} random {args.bars}-bar crops per style "
             f"(splits: {args.ref_split}), each measured on its piece's tracks (M melody, B bass, H harmony, D drums). "
             "Cells: mean ± std.")
    L.append("")
    L.append("| learned style | pieces | bars | tracks (pieces) | " + " | ".join(lab for _, lab in METRICS) + " |")
    L.append("|---|---:|---:|---|" + "|".join(["---:"] * len(METRICS)) + "|")
    for name, r in res.items():
        cells = []
        for k in METRIC_KEYS:
            m, s, n = r["metrics"][k]
            cells.append("–" if m is None else f"{_fmt(m, k)} ± {_fmt(s, k)}")
        masks = ", ".join(f"{m} {c}" for m, c in r["masks"].items())
        bars = r["bars"]
        L.append(f"| {name} | {r['pieces']} | {bars:.0f} | {masks} | " + " | ".join(cells) + " |")
    if not args.no_classifier:
        model, ev = get_classifier(args.classifier, data, args.train_classifier, args.classifier_steps)
        if ev is not None:
            from .style_classifier import format_report

            L += ["", "## Style classifier on held-out real data (split 2)", "", format_report(ev, model.cfg.styles)]
    return "\n".join(L) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default=str(default_dataset_path()))
    ap.add_argument("--generated", default=str(REPO_ROOT / ".cache" / "eval" / "generated.jsonl"))
    ap.add_argument("--out", default=None, help="write the Markdown report here (also printed)")
    ap.add_argument("--real-only", action="store_true", help="metrics of the real data per learned style")
    ap.add_argument("--classifier", default=str(REPO_ROOT / ".cache" / "style_classifier.pt"))
    ap.add_argument("--train-classifier", action="store_true", help="train (and save) the classifier if missing")
    ap.add_argument("--classifier-steps", type=int, default=1200)
    ap.add_argument("--no-classifier", action="store_true")
    ap.add_argument("--no-copy-check", action="store_true")
    ap.add_argument("--n-ref", type=int, default=N_REF, help="real reference crops per style")
    ap.add_argument("--ref-split", default="all", help="'all' or comma-separated split ids (0 train, 1 valid, 2 test)")
    ap.add_argument("--bars", type=int, default=8, help="crop length for --real-only")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    try:
        import torch

        torch.set_num_threads(1)  # the classifier is tiny; one thread is as fast and kinder to a shared machine
    except Exception:  # pragma: no cover
        pass
    report = real_only(args) if args.real_only else evaluate(args)
    print(report)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
