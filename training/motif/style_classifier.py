"""A small style classifier over grids: which learned style is an 8-bar crop from?

Architecture (like the main model's input side, tiny): steps are grouped into patches of 4; a patch is the sum
of one embedding per (sub-step, track, token) cell (an absent or dropped track is fed as its MASK id = the
track's vocabulary size) plus one per (sub-step, step-in-bar); a learned position per patch; a 2-layer
transformer encoder; masked mean pool; linear head over the learned styles.

Training: split 0, styles sampled uniformly (balanced), a piece uniformly within the style, a random
bar-aligned crop of `crop_bars` bars; random track dropout (each present track dropped with p=0.35, at least
one kept) so the classifier works on any subset of tracks. Fixed seed and fixed step count (reproducible).
Evaluation: split 2 (held-out real pieces), non-overlapping crops, each with the piece's own tracks.

  python -m motif.style_classifier --dataset ../.cache/dataset.npz --out ../.cache/style_classifier.pt
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .metrics import RealData, default_dataset_path, load_dataset

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / ".cache" / "style_classifier.pt"
TRACK_SIZES = (50, 34, 145, 256)
PATCH = 4


@dataclass
class ClassifierConfig:
    num_styles: int = 10
    styles: list = field(default_factory=list)
    crop_bars: int = 8
    max_steps: int = 128  # crop_bars * 16
    d_model: int = 96
    n_layers: int = 2
    n_heads: int = 4
    d_ff: int = 192
    dropout: float = 0.1


class StyleClassifier(nn.Module):
    def __init__(self, cfg: ClassifierConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        offs, total = [], 0
        for _s in range(PATCH):
            for v in TRACK_SIZES:
                offs.append(total)
                total += v + 1  # + MASK
        self.register_buffer("cell_offsets", torch.tensor(offs, dtype=torch.long), persistent=False)
        self.cell_emb = nn.Embedding(total, d)
        self.register_buffer("barpos_offsets", torch.arange(PATCH) * 16, persistent=False)
        self.barpos_emb = nn.Embedding(PATCH * 16, d)
        self.pos_emb = nn.Parameter(torch.randn(cfg.max_steps // PATCH, d) * 0.02)
        nn.init.normal_(self.cell_emb.weight, std=1.0 / math.sqrt(len(offs)))
        nn.init.normal_(self.barpos_emb.weight, std=0.25)
        layer = nn.TransformerEncoderLayer(
            d, cfg.n_heads, cfg.d_ff, dropout=cfg.dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, cfg.n_layers, enable_nested_tensor=False)
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg.num_styles)

    def forward(self, tokens: torch.Tensor, bar_pos: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        """tokens int64 [B, L, 4] (MASK ids for absent tracks), bar_pos [B, L], pad bool [B, L] -> logits [B, S]."""
        b, length, _ = tokens.shape
        cells = tokens.reshape(b, length // PATCH, PATCH * 4) + self.cell_offsets
        x = self.cell_emb(cells).sum(2)
        x = x + self.barpos_emb(bar_pos.reshape(b, -1, PATCH) + self.barpos_offsets).sum(2)
        x = x + self.pos_emb[: x.shape[1]]
        ppad = pad.reshape(b, -1, PATCH).all(2)  # [B, P]
        x = self.encoder(x, src_key_padding_mask=ppad)
        x = self.ln(x)
        keep = (~ppad).unsqueeze(-1).to(x.dtype)
        x = (x * keep).sum(1) / keep.sum(1).clamp(min=1.0)
        return self.head(x)


# ---------------------------------------------------------------------------------------------------------
# Batching


def make_batch(grids, spbs, masks, max_steps: int):
    """Lists of grids [T,4], steps per bar, bool[4] track masks -> (tokens, bar_pos, pad) tensors.

    Grids longer than max_steps are cut; shorter ones padded (pad = True) to a multiple of PATCH."""
    n = len(grids)
    length = min(max_steps, max(len(g) for g in grids))
    length = max(PATCH, int(math.ceil(length / PATCH) * PATCH))
    mask_ids = np.array(TRACK_SIZES, dtype=np.int64)
    tok = np.broadcast_to(mask_ids, (n, length, 4)).copy()
    bp = np.zeros((n, length), dtype=np.int64)
    pad = np.ones((n, length), dtype=bool)
    for i, (g, spb, m) in enumerate(zip(grids, spbs, masks)):
        g = np.asarray(g, dtype=np.int64).reshape(-1, 4)[:length]
        t = len(g)
        tok[i, :t] = np.where(np.asarray(m, bool)[None, :], np.minimum(g, mask_ids - 1), mask_ids)
        bp[i, :t] = np.arange(t) % spb
        pad[i, :t] = False
    return torch.from_numpy(tok), torch.from_numpy(bp), torch.from_numpy(pad)


def dropout_mask(rng: np.random.Generator, present: np.ndarray, p: float = 0.35) -> np.ndarray:
    present = np.asarray(present, bool)
    idx = np.flatnonzero(present)
    if len(idx) == 0:
        return present.copy()
    keep = present & (rng.random(4) >= p)
    if not keep.any():
        keep = np.zeros(4, bool)
        keep[rng.choice(idx)] = True
    return keep


# ---------------------------------------------------------------------------------------------------------
# Train / evaluate


def train_classifier(
    data: RealData,
    steps: int = 1200,
    batch_size: int = 64,
    lr: float = 2e-3,
    seed: int = 0,
    crop_bars: int = 8,
    track_dropout: float = 0.35,
    max_seconds: float | None = None,
    log_every: int = 250,
    **cfg_overrides,
) -> tuple[StyleClassifier, dict]:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    styles = list(data.styles) or [str(i) for i in range(int(data.style.max()) + 1)]
    cfg = ClassifierConfig(num_styles=len(styles), styles=styles, crop_bars=crop_bars, max_steps=crop_bars * 16)
    for k, v in cfg_overrides.items():
        setattr(cfg, k, v)
    model = StyleClassifier(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    by_style = {s: data.pieces(style=s, split=0) for s in range(len(styles))}
    train_styles = [s for s, p in by_style.items() if len(p)]
    if not train_styles:
        raise ValueError("no training pieces (split 0)")
    t0 = time.time()
    model.train()
    done = 0
    losses = []
    for step in range(steps):
        warm = max(1, steps // 20)
        cur = lr * min(1.0, (step + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / steps)))
        for gparam in opt.param_groups:
            gparam["lr"] = cur
        st = rng.choice(train_styles, size=batch_size)
        grids, spbs, masks = [], [], []
        for s in st:
            i = int(rng.choice(by_style[s]))
            g, _ = data.crop(i, crop_bars, rng)
            grids.append(g)
            spbs.append(data.steps_per_bar(i))
            masks.append(dropout_mask(rng, data.track_mask[i], track_dropout))
        tok, bp, pad = make_batch(grids, spbs, masks, cfg.max_steps)
        logits = model(tok, bp, pad)
        loss = F.cross_entropy(logits, torch.as_tensor(st, dtype=torch.long))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss.detach()))
        done = step + 1
        if log_every and (step + 1) % log_every == 0:
            print(f"  classifier step {step + 1}/{steps} loss {np.mean(losses[-log_every:]):.3f} "
                  f"({time.time() - t0:.0f}s)", flush=True)
        if max_seconds is not None and time.time() - t0 > max_seconds:
            break
    model.eval()
    info = {"steps": done, "seed": seed, "seconds": round(time.time() - t0, 1), "final_loss": float(np.mean(losses[-50:])),
            "track_dropout": track_dropout, "batch_size": batch_size}
    return model, info


@torch.no_grad()
def predict_proba(model: StyleClassifier, grids, spbs, masks, batch_size: int = 256) -> np.ndarray:
    """Class probabilities [N, S] for crops (each at most cfg.max_steps steps)."""
    model.eval()
    out = []
    for a in range(0, len(grids), batch_size):
        tok, bp, pad = make_batch(grids[a : a + batch_size], spbs[a : a + batch_size], masks[a : a + batch_size],
                                  model.cfg.max_steps)
        out.append(torch.softmax(model(tok, bp, pad), -1).numpy())
    return np.concatenate(out) if out else np.zeros((0, model.cfg.num_styles))


def crops_of(grid: np.ndarray, spb: int, bars: int, max_crops: int | None = None) -> list[np.ndarray]:
    """Non-overlapping bar-aligned crops of `bars` bars (a shorter grid is one crop; a final partial crop of at
    least half the length is kept)."""
    want = bars * spb
    n = len(grid)
    if n <= want:
        return [grid]
    out = [grid[s : s + want] for s in range(0, n - want + 1, want)]
    rest = n - len(out) * want
    if rest >= want // 2:
        out.append(grid[n - want :])
    if max_crops is not None and len(out) > max_crops:
        pick = np.linspace(0, len(out) - 1, max_crops).round().astype(int)
        out = [out[k] for k in pick]
    return out


def real_eval_crops(data: RealData, split=2, bars: int = 8, max_crops_per_piece: int = 8):
    """(grids, spbs, masks, labels, piece ids) of the held-out real crops, each with its piece's own tracks."""
    grids, spbs, masks, labels, pids = [], [], [], [], []
    for i in data.pieces(split=split):
        spb = data.steps_per_bar(i)
        for c in crops_of(data.piece(i), spb, bars, max_crops_per_piece):
            grids.append(c)
            spbs.append(spb)
            masks.append(data.track_mask[i].astype(bool))
            labels.append(int(data.style[i]))
            pids.append(int(i))
    return grids, spbs, masks, np.array(labels, dtype=np.int64), np.array(pids, dtype=np.int64)


