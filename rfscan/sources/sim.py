"""``sim://SCENE``: a simulated dongle that synthesizes a scene for whatever it is tuned to.

The samples come from :class:`rfscan.sim.SceneRenderer` (emitters at their true RF frequencies,
noise, the scene's ppm error, DC offset and IQ imbalance) quantized to cu8 like a real RTL2832U.
Scene time runs on: a retune or rate change does not restart the scene.

Retune model: the tuner's PLL needs ``pll_settle_s`` (default 5 ms, rtl_power's wait) to lock;
until then the output still holds the old tuning (the simulated "transient").  The source discards
``settle_s`` (default 10 ms) after every change, so with the defaults no block contains transient
samples; a block that does (``settle_s < pll_settle_s``) has ``settled=False``.

``realtime=False`` (default, for tests) returns samples as fast as they can be rendered with a
virtual clock.  ``realtime=True`` paces reads at the sample rate and, like a dongle whose USB buffers
overflow, drops samples (counted in ``dropped_samples``) when the caller falls more than
``buffer_samples`` behind.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from rfscan.errors import RfscanError, SourceError
from rfscan.sources.base import HARDWARE_SETTLE_S, Source, SourceBlock, parse_bool, tuner_by_name

__all__ = ["DEFAULT_BUFFER_SAMPLES", "SceneStream", "SimSource", "TunerSettings"]

#: librtlsdr's async buffers: 15 transfers of 16 * 32 * 512 = 262144 bytes (131072 samples) each
#: (osmocom src/librtlsdr.c DEFAULT_BUF_NUMBER, DEFAULT_BUF_LENGTH).
DEFAULT_BUFFER_SAMPLES = 15 * 131072


@dataclass(frozen=True)
class TunerSettings:
    """What the simulated dongle is set to.

    ``gain_db`` is the tuner gain in effect (automatic gain is resolved to the scene's gain by the
    caller); ``ppm_correction`` is the driver's correction (the LO error left is scene ppm minus it);
    ``test_mode`` replaces the samples by the RTL2832's 8-bit counter (rtl_tcp command 0x07).
    """

    center_hz: float
    sample_rate_hz: float
    gain_db: float
    ppm_correction: int = 0
    test_mode: bool = False


@dataclass(frozen=True)
class _Segment:
    pos: int
    t0_s: float
    settings: TunerSettings


class SceneStream:
    """A stream of cu8 samples of a scene whose tuning changes at given stream positions.

    Parameters
    ----------
    scene : Scene
        The scene.
    settings : TunerSettings
        Tuning from position 0.
    seed : int or None
        Noise/waveform seed (None: the scene's).
    t0_s : float
        Scene time of position 0.

    Notes
    -----
    Sample ``p`` of a segment starting at position ``P`` with scene time ``T`` and rate ``fs`` is
    sample ``round(T * fs) + (p - P)`` of a :class:`SceneRenderer` for the segment's settings, so
    scene time runs on across changes.  Changes may be scheduled ahead of the render position.
    """

    def __init__(self, scene: Any, settings: TunerSettings, *, seed: int | None = None, t0_s: float = 0.0):
        self.scene = scene
        self.seed = seed
        self._segments: list[_Segment] = [_Segment(0, float(t0_s), settings)]
        self._renderers: dict[TunerSettings, Any] = {}

    def schedule(self, pos: int, settings: TunerSettings) -> int:
        """Switch to ``settings`` from position ``pos`` on (not before the last scheduled change).

        Returns
        -------
        int
            The position the change was scheduled at.
        """
        last = self._segments[-1]
        pos = max(int(pos), last.pos)
        if pos == last.pos:
            self._segments[-1] = _Segment(last.pos, last.t0_s, settings)
        else:
            t0 = last.t0_s + (pos - last.pos) / last.settings.sample_rate_hz
            self._segments.append(_Segment(pos, t0, settings))
        return pos

    @property
    def last_settings(self) -> TunerSettings:
        """Settings of the latest scheduled change."""
        return self._segments[-1].settings

    def _index(self, pos: int) -> int:
        i = len(self._segments) - 1
        while i > 0 and self._segments[i].pos > pos:
            i -= 1
        return i

    def settings_at(self, pos: int) -> TunerSettings:
        """Settings in effect at position ``pos``."""
        return self._segments[self._index(pos)].settings

    def time_at(self, pos: int) -> float:
        """Scene time of position ``pos``."""
        seg = self._segments[self._index(pos)]
        return seg.t0_s + (pos - seg.pos) / seg.settings.sample_rate_hz

    def next_change_after(self, pos: int) -> int | None:
        """Position of the first scheduled change after ``pos``, if any."""
        for seg in self._segments:
            if seg.pos > pos:
                return seg.pos
        return None

    def prune(self, pos: int) -> None:
        """Forget segments that end at or before ``pos``."""
        while len(self._segments) > 1 and self._segments[1].pos <= pos:
            self._segments.pop(0)

    def _renderer(self, settings: TunerSettings) -> Any:
        r = self._renderers.get(settings)
        if r is None:
            from rfscan.sim import SceneRenderer

            scene = self.scene
            if settings.ppm_correction:
                dongle = dataclasses.replace(scene.dongle, ppm=scene.dongle.ppm - settings.ppm_correction)
                scene = dataclasses.replace(scene, dongle=dongle)
            r = SceneRenderer(
                scene,
                center_hz=settings.center_hz,
                sample_rate_hz=settings.sample_rate_hz,
                gain_db=settings.gain_db,
                seed=self.seed,
            )
            if len(self._renderers) >= 4:
                self._renderers.pop(next(iter(self._renderers)))
            self._renderers[settings] = r
        return r

    def render_cu8(self, pos: int, count: int) -> NDArray[np.uint8]:
        """Interleaved cu8 bytes (``2 * count``) of positions ``pos .. pos + count - 1``."""
        from rfscan.iq import from_complex64

        out = np.empty(2 * count, dtype=np.uint8)
        a = pos
        end = pos + count
        while a < end:
            i = self._index(a)
            seg = self._segments[i]
            b = end if i + 1 >= len(self._segments) else min(end, self._segments[i + 1].pos)
            s = seg.settings
            if s.test_mode:
                out[2 * (a - pos) : 2 * (b - pos)] = (np.arange(2 * a, 2 * b, dtype=np.int64) & 0xFF).astype(
                    np.uint8
                )
            else:
                first = round(seg.t0_s * s.sample_rate_hz) + (a - seg.pos)
                x = self._renderer(s).render(first, b - a)
                out[2 * (a - pos) : 2 * (b - pos)] = from_complex64(x, "cu8")
            a = b
        return out

    def render(self, pos: int, count: int) -> NDArray[np.complex64]:
        """Complex samples as the dongle delivers them (cu8-quantized, full scale +-1)."""
        from rfscan.iq import to_complex64

        return to_complex64(self.render_cu8(pos, count), "cu8")


def load_scene_for(name_or_path: Any, where: str) -> Any:
    """Load a scene (object, built-in name or file), turning scene errors into SourceError."""
    from rfscan.sim import Scene, load_scene

    if isinstance(name_or_path, Scene):
        return name_or_path
    try:
        return load_scene(str(name_or_path))
    except RfscanError as err:
        raise SourceError(f"{where}: {err}") from err


class SimSource(Source):
    """A simulated RTL-SDR receiving a scene (``sim://SCENE?seed=N&realtime=1``).

    Parameters
    ----------
    scene : Scene or str
        Scene object, built-in scene name or scene file path.
    url : str or None
        URL for messages (default ``sim://<scene name>``).
    seed : int or None
        Seed (None: the scene's).
    center_hz, sample_rate_hz, gain_db, ppm, settle_s
        See :class:`~rfscan.sources.base.Source`; defaults: the scene's centre and rate (2.4 MS/s
        if the scene's rate is not one a dongle can use), automatic gain (= the scene's gain).
    realtime : bool
        Pace reads at the sample rate (default False: as fast as rendering allows).
    pll_settle_s : float
        How long the simulated tuner keeps delivering the old tuning after a change.
    buffer_samples : int
        In real time, how far behind the caller may fall before samples are dropped.
    t0_s : float
        Scene time at open.
    """

    scheme = "sim"
    query_keys: ClassVar[dict[str, Callable[[str], Any]]] = {
        "seed": int,
        "realtime": parse_bool,
        "pll_settle_s": float,
        "t0_s": float,
    }

    def __init__(
        self,
        scene: Any,
        *,
        url: str | None = None,
        seed: int | None = None,
        center_hz: float | None = None,
        sample_rate_hz: float | None = None,
        gain_db: float | None = None,
        ppm: int = 0,
        settle_s: float | None = None,
        realtime: bool = False,
        pll_settle_s: float = HARDWARE_SETTLE_S,
        buffer_samples: int = DEFAULT_BUFFER_SAMPLES,
        t0_s: float = 0.0,
    ) -> None:
        where = url or f"sim://{scene if isinstance(scene, str) else getattr(scene, 'name', 'scene')}"
        self.scene = load_scene_for(scene, where)
        rate = sample_rate_hz
        if rate is None:
            fs = float(self.scene.sample_rate_hz)
            rate = fs if (225e3 < fs <= 300e3 or 900e3 < fs <= 3.2e6) else 2.4e6
        super().__init__(
            url or f"sim://{self.scene.name}",
            center_hz=float(self.scene.center_hz if center_hz is None else center_hz),
            sample_rate_hz=rate,
            gain_db=gain_db,
            ppm=ppm,
            settle_s=settle_s,
        )
        try:
            self._tuner = tuner_by_name(self.scene.dongle.tuner)
        except SourceError:
            self._tuner = tuner_by_name("R820T")
        self.seed = seed
        self.realtime = bool(realtime)
        if not (math.isfinite(pll_settle_s) and pll_settle_s >= 0):
            raise SourceError(f"{self.url}: pll_settle_s must be >= 0")
        self.pll_settle_s = float(pll_settle_s)
        self.buffer_samples = int(buffer_samples)
        self.t0_s = float(t0_s)
        self._stream: SceneStream | None = None
        self._settled_from = 0
        self._ref_t = 0.0
        self._ref_pos = 0
        assert self._center_hz is not None
        self.check_frequency(self._center_hz)

    @classmethod
    def from_url(cls, url: str, **kw: Any) -> SimSource:
        """``sim://NAME`` or ``sim:///path/scene.toml`` (query: seed, realtime, pll_settle_s, ...)."""
        rest = url.split("://", 1)[1]
        target = rest.split("?", 1)[0]
        if not target:
            raise SourceError(f"{url}: name a scene: sim://crane-cabinet or sim:///path/to/scene.toml")
        options = {**cls.parse_query(url), **kw}
        return cls(target, url=url, **options)

    def _settings(self) -> TunerSettings:
        assert self._center_hz is not None
        gain = float(self.scene.dongle.gain_db) if self._gain_db is None else self._gain_db
        return TunerSettings(self._center_hz, self._rate_hz, gain, self._ppm)

    def _info_extra(self) -> dict[str, Any]:
        return {"scene": self.scene.name, "seed": self.seed, "realtime": self.realtime}

    # -- hooks ----------------------------------------------------------------------------
    def _open(self) -> None:
        self._stream = SceneStream(self.scene, self._settings(), seed=self.seed, t0_s=self.t0_s)
        self._settled_from = 0
        self._ref_t = time.monotonic()
        self._ref_pos = 0

    def _close(self) -> None:
        self._stream = None

    def _change(self, settings: TunerSettings) -> None:
        """Schedule a change after the PLL transient and discard ``settle_s`` of samples."""
        assert self._stream is not None
        p = self._position
        pll = math.ceil(self.pll_settle_s * settings.sample_rate_hz)
        self._stream.schedule(p + pll, settings)
        self._settled_from = p + pll
        skip = math.ceil(self.settle_s * settings.sample_rate_hz)
        self._position += skip
        self._discarded += skip

    def _tune(self, freq_hz: float) -> None:
        self._change(dataclasses.replace(self._settings(), center_hz=freq_hz))

    def _set_sample_rate(self, rate_hz: float) -> None:
        # Pacing restarts at the new rate from the current position.
        self._ref_t = time.monotonic()
        self._ref_pos = self._position
        self._change(dataclasses.replace(self._settings(), sample_rate_hz=rate_hz))

    def _set_gain(self, gain_db: float | None) -> None:
        gain = float(self.scene.dongle.gain_db) if gain_db is None else gain_db
        self._change(dataclasses.replace(self._settings(), gain_db=gain))

    def _set_ppm(self, ppm: int) -> None:
        self._change(dataclasses.replace(self._settings(), ppm_correction=ppm))

    def _read(self, num_samples: int) -> SourceBlock:
        stream = self._stream
        assert stream is not None
        start = self._position
        rate = self._rate_hz
        if self.realtime:
            now = time.monotonic()
            live = self._ref_pos + (now - self._ref_t) * rate
            if live - start > self.buffer_samples:
                lost = int(live - start - self.buffer_samples)
                start += lost
                self._dropped += lost
            wake = self._ref_t + (start + num_samples - self._ref_pos) / rate
            if wake > now:
                time.sleep(wake - now)
            t_mono = self._ref_t + (start - self._ref_pos) / rate
        else:
            t_mono = self._mono0 + (stream.time_at(start) - self.t0_s)
        samples = stream.render(start, num_samples)
        stream.prune(start)
        self._position = start + num_samples
        return self._block(samples, start, t_mono, settled=start >= self._settled_from)
