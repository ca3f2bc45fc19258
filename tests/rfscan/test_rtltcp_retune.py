"""The rtl_tcp client's retune rule against the simulator's ground truth, over real TCP.

The server logs which tuning every stream sample belongs to (and whether the PLL had settled);
the client reports where in the stream each block lies (``stream_sample_position``).  Every sample
delivered after a change must belong to the requested, settled tuning, with odd TCP pieces and
network latency; and the rule must not throw away much more than the physics requires: the
transfer being filled when the command acts, plus the settle time and latency margin.
"""

from __future__ import annotations

import itertools
import random
import statistics
import time

import pytest

from rfscan.sim import Scene
from rfscan.sources import open_source
from rfscan.sources.rtltcp import RtlTcpSource
from rfscan.sources.rtltcp_server import RtlTcpSimServer
from rfscan.survey.events import utc_to_epoch

FS = 2.4e6
TRANSFER_SAMPLES = 131072  # librtlsdr DEFAULT_BUF_LENGTH / 2
FREQS = [850.0e6, 855.0e6, 860.0e6, 897.0e6, 1710.0e6]

SCENE_DICT = {
    "scene": {"name": "retunes", "center_hz": FREQS[0], "duration_s": 60.0, "sample_rate_hz": FS},
    "emitter": [{"kind": "cw", "id": "a", "freq_hz": 850.1e6, "power_dbfs": -25.0}],
}


@pytest.fixture(scope="module")
def scene() -> Scene:
    return Scene.from_dict(SCENE_DICT)


def _sweep(
    srv: RtlTcpSimServer, src: RtlTcpSource, hops: int, seed: int
) -> tuple[list[str], list[int], list[int]]:
    """Random retunes (and gain changes), random dwell lengths; check every block against the truth.

    Returns the problems found, and per change the samples discarded in total and beyond what the
    physics requires (the first delivered position minus the position the new tuning settled at).
    """
    rng = random.Random(seed)
    problems: list[str] = []
    total: list[int] = []
    excess: list[int] = []
    freq = FREQS[0]
    for hop in range(hops):
        discarded = src.discarded_samples
        effects = len(srv.effects[-1])
        if rng.random() < 0.2:
            src.set_gain(rng.choice([None, 19.7, 29.7, 40.2]))
        else:
            freq = rng.choice([f for f in FREQS if f != freq])
            src.tune(freq)
        # The server acts on the command after its latency: wait for the effect to be logged (a
        # change that leaves the server's tuning as it was logs none: nothing to measure then).
        deadline = time.monotonic() + 0.3
        while len(srv.effects[-1]) == effects and time.monotonic() < deadline:
            time.sleep(0.002)
        settled_from = srv.effects[-1][-1][1] if len(srv.effects[-1]) > effects else None
        for k in range(rng.choice([1, 1, 2])):
            n = rng.choice([1000, 23760, 100_000, 150_000])
            blk = src.read(n)
            end = src.stream_sample_position
            start = end - n
            if k == 0:
                total.append(src.discarded_samples - discarded)
                if settled_from is not None:
                    excess.append(start - settled_from)
            for sp in srv.spans_between(start, end):
                want_gain = float(scene_gain(srv)) if src.gain_db is None else src.gain_db
                ok = (
                    sp.settled
                    and sp.settings.center_hz == blk.center_hz == freq
                    and sp.settings.sample_rate_hz == blk.sample_rate_hz
                    and abs(sp.settings.gain_db - want_gain) < 1e-9
                )
                if not ok:
                    problems.append(f"hop {hop} block [{start}, {end}) overlaps {sp}")
    return problems, total, excess


def scene_gain(srv: RtlTcpSimServer) -> float:
    return float(srv.scene.dongle.gain_db)


