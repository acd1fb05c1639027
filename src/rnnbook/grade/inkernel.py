"""What the grader runs inside the student's kernel once the notebook has run.

The grader sends this file's source to the kernel (it is never imported from the
kernel's ``sys.modules``, which the notebook could have changed) and calls

- :func:`setup`: drop the kernel's ``rnnbook.checks`` and load a fresh copy from the
  grader's own files, and list what the notebook changed in the libraries the checks
  rely on (a function of ``torch``, ``numpy``, ``builtins``, ``rnnbook`` ... replaced
  by one defined in the notebook, an import hook, a thread it left running);
- :func:`check`: call the manifest's checkers from that fresh copy on the student's
  objects, with the grader's seed, and collect the verdicts they report (printed lines
  are not read).

Both print one line, the grader's marker followed by JSON.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import io
import json
import re
import sys
import threading
import types

_CELL_FILE = re.compile(r"ipykernel_\d+|<ipython-input-")
_STATE: dict = {}


def _notebook_made(obj, user_ns: dict, folder: str, depth: int = 0) -> bool:
    """Whether ``obj`` is a function or class defined by the notebook's code."""
    if depth > 3:
        return False
    try:
        if isinstance(obj, functools.partial):
            return _notebook_made(obj.func, user_ns, folder, depth + 1)
        if isinstance(obj, (types.MethodType, staticmethod, classmethod)):
            return _notebook_made(obj.__func__, user_ns, folder, depth + 1)
        if isinstance(obj, types.FunctionType):
            if obj.__globals__ is user_ns or obj.__module__ == "__main__":
                return True
            filename = obj.__code__.co_filename
            return bool(_CELL_FILE.search(filename)) or filename.startswith(folder)
        if isinstance(obj, type):
            return obj.__module__ == "__main__"
    except Exception:
        return False
    return False


def _scan(user_ns: dict, folder: str) -> list[str]:
    """Where the notebook's own code took the place of library code."""
    found = []
    modules = [("builtins", sys.modules["builtins"])]
    main = sys.modules.get("__main__")
    for name, module in list(sys.modules.items()):
        if name == "builtins" or not isinstance(module, types.ModuleType):
            continue
        if module is main or name in ("__main__", "__mp_main__"):
            continue
        path = getattr(module, "__file__", None) or ""
        if path and path.startswith(folder):
            continue  # the student's own helper module
        modules.append((name, module))
    for name, module in modules:
        try:
            namespace = dict(vars(module))
        except TypeError:
            continue
        if (
            getattr(module, "__file__", None) is None
            and name not in sys.builtin_module_names
        ):
            if any(_notebook_made(v, user_ns, folder) for v in namespace.values()):
                found.append(f"module {name} (made by the notebook)")
                continue
        for attr, value in namespace.items():
            if _notebook_made(value, user_ns, folder):
                found.append(f"{name}.{attr}")
            elif isinstance(value, type) and value.__module__ == name:
                for key, member in list(vars(value).items()):
                    if _notebook_made(member, user_ns, folder):
                        found.append(f"{name}.{attr}.{key}")
    for hook in list(sys.meta_path) + list(sys.path_hooks):
        if _notebook_made(hook, user_ns, folder) or _notebook_made(
            type(hook), user_ns, folder
        ):
            found.append(f"import hook {hook!r}"[:80])
    for tracer in (sys.gettrace(), sys.getprofile()):
        if tracer is not None and _notebook_made(tracer, user_ns, folder):
            found.append("a trace function set by the notebook")
    for thread in threading.enumerate():
        target = getattr(thread, "_target", None)
        run = getattr(type(thread), "run", None)
        if _notebook_made(target, user_ns, folder) or _notebook_made(
            run, user_ns, folder
        ):
            found.append(f"thread {thread.name} started by the notebook")
    return sorted(set(found))


def _fresh_checks(checks_dir: str):
    """Replace the kernel's ``rnnbook.checks`` by a fresh copy loaded from
    ``checks_dir``."""
    for name in list(sys.modules):
        if name == "rnnbook.checks" or name.startswith("rnnbook.checks."):
            del sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        "rnnbook.checks",
        f"{checks_dir}/__init__.py",
        submodule_search_locations=[checks_dir],
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["rnnbook.checks"] = module
    spec.loader.exec_module(module)
    return module


def setup(user_ns: dict, checks_dir: str, folder: str, marker: str) -> None:
    """Load the fresh checks and scan for tampering; print the marker and the JSON
    ``{"tampered": [...], "error": ...}``."""
    result = {"tampered": [], "error": None}
    try:
        result["tampered"] = _scan(user_ns, folder)
    except Exception as err:  # the scan itself failed: say so, grade anyway
        result["error"] = f"scan failed: {type(err).__name__}: {err}"
    try:
        _STATE["checks"] = _fresh_checks(checks_dir)
        _STATE["folder"] = folder
    except Exception as err:
        result["error"] = f"cannot load the checks: {type(err).__name__}: {err}"
    print(marker + json.dumps(result))


def check(user_ns: dict, calls: list[dict], seed: int, marker: str) -> None:
    """Call each ``{"checker": dotted name, "args": [expressions]}`` on the student's
    objects; print the marker and the JSON ``{"verdicts": [[status, message]]}``."""
    checks = _STATE["checks"]
    verdicts = []
    for call in calls:
        module_name, _, name = call["checker"].rpartition(".")
        try:
            checker = getattr(importlib.import_module(module_name), name)
        except Exception as err:
            verdicts.append(["error", f"cannot load {call['checker']}: {err}"])
            continue
        args = []
        for expression in call["args"]:
            try:
                args.append(eval(expression, user_ns))
            except NameError:
                verdicts.append(
                    [
                        "fail",
                        f"{expression} is not defined: run or restore the cell that "
                        "defines it",
                    ]
                )
                break
            except Exception as err:
                verdicts.append(["fail", f"{expression}: {type(err).__name__}: {err}"])
                break
        else:
            sink = io.StringIO()
            with (
                checks.recording() as got,
                checks.grader_seed(seed),
                contextlib.redirect_stdout(sink),
                contextlib.redirect_stderr(sink),
            ):
                try:
                    checker(*args)
                except (Exception, SystemExit) as err:
                    got.append(
                        checks.Verdict(
                            "", "fail", f"your code raised {type(err).__name__}: {err}"
                        )
                    )
            if not got:
                verdicts.append(["fail", "the checker reported no verdict"])
            verdicts += [[v.status, v.message] for v in got]
    print(marker + json.dumps({"verdicts": verdicts}))
