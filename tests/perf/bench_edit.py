"""Editor benchmark: milliseconds per edit on a 5 KB, 5-document manifest (target: median <= 20 ms).

Run: .venv/bin/python -m tests.perf.bench_edit
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from promoter.yamledit import editor, imageedit
from tests.perf.manifests import manifest


def _measure(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def run(repeat: int = 200) -> dict[str, float]:
    text = manifest()
    cases: dict[str, Callable[[], object]] = {
        "edit set --doc 0 (image)": lambda: editor.apply(
            text,
            [editor.Edit.parse("spec.template.spec.containers[name=app].image=ghcr.io/acme/checkout:1.5.0", doc=0)],
        ),
        "edit set, document searched (weights x2)": lambda: editor.apply(
            text,
            [
                editor.Edit.parse("spec.http[name=primary].route[0].weight=90"),
                editor.Edit.parse("spec.http[name=primary].route[1].weight=10"),
            ],
        ),
        "edit set inside a block scalar": lambda: editor.apply(
            text, [editor.Edit.parse('data["config.yaml"]|cache.ttl=600', doc=3)]
        ),
        "edit image (whole file)": lambda: imageedit.apply(
            text, imageedit.parse_request("ghcr.io/acme/checkout:1.5.0"), "manifest.yaml"
        ),
    }
    results: dict[str, float] = {}
    print(f"manifest: {len(text.encode())} bytes, {text.count(chr(10))} lines, 5 documents; {repeat} runs each")
    for name, action in cases.items():
        action()  # warm caches (resolvers, regexes)
        median, p95 = _measure(action, repeat)
        results[name] = median
        print(f"  {name:45s} median {median:6.2f} ms   p95 {p95:6.2f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "manifest.yaml"
        path.write_text(text)
        command = [sys.executable, "-m", "promoter", "edit", "image", str(path), "ghcr.io/acme/checkout:1.5.0"]
        median, p95 = _measure(lambda: subprocess.run(command, check=True, capture_output=True), 15)
        print(f"  {'CLI process, edit image (incl. startup)':45s} median {median:6.2f} ms   p95 {p95:6.2f} ms")
    return results


if __name__ == "__main__":
    run()
