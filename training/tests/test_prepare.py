"""Data preparation on tiny synthetic inputs written here: exact grid tokens per source."""
from __future__ import annotations

import collections
import csv
import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

mido = pytest.importorskip("mido")

from motif import chords, keys, prepare  # noqa: E402
from motif import vocab as V  # noqa: E402
from motif.sources import common, groove, jazz_standards, jsb, nottingham, pop909, wjazzd  # noqa: E402

TPB = 480


def write_midi(path, tracks, tempo=500000, ts=(4, 4), key=None):
    """tracks: list of (name, [(start_tick, end_tick, pitch)], channel)."""
    mf = mido.MidiFile(ticks_per_beat=TPB, type=1)
    meta = mido.MidiTrack()
    meta.append(mido.MetaMessage("set_tempo", tempo=tempo, time=0))
    meta.append(mido.MetaMessage("time_signature", numerator=ts[0], denominator=ts[1], time=0))
    if key:
        meta.append(mido.MetaMessage("key_signature", key=key, time=0))
    mf.tracks.append(meta)
    for name, notes, ch in tracks:
        tr = mido.MidiTrack()
        tr.append(mido.MetaMessage("track_name", name=name, time=0))
        ev = []
        for a, b, p in notes:
            ev.append((a, 1, p, 90))
            ev.append((b, 0, p, 0))
        ev.sort(key=lambda e: (e[0], e[1]))
        t = 0
        for tick, on, p, vel in ev:
            tr.append(mido.Message("note_on" if on else "note_off", note=p, velocity=vel, channel=ch, time=tick - t))
            t = tick
        mf.tracks.append(tr)
    mf.save(path)


def hold(n):
    return [V.HOLD] * n


# ------------------------------------------------------------------ vocab / chords / keys

def test_vocab_tokens():
    assert V.melody_token(48) == 2 and V.melody_token(95) == 49
    assert V.melody_token(36) == 2 and V.melody_token(100) == V.melody_token(88)  # octave folding
    assert V.bass_token(28) == 2 and V.bass_token(24) == V.bass_token(36)
    assert V.chord_token(7, "7") == 1 + 7 * 12 + 2
    assert V.chord_pcs(V.chord_token(2, "min7")) == {2, 5, 9, 0}


def test_drum_map():
    b = {c: 1 << i for i, c in enumerate(V.DRUM_CLASSES)}
    cases = {36: "kick", 37: "snare", 40: "snare", 22: "closedHat", 44: "closedHat", 26: "openHat",
             43: "lowTom", 58: "lowTom", 47: "highTom", 48: "highTom", 52: "crash", 55: "crash", 57: "crash",
             53: "ride", 59: "ride", 51: "ride", 49: "crash", 46: "openHat", 42: "closedHat", 45: "lowTom", 50: "highTom"}
    for k, c in cases.items():
        assert V.drum_bit(k) == b[c], k
    assert V.drum_bit(56) == 0  # cowbell dropped


@pytest.mark.parametrize("sym,want", [
    ("B:maj7", (11, "maj7")), ("E:min7", (4, "min7")), ("C:sus2", (0, "maj")), ("A:hdim7", (9, "m7b5")),
    ("G:maj/3", (7, "maj")), ("D-7", (2, "min7")), ("Bbj7", (10, "maj7")), ("F#m7b5", (6, "m7b5")),
    ("C7alt", (0, "7")), ("C^7", (0, "maj7")), ("Bbo7", (10, "dim7")), ("Eh7", (4, "m7b5")), ("G7b9", (7, "7")),
    ("C/E", (0, "maj")), ("Fm6", (5, "m6")), ("B07", (11, "dim7")), ("Ebm/maj7", (3, "min")), ("C7sus", (0, "sus4")),
    ("Bb-", (10, "min")), ("Ebj7911#", (3, "maj7")), ("Fsus7913", (5, "sus4")), ("C-69", (0, "m6")), ("F69", (5, "6")),
    ("Co", (0, "dim")), ("G+", (7, "aug")), ("G+7", (7, "7")), ("Cm", (0, "min")), ("Db", (1, "maj")), ("Cbj7", (11, "maj7")),
])
def test_parse_chord(sym, want):
    assert chords.parse_chord(sym) == (want[0], V.Q[want[1]])


