"""Train the Motif denoiser (CPU, time- or step-budgeted, reproducible with a fixed seed and --steps).

  python -m motif.train --data .cache/dataset.npz --steps 3000 --out .cache/checkpoints/motif-v1.pt
  python -m motif.train --data .cache/dataset.npz --minutes 3      # quick check (not reproducible)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .masking import MASK_TYPES, Batch, BatchSampler, Dataset, load_dataset, make_synthetic_dataset
from .model import TRACKS, ModelConfig, MotifDenoiser, save_checkpoint

REPO_ROOT = Path(__file__).resolve().parents[2]

PRESETS = {
    "tiny": dict(d_model=32, n_layers=1, n_heads=2, d_ff=64),
    "small": dict(d_model=192, n_layers=4, n_heads=4, d_ff=576),
    "base": dict(d_model=256, n_layers=4, n_heads=4, d_ff=768),
}


def hardware_description(threads: int) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {threads} threads, fp32, torch {torch.__version__}"


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def to_torch(b: Batch) -> dict:
    return {
        "tokens": torch.from_numpy(b.tokens),
        "targets": torch.from_numpy(b.targets),
        "loss_mask": torch.from_numpy(b.loss_mask),
        "bar_pos": torch.from_numpy(b.bar_pos),
        "style": torch.from_numpy(b.style),
        "cond": torch.from_numpy(b.cond),
        "key_padding": torch.from_numpy(b.key_padding),
        "to_end": torch.from_numpy(b.to_end if b.to_end is not None else np.zeros_like(b.bar_pos)),
    }


def track_losses(model: MotifDenoiser, tb: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Returns (per-track summed CE over loss cells [4], per-track counts [4])."""
    kp = tb["key_padding"]
    logits = model(
        tb["tokens"], tb["bar_pos"], tb["style"], tb["cond"], tb["to_end"], key_padding=kp if kp.any() else None
    )
    sums, counts = [], []
    for t, lg in enumerate(logits):
        m = tb["loss_mask"][:, :, t]
        n = m.sum()
        if n > 0:
            ce = F.cross_entropy(lg[m], tb["targets"][:, :, t][m], reduction="sum")
        else:
            ce = lg.sum() * 0.0
        sums.append(ce)
        counts.append(n)
    return torch.stack(sums), torch.stack(counts).to(torch.float32)


