"""Write a scene as a SigMF recording with its ground truth as annotations.

Layout of the output:

* one SigMF capture per scene capture (``[[capture]]``), played back to back at the scene's
  sample rate; each is rendered by a :class:`~rfscan.sim.render.SceneRenderer` at its own centre;
* ``global``: ``modemhunt:scene`` (the scene as a JSON object), ``modemhunt:seed``,
  ``modemhunt:impairments`` (ppm, DC offset, IQ imbalance, gain, tuner) and
  ``modemhunt:simulated`` = true; ``core:geolocation`` when the scene gives latitude/longitude;
* one annotation per transmitted burst visible in a capture, labelled ``truth <tech> <link>``,
  with true RF edges and ``modemhunt:truth`` = true, ``modemhunt:tech``, ``modemhunt:link``,
  ``modemhunt:emitter``, ``modemhunt:kind``, ``modemhunt:detail``, ``modemhunt:snr_db``,
  ``modemhunt:power_dbfs``, ``modemhunt:burst_count`` and ``modemhunt:ppm``.

Annotation budget: an emitter with at most :data:`MAX_BURST_ANNOTATIONS` bursts in a capture gets
one annotation per burst; above that its bursts are merged into one annotation per session (runs
separated by more than 50 ms), with ``modemhunt:burst_count`` giving how many bursts each holds
(``modemhunt:detail`` ends in ``session``).  Samples are rendered and written in chunks, so memory
does not grow with the duration.
"""

from __future__ import annotations

import math
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from rfscan.errors import SceneError
from rfscan.iq.formats import bytes_per_sample
from rfscan.sim.render import SceneRenderer
from rfscan.sim.scene import CaptureSpec, Scene, load_scene
from rfscan.sim.truth import TruthBurst, ground_truth, merge_sessions

__all__ = ["MAX_BURST_ANNOTATIONS", "SimulationResult", "simulate", "simulate_recording"]

#: Per emitter and capture, bursts annotated one by one up to this count (then per session).
MAX_BURST_ANNOTATIONS = 200
_CHUNK = 1 << 18


@dataclass(frozen=True)
class SimulationResult:
    """What :func:`simulate_recording` wrote."""

    meta_path: Path
    num_samples: int
    sample_rate_hz: float
    datatype: str
    captures: tuple[tuple[int, float, str], ...]
    truth: tuple[TruthBurst, ...]
    burst_counts: dict[str, int] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        """Length of the recording (s)."""
        return self.num_samples / self.sample_rate_hz


def _plan(scene: Scene, duration_s: float | None) -> list[CaptureSpec]:
    plan = list(scene.capture_plan)
    if duration_s is None:
        return plan
    if not (math.isfinite(duration_s) and duration_s > 0):
        raise SceneError(f"{scene.source}: duration must be a positive number of seconds, got {duration_s}")
    if not scene.captures:
        return [replace(plan[0], duration_s=duration_s)]
    out: list[CaptureSpec] = []
    left = duration_s
    for c in plan:
        if left <= 0:
            break
        out.append(replace(c, duration_s=min(c.duration_s, left)))
        left -= c.duration_s
    if left > 1e-12:
        out[-1] = replace(out[-1], duration_s=out[-1].duration_s + left)
    return out


#: Free space left on the output's file system after a simulation (never fill the disk).
_DISK_MARGIN_BYTES = 512 * 1024 * 1024


def _check_room(out_base: str | os.PathLike[str], data_bytes: float) -> None:
    """Refuse a recording that would not fit on its file system (with a margin)."""
    folder = Path(out_base).parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    if data_bytes + _DISK_MARGIN_BYTES > free:
        raise SceneError(
            f"{out_base}: the recording needs {data_bytes / 1e9:.2f} GB but {folder} has "
            f"{free / 1e9:.2f} GB free (keeping {_DISK_MARGIN_BYTES / 1e9:.1f} GB): shorten --duration"
        )