@pytest.mark.parametrize("sym", ["NC", "N", "N.C.", ""])
def test_parse_no_chord(sym):
    assert chords.parse_chord(sym) is None


def test_recognise():
    assert chords.recognise_pitches([48, 52, 55]) == (0, V.Q["maj"])
    assert chords.recognise_pitches([43, 59, 62, 65]) == (7, V.Q["7"])
    assert chords.recognise_pitches([45, 60, 64, 69]) == (9, V.Q["min"])
    assert chords.recognise_pitches([50, 57, 60, 65]) == (2, V.Q["min7"])
    assert chords.recognise_pitches([]) is None


def test_key_estimate():
    cmaj = [5, 0, 3, 0, 4, 3, 0, 5, 0, 3, 0, 2]
    assert keys.estimate_key(cmaj) == (0, "major")
    amin = [3, 0, 2, 0, 3, 2, 0, 1, 1, 5, 0, 2]
    assert keys.estimate_key(amin) == (9, "minor")


# ------------------------------------------------------------------ sources

def test_pop909_song(tmp_path):
    d = tmp_path / "pop909" / "POP909" / "007"
    d.mkdir(parents=True)
    q = TPB
    write_midi(str(d / "007.mid"), [
        ("MELODY", [(0, q, 72), (q, 2 * q, 76), (2 * q, 4 * q, 79), (4 * q, 8 * q, 74)], 0),
        ("BRIDGE", [], 0),
        ("PIANO", [(0, 4 * q, 48), (0, 4 * q, 64), (0, 4 * q, 67), (4 * q, 8 * q, 43), (4 * q, 8 * q, 65)], 0),
    ])
    # 120 BPM: a beat every 0.5 s; downbeat flag every 4 beats; 3 bars of beats
    with open(d / "beat_midi.txt", "w") as f:
        for i in range(12):
            f.write(f"{i * 0.5} {1.0 if i % 2 == 0 else 0.0} {1.0 if i % 4 == 0 else 0.0}\n")
    (d / "chord_midi.txt").write_text("0.0\t2.0\tC:maj\n2.0\t4.0\tG:7\n4.0\t6.0\tN\n")
    (d / "key_audio.txt").write_text("0.0\t6.0\tC:maj\n")
    drops = collections.Counter()
    ps = pop909.load_song(str(d), drops)
    assert len(ps) == 1 and ps[0].tonic == 0 and ps[0].mode == "major" and ps[0].meter == "4/4"
    r = prepare._finish(ps[0])
    g = r["grid"]
    assert g.shape == (32, 4)  # third bar is silent: trimmed
    mel = [V.melody_token(72)] + hold(3) + [V.melody_token(76)] + hold(3) + [V.melody_token(79)] + hold(7) + \
          [V.melody_token(74)] + hold(15)
    bass = [V.bass_token(48)] + hold(15) + [V.bass_token(43)] + hold(15)
    harm = [V.chord_token(0, "maj")] * 16 + [V.chord_token(7, "7")] * 16
    assert g[:, 0].tolist() == mel
    assert g[:, 1].tolist() == bass
    assert g[:, 2].tolist() == harm
    assert g[:, 3].tolist() == [0] * 32
    assert round(r["tempo"]) == 120


def test_pop909_bar_phase():
    # Chords changing on beat 2 of every bar (beats 1, 5, 9, ... from the annotated downbeat): bars start there.
    assert pop909.bar_phase([1, 5, 9, 13, 17], 4) == 1
    assert pop909.bar_phase([3, 7, 11, 15, 0], 4) == 3
    # The downbeat already has as many changes, or too few changes to tell: as annotated.
    assert pop909.bar_phase([0, 4, 8, 2, 6, 10], 4) == 0
    assert pop909.bar_phase([1, 5, 9], 4) == 0
    assert pop909.bar_phase([2, 5, 8, 11, 14, 17], 3) == 2
    assert pop909.bar_phase([], 4) == 0