@pytest.mark.parametrize(
    ("latency_s", "odd_chunks"),
    [(0.0, False), (0.0, True), (0.004, True)],
    ids=["loopback", "odd-pieces", "odd-pieces+latency"],
)
def test_every_delivered_sample_belongs_to_the_settled_requested_tuning(
    scene: Scene, latency_s: float, odd_chunks: bool
) -> None:
    backlog_s = 0.003
    # The margin covers the command's trip (latency_s) and the data's: the server's list, the
    # network, and the odd pieces with their pauses (~10 ms for a 256 KiB transfer); plus slack for
    # a loaded machine running client and server in one process.
    margin_s = 2 * latency_s + backlog_s + 0.025
    with (
        RtlTcpSimServer(
            scene,
            speed=1.0,
            sample_rate_hz=FS,
            odd_chunks=odd_chunks,
            latency_s=latency_s,
            backlog_s=backlog_s,
            pll_settle_s=0.005,
        ) as srv,
        open_source(srv.url, sample_rate_hz=FS, center_hz=FREQS[0], latency_margin_s=margin_s) as src,
    ):
        assert isinstance(src, RtlTcpSource)
        problems, total, excess = _sweep(srv, src, hops=24, seed=7)
        assert src.unsafe_changes == 0
    assert problems == []
    settle_samples = (src.settle_s + src.latency_margin_s) * FS
    # Nothing delivered before the tuning settled ...
    assert min(excess) >= 0
    # ... and little more discarded than needed: on average at most the transfer being filled when
    # the command acted, plus settle time and margin; in total per change, also the unread rest
    # of the previous dwell's transfer.
    assert statistics.mean(excess) <= TRANSFER_SAMPLES + settle_samples
    assert statistics.mean(total) <= 2 * TRANSFER_SAMPLES + settle_samples


def test_without_the_margin_a_slow_network_leaks_old_samples(scene: Scene) -> None:
    """Control: the truth check has teeth; with a 60 ms one-way latency and no margin, old samples
    (or unsettled ones) reach the caller, and with a margin covering the round trip none do."""
    latency_s = 0.060  # > one 54.6 ms transfer: the command acts after the boundary the client picks
    with RtlTcpSimServer(scene, speed=1.0, sample_rate_hz=FS, latency_s=latency_s) as srv:
        with open_source(
            srv.url, sample_rate_hz=FS, center_hz=FREQS[0], latency_margin_s=0.0, settle_s=0.0
        ) as src:
            assert isinstance(src, RtlTcpSource)
            problems, _, excess = _sweep(srv, src, hops=6, seed=3)
        assert problems
        assert min(excess) < 0
        with open_source(
            srv.url, sample_rate_hz=FS, center_hz=FREQS[0], latency_margin_s=2 * latency_s + 0.03
        ) as src:
            assert isinstance(src, RtlTcpSource)
            problems, _, excess = _sweep(srv, src, hops=6, seed=3)
        assert problems == []
        assert min(excess) >= 0


def test_unpaced_server_and_a_multiple_of_the_transfer_length(scene: Scene) -> None:
    """Boundaries of a 2-transfer multiple are boundaries too: still clean, only more discarded."""
    chunk = 8192
    with (
        RtlTcpSimServer(scene, speed=None, sample_rate_hz=FS, chunk_samples=chunk, odd_chunks=True) as srv,
        open_source(srv.url + f"?transfer_bytes={4 * chunk}", sample_rate_hz=FS, center_hz=FREQS[0]) as src,
    ):
        assert isinstance(src, RtlTcpSource)
        assert src.transfer_bytes == 4 * chunk
        problems, _, excess = _sweep(srv, src, hops=12, seed=11)
    assert problems == []
    assert min(excess) >= 0


def test_transfer_bytes_must_be_even(scene: Scene) -> None:
    from rfscan.errors import SourceError

    with pytest.raises(SourceError, match="transfer_bytes"):
        RtlTcpSource("rtltcp://127.0.0.1:1234?x", transfer_bytes=262143)


