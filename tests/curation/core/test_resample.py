"""Samples put fast channels on signal_rate_hz without aliasing: a tone above the new Nyquist frequency is
filtered out, not folded into the band. Amplitudes are read with numpy's FFT, not with our code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

RATE_IN, RATE_OUT = 100_000, 1000


def _amplitude(x: np.ndarray, rate: float, f: float) -> float:
    """Amplitude of the sine at ``f`` Hz in ``x`` (Hann window, coherent gain corrected)."""
    w = np.hanning(len(x))
    spec = np.abs(np.fft.rfft((x - x.mean()) * w)) * 2 / w.sum()
    k = round(f * len(x) / rate)
    return float(spec[max(0, k - 2) : k + 3].max())


def test_tone_above_the_new_nyquist_is_filtered_not_folded() -> None:
    from weldctl.curation import band_limited

    t_s = np.arange(0, 2.0, 1 / RATE_IN)
    t_ns = np.round(t_s * 1e9).astype(np.int64)
    alias = np.sin(2 * np.pi * 10_300 * t_s)  # folds to |10300 - 10 * 1000| = 300 Hz
    inband = np.sin(2 * np.pi * 120 * t_s)
    axis = np.arange(0, int(1.9e9), int(1e9 / RATE_OUT)) + int(0.05e9)
    naive = np.interp(axis, t_ns, alias)  # what the samples stage did before: a full-scale 300 Hz line
    t_f, y_f = band_limited(t_ns, alias, RATE_OUT)
    ours = np.interp(axis, t_f, y_f)
    t_g, y_g = band_limited(t_ns, inband, RATE_OUT)
    kept = np.interp(axis, t_g, y_g)
    a_naive, a_ours = _amplitude(naive, RATE_OUT, 300), _amplitude(ours, RATE_OUT, 300)
    attenuation_db = 20 * np.log10(a_ours / a_naive)
    print(f"300 Hz alias: plain interp {a_naive:.3f}, band-limited {a_ours:.5f} ({attenuation_db:.1f} dB); "
          f"120 Hz kept at {_amplitude(kept, RATE_OUT, 120):.4f}")
    assert a_naive > 0.9 and attenuation_db < -40
    assert abs(_amplitude(kept, RATE_OUT, 120) - 1.0) < 0.02


def test_gap_in_the_recording_is_not_bridged() -> None:
    from weldctl.curation import band_limited

    t = np.concatenate([np.arange(0, 10_000), np.arange(20_000, 30_000)]) * 10_000  # 100 kS/s, 0.1 s lost
    t_f, _ = band_limited(t, np.ones(len(t)), RATE_OUT)
    assert not ((t_f > 0.1e9 + 1e6) & (t_f < 0.2e9 - 1e6)).any()  # no invented samples inside the gap


def test_samples_stage_filters_a_fast_channel(tmp_path: Path) -> None:
    """Through `dataset samples`: a 100 kS/s sound with a 10.3 kHz tone during the weld gives no 300 Hz line."""
    import soundfile as sf

    from weldctl.curation import (
        DatasetParams,
        SampleSet,
        SegmentParams,
        build_samples,
        import_run,
        segment_run,
        write_segments,
    )
    from weldctl.schema import ImportMapping, RunReader

    run = tmp_path / "src" / "T1"
    run.mkdir(parents=True)
    t = np.arange(0, 6, 0.1) + 1_700_000_000.0
    current = np.where((t - t[0] >= 1.0) & (t - t[0] < 5.0), 150.0, 0.0)
    (run / "log.csv").write_text("t,I\n" + "".join(f"{a:.3f},{b:.1f}\n" for a, b in zip(t, current, strict=True)))
    ts = np.arange(0, 6 * RATE_IN) / RATE_IN
    sf.write(run / "tone.wav", (0.5 * np.sin(2 * np.pi * 10_300 * ts)).astype(np.float32), RATE_IN, subtype="FLOAT")
    mapping = ImportMapping.model_validate(yaml.safe_load("""
name: tone
run: {pattern: '(?P<run_id>T\\d+)$', manifest: {process: arc}, taxonomy: arc, labels: {quality: good}}
streams:
  - {name: process, kind: daq, reader: csv, file: log.csv, time: {source: column, columns: [t]},
     channels: [{source: I, name: current, units: A}]}
  - {name: audio, kind: audio, reader: audio, file: tone.wav, time: {source: rate},
     align: {mode: start_at, to: process}}
"""))
    res = import_run(mapping, run, tmp_path / "runs", labels_path=tmp_path / "labels.jsonl")
    seg = tmp_path / "segments"
    seg.mkdir()
    write_segments(seg / "T1.segments.parquet", segment_run(RunReader(res.uri), SegmentParams()))
    params = DatasetParams.model_validate({"samples": {"signal_rate_hz": RATE_OUT}})
    build_samples(tmp_path / "runs", seg, tmp_path / "labels.jsonl", params.samples, tmp_path / "samples")
    s = SampleSet(tmp_path / "samples")
    sig = s.arrays(s.rows[0]["sample_id"]).signals[:, s.layout.channels.index("audio.mic")]
    assert len(sig) > 3000
    assert _amplitude(sig.astype(np.float64), RATE_OUT, 300) < 0.5 * 10 ** (-40 / 20)

