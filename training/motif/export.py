"""Export a trained checkpoint to ONNX per src/inference/MODEL-CONTRACT.md, verify it against PyTorch with
onnxruntime (fails loudly on mismatch), measure CPU latency, and write the metadata JSON.

  python -m motif.export --ckpt .cache/checkpoints/motif-v1.pt --out models/motif-v1.onnx
  python -m motif.export --tiny          # train a tiny model on synthetic data -> test/fixtures/tiny-model.*
  python -m motif.export --bench models/motif-v1.onnx   # latency only
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from .model import COND_FIELDS, TRACKS, MotifDenoiser, clip_to_end, load_checkpoint, load_vocabulary

REPO_ROOT = Path(__file__).resolve().parents[2]
BASE_INPUTS = ["tokens", "bar_pos", "style", "cond"]
OUTPUT_NAMES = list(TRACKS)
OPSET = 17
TOLERANCE = 1e-3


TINY_END_BUCKETS = 3


class ExportError(RuntimeError):
    pass


def input_names(model: MotifDenoiser) -> list[str]:
    """The graph's inputs: models with end_buckets > 0 also take `to_end`."""
    return BASE_INPUTS + (["to_end"] if model.cfg.end_buckets > 0 else [])


def random_inputs(model: MotifDenoiser, batch: int, steps: int, seed: int = 0, mask_frac: float = 0.5) -> dict:
    """Random contract-conforming inputs (numpy)."""
    cfg = model.cfg
    rng = np.random.default_rng(seed)
    sizes = np.array(cfg.track_sizes)
    tokens = np.stack([rng.integers(0, v, size=(batch, steps)) for v in sizes], axis=-1).astype(np.int64)
    hide = rng.random((batch, steps, 4)) < mask_frac
    tokens = np.where(hide, sizes[None, None, :], tokens).astype(np.int64)
    spb = 16 if rng.random() < 0.5 else 12
    bar_pos = np.broadcast_to(np.arange(steps) % spb, (batch, steps)).astype(np.int64).copy()
    style = rng.random((batch, cfg.num_styles)).astype(np.float32)
    style /= style.sum(1, keepdims=True)
    style[-1] = 0.0  # an unconditioned row
    cond = np.stack([rng.integers(0, n, size=batch) for n in cfg.cond_sizes], axis=1).astype(np.int64)
    cond[-1] = 0
    out = {"tokens": tokens, "bar_pos": bar_pos, "style": style, "cond": cond}
    if cfg.end_buckets > 0:
        out["to_end"] = np.tile(np.array(clip_to_end(steps, spb, cfg.end_buckets), np.int64), (batch, 1))
        out["to_end"][0] = 0  # an unknown end
    return out


