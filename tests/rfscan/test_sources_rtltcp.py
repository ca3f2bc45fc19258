"""rtl_tcp client <-> simulation server over 127.0.0.1: protocol, backlog, failures, reconnect."""

from __future__ import annotations

import itertools
import math
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from rfscan.errors import SourceError
from rfscan.sim import Scene
from rfscan.sources import Source, open_source, tuner_by_name
from rfscan.sources.rtltcp import (
    CMD_AGC,
    CMD_BIAS_TEE,
    CMD_FREQ,
    CMD_GAIN,
    CMD_GAIN_MODE,
    CMD_PPM,
    CMD_SAMPLE_RATE,
    CMD_TEST_MODE,
    DEFAULT_TRANSFER_BYTES,
    RtlTcpSource,
    command_bytes,
)
from rfscan.sources.rtltcp_server import DEFAULT_CHUNK_SAMPLES, RtlTcpSimServer

FS = 1.024e6
F1 = 850.0e6
F2 = 855.0e6
SPUR_A = 850.1e6  # +100 kHz at F1
SPUR_B = 854.8e6  # -200 kHz at F2

SCENE_DICT = {
    "scene": {
        "name": "two-spurs",
        "center_hz": F1,
        "duration_s": 10.0,
        "sample_rate_hz": FS,
        "noise_dbfs": -50.0,
    },
    "emitter": [
        {"kind": "cw", "id": "a", "freq_hz": SPUR_A, "power_dbfs": -25.0},
        {"kind": "cw", "id": "b", "freq_hz": SPUR_B, "power_dbfs": -25.0},
    ],
}


@pytest.fixture(scope="module")
def scene() -> Scene:
    return Scene.from_dict(SCENE_DICT)


#: A tone counts as absent below this peak-to-median ratio: noise alone exceeds 10 dB in ~1% of
#: 7-bin windows (exponential bins) but stays far below 20 dB, while even 100 samples of a -25 dBFS
#: carrier leaking into a block stand > 20 dB above the noise floor.
ABSENT_DB = 20.0


def tone_db(x: np.ndarray, fs: float, offset_hz: float) -> float:
    """Peak power within +-3 bins of ``offset_hz`` over the median bin power (dB)."""
    p = np.abs(np.fft.fftshift(np.fft.fft(x * np.hanning(x.size)))) ** 2
    f = np.fft.fftshift(np.fft.fftfreq(x.size, 1.0 / fs))
    k = int(np.argmin(np.abs(f - offset_hz)))
    return float(10 * np.log10(p[max(0, k - 3) : k + 4].max() / np.median(p)))


def peak_offset_hz(x: np.ndarray, fs: float) -> float:
    p = np.abs(np.fft.fftshift(np.fft.fft(x * np.hanning(x.size)))) ** 2
    f = np.fft.fftshift(np.fft.fftfreq(x.size, 1.0 / fs))
    p[np.abs(f) < 1e3] = 0
    return float(f[int(np.argmax(p))])


def as_bytes(samples: np.ndarray) -> np.ndarray:
    """cu8 bytes back from the client's complex64 (exact: x = (v - 127.5) / 127.5)."""
    parts = samples.view(np.float32)
    out: np.ndarray = np.rint(parts * 127.5 + 127.5).astype(np.int64)
    return out


def read_forever(src: Source) -> None:
    """Read until the source raises (at most ~1 minute of samples at FS, so a bug cannot hang)."""
    for _ in range(1000):
        src.read(1 << 16)


# --------------------------------------------------------------------------------------------------
# protocol


@pytest.mark.parametrize("tuner", ["R820T", "E4000"])
def test_header_is_parsed(scene: Scene, tuner: str) -> None:
    with RtlTcpSimServer(scene, tuner=tuner, speed=None) as srv:
        assert srv.address[0] == "127.0.0.1"
        assert srv.address[1] > 0
        with open_source(srv.url, sample_rate_hz=FS, center_hz=F1) as src:
            info = src.info
            spec = tuner_by_name(tuner)
            assert info.driver == "rtltcp"
            assert info.tuner == tuner
            assert info.gains_db == spec.gains_db
            assert info.extra["gain_count"] == len(spec.gains_tenth_db)
            assert src.tuning_range_hz == spec.tuning_range_hz