def evaluate_real(model: StyleClassifier, data: RealData, split=2, max_crops_per_piece: int = 8) -> dict:
    grids, spbs, masks, labels, _ = real_eval_crops(data, split, model.cfg.crop_bars, max_crops_per_piece)
    if not grids:
        return {"n": 0, "accuracy": None, "balanced_accuracy": None, "per_style": {}}
    pred = predict_proba(model, grids, spbs, masks).argmax(1)
    correct = pred == labels
    per = {}
    for s, name in enumerate(model.cfg.styles):
        sel = labels == s
        if sel.any():
            per[name] = {"n": int(sel.sum()), "accuracy": float(correct[sel].mean())}
    conf = np.zeros((len(model.cfg.styles),) * 2, dtype=np.int64)
    np.add.at(conf, (labels, pred), 1)
    return {
        "n": int(len(labels)),
        "accuracy": float(correct.mean()),
        "balanced_accuracy": float(np.mean([v["accuracy"] for v in per.values()])),
        "per_style": per,
        "confusion": conf.tolist(),
    }


def dataset_fingerprint(data: RealData) -> dict:
    return {"pieces": int(data.num_pieces), "steps": int(len(data.grids)), "sources": list(data.sources)}


def save_classifier(path, model: StyleClassifier, extra: dict | None = None) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"config": asdict(model.cfg), "state_dict": model.state_dict(), **(extra or {})}
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


