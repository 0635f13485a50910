"""Fresh virtual environments with the built wheel of connectlocal next to what a user has
installed (the newest boto3, aiobotocore), and `connectlocal serve` run from them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from connectlocal.testing import READY

ROOT = Path(__file__).resolve().parents[2]


def run(cmd: list[str], cwd: Path | None = None, timeout: float = 600) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n"
                           f"{done.stderr}")
    return done.stdout


def build_wheel(into: Path) -> Path:
    """The wheel `pip install connectlocal` would get, built from this tree."""
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(into),
         str(ROOT)])
    return next(into.glob("connectlocal-*.whl"))


def make_venv(path: Path, *requirements: str) -> Path:
    """A fresh environment with exactly ``requirements`` installed (pip resolving them together,
    as a user's ``pip install`` would); its python."""
    run([sys.executable, "-m", "venv", "--clear", "--without-pip", str(path)])
    python = path / "bin" / "python"
    # This environment's pip installs into the new one (pip --python): no ensurepip per venv.
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         *requirements])
    run([sys.executable, "-m", "pip", "--python", str(python), "check"])
    return python


class VenvServer:
    """``connectlocal serve`` as the console script a venv installed, in memory, on a free
    port; ``.url`` once started."""

    def __init__(self, venv: Path) -> None:
        self.command = [str(venv / "bin" / "connectlocal"), "serve", "--port", "0", "--data",
                        ":memory:"]
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> VenvServer:
        self.proc = subprocess.Popen(self.command, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        found = READY.search(line)
        if not found:
            self.proc.kill()
            raise RuntimeError(f"connectlocal serve did not start: {line}"
                               f"{self.proc.stdout.read()}")
        self.url = found.group(1)
        return self

    def __exit__(self, *_: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            if self.proc.stdout is not None:
                self.proc.stdout.close()
