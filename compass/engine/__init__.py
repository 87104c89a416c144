"""The consensus engine. `run_engine` is the whole of its public face."""

from compass.engine.pipeline import EngineFailed, run_engine

__all__ = ["EngineFailed", "run_engine"]