def balanced_loss(sums: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Mean over tracks (that have loss cells) of the per-track mean CE: every track learns."""
    present = counts > 0
    per_track = sums[present] / counts[present]
    return per_track.mean()


def lr_at(step: int, total: int, peak: float, warmup: int, final_frac: float = 0.1) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    prog = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (final_frac + (1 - final_frac) * 0.5 * (1 + math.cos(math.pi * prog)))


def make_val_batches(ds: Dataset, cfg: ModelConfig, n_examples: int, batch_size: int, seed: int) -> list[dict]:
    """A fixed validation set (split 1, else split 0): same crops/masks for every run with the same seed.
    No conditioning dropout (conditional loss)."""
    split = 1 if np.any(ds.split == 1) else 0
    vs = BatchSampler(
        ds, cfg.track_sizes, cfg.num_styles, split=split, max_steps=cfg.max_steps, patch_steps=cfg.patch_steps,
        cond_drop=0.0, style_drop=0.0, all_drop=0.0, end_buckets=cfg.end_buckets,
    )
    rng = np.random.default_rng(seed + 1_000_003)
    out = []
    left = n_examples
    while left > 0:
        bs = min(batch_size, left)
        out.append(to_torch(vs.sample(rng, bs)))
        left -= bs
    return out


@torch.no_grad()
def evaluate(model: MotifDenoiser, batches: list[dict], uncond: bool = False) -> dict:
    """Per-track mean CE over the masked cells of the fixed validation batches (uncond: style and conditions
    zeroed, to see how much the model uses its conditioning)."""
    model.eval()
    sums = torch.zeros(4)
    counts = torch.zeros(4)
    for tb in batches:
        if uncond:
            tb = dict(tb, style=torch.zeros_like(tb["style"]), cond=torch.zeros_like(tb["cond"]))
        s, c = track_losses(model, tb)
        sums += s
        counts += c
    model.train()
    per = {t: (float(sums[i] / counts[i]) if counts[i] > 0 else float("nan")) for i, t in enumerate(TRACKS)}
    vals = [v for v in per.values() if not math.isnan(v)]
    per["mean"] = float(np.mean(vals)) if vals else float("nan")
    return per


def train(
    ds: Dataset,
    cfg: ModelConfig,
    *,
    steps: int | None = None,
    minutes: float | None = None,
    batch_size: int = 32,
    lr: float = 1e-3,
    warmup: int = 100,
    weight_decay: float = 0.01,
    clip: float = 1.0,
    seed: int = 1234,
    threads: int = 2,
    val_every: int = 200,
    val_examples: int = 256,
    log_every: int = 50,
    out: Path | None = None,
    quiet: bool = False,
    sampler_kwargs: dict | None = None,
    extra: dict | None = None,
) -> tuple[MotifDenoiser, dict]:
    if steps is None and minutes is None:
        raise ValueError("give --steps and/or --minutes")
    torch.set_num_threads(threads)
    # Tiny Adam moments / gradients become denormal floats, which are 10-100x slower on x86: flush them.
    torch.set_flush_denormal(True)
    seed_everything(seed)
    rng = np.random.default_rng(seed)
    model = MotifDenoiser(cfg)
    model.train()
    log = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    n_params = model.num_parameters()
    log(f"model: {n_params:,} parameters {json.dumps({k: getattr(cfg, k) for k in ('d_model','n_layers','n_heads','d_ff','cond_mode')})}")

    sampler = BatchSampler(
        ds, cfg.track_sizes, cfg.num_styles, split=0, max_steps=cfg.max_steps, patch_steps=cfg.patch_steps,
        end_buckets=cfg.end_buckets, **(sampler_kwargs or {}),
    )
    log(f"train pieces: {len(sampler.pieces)}  steps of grid: {int(ds.lengths()[sampler.pieces].sum()):,}")
    val_batches = make_val_batches(ds, cfg, val_examples, max(batch_size, 32), seed) if val_every else []

    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if p.dim() >= 2 and "emb" not in name else no_decay).append(p)
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=lr, betas=(0.9, 0.98), eps=1e-8, fused=True,
    )

    budget_s = minutes * 60 if minutes is not None else float("inf")
    total_steps = steps if steps is not None else None
    t0 = time.perf_counter()
    step = 0
    examples = 0
    history = []
    run_loss = None
    run_tracks = None
    val = None
    while True:
        elapsed = time.perf_counter() - t0
        if total_steps is not None and step >= total_steps:
            break
        if elapsed >= budget_s:
            break
        if total_steps is not None:
            frac_total = total_steps
            cur_lr = lr_at(step, frac_total, lr, warmup)
        else:  # time-based schedule: progress = elapsed / budget
            prog_steps = 10_000
            cur_lr = lr_at(int(prog_steps * elapsed / budget_s) if step >= warmup else step, prog_steps, lr, warmup)
        for g in opt.param_groups:
            g["lr"] = cur_lr
        tb = to_torch(sampler.sample(rng, batch_size))
        sums, counts = track_losses(model, tb)
        loss = balanced_loss(sums, counts)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        step += 1
        examples += batch_size
        lv = loss.item()
        per = (sums / counts.clamp(min=1)).detach().numpy()
        run_loss = lv if run_loss is None else 0.95 * run_loss + 0.05 * lv
        run_tracks = per if run_tracks is None else 0.95 * run_tracks + 0.05 * per
        if step % log_every == 0 or step == 1:
            el = time.perf_counter() - t0
            log(
                f"step {step:6d}  loss {lv:.4f} (ema {run_loss:.4f})  "
                + " ".join(f"{t[:3]} {run_tracks[i]:.3f}" for i, t in enumerate(TRACKS))
                + f"  lr {cur_lr:.2e}  gnorm {float(gnorm):.2f}  {examples / el:.1f} ex/s  {el:.0f}s"
            )
        history.append(lv)
        if val_every and step % val_every == 0:
            val = evaluate(model, val_batches)
            log(f"  valid @ {step}: " + " ".join(f"{k} {v:.4f}" for k, v in val.items()))
            if out is not None:
                save_checkpoint(out, model, {"partial": True, "step": step})
    elapsed = time.perf_counter() - t0
    if val_batches and (val is None or step % val_every != 0):
        val = evaluate(model, val_batches)
        log(f"  valid @ {step}: " + " ".join(f"{k} {v:.4f}" for k, v in val.items()))
    val_uncond = evaluate(model, val_batches, uncond=True) if val_batches else None
    if val_uncond:
        log("  valid (unconditioned): " + " ".join(f"{k} {v:.4f}" for k, v in val_uncond.items()))
    summary = {
        "steps": step,
        "batchSize": batch_size,
        "examples": examples,
        "seconds": round(elapsed, 1),
        "examplesPerSecond": round(examples / max(elapsed, 1e-9), 2),
        "seed": seed,
        "lr": lr,
        "threads": threads,
        "hardware": hardware_description(threads),
        "trainedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "validLoss": val,
        "validLossUnconditioned": val_uncond,
        "finalTrainLossEma": run_loss,
        "parameters": n_params,
        "history": history,
        **(extra or {}),
    }
    if out is not None:
        save_checkpoint(out, model, {"training": {k: v for k, v in summary.items() if k != "history"}})
        log(f"saved {out}")
    return model, summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(REPO_ROOT / "training" / ".cache" / "dataset.npz"))
    ap.add_argument("--synthetic", action="store_true", help="train on a generated synthetic dataset")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="base")
    ap.add_argument("--d-model", type=int)
    ap.add_argument("--layers", type=int)
    ap.add_argument("--heads", type=int)
    ap.add_argument("--ff", type=int)
    ap.add_argument("--cond-mode", choices=["add", "prefix"], default="prefix")
    ap.add_argument("--rope", action=argparse.BooleanOptionalAction, default=True,
                    help="rotary position embeddings in attention (model.py); --no-rope trains the earlier model")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--val-every", type=int, default=250)
    ap.add_argument("--val-examples", type=int, default=256)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--drum-overlay", type=float, default=0.0,
                    help="probability that a 4/4 tune without drums is given a drum part (masking.BatchSampler)")
    ap.add_argument("--drum-overlay-cross", type=float, default=0.0,
                    help="of those, the probability of another style's drums, with a blended style vector")
    ap.add_argument("--end-buckets", type=int, default=0,
                    help="give the model a `to_end` input with this many values (0 = none; 3 or 5 were tried, see "
                         "models/MODEL_CARD.md)")
    ap.add_argument("--out", default=str(REPO_ROOT / "training" / ".cache" / "checkpoints" / "motif-v1.pt"))
    ap.add_argument("--summary", default=None, help="write the training summary JSON here")
    args = ap.parse_args(argv)
    if args.steps is None and args.minutes is None:
        ap.error("give --steps and/or --minutes")

    overrides = dict(PRESETS[args.preset])
    for k, a in (("d_model", "d_model"), ("n_layers", "layers"), ("n_heads", "heads"), ("d_ff", "ff")):
        if getattr(args, a) is not None:
            overrides[k] = getattr(args, a)
    overrides["cond_mode"] = args.cond_mode
    overrides["rope"] = args.rope
    if args.end_buckets == 1 or args.end_buckets < 0:
        ap.error("--end-buckets must be 0 or at least 2")
    overrides["end_buckets"] = args.end_buckets
    cfg = ModelConfig.from_vocabulary(**overrides)
    ds = make_synthetic_dataset(seed=args.seed) if args.synthetic else load_dataset(Path(args.data))
    if args.synthetic:
        dataset_info = {"name": "synthetic"}
    else:
        import hashlib

        dataset_info = {
            "file": Path(args.data).name,
            "sha256": hashlib.sha256(Path(args.data).read_bytes()).hexdigest(),
            "pieces": int(ds.num_pieces),
            "steps": int(ds.lengths().sum()),
            "sources": [str(x) for x in ds.sources],
            "trainPieces": int((ds.split == 0).sum()),
        }
    _, summary = train(
        ds, cfg, steps=args.steps, minutes=args.minutes, batch_size=args.batch_size, lr=args.lr,
        warmup=args.warmup, weight_decay=args.weight_decay, seed=args.seed, threads=args.threads,
        val_every=args.val_every, val_examples=args.val_examples, log_every=args.log_every, out=Path(args.out),
        extra={"dataset": dataset_info, "drumOverlay": args.drum_overlay, "drumOverlayCross": args.drum_overlay_cross},
        sampler_kwargs={"overlay_prob": args.drum_overlay, "overlay_cross": args.drum_overlay_cross},
    )
    if args.summary:
        Path(args.summary).parent.mkdir(parents=True, exist_ok=True)
        with open(args.summary, "w") as f:
            json.dump({k: v for k, v in summary.items() if k != "history"}, f, indent=2)
    print(json.dumps({k: v for k, v in summary.items() if k != "history"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
