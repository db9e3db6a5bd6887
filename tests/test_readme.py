"""The README's quick tour runs as written (lines marked `# ValueError` must raise it)."""

import re
from pathlib import Path

import jax
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def quick_tour() -> str:
    text = README.read_text()
    section = text[text.index("## Quick tour"):]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_quick_tour_runs():
    statements = []
    for line in quick_tour().splitlines():
        if "# ValueError" in line:
            statements.append(f"with pytest.raises(ValueError):\n    {line.split('#')[0].strip()}")
        else:
            statements.append(line)
    # The tour is user code: NumPy's broadcasting rules, not the suite's strict rank promotion.
    with jax.numpy_rank_promotion("allow"):
        exec(compile("\n".join(statements), str(README), "exec"), {"pytest": pytest})
