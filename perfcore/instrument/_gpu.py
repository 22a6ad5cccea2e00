"""GPU readings for ResourceMonitor: NVML when importable, else a streaming nvidia-smi.

Both report the first GPU's utilisation (percent) and used memory (bytes). Starting a
``nvidia-smi`` per sample would cost tens of milliseconds each, so the fallback runs
one ``nvidia-smi -lms`` process that prints a line per interval, read by a thread.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import threading
from typing import Any, Protocol

__all__ = ["GpuProbe", "open_gpu_probe"]

_log = logging.getLogger(__name__)


class GpuProbe(Protocol):
    """Latest GPU utilisation (percent) and memory used (bytes)."""

    def read(self) -> tuple[float | None, int | None]:
        """The latest reading, or Nones when none has arrived yet."""
        ...

    def close(self) -> None:
        """Release the probe's resources."""
        ...


class _NvmlProbe:
    def __init__(self, nvml: Any) -> None:
        nvml.nvmlInit()
        self._nvml = nvml
        self._handle = nvml.nvmlDeviceGetHandleByIndex(0)

    def read(self) -> tuple[float | None, int | None]:
        util = self._nvml.nvmlDeviceGetUtilizationRates(self._handle)
        memory = self._nvml.nvmlDeviceGetMemoryInfo(self._handle)
        return float(util.gpu), int(memory.used)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._nvml.nvmlShutdown()


class _SmiProbe:
    def __init__(self, command: str, interval_s: float) -> None:
        period_ms = max(100, int(interval_s * 1000))
        self._proc = subprocess.Popen(
            [
                command,
                "--query-gpu=utilization.gpu,memory.used",
                "--format=csv,noheader,nounits",
                "-i",
                "0",
                f"-lms={period_ms}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self._latest: tuple[float | None, int | None] = (None, None)
        self._reader = threading.Thread(target=self._read_lines, name="perfcore-gpu", daemon=True)
        self._reader.start()

    def _read_lines(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            with contextlib.suppress(ValueError):
                util, used_mib = (part.strip() for part in line.split(","))
                self._latest = (float(util), int(float(used_mib) * 1024 * 1024))

    def read(self) -> tuple[float | None, int | None]:
        return self._latest

    def close(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._reader.join(timeout=2.0)


def open_gpu_probe(interval_s: float) -> GpuProbe | None:
    """The best GPU probe available here, or None when there is no GPU to read."""
    try:
        import pynvml  # type: ignore[import-not-found,unused-ignore]

        return _NvmlProbe(pynvml)
    except Exception as exc:  # no NVML library, no driver or no GPU: try nvidia-smi
        _log.debug("NVML unavailable: %s", exc)
    command = shutil.which("nvidia-smi")
    if command is None:
        return None
    try:
        return _SmiProbe(command, interval_s)
    except OSError:
        return None
