"""Mutation testing of the verification and dispatch code; print the score, fail under a floor.

    python .ci/mutation_score.py               # fresh run, then the score (floor 95%)
    python .ci/mutation_score.py --reuse       # the score of the last run (mutants/ kept)
    python .ci/mutation_score.py --max-children 1 --min 95

What is mutated and which tests run are set in pyproject.toml, [tool.mutmut]. A mutant that
survives is listed; kill it with a test, or, if no test can tell it apart (an equivalent
mutant), mark its line ``# pragma: no mutate`` with a comment saying why.
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def main() -> int:
    """Run mutmut, then print the score and the survivors."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--min", type=float, default=95.0, help="lowest passing score, percent")
    parser.add_argument("--max-children", type=int, default=2, help="parallel test processes")
    parser.add_argument("--reuse", action="store_true", help="score the last run, do not rerun")
    args = parser.parse_args()
    mutmut = str(BIN / "mutmut")
    if not args.reuse:
        shutil.rmtree("mutants", ignore_errors=True)
        run = [mutmut, "run", "--max-children", str(args.max_children)]
        subprocess.run(run, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    subprocess.run([mutmut, "export-cicd-stats"], check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    stats = json.loads(Path("mutants/mutmut-cicd-stats.json").read_text())
    killed, survived = stats["killed"], stats["survived"]
    others = {k: v for k, v in stats.items() if k not in {"killed", "survived", "total"} and v}
    decided = killed + survived + sum(others.values())
    score = 100.0 * killed / decided if decided else 0.0
    results = subprocess.run(  # noqa: S603
        [mutmut, "results"], check=True, capture_output=True, text=True
    ).stdout
    for line in results.splitlines():
        if line.strip():
            print(line.strip())  # noqa: T201
    print(  # noqa: T201
        f"mutation score: {score:.1f}% ({killed} killed of {decided} mutants; "
        f"{survived} survived; other outcomes: {others or 'none'})"
    )
    return 0 if score >= args.min else 1


if __name__ == "__main__":
    sys.exit(main())