def test_exact_command_bytes(scene: Scene) -> None:
    with RtlTcpSimServer(scene, speed=None) as srv:
        src = RtlTcpSource(srv.url, sample_rate_hz=FS, center_hz=F1, gain_db=40.0, ppm=12, agc=True)
        with src:
            src.tune(F2)
            src.set_gain(None)
            src.set_gain(19.0)  # nearest R820T step: 19.7 dB
            src.set_ppm(-3)
            src.set_agc(False)
            src.set_sample_rate(2.4e6)
            src.read(1000)
        expected = [
            (CMD_SAMPLE_RATE, 1_024_000),
            (CMD_FREQ, 850_000_000),
            (CMD_GAIN_MODE, 1),
            (CMD_GAIN, 402),  # 40 dB -> the R820T's 40.2 dB step, in tenths
            (CMD_PPM, 12),
            (CMD_AGC, 1),
            (CMD_FREQ, 855_000_000),
            (CMD_GAIN_MODE, 0),
            (CMD_GAIN_MODE, 1),
            (CMD_GAIN, 197),
            (CMD_PPM, 0xFFFFFFFD),  # -3 as u32
            (CMD_AGC, 0),
            (CMD_SAMPLE_RATE, 2_400_000),
        ]
        assert srv.commands == expected
        raw = b"".join(struct.pack(">BI", c, p) for c, p in srv.commands)
        assert raw == b"".join(command_bytes(c, p if p < 2**31 else p - 2**32) for c, p in expected)
        assert command_bytes(CMD_PPM, -3) == b"\x05\xff\xff\xff\xfd"
        assert command_bytes(CMD_FREQ, 855_000_000) == b"\x01" + (855_000_000).to_bytes(4, "big")
        # The bias tee was never touched; the server applied every setting.
        assert all(c != CMD_BIAS_TEE for c, _ in srv.commands)
        st = srv.state
        assert (st.freq_hz, st.rate_hz, st.gain_mode, st.gain_tenth_db, st.ppm, st.agc) == (
            855_000_000,
            2_400_000,
            1,
            197,
            -3,
            0,
        )


def test_bias_tee_only_when_asked(scene: Scene) -> None:
    with RtlTcpSimServer(scene, speed=None) as srv:
        with open_source(srv.url + "?bias_tee=1", sample_rate_hz=FS, center_hz=F1):
            pass
        assert (CMD_BIAS_TEE, 1) in srv.commands
        assert srv.state.bias_tee == 1


def test_impossible_settings_are_refused_before_sending(scene: Scene) -> None:
    with (
        RtlTcpSimServer(scene, speed=None) as srv,
        open_source(srv.url, sample_rate_hz=FS, center_hz=F1) as src,
    ):
        sent = len(srv.commands)
        with pytest.raises(SourceError, match="cannot tune"):
            src.tune(2.0e9)
        with pytest.raises(SourceError, match="sample rate"):
            src.set_sample_rate(600e3)
        assert len(srv.commands) == sent


# --------------------------------------------------------------------------------------------------
# samples and the retune backlog


