"""Does `fit` succeed on every cohort the network could have produced? Cohorts of 2,000
patients drawn from each shipped network (20% of findings not recorded; half of them with no
tap after a positive cytology), fitted from the same network; the fitted file is written and
loaded, as `lmbayes fit --out` does.

    python bench/fit_seeds.py [--seeds 30] [--patients 2000]

Prints, per network, how many fits succeeded, how many needed a projection (a cohort estimate
the model cannot represent, moved to the nearest value it can) and which numbers were moved.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

from lmbayes import load_network
from lmbayes.cohort import draw_cohort
from lmbayes.errors import LmbayesError
from lmbayes.fit import fit
from lmbayes.fitted_file import write_fitted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--networks", default="breast,lung,melanoma")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for name in args.networks.split(","):
            net = load_network(name)
            ok, moved, failures = 0, Counter(), []
            for seed in range(1, args.seeds + 1):
                cohort = draw_cohort(net, args.patients, rng=seed, stop_after_positive=seed % 2 == 0)
                try:
                    result = fit(net, cohort, source="cohort")
                    write_fitted(net, result, Path(folder) / f"{name}_{seed}.yaml", "a drawn cohort")
                except LmbayesError as exc:
                    failures.append(f"seed {seed}: {exc}")
                    continue
                ok += 1
                moved.update(path for path, *_ in result.projected)
            print(f"{name}: {ok} of {args.seeds} fitted; projected: {dict(moved) or 'none'}", flush=True)
            for failure in failures:
                print(f"  {failure}", flush=True)


if __name__ == "__main__":
    main()
