"""`make eval`: NLU quality report (reports/nlu.md); `--help` lists the quick-run flags."""

import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # config.yml and domain.yml name project paths relative to the root

from bench.nlu_eval import run_eval  # noqa: E402
from bench.nlu_report import write_report  # noqa: E402

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    report = write_report(run_eval())
    print(report.read_text(encoding="utf-8"))