def test_scene_spur_at_the_right_offset_and_backlog_discarded(scene: Scene) -> None:
    n = 1 << 15
    with (
        RtlTcpSimServer(scene, speed=None) as srv,
        open_source(srv.url, sample_rate_hz=FS, center_hz=F1) as src,
    ):
        b = src.read(n)
        assert b.center_hz == F1
        assert abs(peak_offset_hz(b.samples, FS) - (SPUR_A - F1)) <= 2 * FS / n
        end = b.sample_start + n
        src.tune(F2)
        blocks = [src.read(n) for _ in range(6)]
        for blk in blocks:
            assert blk.center_hz == F2
            assert abs(peak_offset_hz(blk.samples, FS) - (SPUR_B - F2)) <= 2 * FS / n
            # Nothing from the old tuning: its spur would stand ~70 dB above the noise.
            assert tone_db(blk.samples, FS, SPUR_A - F1) < ABSENT_DB
        # The discard advanced sample_start and ended on a transfer boundary of the stream.
        skipped = blocks[0].sample_start - end
        assert skipped > 0
        assert src.discarded_samples >= skipped
        assert isinstance(src, RtlTcpSource)
        assert (src.stream_sample_position - 6 * n) % (DEFAULT_TRANSFER_BYTES // 2) == 0
        assert all(b2.sample_start == b1.sample_start + n for b1, b2 in itertools.pairwise(blocks))


def test_without_discarding_old_samples_follow_a_retune(scene: Scene) -> None:
    """Control: the server really models old samples after a command (raw socket, no discard)."""
    with (
        RtlTcpSimServer(scene, speed=1.0, sample_rate_hz=FS) as srv,
        socket.create_connection(srv.address) as s,
    ):
        s.settimeout(5.0)
        got = 0
        while got < 12 + 4 * DEFAULT_TRANSFER_BYTES // 2:  # header + half a second at 1.024 MS/s
            got += len(s.recv(1 << 16))
        s.sendall(command_bytes(CMD_FREQ, int(F2)))
        t_sent = time.monotonic()
        while not srv.effects[0]:
            assert time.monotonic() - t_sent < 2.0
            time.sleep(0.001)
        effect, settled = srv.effects[0][0]
        # The command acted at the capture position, beyond what the client had received, and the
        # samples in between (and the PLL's settle time) are still the old tuning.
        assert effect >= (got - 12) // 2
        assert settled - effect == math.ceil(0.005 * FS)
        old = srv.spans_between((got - 12) // 2, effect)
        assert [sp.settings.center_hz for sp in old] == [F1]
        assert srv.spans_between(settled, settled + 1)[0].settings.center_hz == F2


def test_paced_stream_arrives_at_the_sample_rate(scene: Scene) -> None:
    n = 16384
    with (
        RtlTcpSimServer(scene, speed=1.0, chunk_samples=n) as srv,
        open_source(srv.url, sample_rate_hz=FS, center_hz=F1) as src,
    ):
        src.read(n)
        t0 = time.monotonic()
        count = 40
        for _ in range(count):
            src.read(n)
        elapsed = time.monotonic() - t0
        expected = count * n / FS  # 0.64 s
        assert expected * 0.85 <= elapsed  # paced: never faster than the sample rate
        assert elapsed <= expected * 4  # and it keeps streaming (generous: the CI machine is shared)


def test_odd_sized_pieces_keep_whole_samples(scene: Scene) -> None:
    """Test mode streams the RTL2832 counter; odd TCP pieces and drains must never shift I/Q."""
    with (
        RtlTcpSimServer(scene, speed=None, odd_chunks=True, chunk_samples=20001) as srv,
        open_source(srv.url, sample_rate_hz=FS, center_hz=F1, test_mode=True) as src,
    ):
        assert (CMD_TEST_MODE, 1) in srv.commands
        for k in range(6):
            if k == 3:
                src.tune(F2)
            v = as_bytes(src.read(7777).samples)
            assert v[0] % 2 == 0  # I bytes sit at even stream offsets
            assert np.all(np.diff(v) % 256 == 1)  # consecutive counter values, nothing lost inside


# --------------------------------------------------------------------------------------------------
# failures


def test_server_killed_mid_read_raises_quickly(scene: Scene) -> None:
    with (
        RtlTcpSimServer(scene, speed=1.0, chunk_samples=8192) as srv,
        open_source(srv.url, sample_rate_hz=FS, center_hz=F1) as src,
    ):
        threading.Timer(0.3, srv.kill_client).start()
        t0 = time.monotonic()
        with pytest.raises(SourceError, match=r"rtltcp://127\.0\.0\.1:\d+: .*(closed|lost)"):
            src.read(int(5 * FS))  # would take 5 s
        assert time.monotonic() - t0 < 1.5
        assert src.short_reads == 1


def test_close_after_fault_raises(scene: Scene) -> None:
    with (
        RtlTcpSimServer(scene, speed=1.0, chunk_samples=8192, close_after_s=0.4) as srv,
        open_source(srv.url, sample_rate_hz=FS, center_hz=F1) as src,
    ):
        t0 = time.monotonic()
        with pytest.raises(SourceError, match="closed the connection"):
            src.read(int(5 * FS))
        assert time.monotonic() - t0 < 1.5


def test_stalled_server_times_out(scene: Scene) -> None:
    with (
        RtlTcpSimServer(scene, speed=None, stall_after_s=0.3) as srv,
        open_source(srv.url, sample_rate_hz=FS, center_hz=F1, timeout_s=0.5) as src,
    ):
        t0 = time.monotonic()
        with pytest.raises(SourceError, match=r"no samples for 0\.5 s \(server stalled\?\)"):
            read_forever(src)
        assert time.monotonic() - t0 < 0.3 + 0.5 + 1.0


def test_garbage_header_is_refused(scene: Scene) -> None:
    with RtlTcpSimServer(scene, speed=None, garbage_header=True) as srv:
        t0 = time.monotonic()
        with pytest.raises(SourceError, match=r"not an rtl_tcp server \(bad magic 'HTTP'"):
            open_source(srv.url, center_hz=F1)
        assert time.monotonic() - t0 < 1.0


def test_silent_server_header_timeout() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        t0 = time.monotonic()
        with pytest.raises(SourceError, match=r"no rtl_tcp header within 0\.4 s"):
            open_source(f"rtltcp://127.0.0.1:{port}", timeout_s=0.4, center_hz=F1)
        assert 0.35 <= time.monotonic() - t0 < 1.4
    finally:
        listener.close()


def test_connection_refused() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    t0 = time.monotonic()
    with pytest.raises(SourceError, match="connection refused"):
        open_source(f"rtltcp://127.0.0.1:{port}", center_hz=F1)
    assert time.monotonic() - t0 < 1.0


def test_reconnect_resends_settings_and_counts_the_gap(scene: Scene) -> None:
    n = 1 << 14
    with (
        RtlTcpSimServer(scene, speed=2.0, chunk_samples=8192, close_after_s=0.5, fault_connections=1) as srv,
        open_source(
            srv.url, sample_rate_hz=FS, center_hz=F1, gain_db=30.0, reconnect=True, reconnect_backoff_s=0.05
        ) as src,
    ):
        assert isinstance(src, RtlTcpSource)
        src.tune(F2)
        t0 = time.monotonic()
        blocks = []
        while time.monotonic() - t0 < 1.2:
            blocks.append(src.read(n))
        assert src.reconnects == 1
        assert srv.connections == 2
        assert src.dropped_samples > 0
        assert src.short_reads <= 1
        second = srv.connection_commands[1]
        assert (CMD_FREQ, int(F2)) in second
        assert (CMD_SAMPLE_RATE, int(FS)) in second
        assert (CMD_GAIN_MODE, 1) in second
        assert (CMD_GAIN, 297) in second
        for blk in blocks:
            assert tone_db(blk.samples, FS, SPUR_A - F1) < ABSENT_DB
            assert abs(peak_offset_hz(blk.samples, FS) - (SPUR_B - F2)) <= 2 * FS / n
        starts = [b.sample_start for b in blocks]
        assert all(b > a for a, b in itertools.pairwise(starts))


def test_reconnect_gives_up_after_its_tries(scene: Scene) -> None:
    srv = RtlTcpSimServer(scene, speed=None).start()
    src = open_source(
        srv.url, sample_rate_hz=FS, center_hz=F1, reconnect=True, reconnect_tries=2, reconnect_backoff_s=0.05
    )
    try:
        srv.close()  # server gone for good
        t0 = time.monotonic()
        with pytest.raises(SourceError, match="2 reconnect attempts failed"):
            read_forever(src)
        assert time.monotonic() - t0 < 3.0
    finally:
        src.close()


def test_open_close_twice(scene: Scene) -> None:
    with RtlTcpSimServer(scene, speed=None) as srv:
        src = RtlTcpSource(srv.url, sample_rate_hz=FS, center_hz=F1)
        src.open()
        src.open()
        assert srv.connections == 1
        src.read(100)
        src.close()
        src.close()
        assert not src.is_open
        with src:  # reopen
            assert src.read(100).sample_start >= 0
        assert srv.connections == 2
    srv.close()  # closing the server twice is fine too


def test_one_client_at_a_time(scene: Scene) -> None:
    with RtlTcpSimServer(scene, speed=None) as srv, open_source(srv.url, sample_rate_hz=FS, center_hz=F1):
        with pytest.raises(SourceError, match="header"):
            open_source(srv.url, center_hz=F1, timeout_s=0.3)
        assert srv.connections == 1


def test_cli_serves_a_scene(tmp_path: Path) -> None:
    scene_file = tmp_path / "spurs.toml"
    scene_file.write_text(
        f"""[scene]
name = "spurs"
center_hz = {F1}
duration_s = 5.0
sample_rate_hz = {FS}
noise_dbfs = -50.0

[[emitter]]
kind = "cw"
id = "a"
freq_hz = {SPUR_A}
power_dbfs = -25.0
""",
        encoding="utf-8",
    )
    cmd = [sys.executable, "-m", "rfscan", "rtltcp-sim", "--scene", str(scene_file), "--port", "0"]
    proc = subprocess.Popen(
        [*cmd, "--speed", "0", "--duration", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("rtltcp://127.0.0.1:")
        with open_source(url, sample_rate_hz=FS, center_hz=F1) as src:
            assert src.info.tuner == "R820T"
            b = src.read(1 << 15)
            assert abs(peak_offset_hz(b.samples, FS) - (SPUR_A - F1)) <= 2 * FS / (1 << 15)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_defaults_match_librtlsdr_transfer() -> None:
    # One USB transfer is 16 * 32 * 512 bytes (librtlsdr DEFAULT_BUF_LENGTH) = 131072 cu8 samples.
    assert DEFAULT_TRANSFER_BYTES == 262144 == 2 * DEFAULT_CHUNK_SAMPLES