def export_onnx(model: MotifDenoiser, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.eval()
    ex = {k: torch.from_numpy(v) for k, v in random_inputs(model, 2, 64).items()}
    names = input_names(model)
    dynamic_axes = {
        "tokens": {0: "batch", 1: "steps"},
        "bar_pos": {0: "batch", 1: "steps"},
        "style": {0: "batch"},
        "cond": {0: "batch"},
        "to_end": {0: "batch", 1: "steps"},
        **{name: {0: "batch", 1: "steps"} for name in OUTPUT_NAMES},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            torch.onnx.export(
                model,
                tuple(ex[k] for k in names),
                str(path),
                input_names=names,
                output_names=OUTPUT_NAMES,
                dynamic_axes={k: v for k, v in dynamic_axes.items() if k in names or k in OUTPUT_NAMES},
                opset_version=OPSET,
                do_constant_folding=True,
                dynamo=False,
            )
    import onnx

    m = onnx.load(str(path))
    # Static vocabulary size on the last output axis (the exporter leaves a symbolic name there).
    for out, v in zip(m.graph.output, model.cfg.track_sizes):
        dim = out.type.tensor_type.shape.dim[2]
        dim.ClearField("dim_param")
        dim.dim_value = int(v)
    m.doc_string = ""
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, str(path))


def ort_session(path: Path, threads: int = 2):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def verify(model: MotifDenoiser, path: Path, cases=((2, 64), (3, 32), (1, 240), (2, 256))) -> float:
    """Runs onnxruntime and PyTorch on the same random inputs; raises ExportError if they disagree."""
    sess = ort_session(path)
    names_in = [i.name for i in sess.get_inputs()]
    names_out = [o.name for o in sess.get_outputs()]
    expected_in = input_names(model)
    if names_in != expected_in or names_out != OUTPUT_NAMES:
        raise ExportError(f"I/O names {names_in} -> {names_out}, expected {expected_in} -> {OUTPUT_NAMES}")
    worst = 0.0
    model.eval()
    for i, (b, t) in enumerate(cases):
        feeds = random_inputs(model, b, t, seed=100 + i)
        outs = sess.run(None, feeds)
        with torch.no_grad():
            ref = model(*(torch.from_numpy(feeds[k]) for k in expected_in))
        for name, o, r, v in zip(OUTPUT_NAMES, outs, ref, model.cfg.track_sizes):
            if o.shape != (b, t, v) or o.dtype != np.float32:
                raise ExportError(f"{name}: got {o.shape} {o.dtype}, expected {(b, t, v)} float32")
            diff = float(np.max(np.abs(o - r.numpy())))
            worst = max(worst, diff)
            if not np.isfinite(diff) or diff >= TOLERANCE:
                raise ExportError(f"{name} B={b} T={t}: max |onnx - torch| = {diff:.3e} >= {TOLERANCE}")
    return worst


def bench(path: Path, batch: int = 2, steps: int = 240, threads: int = 2, repeats: int = 50) -> dict:
    """Median forward latency in onnxruntime CPU (ms)."""
    import onnxruntime as ort

    sess = ort_session(path, threads)
    meta_inputs = {i.name: i for i in sess.get_inputs()}
    num_styles = meta_inputs["style"].shape[1]
    sizes = [o.shape[2] for o in sess.get_outputs()]
    rng = np.random.default_rng(0)
    feeds = {
        "tokens": np.stack([rng.integers(0, v + 1, size=(batch, steps)) for v in sizes], -1).astype(np.int64),
        "bar_pos": np.broadcast_to(np.arange(steps) % 16, (batch, steps)).astype(np.int64).copy(),
        "style": np.zeros((batch, num_styles), np.float32),
        "cond": np.zeros((batch, 5), np.int64),
    }
    if "to_end" in meta_inputs:
        feeds["to_end"] = np.zeros((batch, steps), np.int64)
    feeds["style"][0, 0] = 1.0
    for _ in range(5):
        sess.run(None, feeds)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {
        "batch": batch,
        "steps": steps,
        "threads": threads,
        "medianMs": round(times[len(times) // 2], 2),
        "p90Ms": round(times[int(len(times) * 0.9)], 2),
        "minMs": round(times[0], 2),
        "onnxruntime": ort.__version__,
    }


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_metadata(
    model: MotifDenoiser, onnx_path: Path, json_path: Path, training: dict | None, latency: dict | None, name: str
) -> dict:
    vocab = load_vocabulary()
    cfg = model.cfg
    if list(cfg.styles) != list(vocab["learnedStyles"]):
        raise ExportError(f"model styles {cfg.styles} != vocabulary learnedStyles {vocab['learnedStyles']}")
    training = dict(training or {})
    training.pop("history", None)
    meta = {
        "name": name,
        "version": 1,
        "vocabularyVersion": vocab["version"],
        "styles": list(cfg.styles),
        "maxSteps": cfg.max_steps,
        "patchSteps": cfg.patch_steps,
        "endBuckets": cfg.end_buckets,
        "parameters": model.num_parameters(),
        "trainedAt": training.get("trainedAt")
        or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "onnxSha256": sha256(onnx_path),
        "architecture": {
            "type": "masked discrete diffusion denoiser, bidirectional pre-LN transformer over beat patches",
            "dModel": cfg.d_model,
            "layers": cfg.n_layers,
            "heads": cfg.n_heads,
            "ff": cfg.d_ff,
            "condMode": cfg.cond_mode,
            "rotaryPositions": cfg.rope,
            "opset": OPSET,
            "inputs": input_names(model),
            "outputs": OUTPUT_NAMES,
            "trackSizes": dict(zip(TRACKS, cfg.track_sizes)),
            "conditions": list(COND_FIELDS),
        },
        "training": {
            "steps": training.get("steps"),
            "batchSize": training.get("batchSize"),
            "examples": training.get("examples"),
            "seconds": training.get("seconds"),
            "examplesPerSecond": training.get("examplesPerSecond"),
            "seed": training.get("seed"),
            "hardware": training.get("hardware"),
            "dataset": training.get("dataset"),
        },
        "validationLoss": training.get("validLoss"),
    }
    if latency:
        meta["latency"] = latency
    json_path.parent.mkdir(parents=True, exist_ok=True)
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return meta


def export_all(
    model: MotifDenoiser, onnx_path: Path, json_path: Path, training: dict | None, name: str, do_bench: bool = True
) -> dict:
    export_onnx(model, onnx_path)
    worst = verify(model, onnx_path)
    print(f"verified {onnx_path}: max |onnxruntime - torch| = {worst:.2e} (< {TOLERANCE})")
    latency = bench(onnx_path) if do_bench else None
    if latency:
        print(f"latency (onnxruntime CPU, {latency['threads']} threads, B={latency['batch']}, T={latency['steps']}): "
              f"median {latency['medianMs']} ms, p90 {latency['p90Ms']} ms")
    meta = write_metadata(model, onnx_path, json_path, training, latency, name)
    print(f"wrote {json_path} ({meta['parameters']:,} parameters, sha256 {meta['onnxSha256'][:12]}...)")
    return meta


def make_tiny(out_dir: Path, steps: int = 50, seed: int = 7) -> dict:
    """The test fixture: the same graph at a tiny size, trained ~50 steps on synthetic data."""
    from .masking import make_synthetic_dataset
    from .model import ModelConfig
    from .train import PRESETS, train

    # The fixture has the `to_end` input (the shipped model has none), so the TypeScript path that feeds it runs
    # against a real graph as well as the shipped model's path without it.
    cfg = ModelConfig.from_vocabulary(**PRESETS["tiny"], end_buckets=TINY_END_BUCKETS)
    ds = make_synthetic_dataset(seed=seed)
    model, summary = train(ds, cfg, steps=steps, batch_size=16, lr=3e-3, warmup=5, seed=seed, val_every=0,
                           quiet=True)
    summary["dataset"] = "synthetic (training/motif/masking.py make_synthetic_dataset)"
    from .train import make_val_batches, evaluate

    summary["validLoss"] = evaluate(model, make_val_batches(ds, cfg, 64, 32, seed))
    model.eval()
    return export_all(model, out_dir / "tiny-model.onnx", out_dir / "tiny-model.json", summary, "motif-tiny",
                      do_bench=False)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", default=str(REPO_ROOT / "training" / ".cache" / "checkpoints" / "motif-v1.pt"))
    ap.add_argument("--out", default=str(REPO_ROOT / "models" / "motif-v1.onnx"))
    ap.add_argument("--meta", default=None, help="metadata JSON (default: --out with .json)")
    ap.add_argument("--name", default="motif-v1")
    ap.add_argument("--tiny", action="store_true", help="make test/fixtures/tiny-model.{onnx,json}")
    ap.add_argument("--tiny-dir", default=str(REPO_ROOT / "test" / "fixtures"))
    ap.add_argument("--bench", default=None, metavar="ONNX", help="only measure latency of this model")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        if args.bench:
            for b, t in ((2, 240), (2, 256), (1, 240), (8, 240)):
                print(json.dumps(bench(Path(args.bench), b, t, args.threads)))
            return 0
        if args.tiny:
            make_tiny(Path(args.tiny_dir))
            return 0
        model, payload = load_checkpoint(Path(args.ckpt))
        out = Path(args.out)
        meta = Path(args.meta) if args.meta else out.with_suffix(".json")
        export_all(model, out, meta, payload.get("training"), args.name)
    except ExportError as e:
        print(f"EXPORT FAILED: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
