"""Render a scene to complex samples as an RTL-SDR tuned to any centre/rate would see them.

Signal chain per block of output samples:

1. Every emitter whose band reaches into ``+-0.6 * rate`` of the tuned centre is evaluated at
   absolute times (so chunks join seamlessly) and mixed from its true RF frequency to baseband
   against the dongle's LO, which sits at ``center * (1 + ppm * 1e-6)``.
2. Emitters entirely inside ``+-0.42 * rate`` (the flat passband) are evaluated at the output
   rate.  Emitters reaching further are evaluated at twice the rate, pass the dongle's anti-alias
   response (127-tap Kaiser low-pass: flat to about +-0.46 * rate, -6 dB at +-rate/2, > 70 dB
   down beyond +-0.54 * rate) and are decimated by 2; so they roll off and partly alias near the
   band edges like on a real RTL2832U.
3. Complex white Gaussian noise at ``noise_dbfs`` (noise density fixed by the scene: total power
   ``noise_dbfs`` over the scene's ``sample_rate_hz``), drawn from generators seeded by
   (seed, absolute block of 65536 samples) so any chunking gives identical noise.
4. Gain relative to the scene's ``dongle.gain_db`` (scales signal and noise), IQ gain/phase
   imbalance ``y = mu x + nu conj(x)`` with ``mu = (1 + g e^{-j phi}) / 2``,
   ``nu = (1 - g e^{j phi}) / 2``, then the DC offset ``dc * e^{j pi/4}``.

Quantization is separate (:func:`quantize`): levels and clipping of the stored format, full scale
+-1.0 (cu8 0..255).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rfscan.errors import SceneError
from rfscan.sim.emitters import EmitterModel, make_model
from rfscan.sim.scene import Scene, nominal_bandwidth_hz

__all__ = ["SceneRenderer", "emitter_power_dbfs", "quantize"]

#: Output samples processed per internal block.
BLOCK = 1 << 17
#: Noise is drawn in absolute blocks of this many samples.
NOISE_BLOCK = 1 << 16
_NUM_TAPS = 127
#: Emitters entirely within +-_PASSBAND * rate skip the anti-alias stage (it is flat there).
_PASSBAND = 0.42


def emitter_power_dbfs(scene: Scene, index: int) -> float:
    """Mean power (dBFS, at the scene gain) of emitter ``index`` while it transmits."""
    e = scene.emitters[index]
    if e.power_dbfs is not None:
        return e.power_dbfs
    assert e.snr_db is not None
    density = 10.0 ** (scene.noise_dbfs / 10.0) / scene.sample_rate_hz
    return 10.0 * math.log10(density * nominal_bandwidth_hz(e, scene.sample_rate_hz)) + e.snr_db


@dataclass(frozen=True)
class _Active:
    model: EmitterModel
    amplitude: float
    offset_hz: float
    edge: bool


def _mix(
    env: NDArray[np.complex128], offset_hz: float, t: NDArray[np.float64], amp: float
) -> NDArray[np.complex64]:
    """``amp * env * exp(j 2 pi offset t)`` in complex64 (phase reduced in float64 first)."""
    cycles = np.mod(offset_hz * t, 1.0)
    ph = (2.0 * np.pi * cycles).astype(np.float32)
    rot = np.empty(t.size, dtype=np.complex64)
    parts = rot.view(np.float32)
    parts[0::2] = np.cos(ph)
    parts[1::2] = np.sin(ph)
    rot *= (amp * env).astype(np.complex64)
    return rot


def _antialias_taps() -> NDArray[np.float32]:
    from scipy.signal import firwin

    taps: NDArray[np.float32] = firwin(_NUM_TAPS, 0.5, window=("kaiser", 8.0)).astype(np.float32)
    return taps


class SceneRenderer:
    """Synthesize what a dongle tuned to ``center_hz`` at ``sample_rate_hz`` receives.

    Parameters
    ----------
    scene : Scene
        The scene.
    center_hz, sample_rate_hz, gain_db, seed : optional
        Tuning, rate, tuner gain and seed; default to the scene's values.  Emitter powers and the
        noise floor are defined at the scene's ``dongle.gain_db``; another ``gain_db`` scales both
        by the difference (so more gain means earlier clipping once quantized).  The noise
        density is the scene's (``noise_dbfs`` over the scene's rate), so at another rate the
        total noise power scales with the rate.

    Notes
    -----
    ``render(start, count)`` returns the samples ``start .. start + count - 1`` where sample ``n``
    is at absolute scene time ``n / sample_rate_hz``.  The result is deterministic for given
    (seed, tuning, start, count); waveforms and noise do not depend on the chunking (the
    anti-alias filtering may differ by float rounding only).
    """

    def __init__(
        self,
        scene: Scene,
        *,
        center_hz: float | None = None,
        sample_rate_hz: float | None = None,
        gain_db: float | None = None,
        seed: int | None = None,
    ) -> None:
        self.scene = scene
        self.center_hz = float(scene.center_hz if center_hz is None else center_hz)
        self.sample_rate_hz = float(scene.sample_rate_hz if sample_rate_hz is None else sample_rate_hz)
        if not (math.isfinite(self.sample_rate_hz) and self.sample_rate_hz > 0):
            raise SceneError(f"{scene.source}: sample rate must be positive, got {self.sample_rate_hz}")
        if not (math.isfinite(self.center_hz) and self.center_hz > 0):
            raise SceneError(f"{scene.source}: centre frequency must be positive, got {self.center_hz}")
        self.gain_db = float(scene.dongle.gain_db if gain_db is None else gain_db)
        self.seed = int(scene.seed if seed is None else seed)
        d = scene.dongle
        self.lo_hz = self.center_hz * (1.0 + d.ppm * 1e-6)
        density = 10.0 ** (scene.noise_dbfs / 10.0) / scene.sample_rate_hz
        self.noise_power = density * self.sample_rate_hz
        self.gain_scale = 10.0 ** ((self.gain_db - d.gain_db) / 20.0)
        g = 10.0 ** (d.iq_gain_imbalance_db / 20.0)
        phi = math.radians(d.iq_phase_deg)
        self.iq_mu = complex((1.0 + g * np.exp(-1j * phi)) / 2.0)
        self.iq_nu = complex((1.0 - g * np.exp(1j * phi)) / 2.0)
        self.dc = d.dc_offset * complex(np.exp(1j * np.pi / 4.0))
        self._taps = _antialias_taps()
        self.active: list[_Active] = []
        fs = self.sample_rate_hz
        for i, spec in enumerate(scene.emitters):
            model = make_model(spec, self.seed)
            model.capture_rate_hz = fs
            lo, hi = model.span_hz()
            if hi - self.lo_hz <= -0.6 * fs or lo - self.lo_hz >= 0.6 * fs:
                continue
            amp = math.sqrt(10.0 ** (emitter_power_dbfs(scene, i) / 10.0))
            edge = lo - self.lo_hz < -_PASSBAND * fs or hi - self.lo_hz > _PASSBAND * fs
            self.active.append(_Active(model, amp, model.ref_hz - self.lo_hz, edge))

    @property
    def emitters_in_band(self) -> list[str]:
        """Ids of the emitters this tuning renders."""
        return [a.model.spec.id for a in self.active]

    def render(self, start_sample: int, count: int) -> NDArray[np.complex64]:
        """Complex samples at the ADC (before quantization) for ``[start_sample, +count)``."""
        if start_sample < 0 or count < 0:
            raise ValueError("start_sample and count must be >= 0")
        out = np.empty(count, dtype=np.complex64)
        for b0 in range(start_sample, start_sample + count, BLOCK):
            n = min(BLOCK, start_sample + count - b0)
            y = self._signal(b0, n)
            y += self._noise(b0, n)
            y *= self.gain_scale
            out[b0 - start_sample : b0 - start_sample + n] = (
                self.iq_mu * y + self.iq_nu * np.conj(y) + self.dc
            )
        return out

    def render_raw(self, start_sample: int, count: int, datatype: str = "cu8") -> NDArray[np.generic]:
        """Samples as the dongle delivers them: interleaved I/Q of ``datatype`` (cu8 bytes 0..255).

        ``render_raw(...).tobytes()`` is what an rtl_tcp server streams.
        """
        from rfscan.iq.formats import from_complex64

        out: NDArray[np.generic] = from_complex64(self.render(start_sample, count), datatype)
        return out

    def render_clean(self, start_sample: int, count: int) -> NDArray[np.complex64]:
        """Only the emitters (no noise, no impairments except ppm); useful for tests and truth."""
        return self._signal(start_sample, count)

    def _signal(self, s: int, n: int) -> NDArray[np.complex64]:
        fs = self.sample_rate_hz
        out = np.zeros(n, dtype=np.complex64)
        inner = [a for a in self.active if not a.edge]
        edge = [a for a in self.active if a.edge]
        if inner:
            # Emitters inside the flat passband: evaluated directly at the output rate.
            self._accumulate(out, inner, s, n, fs, 0.5 * fs)
        if edge:
            # Emitters reaching the band edges: evaluated at twice the rate, then the dongle's
            # anti-alias low-pass and decimation by 2 (roll-off and partial aliasing).
            half = (_NUM_TAPS - 1) // 2
            x = np.zeros(2 * n + 2 * half, dtype=np.complex64)
            if self._accumulate(x, edge, 2 * s - half, x.size, 2.0 * fs, 0.95 * fs):
                from scipy.signal import oaconvolve

                y = oaconvolve(x, self._taps, mode="valid")[::2]
                out += y[:n].astype(np.complex64)
        return out

    def _accumulate(
        self,
        acc: NDArray[np.complex64],
        actives: list[_Active],
        n0: int,
        n: int,
        rate: float,
        half_band: float,
    ) -> bool:
        """Add the mixed envelopes of ``actives`` on the grid ``(n0 + i) / rate``; True if any."""
        t_from, t_to = n0 / rate, (n0 + n) / rate
        t: NDArray[np.float64] | None = None
        wrote = False
        for act in actives:
            if not act.model.bursts(t_from, t_to):
                continue
            if t is None:
                t = (np.arange(n, dtype=np.float64) + n0) / rate
            env = act.model.envelope(t, self.lo_hz, half_band, rate)
            nz = np.flatnonzero(env)
            if nz.size == 0:
                continue
            a, b = int(nz[0]), int(nz[-1]) + 1
            acc[a:b] += _mix(env[a:b], act.offset_hz, t[a:b], act.amplitude)
            wrote = True
        return wrote

    def _noise(self, s: int, n: int) -> NDArray[np.complex64]:
        out = np.empty(n, dtype=np.complex64)
        sigma = math.sqrt(self.noise_power / 2.0)
        for k in range(s // NOISE_BLOCK, (s + n - 1) // NOISE_BLOCK + 1):
            rng = np.random.default_rng([self.seed, 0x4E4F4953, k])
            z = rng.standard_normal(2 * NOISE_BLOCK, dtype=np.float32).view(np.complex64)
            a = max(s, k * NOISE_BLOCK)
            b = min(s + n, (k + 1) * NOISE_BLOCK)
            out[a - s : b - s] = z[a - k * NOISE_BLOCK : b - k * NOISE_BLOCK]
        out *= np.float32(sigma)
        return out


def quantize(samples: NDArray[np.complexfloating], datatype: str = "cu8") -> NDArray[np.complex64]:
    """Samples as stored in ``datatype`` and read back: integer levels, clipped at full scale.

    cu8 maps ``x`` to ``round(127.5 x + 127.5)`` clipped to 0..255 (read back as
    ``(v - 127.5) / 127.5``), the RTL-SDR convention; I and Q clip independently.
    """
    from rfscan.iq.formats import from_complex64, to_complex64

    return to_complex64(from_complex64(np.asarray(samples, dtype=np.complex64), datatype), datatype)
