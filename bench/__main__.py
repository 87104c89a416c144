"""`make bench`: every benchmark in turn, each printing its own numbers."""

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).parent
for name in ("engine", "caching", "voting", "voting_heldout", "ai_cost", "web", "delivery",
             "first_progress", "burst", "replication"):
    print(f"\n== bench/{name}.py", flush=True)
    sys.argv = [str(HERE / f"{name}.py")]
    runpy.run_path(str(HERE / f"{name}.py"), run_name="__main__")
