"""Small data sets shipped with probax for the examples and tests."""

from probax.datasets.text_messages import (
    SIMULATED_TEXT_MESSAGES_TRUTH,
    load_text_messages,
    simulate_text_messages,
)

__all__ = ["SIMULATED_TEXT_MESSAGES_TRUTH", "load_text_messages", "simulate_text_messages"]
