"""`make demo`: run every seed walkthrough, collecting plots and one text summary.

Each walkthrough module in this folder exposes `main(output_dir) -> str`; this
script runs them in order and writes their summaries to `summary.txt`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

WALKTHROUGHS = [
    "seed_distributions",
    "seed_joint_models",
    "seed_regression",
    "seed_mdn",
    "seed_uncertainty",
    "seed_vae",
    "seed_changepoint_mcmc",
    "seed_annotation_model",
    "vi_banana",
    "glm",
    "flows",
]


def run(output: Path) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sections = []
    for name in WALKTHROUGHS:
        start = time.perf_counter()
        text = importlib.import_module(name).main(output)
        sections.append(f"{text}\n({name} ran in {time.perf_counter() - start:.1f} s)")
    summary = "\n\n".join(sections) + "\n"
    (output / "summary.txt").write_text(summary)
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("demo_output"))
    out = parser.parse_args().output
    print(run(out))
    print(f"demo output written to {out.resolve()}")
