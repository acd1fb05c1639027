"""Running code in a Jupyter kernel with time limits that hold.

A request that runs past its limit is interrupted; if the kernel does not come back
within a grace period (a loop that swallows ``KeyboardInterrupt``), the caller kills
it and starts a new one. Floats are fine as limits (nbclient takes whole seconds only).
"""

from __future__ import annotations

import os
import queue
import subprocess
import time
from dataclasses import dataclass, field

import nbformat

__all__ = ["Kernel", "Run"]

GRACE_S = 10.0  # how long an interrupted request may take to stop (torch ops finish)
MAX_OUTPUT = 200_000  # characters of output kept per request; the rest is dropped


@dataclass
class Run:
    """What one request did: ``status`` is ``ok``, ``error`` (it raised), ``timeout``
    (interrupted at its limit, then stopped), ``hung`` (it ignored the interrupt: the
    kernel must be killed) or ``dead`` (the kernel died)."""

    status: str
    outputs: list = field(default_factory=list)
    execution_count: int | None = None
    error: tuple[str, str] | None = None
    seconds: float = 0.0


def _kernel_env() -> dict:
    env = dict(os.environ)
    env.update(
        {
            "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
    )
    return env


class Kernel:
    """A python3 kernel started in ``cwd``."""

    def __init__(self, cwd, startup_timeout: float = 60):
        from jupyter_client.manager import KernelManager

        self.cwd = str(cwd)
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(
            cwd=self.cwd,
            env=_kernel_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        pidfile = os.environ.get("RNNBOOK_GRADE_PIDFILE")
        if pidfile:  # so that the grader can end a kernel whose worker was killed
            try:
                with open(pidfile, "a") as out:
                    out.write(f"{self.km.provisioner.process.pid}\n")
            except (OSError, AttributeError):
                pass
        self.kc = self.km.blocking_client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=startup_timeout)
        except Exception:
            self.stop()
            raise

    def run(self, code: str, timeout: float, grace: float = GRACE_S) -> Run:
        """Execute ``code``; wait at most ``timeout`` seconds, then interrupt and wait
        ``grace`` seconds more."""
        start = time.monotonic()
        msg_id = self.kc.execute(
            code, store_history=True, allow_stdin=False, stop_on_error=False
        )
        deadline = start + max(timeout, 0.0)
        run = Run("ok")
        interrupted = False
        kept = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if interrupted:
                    run.status = "hung"
                    break
                try:
                    self.km.interrupt_kernel()
                except Exception:
                    run.status = "hung"
                    break
                interrupted = True
                deadline = time.monotonic() + grace
                continue
            try:
                msg = self.kc.get_iopub_msg(timeout=min(remaining, 0.5))
            except queue.Empty:
                if not self.km.is_alive():
                    run.status = "dead"
                    break
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                break
            if kind == "execute_input":
                run.execution_count = content.get("execution_count")
            elif kind == "clear_output":
                run.outputs = []
            elif kind in ("stream", "display_data", "execute_result", "error"):
                if kind == "error":
                    run.error = (content.get("ename", ""), content.get("evalue", ""))
                if kept > MAX_OUTPUT and kind != "error":
                    continue  # truncated already
                out = nbformat.v4.output_from_msg(msg)
                size = (
                    len(out.get("text", "")) if kind == "stream" else len(str(content))
                )
                if kept + size > MAX_OUTPUT and kind != "error":
                    if kind == "stream":
                        out["text"] = out["text"][: max(MAX_OUTPUT - kept, 0)]
                        out["text"] += "\n[grader: output truncated]\n"
                    else:
                        out = nbformat.v4.new_output(
                            "stream", name="stderr", text="[grader: output truncated]\n"
                        )
                    size = MAX_OUTPUT + 1 - kept
                kept += size
                last = run.outputs[-1] if run.outputs else None
                if (
                    kind == "stream"
                    and last is not None
                    and last.get("output_type") == "stream"
                    and last.get("name") == out.get("name")
                ):
                    last["text"] += out["text"]
                else:
                    run.outputs.append(out)
        if run.status == "ok" and interrupted:
            run.status = "timeout"
        elif run.status == "ok" and run.error:
            run.status = "error"
        run.seconds = time.monotonic() - start
        return run

    def stop(self) -> None:
        """Kill the kernel and close the channels (never raises)."""
        try:
            self.kc.stop_channels()
        except Exception:
            pass
        try:
            self.km.shutdown_kernel(now=True)
        except Exception:
            pass
