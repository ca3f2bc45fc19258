"""Recognise Modbus RTU traffic on a shared bus, without writing to it.

Method (Modbus over Serial Line V1.02, section 2.5.1.1, and the "Modbus Application Protocol"
V1.1b3 for frame layouts):

1. **Timing.** RTU frames are separated by at least 3.5 character times of silence (a character is
   11 bits: start, 8 data, parity or a second stop, stop); above 19200 baud the spec fixes the gap
   at 1.75 ms. The capture only has per-read timestamps, so the silence before read *i* is
   estimated as ``t[i] - t[i-1] - len(chunk[i]) * char_time``; reads separated by at least the
   inter-frame gap start a new segment.
2. **Frames.** Each segment is parsed from its start: if the whole segment is a CRC-valid frame
   (CRC-16/MODBUS, low byte first) with a plausible header (slave id 0..247, a public function
   code or its exception form) it is one frame; otherwise frames are cut at the lengths the
   function code implies (e.g. read-holding-registers request 8 bytes, response
   ``5 + byte count``) and each must pass the CRC; bytes that fit no frame are skipped one by one.
3. **Coarse timestamps.** USB adapters deliver data in latency-timer batches (up to 16 ms), so
   gaps can be invisible (frames merged in one read) or invented (one frame split over two reads).
   The parser therefore also runs over the whole stream ignoring timing, and the reading that
   explains more bytes wins.
4. **Evidence.** The score grows with the share of bytes inside CRC-valid frames, their number,
   and request/response pairs (same slave and function in consecutive frames, with a response
   length consistent with the request).

Limits: frames of function codes without a length rule (e.g. 43, 24) are found only when timing
delimits them; a random 16-bit CRC collision is possible but at a rate of about 1 per 65536
candidate frames, which the coverage-based score makes negligible.
"""

from __future__ import annotations

from dataclasses import dataclass

from serialprobe.recognize.capture import Capture
from serialprobe.recognize.crc import crc16_modbus
from serialprobe.recognize.result import Recognition

__all__ = [
    "ModbusFrame",
    "count_pairs",
    "find_frames",
    "inter_frame_gap_s",
    "modbus_frame",
    "recognize_modbus",
]

#: Public function codes (Modbus Application Protocol V1.1b3, section 5.1).
PUBLIC_FUNCTIONS = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 43})
MIN_FRAME = 4
MAX_FRAME = 256
MAX_SLAVE = 247


@dataclass(frozen=True)
class ModbusFrame:
    """One CRC-valid RTU frame.

    Attributes
    ----------
    offset : int
        Byte offset in the captured stream.
    raw : bytes
        The frame, CRC included.
    timed : bool
        True when silent gaps delimited exactly this frame.
    """

    offset: int
    raw: bytes
    timed: bool

    @property
    def slave(self) -> int:
        """Slave address (0 = broadcast)."""
        return self.raw[0]

    @property
    def function(self) -> int:
        """Function code (bit 7 set for an exception response)."""
        return self.raw[1]


def modbus_frame(slave: int, function: int, data: bytes) -> bytes:
    """Build an RTU frame: address, function, data and CRC-16 low byte first."""
    body = bytes((slave, function)) + data
    crc = crc16_modbus(body)
    return body + bytes((crc & 0xFF, crc >> 8))


def inter_frame_gap_s(baud: int) -> float:
    """Return the minimum silence between RTU frames: 3.5 x 11-bit characters, 1.75 ms above 19200."""
    if baud > 19200:
        return 1.75e-3
    return 3.5 * 11.0 / baud


def _plausible_header(buf: bytes, i: int) -> bool:
    if i + 2 > len(buf):
        return False
    slave, fc = buf[i], buf[i + 1]
    return slave <= MAX_SLAVE and (
        fc in PUBLIC_FUNCTIONS or (bool(fc & 0x80) and (fc & 0x7F) in PUBLIC_FUNCTIONS)
    )


def _candidate_lengths(buf: bytes, i: int) -> list[int]:
    """Frame lengths the function code at ``buf[i+1]`` allows (requests and responses)."""
    fc = buf[i + 1]
    n = len(buf) - i

    def at(k: int) -> int | None:
        return buf[i + k] if k < n else None

    out: list[int] = []
    if fc & 0x80:
        return [5]
    if fc in (1, 2, 3, 4):
        out.append(8)
        bc = at(2)
        if bc is not None:
            out.append(5 + bc)
    elif fc in (5, 6, 8):
        out.append(8)
    elif fc in (15, 16):
        out.append(8)
        bc = at(6)
        if bc is not None:
            out.append(9 + bc)
    elif fc in (7, 11, 12, 17):
        out += [4, 5 if fc == 7 else 8]
        bc = at(2)
        if fc in (12, 17) and bc is not None:
            out.append(5 + bc)
    elif fc in (20, 21):
        bc = at(2)
        if bc is not None:
            out.append(5 + bc)
    elif fc == 22:
        out.append(10)
    elif fc == 23:
        bc = at(10)
        if bc is not None:
            out.append(13 + bc)
        bc = at(2)
        if bc is not None:
            out.append(5 + bc)
    return [k for k in out if MIN_FRAME <= k <= MAX_FRAME and k <= n]


def _crc_ok(frame: bytes) -> bool:
    crc = crc16_modbus(frame[:-2])
    return frame[-2] == crc & 0xFF and frame[-1] == crc >> 8


