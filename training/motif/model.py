"""The Motif denoiser: a bidirectional transformer over beat patches for masked discrete diffusion.

I/O follows src/inference/MODEL-CONTRACT.md exactly:
  tokens  int64   [B, T, 4]  cells melody, bass, harmony, drums; MASK id = that track's vocabulary size
  bar_pos int64   [B, T]     step index inside its bar (< 16)
  style   float32 [B, S]     weights over the learned styles (all zeros = unconditioned)
  cond    int64   [B, 5]     mood, tempo, density, mode, meter (0 = unspecified)
  to_end  int64   [B, T]     bars to the end of the piece (only when cfg.end_buckets > 0): 0 = unknown, 1 = the last
                             bar, 2 = the one before, ..., end_buckets - 1 = that many bars or more from the end
  ->  melody [B,T,50], bass [B,T,34], harmony [B,T,145], drums [B,T,256]  raw logits over real tokens.

Architecture
  * Steps are grouped into patches of `patch_steps` (4 = one beat). Each patch position gets the sum of one
    embedding per (sub-step, track, token) cell (equivalent to concatenating 16 cell embeddings and a linear
    projection, but a single Gather + ReduceSum in ONNX), plus one embedding per (sub-step, bar_pos).
  * Learned positional embedding over the patch index (max_steps / patch_steps positions), and, in models with
    `rope`, rotary position embeddings in every attention layer (queries and keys rotated by their position, so
    attention scores depend on how far apart two beats are). Without them the model read the chords around a
    masked beat as a bag: with C on beats 2 and 4 and F everywhere else, it gave beat 3 C 0.28 and F 0.43.
  * Bars to the end (models with end_buckets > 0): one embedding per patch of its `to_end` value, so the model
    learns how pieces end (held final chords, a last drum hit) where it is told the clip ends.
  * Conditioning vector = Linear(style) + sum of the 5 condition embeddings; either added to every position
    (cond_mode="add") or prepended as an extra token (cond_mode="prefix").
  * Pre-LN transformer encoder (GELU, no dropout), final LayerNorm, one linear head per track producing the
    logits of the patch's sub-steps, reshaped to [B, T, V].
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

REPO_ROOT = Path(__file__).resolve().parents[2]
VOCAB_PATH = REPO_ROOT / "src" / "music" / "vocabulary.json"

TRACKS = ("melody", "bass", "harmony", "drums")
COND_FIELDS = ("mood", "tempo", "density", "mode", "meter")
DEFAULT_END_BUCKETS = 0  # off: models/ has no `to_end` input (`train.py --end-buckets N` tries one)


def clip_to_end(steps: int, steps_per_bar: int, end_buckets: int) -> list[int]:
    """The `to_end` values of a clip of `steps` that ends at its last bar (what the product feeds)."""
    last_bar = (steps - 1) // steps_per_bar
    return [1 + min(last_bar - t // steps_per_bar, end_buckets - 2) for t in range(steps)]


def load_vocabulary(path: Path = VOCAB_PATH) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


@dataclass
class ModelConfig:
    track_sizes: tuple[int, ...] = (50, 34, 145, 256)
    cond_sizes: tuple[int, ...] = (5, 9, 4, 3, 4)
    num_styles: int = 10
    max_steps: int = 256
    patch_steps: int = 4
    max_bar_pos: int = 16
    d_model: int = 256
    n_layers: int = 4
    n_heads: int = 4
    d_ff: int = 768
    cond_mode: str = "prefix"  # "prefix" (measured slightly better) | "add"
    # Values of the `to_end` input (0 = the model has none, as the shipped one). 3: unknown, the last bar, any bar
    # before it; 5: unknown, the last bar, 1, 2, 3+ bars before it. An experiment, not shipped (models/MODEL_CARD.md).
    end_buckets: int = 0
    # Rotary position embeddings in attention (queries and keys; the conditioning prefix is position 0). Checkpoints
    # saved before they existed load with False.
    rope: bool = True
    rope_base: float = 10000.0
    styles: list[str] = field(default_factory=list)

    @classmethod
    def from_vocabulary(cls, vocab: dict | None = None, **overrides) -> "ModelConfig":
        vocab = vocab or load_vocabulary()
        styles = list(vocab["learnedStyles"])
        cfg = cls(
            track_sizes=tuple(int(vocab[t]["size"]) for t in TRACKS),
            cond_sizes=tuple(len(vocab["conditions"][c]) for c in COND_FIELDS),
            num_styles=len(styles),
            max_steps=int(vocab["maxSteps"]),
            patch_steps=int(vocab["patchSteps"]),
            end_buckets=DEFAULT_END_BUCKETS,
            styles=styles,
        )
        for k, v in overrides.items():
            setattr(cfg, k, v)
        return cfg

    def to_dict(self) -> dict:
        d = asdict(self)
        d["track_sizes"] = list(self.track_sizes)
        d["cond_sizes"] = list(self.cond_sizes)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        d = dict(d)
        d.setdefault("end_buckets", 0)
        d.setdefault("rope", False)
        d.setdefault("rope_base", 10000.0)
        d["track_sizes"] = tuple(d["track_sizes"])
        d["cond_sizes"] = tuple(d["cond_sizes"])
        return cls(**d)


class Block(nn.Module):
    """Pre-LN transformer encoder layer (self-attention + GELU MLP), no dropout."""

    def __init__(self, d: int, n_heads: int, d_ff: int):
        super().__init__()
        assert d % n_heads == 0
        self.n_heads = n_heads
        self.head_dim = d // n_heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, d_ff)
        self.fc2 = nn.Linear(d_ff, d)

    def forward(
        self,
        x: torch.Tensor,
        attn_bias: torch.Tensor | None = None,
        rotary: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        b, n, d = x.shape
        h = self.ln1(x)
        qkv = self.qkv(h).reshape(b, n, 3, self.n_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [B, H, N, hd]
        if rotary is not None:
            q = rotate(q, *rotary)
            k = rotate(k, *rotary)
        if torch.jit.is_tracing() or torch.onnx.is_in_onnx_export():
            # Plain ops: exports to MatMul/Softmax that onnxruntime handles on every provider.
            att = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.head_dim))
            if attn_bias is not None:
                att = att + attn_bias
            y = torch.matmul(torch.softmax(att, dim=-1), v)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_bias)
        y = y.transpose(1, 2).reshape(b, n, d)
        x = x + self.proj(y)
        x = x + self.fc2(F.gelu(self.fc1(self.ln2(x))))
        return x


def rotary_tables(positions: int, head_dim: int, base: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin [positions, head_dim / 2] of the rotary angles position * base^(-2i / head_dim)."""
    inv_freq = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    angles = torch.arange(positions, dtype=torch.float32)[:, None] * inv_freq[None, :]
    return torch.cos(angles), torch.sin(angles)


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding of x [..., N, hd]: each pair (x_i, x_{i + hd/2}) turned by its angle."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class MotifDenoiser(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        ps = cfg.patch_steps
        n_tracks = len(cfg.track_sizes)
        # One embedding table for every (sub-step, track, token incl. MASK) cell of a patch.
        emb_sizes = [v + 1 for v in cfg.track_sizes]  # + MASK id
        offsets = []
        total = 0
        for s in range(ps):
            for t in range(n_tracks):
                offsets.append(total)
                total += emb_sizes[t]
        self.register_buffer("cell_offsets", torch.tensor(offsets, dtype=torch.long), persistent=False)
        self.cell_emb = nn.Embedding(total, d)
        # (sub-step, bar_pos) embedding
        self.register_buffer(
            "barpos_offsets", torch.arange(ps, dtype=torch.long) * cfg.max_bar_pos, persistent=False
        )
        self.barpos_emb = nn.Embedding(ps * cfg.max_bar_pos, d)
        self.pos_emb = nn.Parameter(torch.zeros(cfg.max_steps // ps, d))
        self.end_emb = nn.Embedding(cfg.end_buckets, d) if cfg.end_buckets > 0 else None
        # Conditioning
        self.style_proj = nn.Linear(cfg.num_styles, d, bias=False)
        cond_offsets = []
        total = 0
        for n in cfg.cond_sizes:
            cond_offsets.append(total)
            total += n
        self.register_buffer("cond_offsets", torch.tensor(cond_offsets, dtype=torch.long), persistent=False)
        self.cond_emb = nn.Embedding(total, d)
        if cfg.cond_mode == "prefix":
            self.prefix_pos = nn.Parameter(torch.zeros(1, 1, d))
        elif cfg.cond_mode != "add":
            raise ValueError(f"unknown cond_mode {cfg.cond_mode}")
        self.blocks = nn.ModuleList([Block(d, cfg.n_heads, cfg.d_ff) for _ in range(cfg.n_layers)])
        if cfg.rope:
            cos, sin = rotary_tables(cfg.max_steps // ps + 1, d // cfg.n_heads, cfg.rope_base)
            self.register_buffer("rope_cos", cos, persistent=False)
            self.register_buffer("rope_sin", sin, persistent=False)
        self.ln_f = nn.LayerNorm(d)
        self.heads = nn.ModuleList([nn.Linear(d, ps * v) for v in cfg.track_sizes])
        self.reset_parameters()

    def reset_parameters(self) -> None:
        d = self.cfg.d_model
        # 16 cell embeddings are summed per patch: scale so the sum has ~unit variance.
        nn.init.normal_(self.cell_emb.weight, std=1.0 / math.sqrt(len(self.cell_offsets)))
        nn.init.normal_(self.barpos_emb.weight, std=0.5 / math.sqrt(self.cfg.patch_steps))
        nn.init.normal_(self.pos_emb, std=0.02)
        if self.end_emb is not None:
            nn.init.normal_(self.end_emb.weight, std=0.02)
        nn.init.normal_(self.cond_emb.weight, std=0.02)
        nn.init.normal_(self.style_proj.weight, std=0.02)
        if self.cfg.cond_mode == "prefix":
            nn.init.normal_(self.prefix_pos, std=0.02)
        for blk in self.blocks:
            for lin in (blk.qkv, blk.fc1):
                nn.init.normal_(lin.weight, std=0.02)
                nn.init.zeros_(lin.bias)
            for lin in (blk.proj, blk.fc2):  # residual projections, GPT-2 style scaling
                nn.init.normal_(lin.weight, std=0.02 / math.sqrt(2 * self.cfg.n_layers))
                nn.init.zeros_(lin.bias)
        for head in self.heads:
            nn.init.normal_(head.weight, std=0.02)
            nn.init.zeros_(head.bias)
        del d

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def cond_vector(self, style: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        c = self.style_proj(style)  # [B, d]
        c = c + self.cond_emb(cond + self.cond_offsets).sum(dim=1)
        return c

    def forward(
        self,
        tokens: torch.Tensor,
        bar_pos: torch.Tensor,
        style: torch.Tensor,
        cond: torch.Tensor,
        to_end: torch.Tensor | None = None,
        key_padding: torch.Tensor | None = None,
    ):
        """to_end: [B, T] bars to the end (models with end_buckets > 0; None = all unknown).
        key_padding: optional bool [B, P] (True = padded patch), training only; never exported."""
        cfg = self.cfg
        ps = cfg.patch_steps
        b = tokens.shape[0]
        n_cells = ps * len(cfg.track_sizes)
        cells = tokens.reshape(b, -1, n_cells) + self.cell_offsets  # [B, P, 16]
        bp = bar_pos.reshape(b, -1, ps) + self.barpos_offsets  # [B, P, 4]
        if torch.jit.is_tracing() or torch.onnx.is_in_onnx_export():
            x = self.cell_emb(cells).sum(dim=2) + self.barpos_emb(bp).sum(dim=2)  # Gather + ReduceSum
        else:  # same math, without materialising [B, P, 16, d] (much faster backward on CPU)
            p_ = cells.shape[1]
            x = F.embedding_bag(cells.reshape(-1, n_cells), self.cell_emb.weight, mode="sum").reshape(b, p_, -1)
            x = x + F.embedding_bag(bp.reshape(-1, ps), self.barpos_emb.weight, mode="sum").reshape(b, p_, -1)
        p = x.shape[1]
        x = x + self.pos_emb[:p]
        if self.end_emb is not None:
            if to_end is None:
                to_end = torch.zeros_like(bar_pos)
            x = x + self.end_emb(to_end.reshape(b, -1, ps)[:, :, 0])  # constant within a bar, so within a patch
        c = self.cond_vector(style, cond)  # [B, d]
        attn_bias = None
        if key_padding is not None:
            attn_bias = torch.zeros(key_padding.shape, dtype=x.dtype, device=x.device)
            attn_bias = attn_bias.masked_fill(key_padding, float("-inf"))
        if cfg.cond_mode == "add":
            x = x + c.unsqueeze(1)
        else:
            x = torch.cat([(c.unsqueeze(1) + self.prefix_pos), x], dim=1)
            if attn_bias is not None:
                attn_bias = torch.cat([attn_bias.new_zeros(b, 1), attn_bias], dim=1)
        if attn_bias is not None:
            attn_bias = attn_bias[:, None, None, :]  # [B, 1, 1, N]
        rotary = None
        if cfg.rope:
            n = x.shape[1]
            rotary = (self.rope_cos[:n], self.rope_sin[:n])
        for blk in self.blocks:
            x = blk(x, attn_bias, rotary)
        x = self.ln_f(x)
        if cfg.cond_mode == "prefix":
            x = x[:, 1:]
        return tuple(head(x).reshape(b, -1, v) for head, v in zip(self.heads, cfg.track_sizes))


def build_model(cfg: ModelConfig | None = None, **overrides) -> MotifDenoiser:
    cfg = cfg or ModelConfig.from_vocabulary(**overrides)
    return MotifDenoiser(cfg)


def save_checkpoint(path: Path, model: MotifDenoiser, extra: dict | None = None) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"config": model.cfg.to_dict(), "state_dict": model.state_dict()}
    if extra:
        payload.update(extra)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


def load_checkpoint(path: Path) -> tuple[MotifDenoiser, dict]:
    payload = torch.load(Path(path), map_location="cpu", weights_only=False)
    model = MotifDenoiser(ModelConfig.from_dict(payload["config"]))
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return model, payload