def test_pop909_song_with_downbeats_a_beat_early(tmp_path):
    d = tmp_path / "009"
    d.mkdir()
    q = TPB
    # Six annotated bars; the music's bars start on the annotated beat 2 (a bass note and a chord change there).
    write_midi(str(d / "009.mid"), [
        ("MELODY", [(q + 4 * q * b, 3 * q + 4 * q * b, 72) for b in range(6)], 0),
        ("BRIDGE", [], 0),
        ("PIANO", [(q + 4 * q * b, 5 * q + 4 * q * b, 36 + 7 * (b % 2)) for b in range(6)], 0),
    ])
    with open(d / "beat_midi.txt", "w") as f:
        for i in range(24):
            f.write(f"{i * 0.5} 0.0 {1.0 if i % 4 == 0 else 0.0}\n")
    (d / "chord_midi.txt").write_text(
        "".join(f"{0.5 + 2 * b}\t{2.5 + 2 * b}\t{'C:maj' if b % 2 == 0 else 'G:maj'}\n" for b in range(6)))
    (d / "key_audio.txt").write_text("0.0\t12.0\tC:maj\n")
    drops = collections.Counter()
    assert len(prepare._finish(pop909.load_song(str(d), collections.Counter())[0])["grid"]) == 6 * 16, "off: as annotated"
    ps = pop909.load_song(str(d), drops, realign_bars=True)
    assert drops["pop909: segment bars moved by 1 beat(s) (kept)"] == 1
    g = prepare._finish(ps[0])["grid"]
    assert len(g) == 5 * 16  # the partial bars at both ends are gone
    for b in range(5):
        assert g[16 * b, 0] == V.melody_token(72) and g[16 * b, 1] >= 2, f"bar {b} starts with the notes"
        assert g[16 * b, 2] == V.chord_token(0 if b % 2 == 0 else 7, "maj")


def test_pop909_transposes_to_c(tmp_path):
    d = tmp_path / "008"
    d.mkdir()
    q = TPB
    write_midi(str(d / "008.mid"), [("MELODY", [(0, 8 * q, 74)], 0), ("BRIDGE", [], 0), ("PIANO", [(0, 8 * q, 38)], 0)])
    with open(d / "beat_midi.txt", "w") as f:
        for i in range(8):
            f.write(f"{i * 0.5} 0.0 {1.0 if i % 4 == 0 else 0.0}\n")
    (d / "chord_midi.txt").write_text("0.0\t4.0\tA:7\n")
    (d / "key_audio.txt").write_text("0.0\t4.0\tD:min\n")
    ps = pop909.load_song(str(d), collections.Counter())
    g = prepare._finish(ps[0])["grid"]
    # D minor -> C minor: D5 -> C5, D2 -> C2, A7 -> G7
    assert g[0].tolist() == [V.melody_token(72), V.bass_token(36), V.chord_token(7, "7"), 0]
    assert ps[0].mode == "minor"


def test_nottingham_tune(tmp_path):
    base = tmp_path / "nottingham" / "MIDI"
    (base / "melody").mkdir(parents=True)
    (base / "chords").mkdir(parents=True)
    q = TPB  # quarter
    # 3/4 waltz in C with a one-beat pickup padded to a full bar (as the converter does)
    mel = [(2 * q, 3 * q, 67), (3 * q, 5 * q, 72), (5 * q, 6 * q, 76), (6 * q, 9 * q, 74), (9 * q, 12 * q, 72)]
    chd = [(3 * q, 6 * q, p) for p in (48, 52, 55)] + [(6 * q, 9 * q, p) for p in (43, 47, 50, 53)] + \
          [(9 * q, 12 * q, p) for p in (48, 52, 55)]
    write_midi(str(base / "melody" / "waltzes99.mid"), [("", mel, 0)], ts=(3, 4), key="C")
    write_midi(str(base / "chords" / "waltzes99.mid"), [("", chd, 0)], ts=(3, 4), key="C")
    items = nottingham.list_items(str(tmp_path))
    ps = nottingham.load_tune(items[0], collections.Counter())
    assert ps[0].meter == "3/4" and ps[0].steps_per_bar == 12
    r = prepare._finish(ps[0])
    g = r["grid"]
    assert ps[0].tonic == 0 and ps[0].mode == "major"
    assert g.shape == (48, 4)
    assert g[:, 0].tolist() == [0] * 8 + [V.melody_token(67)] + hold(3) + [V.melody_token(72)] + hold(7) + \
        [V.melody_token(76)] + hold(3) + [V.melody_token(74)] + hold(11) + [V.melody_token(72)] + hold(11)
    assert g[:, 2].tolist() == [0] * 12 + [V.chord_token(0, "maj")] * 12 + [V.chord_token(7, "7")] * 12 + \
        [V.chord_token(0, "maj")] * 12
    assert g[:, 1].tolist() == [0] * 12 + [V.bass_token(36)] + hold(11) + [V.bass_token(43)] + hold(11) + \
        [V.bass_token(36)] + hold(11)


