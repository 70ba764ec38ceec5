"""Copy check: is any 4-bar span of a generated grid an exact copy of the training data?

Index (training split 0 by default): every bar-aligned span of `span_bars` bars of each training piece
  * melody   (pieces with a melody): the melody tokens (pitch + hold/rest, so rhythm and pitch), kept only
             when the span has >= min_onsets melody onsets (skips empty / one-note spans);
  * harmony+bass (pieces with both): the (chord, bass) token pairs, kept when the span has >= min_onsets bass
             onsets and >= 2 chord onsets (common progressions with root basses still recur between real
             songs; treat this one as weaker evidence and compare with the real held-out baseline).
Spans are keyed by a 64-bit polynomial hash (vectorised prefix sums mod 2^64) and every hash hit is verified
token by token, so reported copies are exact.

Check: every window of a generated grid (bar-aligned, and separately at any step offset) is looked up;
`longest_copy_bars` is the longest k (in bars) such that some k-bar window of the clip with >= min_onsets
melody onsets equals a bar-aligned k-bar span of a training melody.

  python -m motif.copy_check --dataset ../.cache/dataset.npz --generated ../.cache/eval/generated.jsonl
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

import numpy as np

from .metrics import BASS, HARM, MEL, RealData, load_dataset

_B = np.uint64(0x9E3779B97F4A7C15 | 1)
_BINV = np.uint64(pow(int(_B), -1, 1 << 64))


def _powers(base: np.uint64, n: int) -> np.ndarray:
    p = np.empty(n, dtype=np.uint64)
    if n:
        p[0] = 1
        with np.errstate(over="ignore"):
            p[1:] = base
            p = np.cumprod(p, dtype=np.uint64)
    return p


class _Hasher:
    """Window hashes of an int sequence: H(i, w) = sum_j (x[i+j]+1) * B^-j  (mod 2^64), position independent."""

    def __init__(self, x: np.ndarray):
        x = np.asarray(x, dtype=np.uint64) + np.uint64(1)
        n = len(x)
        self.binv_pow = _powers(_BINV, n + 1)
        self.b_pow = _powers(_B, n + 1)
        with np.errstate(over="ignore"):
            self.q = np.concatenate([[np.uint64(0)], np.cumsum(x * self.binv_pow[:n], dtype=np.uint64)])

    def window(self, starts: np.ndarray, w: int) -> np.ndarray:
        starts = np.asarray(starts, dtype=np.int64)
        with np.errstate(over="ignore"):
            return (self.q[starts + w] - self.q[starts]) * self.b_pow[starts]


def _melody_key(g: np.ndarray) -> np.ndarray:
    return np.asarray(g[:, MEL], dtype=np.int64)


def _hb_key(g: np.ndarray) -> np.ndarray:
    return np.asarray(g[:, HARM], dtype=np.int64) * 64 + np.asarray(g[:, BASS], dtype=np.int64)


def _chord_onsets(h: np.ndarray) -> np.ndarray:
    h = np.asarray(h, dtype=np.int64)
    prev = np.concatenate([[0], h[:-1]])
    return (h > 0) & (h != prev)


@dataclass
class _Group:
    """All training pieces with one steps-per-bar value, concatenated (with a separator between pieces)."""

    spb: int
    seq_mel: np.ndarray
    seq_hb: np.ndarray
    mel_on: np.ndarray  # cumulative melody onsets [n+1]
    bass_on: np.ndarray
    chord_on: np.ndarray
    bar_starts_mel: np.ndarray  # (global start, steps available to the piece end) of each bar, melody pieces
    bar_left_mel: np.ndarray
    bar_starts_hb: np.ndarray
    bar_left_hb: np.ndarray
    piece_of_start: dict


class CopyIndex:
    def __init__(self, data: RealData, split=0, span_bars: int = 4, min_onsets: int = 6):
        self.span_bars = span_bars
        self.min_onsets = min_onsets
        self.data = data
        self.groups: dict[int, _Group] = {}
        self._cache: dict = {}
        pieces = data.pieces(split=split)
        by_spb: dict[int, list[int]] = {}
        for i in pieces:
            by_spb.setdefault(data.steps_per_bar(i), []).append(int(i))
        for spb, plist in by_spb.items():
            mel_parts, hb_parts, starts_m, left_m, starts_h, left_h = [], [], [], [], [], []
            pos = 0
            piece_of = {}
            for i in plist:
                g = data.piece(i).astype(np.int64)
                n = len(g)
                tm = data.track_mask[i]
                mel = g[:, MEL] if tm[MEL] else np.zeros(n, np.int64)
                hb = _hb_key(g) if (tm[HARM] and tm[BASS]) else np.zeros(n, np.int64)
                mel_parts.append(np.concatenate([mel, [-1]]))  # separator: never equal to a token
                hb_parts.append(np.concatenate([hb, [-1]]))
                bs = pos + np.arange(0, n, spb)
                piece_of[pos] = i
                if tm[MEL]:
                    starts_m.append(bs)
                    left_m.append(pos + n - bs)
                if tm[HARM] and tm[BASS]:
                    starts_h.append(bs)
                    left_h.append(pos + n - bs)
                pos += n + 1
            seq_mel = np.concatenate(mel_parts)
            seq_hb = np.concatenate(hb_parts)
            harm = np.where(seq_hb >= 0, seq_hb // 64, 0)
            bass = np.where(seq_hb >= 0, seq_hb % 64, 0)
            cat = lambda a: np.concatenate(a) if a else np.zeros(0, np.int64)  # noqa: E731
            self.groups[spb] = _Group(
                spb=spb,
                seq_mel=seq_mel,
                seq_hb=seq_hb,
                mel_on=np.concatenate([[0], np.cumsum(seq_mel >= 2)]),
                bass_on=np.concatenate([[0], np.cumsum(bass >= 2)]),
                chord_on=np.concatenate([[0], np.cumsum(_chord_onsets(harm))]),
                bar_starts_mel=cat(starts_m), bar_left_mel=cat(left_m),
                bar_starts_hb=cat(starts_h), bar_left_hb=cat(left_h),
                piece_of_start=piece_of,
            )
        self._hashers = {spb: (_Hasher(np.maximum(g.seq_mel, -1) + 1), _Hasher(np.maximum(g.seq_hb, -1) + 1))
                         for spb, g in self.groups.items()}

    def _piece_at(self, spb: int, gpos: int) -> tuple[int, int]:
        """(piece id, step inside the piece) for a global position of a group."""
        starts = np.array(sorted(self.groups[spb].piece_of_start))
        k = int(np.searchsorted(starts, gpos, side="right") - 1)
        s = int(starts[k])
        return self.groups[spb].piece_of_start[s], gpos - s

    def _table(self, spb: int, kind: str, bars: int):
        """Sorted hashes (and starts) of the training spans of `bars` bars that pass the triviality filter."""
        key = (spb, kind, bars)
        if key in self._cache:
            return self._cache[key]
        g = self.groups[spb]
        w = bars * spb
        if kind == "mel":
            st, left = g.bar_starts_mel, g.bar_left_mel
            st = st[left >= w]
            ok = (g.mel_on[st + w] - g.mel_on[st]) >= self.min_onsets
            hasher = self._hashers[spb][0]
        else:
            st, left = g.bar_starts_hb, g.bar_left_hb
            st = st[left >= w]
            ok = ((g.bass_on[st + w] - g.bass_on[st]) >= self.min_onsets) & ((g.chord_on[st + w] - g.chord_on[st]) >= 2)
            hasher = self._hashers[spb][1]
        st = st[ok]
        h = hasher.window(st, w)
        order = np.argsort(h, kind="stable")
        res = (h[order], st[order])
        self._cache[key] = res
        return res

    def _lookup(self, spb, kind, bars, seq, starts):
        """For windows of `seq` (a clip's key sequence) at `starts`, the matching training start or -1."""
        w = bars * spb
        out = np.full(len(starts), -1, dtype=np.int64)
        if spb not in self.groups or len(starts) == 0:
            return out
        th, tst = self._table(spb, kind, bars)
        if len(th) == 0:
            return out
        hs = _Hasher(np.asarray(seq, np.int64) + 1).window(starts, w)
        pos = np.searchsorted(th, hs)
        train_seq = self.groups[spb].seq_mel if kind == "mel" else self.groups[spb].seq_hb
        cand = (pos < len(th)) & (th[np.minimum(pos, len(th) - 1)] == hs)
        for k in np.flatnonzero(cand):
            p = pos[k]
            while p < len(th) and th[p] == hs[k]:
                s = tst[p]
                if np.array_equal(train_seq[s : s + w], seq[starts[k] : starts[k] + w]):
                    out[k] = s
                    break
                p += 1
        return out

    def check_grid(self, grid, spb: int = 16, longest: bool = True) -> dict:
        """Copy report for one generated grid (all four tracks assumed present)."""
        g = np.asarray(grid, dtype=np.int64).reshape(-1, 4)
        n = len(g)
        sb = self.span_bars
        w = sb * spb
        res = {"spans": 0, "melody_copies": 0, "melody_copies_any_offset": 0, "hb_copies": 0,
               "longest_copy_bars": 0, "examples": []}
        if n < w:
            return res
        mel = _melody_key(g)
        hb = _hb_key(g)
        mel_on = np.concatenate([[0], np.cumsum(mel >= 2)])
        bass_on = np.concatenate([[0], np.cumsum(g[:, BASS] >= 2)])
        ch_on = np.concatenate([[0], np.cumsum(_chord_onsets(g[:, HARM]))])
        all_st = np.arange(0, n - w + 1)
        bar_st = all_st[all_st % spb == 0]
        res["spans"] = int(len(bar_st))
        ok_all = (mel_on[all_st + w] - mel_on[all_st]) >= self.min_onsets
        m_any = self._lookup(spb, "mel", sb, mel, all_st[ok_all])
        hit_starts = all_st[ok_all][m_any >= 0]
        res["melody_copies_any_offset"] = int((m_any >= 0).sum())
        res["melody_copies"] = int((hit_starts % spb == 0).sum())
        for s, t in list(zip(hit_starts, m_any[m_any >= 0]))[:3]:
            piece, at = self._piece_at(spb, int(t))
            name = self.data.piece_names[piece] if piece < len(self.data.piece_names) else str(piece)
            res["examples"].append({"clip_step": int(s), "piece": name, "piece_step": int(at)})
        ok_hb = ((bass_on[bar_st + w] - bass_on[bar_st]) >= self.min_onsets) & ((ch_on[bar_st + w] - ch_on[bar_st]) >= 2)
        res["hb_copies"] = int((self._lookup(spb, "hb", sb, hb, bar_st[ok_hb]) >= 0).sum())
        if longest:
            best = 0
            for k in range(1, n // spb + 1):
                wk = k * spb
                st = np.arange(0, n - wk + 1)
                st = st[(mel_on[st + wk] - mel_on[st]) >= self.min_onsets]
                if len(st) and (self._lookup(spb, "mel", k, mel, st) >= 0).any():
                    best = k
            res["longest_copy_bars"] = best
        return res

    def check_many(self, grids, spbs) -> dict:
        per = [self.check_grid(g, s) for g, s in zip(grids, spbs)]
        return summarize(per)


def summarize(per: list[dict]) -> dict:
    return {
        "clips": len(per),
        "spans": int(sum(r["spans"] for r in per)),
        "melody_copies": int(sum(r["melody_copies"] for r in per)),
        "melody_copies_any_offset": int(sum(r["melody_copies_any_offset"] for r in per)),
        "hb_copies": int(sum(r["hb_copies"] for r in per)),
        "clips_with_copy": int(sum(r["melody_copies_any_offset"] > 0 for r in per)),
        "longest_copy_bars": int(max([r["longest_copy_bars"] for r in per], default=0)),
        "examples": [e for r in per for e in r["examples"]][:5],
    }


def real_baseline(index: CopyIndex, data: RealData, split=2, bars: int = 8, max_pieces: int = 400, seed: int = 0) -> dict:
    """The same check on held-out real crops (what chance overlap with the training data looks like)."""
    rng = np.random.default_rng(seed)
    pieces = [i for i in data.pieces(split=split) if data.track_mask[i][MEL]]
    if len(pieces) > max_pieces:
        pieces = list(rng.choice(pieces, max_pieces, replace=False))
    per = []
    for i in pieces:
        g, _ = data.crop(int(i), bars, rng)
        per.append(index.check_grid(g, data.steps_per_bar(int(i)), longest=False))
    return summarize(per)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--generated", required=True)
    args = ap.parse_args(argv)
    data = load_dataset(args.dataset)
    index = CopyIndex(data)
    grids, spbs = [], []
    with open(args.generated, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                c = json.loads(line)
                grids.append(np.asarray(c["tokens"], np.int64).reshape(-1, 4))
                spbs.append(int(c.get("stepsPerBar", 16)))
    print(json.dumps(index.check_many(grids, spbs), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
