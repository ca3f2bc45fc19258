"""Scene description: the data model of the RF scene simulator and its validation.

A scene is data: a TOML file (or JSON, or a plain dict) with a ``[scene]`` table, an optional
``[dongle]`` table of RTL-SDR impairments, optional ``[[capture]]`` tunings played back to back, and
``[[emitter]]`` tables.  Every problem is reported as one :class:`~rfscan.errors.SceneError` line
naming the source and the offending key, e.g. ``crane.toml: emitter[2].n_rb: must be 1..100``.

Schema (units in the key names; ``?`` marks optional keys)::

    [scene]
    name = "crane-cabinet"          # required
    description? = "..."
    seed? = 1                       # int, default 0
    duration_s = 2.0                # total length (sum of the captures when captures are given)
    center_hz = 847e6               # default tuning (first capture when captures are given)
    sample_rate_hz? = 2.4e6
    noise_dbfs? = -45.0             # total noise power over sample_rate_hz at the ADC
    region? = "eu"                  # hint only
    latitude?/longitude? = ...      # written as core:geolocation when both given

    [dongle]                        # all optional
    tuner = "R820T"; ppm = 0.0; dc_offset = 0.0; iq_gain_imbalance_db = 0.0; iq_phase_deg = 0.0
    gain_db = 30.0; datatype = "cu8"

    [[capture]]                     # optional: successive tunings of one recording
    center_hz = 847e6; duration_s = 1.0; label? = "B20 uplink"

    [[emitter]]
    kind = "gsm_uplink"             # see the table below
    id? = "gsm-modem"; label? = "..."
    freq_hz = 897.4e6               # true RF centre (carrier centre for LTE carriers)
    power_dbfs = -30 | snr_db = 15  # exactly one
    start_s? = 0.0                  # first transmission (session, burst or packet)
    duration_s = 0.5                # session length (required for session kinds)
    count? = 1; period_s? = ...     # repeat the session/burst count times every period_s
    times_s? = [0.1, 0.7]           # or: explicit start times (overrides start_s/count/period_s)

Kinds and their own keys (tech and link of each kind: :data:`EMITTER_KINDS`):

=============  ==================  ==========================================================
kind           what                keys
=============  ==================  ==========================================================
gsm_uplink     GSM normal bursts   ``timeslots`` (0..7, list; multislot), ``idle_frames``
               (session)           (skip frame 25 of each 26-multiframe, default true);
                                   bursts sit on the absolute TDMA grid (frame 0 at t = 0)
gsm_rach       GSM access burst    88 bits (~325 us) at each start time
gsm_downlink   BCCH carrier        continuous GMSK, always on (start_s 0 and no duration),
                                   FCCH tone bursts in TS0 of frames 0/10/20/30/40 of 51
lte_pusch      PUSCH (session)     ``bandwidth_mhz`` (carrier: 1.4/3/5/10/15/20), ``rb_start``,
                                   ``n_rb``, ``subframe_period`` (every n-th 1 ms subframe of
                                   the session) or ``subframes`` (list of subframe numbers
                                   counted from the session's first subframe)
lte_pucch      PUCCH (session)     ``bandwidth_mhz``, ``subframe_period``/``subframes``; RB 0
                                   in slot 0, the top RB in slot 1
lte_prach      PRACH format 0      ``root`` (Zadoff-Chu root 1..838); ``freq_hz`` is its centre
lte_downlink   LTE carrier         ``bandwidth_mhz``, ``pci`` (0..503); continuous OFDM, DC
                                   subcarrier unused, PSS/SSS every 5 ms
nbiot          NB-IoT NPUSCH       ``tones`` (1/3/6/12), ``spacing_hz`` (15000 or 3750),
               (session)           ``tone_offset``; ``freq_hz`` is the 180 kHz PRB centre
nprach         NB-IoT random       ``repetitions`` (1, 2, 4 ... 128) x 4 symbol groups of one
               access preamble     3.75 kHz subcarrier hopping in 45 kHz centred on ``freq_hz``;
                                   ``preamble_format`` (0: 1.4 ms groups, 1: 1.6 ms),
                                   ``tone_offset`` (0..11, the first group's subcarrier)
ltem           LTE-M PUSCH         like lte_pusch inside one 1.4 MHz narrowband centred on
               (session)           ``freq_hz`` (``n_rb`` <= 6); ``repetitions`` (1..2048, default
                                   1): each transmission starting at a selected subframe lasts
                                   that many consecutive subframes (CE mode A <= 32, B <= 2048);
                                   ``hop_interval_ms`` (0 = no hopping, default; else 1..16):
                                   subframes alternate between the narrowband and a second one
                                   ``hop_narrowbands`` (default 1, non-zero) x 1.08 MHz away,
                                   every ``hop_interval_ms`` absolute subframes, with a 2-symbol
                                   retuning gap (last symbol before, first after) at each hop
cw             spur                continuous unmodulated carrier; ``on_s`` and ``off_s`` (each a
                                   ``[min, max]`` range, s) switch it on and off at random
                                   (seeded) lengths: a spur fading in and out, an intermittent
                                   interferer
impulse        impulsive noise     broadband clicks (switching edges of a motor drive, a relay
                                   or contactor arcing): ``rate_hz`` clicks per second,
                                   ``periodic`` (true: a PWM-like train with ``jitter_s`` rms
                                   timing jitter; false: random, Poisson), ``click_s`` (length
                                   of each click, white noise; default 1 us); ``on_s``/``off_s``
                                   as for cw (trains of clicks); ``power_dbfs`` is the power
                                   during a click, ``snr_db`` over the noise in the capture
lora           LoRa packet         ``sf`` (6..12), ``bw_hz``, ``payload_symbols``; 8 up-chirps,
                                   2 sync symbols, 2.25 down-chirps, payload
=============  ==================  ==========================================================

Continuous kinds with ``start_s = 0`` are on for all times (no switch-on transient).

Power convention: ``power_dbfs`` is the emitter's mean power while transmitting, over its whole
bandwidth, at the ADC at the scene gain (0 dBFS = a full-scale complex sinusoid).  ``snr_db`` is
that power over the noise power in the emitter's nominal bandwidth (:func:`nominal_bandwidth_hz`).
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from rfscan.errors import SceneError

__all__ = [
    "EMITTER_KINDS",
    "LTE_BANDWIDTHS_MHZ",
    "CaptureSpec",
    "DongleSpec",
    "EmitterSpec",
    "Scene",
    "builtin_scenes",
    "load_scene",
    "nominal_bandwidth_hz",
]

#: Emitter kinds -> (tech, link).
EMITTER_KINDS: dict[str, tuple[str, str]] = {
    "gsm_uplink": ("gsm", "uplink"),
    "gsm_rach": ("gsm", "uplink"),
    "gsm_downlink": ("gsm", "downlink"),
    "lte_pusch": ("lte", "uplink"),
    "lte_pucch": ("lte", "uplink"),
    "lte_prach": ("lte", "uplink"),
    "lte_downlink": ("lte", "downlink"),
    "nbiot": ("nb-iot", "uplink"),
    "nprach": ("nb-iot", "uplink"),
    "ltem": ("lte-m", "uplink"),
    "cw": ("cw", "spur"),
    "impulse": ("impulse", "noise"),
    "lora": ("lora", "ism"),
}

#: LTE channel bandwidth (MHz) -> number of resource blocks (TS 36.101 Table 5.6-1).
LTE_BANDWIDTHS_MHZ: dict[float, int] = {1.4: 6, 3.0: 15, 5.0: 25, 10.0: 50, 15.0: 75, 20.0: 100}

#: Kinds transmitted continuously (always on unless duration_s is given).
CONTINUOUS_KINDS = frozenset({"gsm_downlink", "lte_downlink", "cw", "impulse"})
#: Kinds made of one short burst (repeated ``count`` times every ``period_s``).
SINGLE_SHOT_KINDS = frozenset({"gsm_rach", "lte_prach", "nprach", "lora"})

_COMMON_KEYS = frozenset(
    {"kind", "id", "label", "freq_hz", "power_dbfs", "snr_db"}
    | {"start_s", "duration_s", "count", "period_s", "times_s"}
)
_LTE_UL_KEYS = frozenset({"bandwidth_mhz", "subframe_period", "subframes"})
#: Kind-specific keys (besides the common ones).
_KIND_KEYS: dict[str, frozenset[str]] = {
    "gsm_uplink": frozenset({"timeslots", "idle_frames"}),
    "gsm_rach": frozenset({"timeslots", "idle_frames"}),
    "gsm_downlink": frozenset({"timeslots", "idle_frames"}),
    "lte_pusch": _LTE_UL_KEYS | {"rb_start", "n_rb"},
    "ltem": _LTE_UL_KEYS | {"rb_start", "n_rb", "repetitions", "hop_interval_ms", "hop_narrowbands"},
    "lte_pucch": _LTE_UL_KEYS,
    "lte_downlink": frozenset({"bandwidth_mhz", "pci"}),
    "lte_prach": frozenset({"root"}),
    "nbiot": frozenset({"tones", "tone_offset", "spacing_hz"}),
    "nprach": frozenset({"repetitions", "tone_offset", "preamble_format"}),
    "lora": frozenset({"sf", "bw_hz", "payload_symbols"}),
    "cw": frozenset({"on_s", "off_s"}),
    "impulse": frozenset({"on_s", "off_s", "rate_hz", "periodic", "jitter_s", "click_s"}),
}

#: Bandwidth used to turn ``snr_db`` into a power for a CW spur.
CW_NOMINAL_BANDWIDTH_HZ = 1000.0

_DATATYPES = ("cu8", "ci8", "ci16_le", "cf32_le")


@dataclass(frozen=True)
class DongleSpec:
    """RTL-SDR impairments and settings.

    ``ppm`` > 0 means the dongle's crystal runs fast: its LO sits at ``f * (1 + ppm * 1e-6)`` so every
    signal appears ``ppm * 1e-6 * f_tuned`` lower (``rtl_sdr -p ppm`` would correct it).
    ``dc_offset`` is the magnitude (fraction of full scale) of the constant added at the ADC.
    """

    tuner: str = "R820T"
    ppm: float = 0.0
    dc_offset: float = 0.0
    iq_gain_imbalance_db: float = 0.0
    iq_phase_deg: float = 0.0
    gain_db: float = 30.0
    datatype: str = "cu8"


@dataclass(frozen=True)
class CaptureSpec:
    """One tuning of a multi-capture recording (played back to back in list order)."""

    center_hz: float
    duration_s: float
    label: str = ""


@dataclass(frozen=True)
class EmitterSpec:
    """One transmitter of the scene; see the module docstring for the keys."""

    kind: str
    id: str
    freq_hz: float
    label: str = ""
    power_dbfs: float | None = None
    snr_db: float | None = None
    start_s: float = 0.0
    duration_s: float | None = None
    count: int = 1
    period_s: float | None = None
    times_s: tuple[float, ...] = ()
    # GSM
    timeslots: tuple[int, ...] = (2,)
    idle_frames: bool = True
    # LTE / LTE-M
    bandwidth_mhz: float = 10.0
    rb_start: int = 0
    n_rb: int = 6
    subframe_period: int = 1
    subframes: tuple[int, ...] = ()
    repetitions: int = 1
    hop_interval_ms: int = 0
    hop_narrowbands: int = 1
    root: int = 129
    pci: int = 0
    # NB-IoT
    tones: int = 1
    tone_offset: int = 0
    spacing_hz: float = 15000.0
    preamble_format: int = 0
    # LoRa
    sf: int = 7
    bw_hz: float = 125000.0
    payload_symbols: int = 20
    # CW / impulse: random on/off lengths ([min, max] s; None: on throughout)
    on_s: tuple[float, float] | None = None
    off_s: tuple[float, float] | None = None
    # impulse
    rate_hz: float = 4000.0
    periodic: bool = True
    jitter_s: float = 2e-6
    click_s: float = 1e-6

    @property
    def tech(self) -> str:
        """Technology name (gsm, lte, nb-iot, lte-m, cw, lora, impulse)."""
        return EMITTER_KINDS[self.kind][0]

    @property
    def link(self) -> str:
        """uplink, downlink, spur, ism or noise."""
        return EMITTER_KINDS[self.kind][1]

    @property
    def shape_twins(self) -> tuple[str, ...]:
        """Other technologies (names as :attr:`tech`) whose transmissions have this one's waveform and
        length, so that no measurement of the spectrum tells them apart.

        A one-PRB LTE-M transmission that does not hop and a 12-tone NB-IoT NPUSCH transmission are
        both 12 subcarriers of 15 kHz SC-FDMA (180 kHz) lasting whole 1 ms subframes (TS 36.211 5.3
        and 5.6 for the PUSCH, 10.1.2.3 for NB-IoT resource units).  Their lengths differ in what the
        standards allow: LTE-M repeats 1, 2, 4 ... 32 subframes in CE mode A (TS 36.213 8.0), every
        one of them an NB-IoT length (N_RU units times N_rep repetitions, TS 36.213 16.5.1.1); NB-IoT
        can also last 3, 5, 6, 10 ... ms, which only it does.  So every such LTE-M train has an NB-IoT
        twin, and a 12-tone NB-IoT transmission has an LTE-M twin when it lasts a power of two of ms
        up to 32.  Scoring code credits naming either one when the other is given as an alternative.
        """
        if self.kind == "ltem" and self.n_rb == 1 and self.hop_interval_ms <= 0:
            return ("nb-iot",)
        if self.kind == "nbiot" and self.tones == 12 and self.duration_s is not None:
            ms = self.duration_s * 1e3
            if any(abs(ms - 2**k) < 1e-6 for k in range(6)):  # a loop over six lengths
                return ("lte-m",)
        return ()


@dataclass(frozen=True)
class Scene:
    """A complete scene: tuning defaults, noise, dongle impairments, captures and emitters."""

    name: str
    center_hz: float
    duration_s: float
    description: str = ""
    seed: int = 0
    sample_rate_hz: float = 2.4e6
    noise_dbfs: float = -45.0
    region: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    dongle: DongleSpec = field(default_factory=DongleSpec)
    captures: tuple[CaptureSpec, ...] = ()
    emitters: tuple[EmitterSpec, ...] = ()
    source: str = "<dict>"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> Scene:
        """Build and validate a scene from a dict shaped like the TOML file.

        Raises
        ------
        SceneError
            One line naming ``source`` and the offending key.
        """
        return _parse_scene(data, source)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (round-trips through :meth:`from_dict`); None values are dropped."""
        scene: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "seed": self.seed,
            "duration_s": self.duration_s,
            "center_hz": self.center_hz,
            "sample_rate_hz": self.sample_rate_hz,
            "noise_dbfs": self.noise_dbfs,
        }
        for key in ("region", "latitude", "longitude"):
            if getattr(self, key) is not None:
                scene[key] = getattr(self, key)
        out: dict[str, Any] = {"scene": scene, "dongle": asdict(self.dongle)}
        if self.captures:
            out["capture"] = [asdict(c) for c in self.captures]
        emitters = []
        for e in self.emitters:
            keys = _COMMON_KEYS | _KIND_KEYS.get(e.kind, frozenset())
            d = {
                k: (list(v) if isinstance(v, tuple) else v)
                for k, v in asdict(e).items()
                if v is not None and k in keys
            }
            emitters.append(d)
        out["emitter"] = emitters
        return out

    def to_json(self) -> str:
        """Compact JSON of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @property
    def capture_plan(self) -> tuple[CaptureSpec, ...]:
        """The captures of a recording of this scene (one at ``center_hz`` when none are listed)."""
        if self.captures:
            return self.captures
        return (CaptureSpec(self.center_hz, self.duration_s, self.name),)


def nominal_bandwidth_hz(e: EmitterSpec, sample_rate_hz: float = 2.4e6) -> float:
    """Bandwidth in which ``snr_db`` is defined (and the truth frequency span width).

    GSM: 200 kHz channel; PUSCH/LTE-M: n_RB x 180 kHz; PUCCH: 180 kHz; PRACH: 839 x 1.25 kHz;
    LTE downlink: n_RB x 180 kHz + the DC subcarrier; NB-IoT: tones x spacing (NPRACH: its one
    3.75 kHz subcarrier at a time; its truth span is its 45 kHz); LoRa: bw_hz;
    CW: 1 kHz; impulsive noise: white over any capture, so the sample rate it is rendered at
    (``sample_rate_hz``, default 2.4 MHz).
    """
    if e.tech == "gsm":
        return 200e3
    if e.kind in ("lte_pusch", "ltem"):
        return e.n_rb * 180e3
    if e.kind == "lte_pucch":
        return 180e3
    if e.kind == "lte_prach":
        return 839 * 1250.0
    if e.kind == "lte_downlink":
        return LTE_BANDWIDTHS_MHZ[e.bandwidth_mhz] * 180e3 + 15e3
    if e.kind == "nbiot":
        return e.tones * e.spacing_hz
    if e.kind == "nprach":
        return 3750.0
    if e.kind == "lora":
        return e.bw_hz
    if e.kind == "impulse":
        return sample_rate_hz
    return CW_NOMINAL_BANDWIDTH_HZ


# --------------------------------------------------------------------------------------------------
# parsing


class _Reader:
    """Typed access to one table with error messages naming source and key path."""

    def __init__(self, data: Mapping[str, Any], source: str, path: str) -> None:
        if not isinstance(data, Mapping):
            raise SceneError(f"{source}: {path}: must be a table, got {type(data).__name__}")
        self.data = data
        self.source = source
        self.path = path
        self.used: set[str] = set()

    def fail(self, key: str, msg: str) -> SceneError:
        return SceneError(f"{self.source}: {self.path}.{key}: {msg}")

    def has(self, key: str) -> bool:
        return key in self.data

    def number(
        self,
        key: str,
        default: float | None = None,
        *,
        lo: float | None = None,
        hi: float | None = None,
        required: bool = False,
        lo_open: bool = False,
    ) -> float | None:
        self.used.add(key)
        if key not in self.data or self.data[key] is None:
            if required:
                raise self.fail(key, "is required")
            return default
        v = self.data[key]
        if isinstance(v, bool) or not isinstance(v, int | float):
            if isinstance(v, str):
                try:
                    v = float(v)
                except ValueError:
                    raise self.fail(key, f"must be a number, got {v!r}") from None
            else:
                raise self.fail(key, f"must be a number, got {type(v).__name__}")
        v = float(v)
        if not math.isfinite(v):
            raise self.fail(key, "must be finite")
        if lo is not None and (v < lo or (lo_open and v == lo)):
            raise self.fail(key, f"must be {'>' if lo_open else '>='} {lo:g}, got {v:g}")
        if hi is not None and v > hi:
            raise self.fail(key, f"must be <= {hi:g}, got {v:g}")
        return v

    def req(self, key: str, **kw: Any) -> float:
        v = self.number(key, required=True, **kw)
        assert v is not None
        return v

    def opt(self, key: str, default: float, **kw: Any) -> float:
        v = self.number(key, default, **kw)
        assert v is not None
        return v

    def integer(self, key: str, default: int, *, lo: int | None = None, hi: int | None = None) -> int:
        self.used.add(key)
        v = self.data.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            else:
                raise self.fail(key, f"must be an integer, got {v!r}")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise self.fail(key, f"must be in {lo}..{hi}, got {v}")
        return int(v)

    def ints(self, key: str, default: tuple[int, ...], *, lo: int, hi: int) -> tuple[int, ...]:
        self.used.add(key)
        v = self.data.get(key, default)
        if isinstance(v, int) and not isinstance(v, bool):
            v = [v]
        if not isinstance(v, Sequence) or isinstance(v, str):
            raise self.fail(key, f"must be a list of integers, got {v!r}")
        out = []
        for x in v:
            if isinstance(x, bool) or not isinstance(x, int) or not lo <= x <= hi:
                raise self.fail(key, f"must be a list of integers in {lo}..{hi}, got {v!r}")
            out.append(int(x))
        return tuple(out)

    def floats(self, key: str) -> tuple[float, ...]:
        self.used.add(key)
        v = self.data.get(key, ())
        if not isinstance(v, Sequence) or isinstance(v, str):
            raise self.fail(key, f"must be a list of times in seconds, got {v!r}")
        out = []
        for x in v:
            if isinstance(x, bool) or not isinstance(x, int | float) or not (math.isfinite(x) and x >= 0):
                raise self.fail(key, f"must be a list of times >= 0 s, got {v!r}")
            out.append(float(x))
        return tuple(sorted(out))

    def string(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        self.used.add(key)
        if key not in self.data or self.data[key] is None:
            if required:
                raise self.fail(key, "is required")
            return default
        v = self.data[key]
        if not isinstance(v, str):
            raise self.fail(key, f"must be a string, got {type(v).__name__}")
        return v

    def boolean(self, key: str, default: bool) -> bool:
        self.used.add(key)
        v = self.data.get(key, default)
        if not isinstance(v, bool):
            raise self.fail(key, f"must be true or false, got {v!r}")
        return v

    def check_unknown(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.fail(unknown[0], "unknown key (check the spelling; see rfscan.sim.scene docs)")


def _parse_dongle(data: Mapping[str, Any], source: str) -> DongleSpec:
    r = _Reader(data, source, "dongle")
    datatype = r.string("datatype", "cu8") or "cu8"
    if datatype not in _DATATYPES:
        raise r.fail("datatype", f"must be one of {', '.join(_DATATYPES)}, got {datatype!r}")
    d = DongleSpec(
        tuner=r.string("tuner", "R820T") or "R820T",
        ppm=r.opt("ppm", 0.0, lo=-500.0, hi=500.0),
        dc_offset=r.opt("dc_offset", 0.0, lo=0.0, hi=1.0),
        iq_gain_imbalance_db=r.opt("iq_gain_imbalance_db", 0.0, lo=-6.0, hi=6.0),
        iq_phase_deg=r.opt("iq_phase_deg", 0.0, lo=-30.0, hi=30.0),
        gain_db=r.opt("gain_db", 30.0, lo=-10.0, hi=60.0),
        datatype=datatype,
    )
    r.check_unknown()
    return d


def _parse_emitter(data: Mapping[str, Any], source: str, index: int) -> EmitterSpec:
    r = _Reader(data, source, f"emitter[{index}]")
    kind = r.string("kind", None)
    if kind is None:
        raise r.fail("kind", f"is required: one of {', '.join(EMITTER_KINDS)}")
    if kind not in EMITTER_KINDS:
        raise r.fail("kind", f"unknown kind {kind!r}; one of {', '.join(EMITTER_KINDS)}")
    ident = r.string("id", f"{kind}-{index}") or f"{kind}-{index}"
    power = r.number("power_dbfs", None, lo=-200.0, hi=20.0)
    snr = r.number("snr_db", None, lo=-50.0, hi=100.0)
    if (power is None) == (snr is None):
        raise r.fail("power_dbfs", "give exactly one of power_dbfs or snr_db")
    kw: dict[str, Any] = {
        "kind": kind,
        "id": ident,
        "label": r.string("label", "") or "",
        "freq_hz": r.req("freq_hz", lo=1e6, hi=7e9),
        "power_dbfs": power,
        "snr_db": snr,
        "start_s": r.opt("start_s", 0.0, lo=0.0),
        "count": r.integer("count", 1, lo=1, hi=1_000_000),
    }
    dur = r.number("duration_s", None, lo=0.0, lo_open=True)
    if kind not in CONTINUOUS_KINDS and kind not in SINGLE_SHOT_KINDS and dur is None:
        raise r.fail("duration_s", f"is required for kind {kind} (length of each transmission session)")
    kw["duration_s"] = dur
    kw["period_s"] = r.number("period_s", None, lo=0.0, lo_open=True)
    kw["times_s"] = r.floats("times_s")
    if kw["count"] > 1 and kw["period_s"] is None:
        raise r.fail("period_s", "is required when count > 1")
    if kind.startswith("gsm"):
        kw["timeslots"] = r.ints("timeslots", (2,), lo=0, hi=7)
        if not kw["timeslots"]:
            raise r.fail("timeslots", "needs at least one timeslot 0..7")
        kw["idle_frames"] = r.boolean("idle_frames", True)
    if kind in ("lte_pusch", "lte_pucch", "lte_downlink", "ltem"):
        bw = r.opt("bandwidth_mhz", 1.4 if kind == "ltem" else 10.0)
        if bw not in LTE_BANDWIDTHS_MHZ:
            raise r.fail("bandwidth_mhz", f"must be one of 1.4, 3, 5, 10, 15, 20, got {bw:g}")
        if kind == "ltem" and bw != 1.4:
            raise r.fail("bandwidth_mhz", "LTE-M uses a 1.4 MHz narrowband (6 RBs)")
        kw["bandwidth_mhz"] = bw
        n_total = LTE_BANDWIDTHS_MHZ[bw]
        if kind in ("lte_pusch", "ltem"):
            kw["n_rb"] = r.integer("n_rb", min(6, n_total), lo=1, hi=n_total)
            kw["rb_start"] = r.integer("rb_start", 0, lo=0, hi=n_total - 1)
            if kw["rb_start"] + kw["n_rb"] > n_total:
                raise r.fail("n_rb", f"rb_start + n_rb exceeds the {n_total} RBs of a {bw:g} MHz carrier")
        if kind != "lte_downlink":
            kw["subframe_period"] = r.integer("subframe_period", 1, lo=1, hi=10240)
            kw["subframes"] = r.ints("subframes", (), lo=0, hi=10_000_000)
        if kind == "ltem":
            # Rel-13 eMTC PUSCH repetitions: CE mode A up to 32, mode B up to 2048 (TS 36.213 8.0).
            kw["repetitions"] = r.integer("repetitions", 1, lo=1, hi=2048)
            kw["hop_interval_ms"] = r.integer("hop_interval_ms", 0, lo=0, hi=16)
            kw["hop_narrowbands"] = r.integer("hop_narrowbands", 1, lo=-16, hi=16)
            if kw["hop_narrowbands"] == 0:
                raise r.fail("hop_narrowbands", "must be a non-zero number of narrowbands (1.08 MHz each)")
    if kind == "lte_downlink":
        kw["pci"] = r.integer("pci", 0, lo=0, hi=503)
    if kind == "lte_prach":
        kw["root"] = r.integer("root", 129, lo=1, hi=838)
    if kind == "nbiot":
        spacing = r.opt("spacing_hz", 15000.0)
        if spacing not in (3750.0, 15000.0):
            raise r.fail("spacing_hz", f"must be 3750 or 15000, got {spacing:g}")
        max_tones = 48 if spacing == 3750.0 else 12
        tones = r.integer("tones", 1, lo=1, hi=12)
        if tones not in (1, 3, 6, 12) or (spacing == 3750.0 and tones != 1):
            raise r.fail("tones", "must be 1, 3, 6 or 12 (only 1 with 3.75 kHz spacing)")
        kw["tones"] = tones
        kw["spacing_hz"] = spacing
        kw["tone_offset"] = r.integer("tone_offset", 0, lo=0, hi=max_tones - 1)
        if kw["tone_offset"] + tones > max_tones:
            raise r.fail("tone_offset", f"tone_offset + tones exceeds the {max_tones} tones of 180 kHz")
    if kind == "nprach":
        # numRepetitionsPerPreambleAttempt: 1, 2, 4 ... 128 (TS 36.331 NPRACH-Parameters-NB).
        reps = r.integer("repetitions", 1, lo=1, hi=128)
        if reps & (reps - 1):
            raise r.fail("repetitions", f"must be a power of two from 1 to 128, got {reps}")
        kw["repetitions"] = reps
        kw["tone_offset"] = r.integer("tone_offset", 0, lo=0, hi=11)
        kw["preamble_format"] = r.integer("preamble_format", 0, lo=0, hi=1)
    if kind == "lora":
        kw["sf"] = r.integer("sf", 7, lo=6, hi=12)
        bw_hz = r.opt("bw_hz", 125000.0)
        if bw_hz not in (62500.0, 125000.0, 250000.0, 500000.0):
            raise r.fail("bw_hz", f"must be 62500, 125000, 250000 or 500000, got {bw_hz:g}")
        kw["bw_hz"] = bw_hz
        kw["payload_symbols"] = r.integer("payload_symbols", 20, lo=1, hi=2000)
    if kind in ("cw", "impulse"):
        for key in ("on_s", "off_s"):
            kw[key] = _range(r, key)
        if (kw["on_s"] is None) != (kw["off_s"] is None):
            raise r.fail("off_s" if kw["off_s"] is None else "on_s", "on_s and off_s go together")
        if kw["on_s"] is not None and (kw["count"] > 1 or kw["times_s"]):
            raise r.fail(
                "on_s", "on_s/off_s draw their own schedule: no count, period_s or times_s with them"
            )
    if kind == "impulse":
        kw["rate_hz"] = r.opt("rate_hz", 4000.0, lo=0.0, hi=200e3, lo_open=True)
        kw["periodic"] = r.boolean("periodic", True)
        kw["jitter_s"] = r.opt("jitter_s", 2e-6, lo=0.0, hi=1.0)
        kw["click_s"] = r.opt("click_s", 1e-6, lo=0.0, hi=1e-3, lo_open=True)
    r.check_unknown()
    return EmitterSpec(**kw)


def _range(r: _Reader, key: str) -> tuple[float, float] | None:
    """A ``[min, max]`` range of seconds (min > 0), or None when absent."""
    r.used.add(key)
    v = r.data.get(key)
    if v is None:
        return None
    ok = (
        isinstance(v, Sequence)
        and not isinstance(v, str)
        and len(v) == 2
        and all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in v)
    )
    if not ok or not 0 < v[0] <= v[1]:
        raise r.fail(key, f"must be a [min, max] range of seconds with 0 < min <= max, got {v!r}")
    return (float(v[0]), float(v[1]))


def _parse_scene(data: Mapping[str, Any], source: str) -> Scene:
    if not isinstance(data, Mapping):
        raise SceneError(f"{source}: a scene must be a table/object, got {type(data).__name__}")
    unknown = sorted(set(data) - {"scene", "dongle", "capture", "emitter"})
    if unknown:
        raise SceneError(f"{source}: {unknown[0]}: unknown top-level table (scene, dongle, capture, emitter)")
    if "scene" not in data:
        raise SceneError(f"{source}: scene: the [scene] table is required")
    r = _Reader(data["scene"], source, "scene")
    name = r.string("name", required=True)
    assert name is not None
    fs = r.opt("sample_rate_hz", 2.4e6, lo=200e3, hi=20e6)
    captures: list[CaptureSpec] = []
    raw_caps = data.get("capture", [])
    if not isinstance(raw_caps, Sequence) or isinstance(raw_caps, str):
        raise SceneError(f"{source}: capture: must be an array of tables ([[capture]])")
    for i, c in enumerate(raw_caps):
        cr = _Reader(c, source, f"capture[{i}]")
        captures.append(
            CaptureSpec(
                center_hz=cr.req("center_hz", lo=1e6, hi=7e9),
                duration_s=cr.req("duration_s", lo=0.0, lo_open=True),
                label=cr.string("label", "") or "",
            )
        )
        cr.check_unknown()
    total = sum(c.duration_s for c in captures)
    if captures:
        duration = r.opt("duration_s", total, lo=0.0, lo_open=True)
        if abs(duration - total) > 1e-9:
            raise r.fail("duration_s", f"is {duration:g} s but the captures add up to {total:g} s")
        center = r.opt("center_hz", captures[0].center_hz, lo=1e6, hi=7e9)
    else:
        duration = r.req("duration_s", lo=0.0, lo_open=True)
        center = r.req("center_hz", lo=1e6, hi=7e9)
    seed = r.integer("seed", 0, lo=0, hi=2**63 - 1)
    lat = r.number("latitude", None, lo=-90.0, hi=90.0)
    lon = r.number("longitude", None, lo=-180.0, hi=180.0)
    scene_kw: dict[str, Any] = {
        "name": name,
        "description": r.string("description", "") or "",
        "seed": seed,
        "duration_s": duration,
        "center_hz": center,
        "sample_rate_hz": fs,
        "noise_dbfs": r.opt("noise_dbfs", -45.0, lo=-150.0, hi=0.0),
        "region": r.string("region", None),
        "latitude": lat,
        "longitude": lon,
    }
    r.check_unknown()
    dongle = _parse_dongle(data.get("dongle", {}), source)
    raw_em = data.get("emitter", [])
    if not isinstance(raw_em, Sequence) or isinstance(raw_em, str):
        raise SceneError(f"{source}: emitter: must be an array of tables ([[emitter]])")
    emitters = tuple(_parse_emitter(e, source, i) for i, e in enumerate(raw_em))
    ids = [e.id for e in emitters]
    for i, ident in enumerate(ids):
        if ident in ids[:i]:
            raise SceneError(f"{source}: emitter[{i}].id: duplicate id {ident!r}")
    return Scene(**scene_kw, dongle=dongle, captures=tuple(captures), emitters=emitters, source=source)


# --------------------------------------------------------------------------------------------------
# loading


def builtin_scenes() -> list[str]:
    """Names of the scenes shipped in ``rfscan/sim/scenes`` (sorted)."""
    folder = resources.files("rfscan.sim") / "scenes"
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_scene(path_or_name: str | os.PathLike[str]) -> Scene:
    """Load a scene from a built-in name (``"crane-cabinet"``) or a ``.toml``/``.json`` file.

    Raises
    ------
    SceneError
        If the file is missing, unparsable or invalid.
    """
    text_name = os.fspath(path_or_name)
    path = Path(text_name)
    if not path.exists() and text_name in builtin_scenes():
        res = resources.files("rfscan.sim") / "scenes" / f"{text_name}.toml"
        return _loads(res.read_text(encoding="utf-8"), f"{text_name}.toml", "toml")
    if not path.exists():
        names = ", ".join(builtin_scenes())
        raise SceneError(f"{text_name}: no such scene file or built-in scene (built-in: {names})")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SceneError(f"{text_name}: cannot read scene file: {err}") from err
    fmt = "json" if path.suffix.lower() == ".json" else "toml"
    return _loads(text, path.name, fmt)


def _loads(text: str, source: str, fmt: str) -> Scene:
    try:
        data = json.loads(text) if fmt == "json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as err:
        raise SceneError(f"{source}: not valid {fmt.upper()}: {' '.join(str(err).split())}") from err
    return _parse_scene(data, source)
