"""Throughput of the dsp pipeline against scipy.signal.welch and a bare FFT, on one core.

Run: ``python benchmarks/throughput.py [--seconds 10] [--busy]``

A synthetic 2.4 MS/s cu8 scene (noise, a DC spike, a CW spur, an IQ image, sparse GSM access bursts
and LTE PRACH/PUSCH bursts as an idle modem sends them; ``--busy`` adds a GSM call: one normal burst
every 4.615 ms) is written to a temporary file and read back through a memmap, block by block, into
complex64.  The same blocks are then fed to (1) ``analyze_blocks``, (2) ``scipy.signal.welch`` with
the same nfft and window and no overlap, (3) a bare ``scipy.fft.fft`` of the same frames, (4) the least
any analysis on the pipeline's frames does: its own STFT (``stft_block``: window, FFT, power) and a
mean spectrum, nothing else.  (4) bounds what the pipeline can reach in this numpy form: the ratios
it gives against welch and the bare FFT are the ceilings of the pipeline's ratios.  Peak traced
memory of the pipeline is shown for two file lengths to show it does not grow with length.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy.fft as sfft  # noqa: E402
from scipy.signal import welch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "rfscan"))

import dsp_signals as sig  # noqa: E402

from rfscan.dsp import Analysis, PipelineConfig, StftConfig, StftState, analyze_blocks, stft_block  # noqa: E402
from rfscan.iq import to_complex64  # noqa: E402

FS = 2.4e6
BLOCK = 1 << 19


@dataclass
class Blk:
    samples: np.ndarray
    sample_start: int
    center_hz: float
    sample_rate_hz: float


def write_scene(path: Path, seconds: float, busy: bool, seed: int = 7) -> None:
    """Write a cu8 scene chunk by chunk (never the whole file in memory)."""
    rng = np.random.default_rng(seed)
    chunk = int(FS)  # one second
    noise_dbfs = -32.0
    with path.open("wb") as fh:
        for _ in range(int(np.ceil(seconds))):
            x = sig.awgn(chunk, noise_dbfs, rng)
            sig.add_tone(x, offset_hz=-850e3, power_dbfs=-25.0)
            sig.add_dc_spike(x, -28.0)
            for _ in range(4):  # sparse access / PRACH / PUSCH bursts
                t = rng.uniform(0.01, 0.98)
                sig.add_gmsk_burst(
                    x, rng, start_s=t, offset_hz=-450e3, snr_db=15, n_bits=88, noise_dbfs=noise_dbfs
                )
                sig.add_prach(
                    x, start_s=rng.uniform(0.01, 0.98), offset_hz=500e3, snr_db=12, noise_dbfs=noise_dbfs
                )
                sig.add_band_noise(
                    x,
                    rng,
                    start_s=rng.uniform(0.01, 0.98),
                    duration_s=1e-3,
                    offset_hz=-100e3,
                    bandwidth_hz=360e3,
                    snr_db=12,
                    noise_dbfs=noise_dbfs,
                )
            if busy:
                for j in range(int(0.99 / sig.GSM_FRAME_S)):
                    sig.add_gmsk_burst(
                        x, rng, start_s=j * sig.GSM_FRAME_S, offset_hz=200e3, snr_db=20, noise_dbfs=noise_dbfs
                    )
            x = sig.with_iq_image(x, 30.0)
            iq = np.empty(2 * chunk, np.float32)
            iq[0::2], iq[1::2] = x.real, x.imag
            fh.write(np.clip(np.round(iq * 127.5 + 127.5), 0, 255).astype(np.uint8).tobytes())


def blocks(path: Path) -> Iterator[Blk]:
    """Read cu8 through a memmap into complex64 blocks, with the conversion ``rfscan analyze`` uses."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    n = raw.size // 2
    for s in range(0, n, BLOCK):
        b = raw[2 * s : 2 * min(s + BLOCK, n)]
        yield Blk(to_complex64(b, "cu8"), s, 900e6, FS)


def run_pipeline(path: Path) -> tuple[float, Analysis]:
    t = time.perf_counter()
    a = analyze_blocks(blocks(path), FS, config=PipelineConfig())
    return time.perf_counter() - t, a


def run_welch(path: Path, cfg: StftConfig) -> float:
    t = time.perf_counter()
    win = cfg.window_array
    for b in blocks(path):
        welch(
            b.samples, fs=FS, window=win, nperseg=cfg.nfft, noverlap=0, return_onesided=False, detrend=False
        )
    return time.perf_counter() - t