def _parse_segment(buf: bytes, base: int, timed: bool) -> list[ModbusFrame]:
    """Cut one segment into CRC-valid frames (see the module docstring, step 2)."""
    frames: list[ModbusFrame] = []
    if timed and MIN_FRAME <= len(buf) <= MAX_FRAME and _plausible_header(buf, 0) and _crc_ok(buf):
        return [ModbusFrame(base, bytes(buf), True)]
    i = 0
    while i + MIN_FRAME <= len(buf):
        if _plausible_header(buf, i):
            for k in _candidate_lengths(buf, i):
                cand = buf[i : i + k]
                if _crc_ok(cand):
                    frames.append(ModbusFrame(base + i, bytes(cand), False))
                    i += k
                    break
            else:
                i += 1
        else:
            i += 1
    return frames


def find_frames(capture: Capture, *, use_timing: bool = True) -> list[ModbusFrame]:
    """Return the CRC-valid Modbus RTU frames in a capture.

    Parameters
    ----------
    capture : Capture
        Bytes captured without writing.
    use_timing : bool
        Split on silent gaps first (step 1); False parses the concatenated stream.

    Returns
    -------
    list of ModbusFrame
        Frames in stream order.
    """
    frames: list[ModbusFrame] = []
    if not use_timing or len(capture.chunks) <= 1:
        base = 0
        for piece in capture.segments():
            frames += _parse_segment(piece, base, timed=False)
            base += len(piece)
        return frames
    gap = inter_frame_gap_s(capture.baud) * 0.9  # 10 % tolerance on timestamp jitter
    char_s = capture.char_time_s
    breaks = set(capture.breaks)
    seg = bytearray()
    seg_start = 0
    offset = 0
    prev_t: float | None = None
    for t, chunk in capture.chunks:
        if seg and (offset in breaks or (prev_t is not None and t - prev_t - len(chunk) * char_s >= gap)):
            frames += _parse_segment(bytes(seg), seg_start, timed=True)
            seg = bytearray()
            seg_start = offset
        seg += chunk
        offset += len(chunk)
        prev_t = t
    if seg:
        frames += _parse_segment(bytes(seg), seg_start, timed=True)
    return frames


def _response_matches(req: ModbusFrame, resp: ModbusFrame) -> bool:
    """Tell whether ``resp`` can answer ``req`` (same slave and function, consistent lengths)."""
    if req.slave != resp.slave or req.slave == 0 or req.function & 0x80:
        return False
    if resp.function == (req.function | 0x80):
        return len(resp.raw) == 5
    if resp.function != req.function:
        return False
    fc = req.function
    if fc in (1, 2, 3, 4):
        if len(req.raw) != 8:
            return False
        qty = int.from_bytes(req.raw[4:6], "big")
        per = (qty + 7) // 8 if fc in (1, 2) else 2 * qty
        return len(resp.raw) == 5 + per and resp.raw[2] == per
    if fc in (5, 6, 8):
        return resp.raw == req.raw  # the normal response echoes the request
    if fc in (15, 16):
        return len(req.raw) > 8 and len(resp.raw) == 8 and resp.raw[2:6] == req.raw[2:6]
    return False


def count_pairs(frames: list[ModbusFrame]) -> int:
    """Count request/response pairs among consecutive frames (each frame in one pair at most)."""
    pairs = 0
    i = 0
    while i + 1 < len(frames):
        if _response_matches(frames[i], frames[i + 1]):
            pairs += 1
            i += 2
        else:
            i += 1
    return pairs


def recognize_modbus(capture: Capture) -> Recognition:
    """Score how much a capture looks like Modbus RTU (see the module docstring for the method).

    Parameters
    ----------
    capture : Capture
        Bytes captured without writing.

    Returns
    -------
    Recognition
        ``protocol="modbus"`` with frame count, slave ids, function codes and pairs as evidence.
    """
    n = len(capture.data)
    timed = find_frames(capture, use_timing=True)
    untimed = find_frames(capture, use_timing=False) if len(capture.chunks) > 1 else timed
    cov_t = sum(len(f.raw) for f in timed)
    cov_u = sum(len(f.raw) for f in untimed)
    frames, covered = (timed, cov_t) if cov_t >= cov_u else (untimed, cov_u)
    pairs = count_pairs(frames)
    score = 0.0
    if n and frames:
        coverage = covered / n
        count_factor = min(len(frames), 5) / 5
        score = coverage * (0.6 + 0.2 * count_factor + (0.2 if pairs else 0.0))
        if len(frames) == 1:
            score = min(score, 0.4)
    slaves = sorted({f.slave for f in frames})
    functions = sorted({f.function for f in frames})
    n_timed = sum(1 for f in frames if f.timed)
    evidence: list[str] = []
    if frames:
        evidence.append(
            f"{len(frames)} CRC-valid Modbus RTU frame(s) covering {covered}/{n} bytes, "
            f"slave ids {{{', '.join(map(str, slaves[:16]))}}}, "
            f"function codes {{{', '.join(map(str, functions[:16]))}}}"
        )
        evidence.append(
            f"{pairs} request/response pair(s); {n_timed}/{len(frames)} frame(s) delimited by "
            f"silent gaps >= {inter_frame_gap_s(capture.baud) * 1e3:.2f} ms"
        )
    return Recognition(
        protocol="modbus",
        score=score,
        evidence=tuple(evidence),
        details={
            "frames": len(frames),
            "pairs": pairs,
            "slave_ids": slaves,
            "function_codes": functions,
            "gap_delimited_frames": n_timed,
            "covered_bytes": covered,
        },
    )