def test_jsb_chorale():
    S = [[72, 67, 64, 48]] * 4 + [[72, 67, 64, 48]] * 4 + [[74, 67, 65, 43]] * 8 + [[72, 64, 55, 48]] * 16
    p = jsb.chorale_piece(S, "jsb/test/000", 2)
    g = prepare._finish(p)["grid"]
    assert g.shape == (32, 4) and p.split == 2
    # equal pitch = hold, but re-attacked at every beat
    assert g[:8, 0].tolist() == [V.melody_token(72)] + hold(3) + [V.melody_token(72)] + hold(3)
    assert g[8:16, 0].tolist() == [V.melody_token(74)] + hold(3) + [V.melody_token(74)] + hold(3)
    assert g[0, 2] == V.chord_token(0, "maj") and g[8, 2] == V.chord_token(7, "7") and g[16, 2] == V.chord_token(0, "maj")
    # anacrusis: 20 steps -> 12 rest steps prepended
    p2 = jsb.chorale_piece([[72, 67, 64, 48]] * 20, "x", 0)
    assert p2.n_steps == 32 and p2.melody[0][0] == 12


def test_groove_file(tmp_path):
    base = tmp_path / "groove" / "groove"
    (base / "drummer1" / "session1").mkdir(parents=True)
    e = TPB // 4  # 16th
    hits = []
    for bar in range(2):
        o = bar * 16 * e
        hits += [(o, o + 10, 36), (o + 8 * e, o + 8 * e + 10, 36), (o + 4 * e + 7, o + 4 * e + 17, 38),
                 (o + 12 * e - 9, o + 12 * e, 38)]
        hits += [(o + k * 2 * e, o + k * 2 * e + 10, 42 if k % 2 == 0 else 22) for k in range(8)]
    hits += [(30 * e, 30 * e + 10, 58), (31 * e, 31 * e + 10, 47)]
    fn = "drummer1/session1/1_funk-groove1_100_beat_4-4.mid"
    write_midi(str(base / fn), [("", hits, 9)])
    with open(base / "info.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["drummer", "session", "id", "style", "bpm", "beat_type", "time_signature", "midi_filename",
                    "audio_filename", "duration", "split"])
        w.writerow(["drummer1", "drummer1/session1", "drummer1/session1/1", "funk/groove1", "100", "beat", "4-4", fn,
                    "", "4.8", "validation"])
    items = groove.list_items(str(tmp_path))
    ps = groove.load_file(items[0], collections.Counter())
    r = prepare._finish(ps[0])
    g = r["grid"]
    K, S, H, LT, HT = 1, 2, 4, 16, 32
    bar = [K | H, 0, H, 0, S | H, 0, H, 0, K | H, 0, H, 0, S | H, 0, H, 0]
    want = bar + bar[:14] + [H | LT, HT]
    assert g[:, 3].tolist() == want
    assert (g[:, :3] == 0).all() and r["mask"] == (0, 0, 0, 1)
    assert r["split"] == 1 and r["style"] == "funk" and r["tempo"] == 100.0