def run_fft(path: Path, cfg: StftConfig) -> float:
    t = time.perf_counter()
    for b in blocks(path):
        x = b.samples[: b.samples.size // cfg.nfft * cfg.nfft].reshape(-1, cfg.nfft)
        sfft.fft(x, axis=1, workers=1)
    return time.perf_counter() - t


def run_psd(path: Path, cfg: StftConfig) -> float:
    """The pipeline's STFT and a mean spectrum: the floor under any analysis of the same frames."""
    t = time.perf_counter()
    state = StftState(cfg)
    total = np.zeros(cfg.nfft, np.float64)
    for b in blocks(path):
        total += stft_block(state, b.samples, b.sample_start).power.sum(axis=0)
    return time.perf_counter() - t


def run_read(path: Path) -> float:
    t = time.perf_counter()
    for b in blocks(path):
        b.samples.sum()
    return time.perf_counter() - t


def peak_memory(path: Path) -> int:
    tracemalloc.start()
    analyze_blocks(blocks(path), FS)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--busy", action="store_true", help="add a GSM call (217 bursts/s)")
    ap.add_argument("--repeat", type=int, default=3, help="best of N timings")
    args = ap.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-not-found]

        threadpool_limits(1)
    except ImportError:
        pass
    cfg = StftConfig.for_rate(FS)
    with tempfile.TemporaryDirectory() as tmp:
        p1 = Path(tmp) / "scene.cu8"
        p2 = Path(tmp) / "scene2.cu8"
        write_scene(p1, args.seconds, args.busy)
        write_scene(p2, 2 * args.seconds, args.busy)
        n = os.path.getsize(p1) // 2
        best = {"pipeline": np.inf, "welch": np.inf, "fft": np.inf, "psd": np.inf, "read": np.inf}
        analysis: Analysis | None = None
        for _ in range(args.repeat):
            dt, analysis = run_pipeline(p1)
            best["pipeline"] = min(best["pipeline"], dt)
            best["welch"] = min(best["welch"], run_welch(p1, cfg))
            best["fft"] = min(best["fft"], run_fft(p1, cfg))
            best["psd"] = min(best["psd"], run_psd(p1, cfg))
            best["read"] = min(best["read"], run_read(p1))
        m1, m2 = peak_memory(p1), peak_memory(p2)
    rate = {k: n / v for k, v in best.items()}
    print(
        f"scene: {args.seconds:g} s of 2.4 MS/s cu8 ({'busy' if args.busy else 'sparse'}), nfft={cfg.nfft} "
        f"hop={cfg.hop} window={cfg.window}, block={BLOCK}, one thread"
    )
    for k in ("read", "fft", "welch", "psd", "pipeline"):
        print(f"  {k:9s} {rate[k] / 1e6:8.1f} MS/s  ({rate[k] / FS:6.1f}x real time)")
    print(f"  pipeline / welch    = {rate['pipeline'] / rate['welch']:.2f}x")
    print(f"  pipeline / bare fft = {rate['pipeline'] / rate['fft']:.2f}x   (both include the cu8 read)")
    print(
        f"  psd (STFT + mean spectrum only) / welch = {rate['psd'] / rate['welch']:.2f}x, / bare fft = "
        f"{rate['psd'] / rate['fft']:.2f}x   (the ceilings of the pipeline's ratios)"
    )
    share = rate["pipeline"] / rate["psd"]
    print(f"  pipeline / psd      = {share:.2f}x   (the share of the pipeline's time the STFT takes)")
    s1, s2 = f"{args.seconds:g} s", f"{2 * args.seconds:g} s"
    print(f"  peak traced memory: {s1} -> {m1 / 1e6:.1f} MB, {s2} -> {m2 / 1e6:.1f} MB")
    if analysis is not None:
        a = analysis
        n_b, n_e, n_i = len(a.bursts), len(a.emitters), a.stats.images_rejected
        print(f"  found {n_b} bursts, {n_e} emitters, {n_i} images rejected")
        for e in a.emitters:
            per = f"{e.period_s * 1e3:.3f} ms" if e.period_s else "-"
            f_mhz, bw_khz = e.freq_hz / 1e6, e.bandwidth_hz / 1e3
            print(f"    {f_mhz:10.4f} MHz {bw_khz:7.1f} kHz {e.tech:11s} n={e.burst_count:5d} ", end="")
            print(f"duty={e.duty_cycle:.3f} period={per}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
