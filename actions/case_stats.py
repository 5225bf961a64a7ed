"""Anonymised case statistics for operators: counts by problem × wallet × escalation step reached.

    python -m actions.case_stats [--out DIR]    # DIR/case-stats.csv and DIR/case-stats.png (default DIR: var/stats)

Only the three category columns and a count leave the database: no conversation ids,
amounts, dates, order or ticket numbers. The database is KNOWLEDGE_DB_URL (as for
`python -m actions.knowledge`).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Optional, Sequence

from actions.case_store import CaseStore
from actions.knowledge.store import KnowledgeStoreUnavailable, make_engine
from assistant_core.records import CaseCount
from assistant_core.settings import PROJECT_ROOT, Settings

DEFAULT_OUT = PROJECT_ROOT / "var" / "stats"
CSV_NAME = "case-stats.csv"
PNG_NAME = "case-stats.png"
COLUMNS = ("problem", "wallet", "step_reached", "step_position", "cases")


def write_csv(counts: Sequence[CaseCount], path: Path) -> None:
    """One row per problem, wallet and step reached."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for c in counts:
            writer.writerow(
                (c.problem, c.wallet, c.step_reached, "" if c.step_position is None else c.step_position, c.cases)
            )


def write_chart(counts: Sequence[CaseCount], path: Path) -> None:
    """Horizontal bars, one per problem / wallet, stacked by the step reached (keys, so any font renders them)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    groups = sorted({(c.problem, c.wallet) for c in counts})
    steps = sorted({(c.step_position or 0, c.step_reached) for c in counts})
    step_keys = list(dict.fromkeys(key for _, key in steps))
    figure, axes = plt.subplots(figsize=(10, 1.6 + 0.45 * max(1, len(groups))))
    left = [0] * len(groups)
    colours = plt.get_cmap("viridis", max(2, len(step_keys)))
    for index, step in enumerate(step_keys):
        widths = [sum(c.cases for c in counts if (c.problem, c.wallet) == g and c.step_reached == step) for g in groups]
        axes.barh([f"{p} / {w}" for p, w in groups], widths, left=left, label=step, color=colours(index))
        left = [a + b for a, b in zip(left, widths, strict=True)]
    axes.invert_yaxis()
    axes.set_xlabel("cases")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title("Complaint cases by problem / wallet and escalation step reached")
    if step_keys:
        axes.legend(title="step reached", fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def export(cases: CaseStore, out_dir: Path) -> tuple[Path, Path, int]:
    """Write the CSV and the chart; return their paths and the number of cases."""
    counts = cases.counts()
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, png_path = out_dir / CSV_NAME, out_dir / PNG_NAME
    write_csv(counts, csv_path)
    write_chart(counts, png_path)
    return csv_path, png_path, sum(c.cases for c in counts)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the export; return the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m actions.case_stats", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: var/stats, git-ignored)")
    args = parser.parse_args(argv)
    engine = make_engine(Settings.from_env().cases_db_url)
    try:
        csv_path, png_path, total = export(CaseStore(engine), args.out)
    except KnowledgeStoreUnavailable as exc:
        print(f"Export failed: {exc}. Check CASES_DB_URL.", file=sys.stderr)
        return 1
    print(f"{total} cases → {csv_path} and {png_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