def test_wjazzd_solo(tmp_path):
    base = tmp_path / "wjazzd"
    (base / "mcsv_melody").mkdir(parents=True)
    (base / "mcsv_beat").mkdir(parents=True)
    hdr = ["onset", "duration", "period", "division", "bar", "beat", "tatum", "beat_duration", "signature", "pitch",
           "loud_max", "loud_median", "phrase_id", "phrase_begin", "chorus_id", "chord", "form", "idea"]
    bd = 0.5
    rows = [  # (bar, beat, division, tatum, pitch, duration in beats)
        (1, 1, 1, 1, 72, 1.0), (1, 2, 2, 2, 77, 0.5), (1, 3, 3, 2, 76, 0.3), (1, 4, 1, 1, 71, 1.0),
        (2, 1, 1, 1, 72, 2.0), (2, 3, 4, 4, 76, 0.25),
    ]
    with open(base / "mcsv_melody" / "Test_Solo_FINAL.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(hdr)
        for bar, beat, div, tat, p, dur in rows:
            w.writerow([0, dur * bd, 4, div, bar, beat, tat, bd, '"4/4"', p, 0, 0, 1, 0, 1, "", "A1", ""])
    bh = ["onset", "duration", "period", "division", "bar", "beat", "signature", "chord", "form", "chorus_id", "bass"]
    beats = [(0, 4, "NC", 40), (1, 1, "D-7", 38), (1, 2, "D-7", 38), (1, 3, "G7", 43), (1, 4, "G7", 43),
             (2, 1, "Cj7", 36), (2, 2, "Cj7", 40), (2, 3, "Cj7", 43), (2, 4, "Cj7", 43)]
    with open(base / "mcsv_beat" / "Test_Solo_FINAL_beattrack.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(bh)
        for bar, beat, ch, bass in beats:
            w.writerow([0, bd, 4, 1, bar, beat, "'4/4'", ch, "A1", 1, bass])
    items = wjazzd.list_items(str(tmp_path))
    ps = wjazzd.load_solo(items[0], collections.Counter())
    r = prepare._finish(ps[0])
    g = r["grid"]
    assert ps[0].tonic == 0 and ps[0].mode == "major"
    assert g.shape == (32, 4)
    mel = [V.melody_token(72)] + hold(3) + [0, 0, V.melody_token(77), hold(1)[0]] + \
          [0, V.melody_token(76), 0, 0] + [V.melody_token(71)] + hold(3) + \
          [V.melody_token(72)] + hold(7) + [0, 0, 0] + [V.melody_token(76)] + [0, 0, 0, 0]
    assert g[:, 0].tolist() == mel
    assert g[:, 2].tolist() == [V.chord_token(2, "min7")] * 8 + [V.chord_token(7, "7")] * 8 + \
        [V.chord_token(0, "maj7")] * 16
    # bass: new onset when the pitch changes or at a bar start, else held
    assert g[:, 1].tolist() == [V.bass_token(38)] + hold(7) + [V.bass_token(43)] + hold(7) + \
        [V.bass_token(36)] + hold(3) + [V.bass_token(40)] + hold(3) + [V.bass_token(43)] + hold(7)
    assert round(r["tempo"]) == 120


def test_jazz_standards_chart(tmp_path):
    chart = {"Title": "Test Leaves", "Key": "Gmin", "Rhythm": "Bossa Nova", "TimeSignature": "4/4",
             "Sections": [
                 {"Label": "A", "MainSegment": {"Chords": "Cm7|F7,Bb7(Eb7)"},
                  "Endings": [{"Chords": "Am7b5,D7b9,,"}, {"Chords": "Gm6"}]},
                 {"Label": "B", "Repeats": 1, "MainSegment": {"Chords": "Eb^7"}},
             ]}
    (tmp_path / "jazz-standards").mkdir()
    (tmp_path / "jazz-standards" / "JazzStandards.json").write_text(json.dumps([chart]))
    ps = jazz_standards.load_all(str(tmp_path), collections.Counter())
    p = ps[0]
    assert p.tonic == 7 and p.mode == "minor" and p.style == "latin" and p.tempo == 130
    r = prepare._finish(p)
    g = r["grid"]
    # played form: A1 (3 bars) A2 (3 bars) B B = 8 bars; G minor -> C minor (down 7 = up 5)
    assert g.shape == (8 * 16, 4) and r["mask"] == (0, 0, 1, 0)
    fm7, bb7, eb7 = V.chord_token(5, "min7"), V.chord_token(10, "7"), V.chord_token(3, "7")
    dm7b5, g7, cm6, ab7 = V.chord_token(2, "m7b5"), V.chord_token(7, "7"), V.chord_token(0, "m6"), V.chord_token(8, "maj7")
    a1 = [fm7] * 16 + [bb7] * 8 + [eb7] * 8 + [dm7b5] * 4 + [g7] * 12
    a2 = [fm7] * 16 + [bb7] * 8 + [eb7] * 8 + [cm6] * 16
    assert g[:, 2].tolist() == a1 + a2 + [ab7] * 32
    assert (g[:, [0, 1, 3]] == 0).all()


def test_line_from_notes():
    notes = [(0, 8, 60), (0, 4, 64), (2, 6, 67)]
    assert common.line_from_notes(notes, 8, highest=True) == [(0, 2, 64), (2, 6, 67), (6, 8, 60)]
    assert common.line_from_notes(notes, 8, highest=False) == [(0, 8, 60)]


# ------------------------------------------------------------------ end to end

def _tiny_tree(tmp_path):
    test_pop909_song(tmp_path)
    test_groove_file(tmp_path)
    test_wjazzd_solo(tmp_path)
    test_jazz_standards_chart(tmp_path)
    (tmp_path / "jsb-chorales").mkdir()
    S = [[72, 67, 64, 48]] * 16 + [[74, 67, 65, 43]] * 16
    (tmp_path / "jsb-chorales" / "Jsb16thSeparated.json").write_text(json.dumps({"train": [S], "valid": [S], "test": []}))


def test_prepare_end_to_end_deterministic(tmp_path, capsys):
    _tiny_tree(tmp_path)
    out1, out2 = str(tmp_path / "a.npz"), str(tmp_path / "b.npz")
    srcs = "pop909,jsb,groove,wjazzd,jazz_standards"
    assert prepare.main(["--data", str(tmp_path), "--out", out1, "--sources", srcs, "--workers", "1"]) == 0
    assert prepare.main(["--data", str(tmp_path), "--out", out2, "--sources", srcs, "--workers", "2"]) == 0
    a, b = np.load(out1), np.load(out2)
    assert sorted(a.files) == sorted(b.files)
    for k in a.files:
        assert np.array_equal(a[k], b[k]), k
    P = len(a["piece_names"])
    assert P == 6
    assert a["grids"].dtype == np.int16 and a["grids"].shape == (a["offsets"][-1], 4)
    assert a["offsets"].dtype == np.int64 and a["offsets"].shape == (P + 1,)
    assert a["track_mask"].dtype == np.uint8 and a["track_mask"].shape == (P, 4)
    for k in ("style", "mood", "tempo", "density", "mode", "meter", "source", "split"):
        assert a[k].shape == (P,), k
    assert list(a["sources"]) == ["pop909", "jsb", "groove", "wjazzd", "jazz_standards"]
    names = list(a["piece_names"])
    i = names.index("pop909/007#0")
    assert a["style"][i] == V.STYLES.index("pop") and a["mode"][i] == 1 and a["meter"][i] == 1
    assert a["tempo"][i] == V.tempo_bucket(120)
    j = [n for n in names if n.startswith("groove/")][0]
    assert a["mood"][names.index(j)] == 0 and a["mode"][names.index(j)] == 0
    assert list(a["split"][[names.index("jsb/train/000"), names.index("jsb/valid/000")]]) == [0, 1]
    # tokens in range
    for t, size in enumerate(V.SIZES):
        assert a["grids"][:, t].min() >= 0 and a["grids"][:, t].max() < size
    out = capsys.readouterr().out
    assert "chord-tone ratio" in out and "self-check" in out
