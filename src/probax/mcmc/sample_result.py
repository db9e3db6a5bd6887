"""The result of `sample`: draws and statistics on the host, a summary, ArviZ export, and save.

`SampleResult.save(path)` writes one `.npz` file (NumPy arrays plus a JSON
configuration, no pickle): the draws and statistics, and a `Checkpoint` with what
continuing the run needs: the chains' final states, the sampling kernel's results
(adapted step size and metric), the chains' keys and the number of steps taken.
`probax.mcmc.resume` (in `probax.mcmc.sample`) reads it back with the target.

Structures are saved as their flattened leaves. A state made of dicts (string
keys), lists and tuples of arrays is also described in the configuration, so it
can be rebuilt without the model; other structures are rebuilt from the model
(a joint distribution's own structure).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, NamedTuple

import jax
import numpy as np

from probax.mcmc.summary import parameter_names, summarize

FORMAT_VERSION = 1
ARVIZ_STAT_NAMES = {
    "lp": "lp",
    "accept_prob": "acceptance_rate",
    "step_size": "step_size",
    "tree_depth": "tree_depth",
    "n_steps": "n_steps",
    "diverging": "diverging",
    "energy": "energy",
}


class Checkpoint(NamedTuple):
    """What continuing a run needs (host arrays).

    Attributes:
      state: the chains' final states (leading chain axis).
      kernel_results: the sampling kernel's final results (leading chain axis), with the
        adapted step size and metric.
      chain_keys: the chains' base keys as key data (`jax.random.key_data`).
      config: a JSON-compatible dict: the sampler's settings, the number of steps taken,
        and the structure of the state.

    """

    state: Any
    kernel_results: Any
    chain_keys: np.ndarray
    config: dict


def encode_structure(tree: Any) -> Any:
    """A JSON description of a structure of dicts (string keys), lists and tuples, or None if other.

    Example:
      >>> encode_structure({"a": np.zeros(2), "b": [np.zeros(()), np.zeros(3)]})
      {'dict': [['a', 'leaf'], ['b', {'list': ['leaf', 'leaf']}]]}

    """
    if isinstance(tree, dict):
        if not all(isinstance(key, str) for key in tree):
            return None
        parts = [[key, encode_structure(tree[key])] for key in sorted(tree)]
        return None if any(part is None for _, part in parts) else {"dict": parts}
    if isinstance(tree, list | tuple) and not hasattr(tree, "_fields"):
        parts = [encode_structure(item) for item in tree]
        return None if any(part is None for part in parts) else {type(tree).__name__: parts}
    return "leaf" if isinstance(tree, np.ndarray | jax.Array) else None


def decode_structure(description: Any, leaves: list) -> Any:
    """Rebuild a structure described by `encode_structure` with `leaves` in flattening order.

    Example:
      >>> decode_structure({"dict": [["a", "leaf"], ["b", {"tuple": ["leaf"]}]]}, [1, 2])
      {'a': 1, 'b': (2,)}

    """

    def skeleton(part: Any) -> Any:
        if part == "leaf":
            return 0
        ((kind, items),) = part.items()
        if kind == "dict":
            return {key: skeleton(item) for key, item in items}
        built = [skeleton(item) for item in items]
        return built if kind == "list" else tuple(built)

    return jax.tree.unflatten(jax.tree.structure(skeleton(description)), leaves)


@dataclasses.dataclass(frozen=True)
class SampleResult:
    """Draws and sampler statistics of a run of `sample`, on the host.

    Attributes:
      draws: the state's structure, each leaf a NumPy array shaped `(chain, draw, ...)`, in the
        constrained space.
      stats: sampler statistics by name, each shaped `(chain, draw)`: `step_size`, `tree_depth`
        (NUTS), `n_steps` (leapfrog steps), `diverging`, `energy` (NUTS), `accept_prob`, `lp`
        (the log density the kernel sees, with the bijector's log-det-Jacobian).
      checkpoint: what `probax.mcmc.resume` needs to continue the run.

    Example:
      >>> from probax.mcmc.sample import sample
      >>> result = sample(lambda x: -0.5 * x**2, init=0.0, num_chains=2, num_warmup=100, num_samples=100,
      ...                 seed=0, progress_bar=False)
      >>> result.draws.shape, sorted(result.stats)[:3]
      ((2, 100), ['accept_prob', 'diverging', 'energy'])

    """

    draws: Any
    stats: dict[str, np.ndarray]
    checkpoint: Checkpoint

    @property
    def num_chains(self) -> int:
        """The number of chains."""
        return int(self.checkpoint.chain_keys.shape[0])

    @property
    def num_draws(self) -> int:
        """The number of draws per chain."""
        return int(jax.tree.leaves(self.draws)[0].shape[1])

    def named_draws(self) -> dict[str, np.ndarray]:
        """The draws as a flat dict from parameter name to `(chain, draw, ...)` array."""
        leaves = jax.tree.leaves(self.draws)
        return dict(zip(parameter_names(self.draws), leaves, strict=True))

    def summary(self) -> Any:
        """Posterior summary (mean, sd, 94% HDI, MCSE, bulk and tail ESS, R-hat): a printable `Summary`."""
        return summarize(self.draws)

    def to_arviz(self) -> Any:
        """An `arviz.InferenceData` (ArviZ 0.x) or `DataTree` (1.x) with posterior and sample_stats."""
        try:
            import arviz
        except ImportError as err:
            raise ImportError("SampleResult.to_arviz needs ArviZ: pip install arviz") from err
        stats = {
            ARVIZ_STAT_NAMES[name]: value for name, value in self.stats.items() if name in ARVIZ_STAT_NAMES
        }
        groups = {"posterior": self.named_draws(), "sample_stats": stats}
        if int(arviz.__version__.split(".")[0]) >= 1:
            return arviz.from_dict(groups)
        return arviz.from_dict(**groups)

    def save(self, path: Any) -> None:
        """Write the draws, statistics and checkpoint to `path` (NumPy `.npz`, no pickle)."""
        checkpoint = self.checkpoint
        arrays: dict[str, np.ndarray] = {"chain_keys": np.asarray(checkpoint.chain_keys)}
        for prefix, tree in (
            ("draws", self.draws),
            ("state", checkpoint.state),
            ("results", checkpoint.kernel_results),
        ):
            for index, leaf in enumerate(jax.tree.leaves(tree)):
                arrays[f"{prefix}/{index}"] = np.asarray(leaf)
        for name, value in self.stats.items():
            arrays[f"stats/{name}"] = np.asarray(value)
        config = dict(
            checkpoint.config,
            format_version=FORMAT_VERSION,
            state_structure=str(jax.tree.structure(checkpoint.state)),
            state_encoding=encode_structure(checkpoint.state),
            stat_names=list(self.stats),
        )
        arrays["config"] = np.asarray(json.dumps(config))
        with open(path, "wb") as file:
            np.savez(file, **arrays)


def load_arrays(path: Any) -> tuple[dict, dict[str, np.ndarray]]:
    """The configuration and the arrays of a file written by `SampleResult.save` (no pickle).

    Example:
      >>> import tempfile, os
      >>> from probax.mcmc.sample import sample
      >>> result = sample(lambda x: -0.5 * x**2, init=0.0, num_chains=2, num_warmup=20, num_samples=5,
      ...                 seed=0, progress_bar=False)
      >>> path = os.path.join(tempfile.mkdtemp(), "run.npz")
      >>> result.save(path)
      >>> config, arrays = load_arrays(path)
      >>> config["num_samples"], arrays["draws/0"].shape
      (5, (2, 5))

    """
    with np.load(path, allow_pickle=False) as file:
        arrays = {name: file[name] for name in file.files}
    config = json.loads(str(arrays.pop("config")))
    if config.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: not a probax sample file of format {FORMAT_VERSION}.")
    return config, arrays


def leaves_with_prefix(arrays: dict[str, np.ndarray], prefix: str) -> list[np.ndarray]:
    """The arrays saved under `prefix/0`, `prefix/1`, ... in order.

    Example:
      >>> [a.tolist() for a in leaves_with_prefix({"s/1": np.ones(1), "s/0": np.zeros(1)}, "s")]
      [[0.0], [1.0]]

    """
    count = sum(1 for name in arrays if name.startswith(prefix + "/"))
    return [arrays[f"{prefix}/{index}"] for index in range(count)]