@pytest.mark.parametrize("odd_chunks", [False, True], ids=["whole", "odd-pieces"])
def test_pipelined_retunes_are_clean_and_cost_one_transfer(scene: Scene, odd_chunks: bool) -> None:
    """``read_and_tune`` sends the next frequency while the dwell's transfer is still filling."""
    n = 23760  # a sweep's 9.9 ms dwell at 2.4 MS/s
    hops = 24
    with (
        RtlTcpSimServer(
            scene, speed=1.0, sample_rate_hz=FS, odd_chunks=odd_chunks, backlog_s=0.003, pll_settle_s=0.005
        ) as srv,
        open_source(
            srv.url, sample_rate_hz=FS, center_hz=FREQS[0], settle_s=0.005, latency_margin_s=0.020
        ) as src,
    ):
        assert isinstance(src, RtlTcpSource)
        rng = random.Random(5)
        plan = [rng.choice(FREQS) for _ in range(hops)]
        src.tune(plan[0])
        starts: list[int] = []
        problems: list[str] = []
        late: list[float] = []
        for k, freq in enumerate(plan):
            t_call = time.time()
            blk = src.read(n) if k + 1 == hops else src.read_and_tune(n, plan[k + 1])
            assert blk.center_hz == freq
            if k:  # the dwell's transfer began filling before this call (the last one ended there)
                late.append(utc_to_epoch(blk.t_utc) - t_call)
            # read_and_tune has discarded for the next hop already: locate this block from its start.
            start = blk.sample_start - (src.sample_position - src.stream_sample_position)
            starts.append(start)
            for sp in srv.spans_between(start, start + n):
                if not (sp.settled and sp.settings.center_hz == freq):
                    problems.append(f"hop {k} [{start}, {start + n}) overlaps {sp}")
        assert src.unsafe_changes == 0
    assert problems == []
    # Time stamps are of the first sample's capture, not of the block's arrival (a transfer later).
    assert max(late) <= 0.005, late
    # Every hop's dwell starts on a transfer boundary; with the command sent mid-transfer, the next
    # one is clean when dwell + settle + margin + the server's delay fit in a transfer (9.9 + 5 +
    # 20 + ~15 ms < 54.6 ms): one transfer per hop, against two with tune() then read().  Allow a
    # loaded machine to lose a transfer now and then.
    per_hop = [(b - a) / TRANSFER_SAMPLES for a, b in itertools.pairwise(starts)]
    assert all(p == int(p) for p in per_hop)
    assert statistics.mean(per_hop) <= 1.5


def test_pipelined_retunes_survive_a_reconnection(scene: Scene) -> None:
    """A connection lost mid-dwell: the reconnection re-sends the settings and the pending retune."""
    import numpy as np

    n = 23760
    tone_hz = 850.1e6 - FREQS[0]  # the scene's carrier, seen only when tuned to FREQS[0]

    def tone_db(x: np.ndarray) -> float:
        p = np.abs(np.fft.fft(x * np.hanning(x.size))) ** 2
        k = round(tone_hz / FS * x.size)
        return float(10 * np.log10(p[k - 3 : k + 4].max() / np.median(p)))

    with (
        RtlTcpSimServer(scene, speed=1.0, sample_rate_hz=FS, close_after_s=0.6, fault_connections=1) as srv,
        open_source(
            srv.url, sample_rate_hz=FS, center_hz=FREQS[0], reconnect=True, reconnect_backoff_s=0.05
        ) as src,
    ):
        assert isinstance(src, RtlTcpSource)
        freqs = [FREQS[k % 2] for k in range(30)]
        src.tune(freqs[0])
        for k, freq in enumerate(freqs[:-1]):
            blk = src.read_and_tune(n, freqs[k + 1])
            assert blk.center_hz == freq
            # the -25 dBFS carrier stands far above 20 dB over the noise in a 23760-point FFT
            assert (tone_db(blk.samples) > 20.0) == (freq == FREQS[0]), k
        assert src.reconnects == 1
        assert srv.connections == 2
        assert srv.state.freq_hz == int(freqs[-1])