def load_classifier(path) -> tuple[StyleClassifier, dict]:
    payload = torch.load(Path(path), map_location="cpu", weights_only=False)
    model = StyleClassifier(ClassifierConfig(**payload["config"]))
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return model, payload


def format_report(ev: dict, styles: list) -> str:
    lines = ["| learned style | held-out crops | accuracy |", "|---|---:|---:|"]
    for name in styles:
        v = ev["per_style"].get(name)
        lines.append(f"| {name} | {v['n']} | {v['accuracy']:.1%} |" if v else f"| {name} | 0 | n/a |")
    if ev["accuracy"] is not None:
        lines.append(f"| **all** | {ev['n']} | {ev['accuracy']:.1%} (balanced {ev['balanced_accuracy']:.1%}) |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default=str(default_dataset_path()))
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=None, help="safety cap (makes the run non-reproducible)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (the model is tiny: 1 is about as fast)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = load_dataset(args.dataset)
    model, info = train_classifier(data, steps=args.steps, batch_size=args.batch_size, seed=args.seed,
                                   max_seconds=args.max_seconds)
    ev = evaluate_real(model, data, split=2)
    print(format_report(ev, model.cfg.styles))
    print(json.dumps(info))
    save_classifier(args.out, model, {"train": info, "heldout": ev, "dataset": dataset_fingerprint(data)})
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