def simulate_recording(
    scene: Scene | str | os.PathLike[str],
    out_base: str | os.PathLike[str],
    *,
    duration_s: float | None = None,
    seed: int | None = None,
    datatype: str | None = None,
) -> SimulationResult:
    """Render ``scene`` into ``<out_base>.sigmf-data/-meta``; see the module docstring.

    Parameters
    ----------
    scene : Scene, built-in name or path
        The scene.
    out_base : path
        Output base name.
    duration_s : float, optional
        Total length (default: the scene's); with several captures, the plan is cut (or the last
        capture extended) to this length.
    seed : int, optional
        Overrides the scene seed (same seed -> bit-identical file).
    datatype : str, optional
        cu8 (default from the scene's dongle), ci8, ci16_le or cf32_le.

    Raises
    ------
    SceneError
        Bad scene or arguments.
    """
    from rfscan.iq import Annotation, Capture, SigMFWriter

    sc = scene if isinstance(scene, Scene) else load_scene(scene)
    use_seed = sc.seed if seed is None else int(seed)
    dt = datatype or sc.dongle.datatype
    if dt not in ("cu8", "ci8", "ci16_le", "cf32_le"):
        raise SceneError(f"datatype must be cu8, ci8, ci16_le or cf32_le, got {dt!r}")
    fs = sc.sample_rate_hz
    plan = _plan(sc, duration_s)
    _check_room(out_base, sum(c.duration_s for c in plan) * fs * bytes_per_sample(dt))
    d = sc.dongle
    extra: dict[str, object] = {
        "core:hw": f"simulated RTL-SDR ({d.tuner})",
        "modemhunt:simulated": True,
        "modemhunt:scene": sc.to_dict(),
        "modemhunt:seed": use_seed,
        "modemhunt:impairments": {
            "tuner": d.tuner,
            "ppm": d.ppm,
            "dc_offset": d.dc_offset,
            "iq_gain_imbalance_db": d.iq_gain_imbalance_db,
            "iq_phase_deg": d.iq_phase_deg,
            "gain_db": d.gain_db,
            "noise_dbfs": sc.noise_dbfs,
        },
    }
    if sc.region:
        extra["modemhunt:region"] = sc.region
    if sc.latitude is not None and sc.longitude is not None:
        extra["core:geolocation"] = {"type": "Point", "coordinates": [sc.longitude, sc.latitude]}
    bounds = [0]
    acc = 0.0
    for c in plan:
        acc += c.duration_s
        bounds.append(round(acc * fs))
    truth_all: list[TruthBurst] = []
    captures: list[tuple[int, float, str]] = []
    with SigMFWriter(
        out_base, sample_rate_hz=fs, datatype=dt, global_extra=extra, description=sc.description or sc.name
    ) as writer:
        for k, c in enumerate(plan):
            n0, n1 = bounds[k], bounds[k + 1]
            if n1 <= n0:
                continue
            writer.add_capture(Capture(n0, c.center_hz))
            captures.append((n0, c.center_hz, c.label))
            renderer = SceneRenderer(sc, center_hz=c.center_hz, seed=use_seed)
            for s in range(n0, n1, _CHUNK):
                writer.write(renderer.render(s, min(_CHUNK, n1 - s)))
            t0, t1 = n0 / fs, n1 / fs
            raw = ground_truth(sc, center_hz=c.center_hz, sample_rate_hz=fs, t_from=t0, t_to=t1)
            for b in merge_sessions(raw, max_bursts=MAX_BURST_ANNOTATIONS):
                a = max(n0, round(b.start_s * fs))
                e = min(n1, round(b.end_s * fs))
                if e <= a:
                    continue
                truth_all.append(b)
                writer.add_annotation(
                    Annotation(
                        a,
                        e - a,
                        b.freq_lower_hz,
                        b.freq_upper_hz,
                        f"truth {b.tech} {b.link}",
                        f"{b.label}: {b.detail}",
                        extra={
                            "modemhunt:truth": True,
                            "modemhunt:tech": b.tech,
                            "modemhunt:link": b.link,
                            "modemhunt:emitter": b.emitter,
                            "modemhunt:kind": b.kind,
                            "modemhunt:detail": b.detail,
                            "modemhunt:snr_db": round(b.snr_db, 2),
                            "modemhunt:power_dbfs": round(b.power_dbfs, 2),
                            "modemhunt:burst_count": b.burst_count,
                            "modemhunt:ppm": d.ppm,
                        },
                    )
                )
        num = writer.num_samples
    meta = writer.close()
    counts: Counter[str] = Counter()
    for b in truth_all:
        counts[b.emitter] += b.burst_count
    return SimulationResult(
        meta_path=meta,
        num_samples=num,
        sample_rate_hz=fs,
        datatype=dt,
        captures=tuple(captures),
        truth=tuple(truth_all),
        burst_counts=dict(counts),
    )


def simulate(
    scene: Scene | str | os.PathLike[str],
    out_base: str | os.PathLike[str],
    *,
    duration_s: float | None = None,
    seed: int | None = None,
    datatype: str | None = None,
) -> Path:
    """Write the SigMF recording of ``scene``; returns the ``.sigmf-meta`` path.

    See :func:`simulate_recording` (which also returns a summary).
    """
    return simulate_recording(scene, out_base, duration_s=duration_s, seed=seed, datatype=datatype).meta_path
