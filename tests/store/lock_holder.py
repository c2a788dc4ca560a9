"""Run by the lock tests as a separate process: take a pipeline's lock, say so, and wait to be killed.

python -m tests.store.lock_holder URL PIPELINE
"""

from __future__ import annotations

import sys
import time

from promoter.adapters.store import SQLStore


def main(url: str, pipeline: str) -> None:
    store = SQLStore(url)
    with store.lock(pipeline) as held:
        print("held" if held else "refused", flush=True)
        time.sleep(600)  # the test kills this process long before


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
