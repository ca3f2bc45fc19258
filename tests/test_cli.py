"""The two CLIs follow the project's conventions."""

from __future__ import annotations

import subprocess
import sys

import pytest

import rfscan
import serialprobe
from rfscan.cli import main as rfscan_main
from serialprobe.cli import main as serialprobe_main


@pytest.mark.parametrize(("main", "name"), [(rfscan_main, "rfscan"), (serialprobe_main, "serialprobe")])
def test_version_and_help(main, name, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(name)
    assert rfscan.__version__ in out
    assert main([]) == 2  # no subcommand: usage on stderr, non-zero
    assert "usage:" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["rfscan", "serialprobe"])
def test_python_dash_m(module):
    proc = subprocess.run(
        [sys.executable, "-m", module, "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert f"usage: {module}" in proc.stdout


def test_import_needs_no_hardware_library():
    """Importing the packages must not pull in pyrtlsdr, pyusb or serial drivers."""
    code = (
        "import sys, rfscan, serialprobe, rfscan.cli, serialprobe.cli;"
        "bad = [m for m in ('rtlsdr', 'usb', 'usb.core', 'libusb_package') if m in sys.modules];"
        "print(','.join(bad))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""
    assert serialprobe.__version__ == rfscan.__version__


def test_error_lines_never_carry_control_sequences(tmp_path, capsys):
    """File names and metadata are untrusted: an escape sequence in one must not reach the terminal."""
    evil = tmp_path / "evil\x1b]52;c;cHduZWQ=\x07\x1b[2J.sigmf-meta"
    assert rfscan_main(["info", str(evil)]) != 0
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "\x1b" not in err
    assert "\x07" not in err
