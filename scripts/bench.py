"""`make bench`: latency, throughput, memory and start-up of ours vs a plain Rasa bot (reports/bench.md)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # config.yml and domain.yml name project paths relative to the root

from bench.bench_run import run_bench  # noqa: E402
from bench.speed_report import write_report  # noqa: E402

if __name__ == "__main__":
    load_before = os.getloadavg()
    report = write_report(run_bench(), load_before)
    print(report.read_text(encoding="utf-8"))
