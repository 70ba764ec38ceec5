"""Reference sampler (Python, for quick checks and evaluation only; the product sampler is TypeScript).

Masked discrete diffusion as in src/inference/MODEL-CONTRACT.md: start from a (partly) masked grid; at each of
`iters` steps predict every masked cell with classifier-free guidance (cond and uncond rows in one batch),
sample, and keep the most confident ones, the number still masked following a cosine schedule, with annealed
Gumbel noise on the confidences.

  python -m motif.sampling --model ../models/motif-v1.onnx --per-style 8 --bars 8 \\
      --out ../.cache/eval/generated.jsonl        # the input of motif.evaluate
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from .model import TRACKS, clip_to_end, load_vocabulary

REPO_ROOT = Path(__file__).resolve().parents[2]
# Indices (into cond: mood, tempo, density, mode, meter) of the conditions that guidance strengthens.
GUIDED_CONDITIONS = (0,)


class OnnxDenoiser:
    def __init__(self, path: Path, threads: int = 2):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        self.sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        meta_path = Path(path).with_suffix(".json")
        self.meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        self.sizes = [o.shape[2] for o in self.sess.get_outputs()]
        self.num_styles = self.sess.get_inputs()[2].shape[1]
        self.has_end = any(i.name == "to_end" for i in self.sess.get_inputs())
        # without metadata the end is left unknown (0)
        self.end_buckets = int(self.meta.get("endBuckets", 0)) if self.has_end else 0

    def __call__(self, tokens, bar_pos, style, cond, to_end=None):
        feeds = {"tokens": tokens, "bar_pos": bar_pos, "style": style, "cond": cond}
        if self.has_end:
            feeds["to_end"] = np.zeros_like(bar_pos) if to_end is None else to_end
        return self.sess.run(None, feeds)


class TorchDenoiser:
    def __init__(self, model):
        import torch

        self.torch = torch
        self.model = model.eval()
        self.sizes = list(model.cfg.track_sizes)
        self.num_styles = model.cfg.num_styles
        self.end_buckets = model.cfg.end_buckets

    def __call__(self, tokens, bar_pos, style, cond, to_end=None):
        t = self.torch
        end = None if to_end is None else t.from_numpy(to_end)
        with t.no_grad():
            out = self.model(
                t.from_numpy(tokens), t.from_numpy(bar_pos), t.from_numpy(style), t.from_numpy(cond), end
            )
        return [o.numpy() for o in out]


def _log_softmax(x: np.ndarray) -> np.ndarray:
    m = x.max(-1, keepdims=True)
    z = x - m
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def sample(
    denoiser,
    n: int,
    steps: int,
    steps_per_bar: int = 16,
    style: np.ndarray | None = None,
    cond: np.ndarray | None = None,
    tracks=(True, True, True, True),
    init: np.ndarray | None = None,
    iters: int = 12,
    guidance: float = 2.0,
    temperature: float = 1.0,
    noise: float = 2.0,
    seed: int = 0,
    ends: bool = True,
) -> np.ndarray:
    """Returns int64 [n, steps, 4]. `init` (optional, [n, steps, 4]) holds known cells, MASK (= size) where the
    model should generate. Tracks switched off in `tracks` stay MASK in the input and come back as 0. `ends`: the
    model (if it has the input) is told that the last bar ends the piece, as the product tells it."""
    rng = np.random.default_rng(seed)
    sizes = np.array(denoiser.sizes, dtype=np.int64)
    s_count = denoiser.num_styles
    style = np.zeros((n, s_count), np.float32) if style is None else np.broadcast_to(style, (n, s_count))
    cond = np.zeros((n, 5), np.int64) if cond is None else np.broadcast_to(cond, (n, 5))
    style = style.astype(np.float32)
    cond = cond.astype(np.int64)
    on = np.asarray(tracks, dtype=bool)
    x = np.broadcast_to(sizes, (n, steps, 4)).copy() if init is None else init.astype(np.int64).copy()
    x[:, :, ~on] = sizes[~on]
    todo = (x == sizes) & on[None, None, :]  # cells to generate
    total = todo.reshape(n, -1).sum(1)
    bar_pos = np.broadcast_to(np.arange(steps) % steps_per_bar, (n, steps)).astype(np.int64).copy()
    buckets = getattr(denoiser, "end_buckets", 0)
    to_end = np.zeros_like(bar_pos)
    if ends and buckets >= 2:
        to_end[:] = clip_to_end(steps, steps_per_bar, buckets)
    # Guidance strengthens the style and the mood only (src/inference/generate.ts GUIDED_CONDITIONS): the
    # unconditional row keeps tempo, density, mode and meter.
    uncond = cond.copy()
    uncond[:, list(GUIDED_CONDITIONS)] = 0
    use_cfg = guidance != 1.0 and (style.any() or cond[:, list(GUIDED_CONDITIONS)].any())
    for it in range(iters):
        if use_cfg:
            outs = denoiser(
                np.concatenate([x, x]),
                np.concatenate([bar_pos, bar_pos]),
                np.concatenate([style, np.zeros_like(style)]),
                np.concatenate([cond, uncond]),
                np.concatenate([to_end, to_end]),
            )
            outs = [o[n:] + guidance * (o[:n] - o[n:]) for o in outs]
        else:
            outs = denoiser(x, bar_pos, style, cond, to_end)
        sampled = np.zeros((n, steps, 4), np.int64)
        conf = np.full((n, steps, 4), -np.inf)
        for t in range(4):
            if not on[t]:
                continue
            lp = _log_softmax(outs[t].astype(np.float64) / max(temperature, 1e-6))
            g = rng.gumbel(size=lp.shape)
            tok = np.argmax(lp + g, axis=-1)  # a sample from softmax(lp)
            sampled[:, :, t] = tok
            conf[:, :, t] = np.take_along_axis(lp, tok[..., None], -1)[..., 0]
        anneal = noise * (1.0 - (it + 1) / iters)
        conf = conf + anneal * rng.gumbel(size=conf.shape)
        masked = (x == sizes) & on[None, None, :]
        for i in range(n):
            remain_after = int(math.floor(total[i] * math.cos(math.pi / 2 * (it + 1) / iters)))
            cur = int(masked[i].sum())
            k = cur - remain_after if it < iters - 1 else cur
            if k <= 0:
                continue
            c = np.where(masked[i], conf[i], -np.inf).reshape(-1)
            idx = np.argpartition(-c, k - 1)[:k]
            flat = x[i].reshape(-1)
            flat[idx] = sampled[i].reshape(-1)[idx]
            x[i] = flat.reshape(steps, 4)
    x[:, :, ~on] = 0
    return x


def grid_stats(grids: np.ndarray) -> dict:
    """Quick sanity numbers: onsets per bar, distinct chords, drum hits per bar (16-step bars)."""
    g = grids.reshape(-1, 4)
    bars = max(1, len(g) / 16)
    return {
        "melodyOnsetsPerBar": round(float((g[:, 0] >= 2).sum() / bars), 2),
        "melodyRestFrac": round(float((g[:, 0] == 0).mean()), 3),
        "bassOnsetsPerBar": round(float((g[:, 1] >= 2).sum() / bars), 2),
        "harmonyChangesPerBar": round(float((np.diff(g[:, 2]) != 0).sum() / bars), 2),
        "harmonyNoneFrac": round(float((g[:, 2] == 0).mean()), 3),
        "drumHitStepsPerBar": round(float((g[:, 3] != 0).sum() / bars), 2),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(REPO_ROOT / "models" / "motif-v1.onnx"))
    ap.add_argument("--per-style", type=int, default=8)
    ap.add_argument("--bars", type=int, default=8)
    ap.add_argument("--iters", type=int, default=12)
    ap.add_argument("--guidance", type=float, default=2.0)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(REPO_ROOT / ".cache" / "eval" / "generated.jsonl"))
    args = ap.parse_args(argv)

    vocab = load_vocabulary()
    den = OnnxDenoiser(Path(args.model))
    styles = den.meta.get("styles") or vocab["learnedStyles"]
    meter_idx = vocab["conditions"]["meter"].index("4/4")
    steps = args.bars * 16
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    n_clips = 0
    with open(out, "w", encoding="utf-8") as f:
        for si, name in enumerate(styles):
            style = np.zeros(len(styles), np.float32)
            style[si] = 1.0
            cond = np.zeros(5, np.int64)
            cond[4] = meter_idx
            grids = sample(den, args.per_style, steps, 16, style, cond, iters=args.iters, guidance=args.guidance,
                           temperature=args.temperature, seed=args.seed + si)
            print(f"{name:10s} {json.dumps(grid_stats(grids))}")
            for g in grids:
                f.write(json.dumps({"style": name, "learnedMix": {name: 1.0}, "stepsPerBar": 16, "steps": steps,
                                    "meter": "4/4", "tokens": g.reshape(-1).tolist()}) + "\n")
                n_clips += 1
    dt = time.perf_counter() - t0
    print(f"wrote {n_clips} clips to {out} in {dt:.1f}s ({dt / max(1, n_clips) * 1000:.0f} ms per clip, batched)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
