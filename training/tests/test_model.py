"""Model + export tests: contract shapes, dynamic axes, ONNX == PyTorch, padding invariance, fixture."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from motif.export import TINY_END_BUCKETS, OUTPUT_NAMES, input_names, export_onnx, ort_session, random_inputs, verify  # noqa: E402
from motif.model import DEFAULT_END_BUCKETS, ModelConfig, MotifDenoiser, load_vocabulary, rotary_tables, rotate  # noqa: E402
from motif.train import PRESETS  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
VOCAB = load_vocabulary()
SIZES = [VOCAB[t]["size"] for t in VOCAB["tracks"]]


def tiny(cond_mode="add", seed=0):
    torch.manual_seed(seed)
    m = MotifDenoiser(ModelConfig.from_vocabulary(**PRESETS["tiny"], cond_mode=cond_mode, end_buckets=TINY_END_BUCKETS))
    m.eval()
    return m


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    m = tiny()
    path = tmp_path_factory.mktemp("onnx") / "m.onnx"
    export_onnx(m, path)
    return m, path


def test_config_follows_vocabulary():
    cfg = ModelConfig.from_vocabulary()
    assert list(cfg.track_sizes) == SIZES == [50, 34, 145, 256]
    assert cfg.styles == VOCAB["learnedStyles"]
    assert cfg.max_steps == VOCAB["maxSteps"] and cfg.patch_steps == VOCAB["patchSteps"]
    assert list(cfg.cond_sizes) == [len(VOCAB["conditions"][c]) for c in VOCAB["conditions"]["order"]]
    assert cfg.end_buckets == DEFAULT_END_BUCKETS == 0, "the shipped model has no to_end input"
    assert cfg.rope, "new models read positions through rotary embeddings"


@pytest.mark.parametrize("cond_mode", ["add", "prefix"])
def test_torch_shapes_and_padding_invariance(cond_mode):
    m = tiny(cond_mode)
    x = {k: torch.from_numpy(v) for k, v in random_inputs(m, 3, 64).items()}
    with torch.no_grad():
        full = m(x["tokens"], x["bar_pos"], x["style"], x["cond"])
        assert [tuple(o.shape) for o in full] == [(3, 64, v) for v in SIZES]
        # a row padded to 64 with a key-padding mask == the same row run alone at its true length
        kp = torch.zeros(3, 16, dtype=torch.bool)
        kp[0, 8:] = True
        padded = m(x["tokens"], x["bar_pos"], x["style"], x["cond"], key_padding=kp)
        alone = m(x["tokens"][:1, :32], x["bar_pos"][:1, :32], x["style"][:1], x["cond"][:1])
    for p, a in zip(padded, alone):
        assert torch.allclose(p[0, :32], a[0], atol=1e-5)


def test_bars_to_the_end_reach_the_output_and_unknown_is_the_default():
    m = tiny()
    x = {k: torch.from_numpy(v) for k, v in random_inputs(m, 2, 32, seed=3).items()}
    with torch.no_grad():
        told = m(x["tokens"], x["bar_pos"], x["style"], x["cond"], x["to_end"])
        unknown = m(x["tokens"], x["bar_pos"], x["style"], x["cond"], torch.zeros_like(x["to_end"]))
        omitted = m(x["tokens"], x["bar_pos"], x["style"], x["cond"])
    assert not torch.allclose(told[0][1], unknown[0][1])  # row 1 is told where it ends
    assert torch.allclose(told[0][0], unknown[0][0])  # row 0 of random_inputs is an unknown end
    for a, b in zip(unknown, omitted):
        assert torch.equal(a, b)


def test_models_without_the_input_still_load_and_export(tmp_path):
    torch.manual_seed(0)
    m = MotifDenoiser(ModelConfig.from_vocabulary(**PRESETS["tiny"], end_buckets=0))
    m.eval()
    assert ModelConfig.from_dict({k: v for k, v in m.cfg.to_dict().items() if k != "end_buckets"}).end_buckets == 0
    path = tmp_path / "old.onnx"
    export_onnx(m, path)
    assert [i.name for i in ort_session(path).get_inputs()] == input_names(m) == ["tokens", "bar_pos", "style", "cond"]
    assert verify(m, path) < 1e-3


def test_rotary_attention_scores_depend_on_the_distance_between_positions_only():
    cos, sin = rotary_tables(40, 8, 10000.0)
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(8, generator=g), torch.randn(8, generator=g)

    def score(i: int, j: int) -> float:
        return float(rotate(q, cos[i], sin[i]) @ rotate(k, cos[j], sin[j]))

    assert score(3, 5) == pytest.approx(score(20, 22), abs=1e-5)
    assert score(7, 4) == pytest.approx(score(37, 34), abs=1e-5)
    assert score(3, 5) != pytest.approx(score(3, 6), abs=1e-3)
    assert torch.allclose(rotate(q, cos[0], sin[0]), q), "position 0 (the conditioning prefix) is not turned"


@pytest.mark.parametrize("cond_mode", ["add", "prefix"])
def test_rotary_models_pad_export_and_match_torch(tmp_path, cond_mode):
    torch.manual_seed(0)
    m = MotifDenoiser(ModelConfig.from_vocabulary(**PRESETS["tiny"], cond_mode=cond_mode, rope=True))
    m.eval()
    x = {k: torch.from_numpy(v) for k, v in random_inputs(m, 2, 64).items()}
    kp = torch.zeros(2, 16, dtype=torch.bool)
    kp[0, 8:] = True
    with torch.no_grad():
        padded = m(x["tokens"], x["bar_pos"], x["style"], x["cond"], key_padding=kp)
        alone = m(x["tokens"][:1, :32], x["bar_pos"][:1, :32], x["style"][:1], x["cond"][:1])
    for p, a in zip(padded, alone):
        assert torch.allclose(p[0, :32], a[0], atol=1e-5)
    path = tmp_path / "rope.onnx"
    export_onnx(m, path)
    assert verify(m, path) < 1e-3  # lengths 32 to 256: the rotary tables are cut to the length
    assert not ModelConfig.from_dict({k: v for k, v in m.cfg.to_dict().items() if k != "rope"}).rope


def test_reference_sampler_tells_the_model_where_the_clip_ends(exported):
    from motif.sampling import OnnxDenoiser, TorchDenoiser, sample

    m, path = exported
    assert OnnxDenoiser(path).end_buckets == 0, "no metadata: the end is left unknown"
    path.with_suffix(".json").write_text(json.dumps({"endBuckets": m.cfg.end_buckets}))
    onnx, torch_ = OnnxDenoiser(path), TorchDenoiser(m)
    assert onnx.end_buckets == torch_.end_buckets == 3
    style = np.eye(m.cfg.num_styles, dtype=np.float32)[0]
    grids = {}
    for name, denoiser in (("onnx", onnx), ("torch", torch_)):
        for ends in (True, False):
            g = sample(denoiser, 2, 32, style=style, seed=1, ends=ends)
            assert g.shape == (2, 32, 4) and (g >= 0).all() and (g < np.array(SIZES)).all()
            grids[name, ends] = g
    assert np.array_equal(grids["onnx", True], grids["torch", True])


def test_onnx_matches_torch(exported):
    m, path = exported
    assert verify(m, path) < 1e-3


@pytest.mark.parametrize("steps", [32, 64])
def test_onnx_contract_shapes_dynamic_axes(exported, steps):
    m, path = exported
    sess = ort_session(path)
    assert [i.name for i in sess.get_inputs()] == input_names(m) == ["tokens", "bar_pos", "style", "cond", "to_end"]
    assert [o.name for o in sess.get_outputs()] == OUTPUT_NAMES == ["melody", "bass", "harmony", "drums"]
    types = {i.name: i.type for i in sess.get_inputs()}
    assert types == {"tokens": "tensor(int64)", "bar_pos": "tensor(int64)", "style": "tensor(float)",
                     "cond": "tensor(int64)", "to_end": "tensor(int64)"}
    feeds = random_inputs(m, 3, steps, seed=steps)
    outs = sess.run(None, feeds)
    assert [o.shape for o in outs] == [(3, steps, v) for v in SIZES]
    assert all(o.dtype == np.float32 and np.isfinite(o).all() for o in outs)


def test_onnx_is_deterministic_and_batch_independent(exported):
    m, path = exported
    sess = ort_session(path)
    feeds = random_inputs(m, 2, 32, seed=5)
    a = sess.run(None, feeds)
    b = sess.run(None, feeds)
    single = sess.run(None, {k: v[:1] for k, v in feeds.items()})
    for x, y, s in zip(a, b, single):
        assert np.array_equal(x, y)
        assert np.allclose(x[:1], s, atol=1e-5)


def test_fixture_follows_contract():
    onnx_path = REPO / "test" / "fixtures" / "tiny-model.onnx"
    meta_path = REPO / "test" / "fixtures" / "tiny-model.json"
    if not onnx_path.exists():
        pytest.skip("fixture not generated (python -m motif.export --tiny)")
    meta = json.loads(meta_path.read_text())
    for key in ("name", "version", "vocabularyVersion", "styles", "maxSteps", "patchSteps", "endBuckets",
                "parameters", "trainedAt", "onnxSha256"):
        assert key in meta
    assert meta["styles"] == VOCAB["learnedStyles"]
    import hashlib

    assert hashlib.sha256(onnx_path.read_bytes()).hexdigest() == meta["onnxSha256"]
    sess = ort_session(onnx_path)
    assert sess.get_inputs()[2].shape[1] == len(meta["styles"])
    rng = np.random.default_rng(0)
    feeds = {
        "tokens": np.stack([np.full((3, 32), v) for v in SIZES], -1).astype(np.int64),  # all MASK
        "bar_pos": np.broadcast_to(np.arange(32) % 16, (3, 32)).astype(np.int64).copy(),
        "style": np.eye(3, len(meta["styles"]), dtype=np.float32),
        "cond": rng.integers(0, 2, (3, 5)).astype(np.int64),
        "to_end": rng.integers(0, meta["endBuckets"], (3, 32)).astype(np.int64),
    }
    outs = sess.run(None, feeds)
    assert [o.shape for o in outs] == [(3, 32, v) for v in SIZES]
