"""Benchmark: Togglr's bandits against mabwiser on simulated Bernoulli environments.

Not a test. Run from the repository root:

    .venv/bin/python bench/bandits.py                       # default: 10 seeds x 10,000 rounds
    .venv/bin/python bench/bandits.py --seeds 50 --skip drift --skip micro   # the recorded run
    .venv/bin/python bench/bandits.py --seeds 50 --rounds 100000 --batch 100 \
        --skip drift --skip micro                           # the long run (about 40 CPU-minutes)

The default needs about 6 CPU-minutes (2-core VM, CPython 3.11), most of it in mabwiser.

Protocol (identical for both libraries, see docs/algorithms.md "Benchmarks"):
- Scenarios: 2, 5 and 10 arms; "close" (best 0.12, others 0.10 → 0.08) and "far" (best 0.30,
  others 0.15 → 0.05) success rates. The best arm's position is shuffled per seed.
- Common random numbers, per arm: for each seed every arm i has its own pre-drawn stream of
  uniforms u_i[0], u_i[1], ...; the n-th pull of arm i (warm-up included) pays 1 iff
  u_i[n] < p_i(t), t being the round of the pull (so the drift scenario still works: p depends
  on t, the stream index on the pull count). Both libraries read the same tables: an arm pays
  the same on its n-th pull whoever pulls it, so deterministic identical algorithms get
  identical regret even if they order their pulls differently, and what remains of a
  difference is the algorithms' (and their own randomness). Until November 2026 the bench
  used one uniform per round, u[t], which decorrelates the two runs as soon as their choices
  differ; its ratios were several times noisier.
- Warm-up: rounds 0..k-1 play every arm once (mabwiser needs `fit` before `predict`).
- Batches of `--batch` rounds: every algorithm decides the whole batch from the model of the
  batch start and learns from it at the end (ours: `choose` per round, `record` per event,
  `refresh` per batch; mabwiser: one `predict` for the batch, one `partial_fit`). mabwiser
  re-fits through joblib on every call, which makes `--batch 1` very slow; batch 1 is
  supported for a smaller check. The 100,000-round run uses `--batch 100` for both libraries
  (a realistic refresh interval) to fit in its time budget.
- Rows: our default settings per algorithm, plus our other Thompson flavour
  ("thompson-classic" while `optimistic` is the default) and ε-greedy on raw rates
  ("epsilon-greedy-classic", `prior_alpha = prior_beta = 0`), each compared with the same
  mabwiser runs as its default row.
- Metric: mean cumulative pseudo-regret sum_t (p* - p(a_t)) over seeds, its standard error,
  ours/mabwiser and a paired-bootstrap 95 % interval of that ratio; µs per choice (ours: one
  `choose`; mabwiser: its batch `predict` / batch).
- Drift: the best arm swaps with the worst at half time; regret in the second half and the
  rounds until the new best arm gets > 50 % of the pulls in a sliding window, with and without
  `decay_half_life` (1 round = 1 second).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import sys
import time
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

from togglr.bandits import create_state
from togglr.bandits.state import AlgorithmState
from togglr.bandits.thompson import OPTIMISTIC_DEFAULT

warnings.filterwarnings("ignore")

Mab = Any  # mabwiser is untyped


@dataclass(frozen=True)
class Scenario:
    name: str
    rates: tuple[float, ...]  # best first; shuffled per seed


def scenarios(arm_counts: Sequence[int]) -> list[Scenario]:
    out = []
    for k in arm_counts:
        for gap, best, hi, lo in (("close", 0.12, 0.10, 0.08), ("far", 0.30, 0.15, 0.05)):
            others = [hi] if k == 2 else [hi - (hi - lo) * i / (k - 2) for i in range(k - 1)]
            out.append(Scenario(f"{k} arms, {gap}", (best, *others)))
    return out


@dataclass(frozen=True)
class Algo:
    label: str
    slug: str
    settings: dict[str, float | bool]
    mabwiser: Callable[[], Any] | None  # learning policy factory
    contextual: bool = False
    compare_with: str = ""  # the row whose mabwiser runs this one reuses ("" = its own)


def algorithms(confidence: float) -> list[Algo]:
    from mabwiser.mab import LearningPolicy

    return [
        Algo(
            "epsilon-greedy",
            "epsilon-greedy",
            {"epsilon": 0.1},  # our default greedy estimate: Beta(1, 1)-smoothed rates
            lambda: LearningPolicy.EpsilonGreedy(epsilon=0.1),
        ),
        # the classic raw-rate estimate (mabwiser's), against the same mabwiser runs
        Algo(
            "epsilon-greedy-classic",
            "epsilon-greedy",
            {"epsilon": 0.1, "prior_alpha": 0.0, "prior_beta": 0.0},
            lambda: LearningPolicy.EpsilonGreedy(epsilon=0.1),
            compare_with="epsilon-greedy",
        ),
        Algo(
            "thompson",
            "thompson-sampling",
            {"prior_alpha": 1.0, "prior_beta": 1.0},
            lambda: LearningPolicy.ThompsonSampling(),
        ),
        # our other Thompson flavour (not the default), against the same mabwiser runs
        Algo(
            "thompson-classic" if OPTIMISTIC_DEFAULT else "thompson-optimistic",
            "thompson-sampling",
            {"prior_alpha": 1.0, "prior_beta": 1.0, "optimistic": not OPTIMISTIC_DEFAULT},
            lambda: LearningPolicy.ThompsonSampling(),
            compare_with="thompson",
        ),
        # ours: rate + c*sqrt(ln N / n); mabwiser: rate + alpha*sqrt(2 ln N / n)
        Algo(
            "ucb1",
            "ucb",
            {"confidence": confidence},
            lambda: LearningPolicy.UCB1(alpha=confidence / math.sqrt(2.0)),
        ),
        Algo(
            "linucb",
            "lin_ucb",
            {"alpha": 1.0},
            lambda: LearningPolicy.LinUCB(alpha=1.0),
            contextual=True,
        ),
    ]


@dataclass
class Run:
    regret: float = 0.0
    pulls: list[int] = field(default_factory=list)  # arm index per round
    choose_s: float = 0.0
    learn_s: float = 0.0
    chooses: int = 0


class Environment:
    """One seed of a scenario: the shuffled rates and a reward table per arm.

    Arm i has its own stream of uniforms u_i[0], u_i[1], ... (a `random.Random` seeded with
    the seed and the arm). The n-th pull of arm i (warm-up included, counted from 0) pays 1
    iff u_i[n] < p_i(t), where t is the round of the pull. Both libraries read the same
    tables, so an arm pays the same on its n-th pull whichever algorithm pulls it, and two
    identical deterministic algorithms earn identical rewards and regret.
    """

    CHUNK = 1024  # uniforms drawn at a time per arm

    def __init__(self, seed: int, rates: Sequence[float], rounds: int) -> None:
        rng = random.Random(seed)
        shuffled = list(rates)
        rng.shuffle(shuffled)
        self.seed = seed
        self.rates = shuffled
        self.rounds = rounds
        self._streams = [random.Random(f"bandits:{seed}:{i}") for i in range(len(shuffled))]
        self._tables: list[list[float]] = [[] for _ in shuffled]

    def uniform(self, arm: int, pull: int) -> float:
        """u_arm[pull], drawn on first use and kept for every later reader."""
        table = self._tables[arm]
        while len(table) <= pull:
            draw = self._streams[arm].random
            table.extend(draw() for _ in range(self.CHUNK))
        return table[pull]


class Pays:
    """A run's view of the reward tables: counts each arm's pulls and pays the next entry."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.pulls = [0] * len(env.rates)

    def __call__(self, arm: int, p: float) -> bool:
        n = self.pulls[arm]
        self.pulls[arm] = n + 1
        return self.env.uniform(arm, n) < p


def rates_at(rates: list[float], t: int, drift_at: int | None) -> list[float]:
    if drift_at is None or t < drift_at:
        return rates
    best = max(range(len(rates)), key=rates.__getitem__)
    worst = min(range(len(rates)), key=rates.__getitem__)
    swapped = list(rates)
    swapped[best], swapped[worst] = rates[worst], rates[best]
    return swapped


def run_ours(
    algo: Algo,
    env: Environment,
    batch: int,
    drift_at: int | None = None,
    extra: dict[str, float] | None = None,
) -> Run:
    rates, seed = env.rates, env.seed
    pays = Pays(env)
    k = len(rates)
    names = [f"a{i}" for i in range(k)]
    state: AlgorithmState = create_state(algo.slug, {**algo.settings, **(extra or {})}, names)
    rng = random.Random(seed + 1)
    run = Run()
    ctx: dict[str, Any] = {}
    t = 0
    # warm-up: every arm once, learned before the first decision
    for i in range(k):
        p = rates_at(rates, t, drift_at)
        ok = pays(i, p[i])
        run.regret += max(p) - p[i]
        run.pulls.append(i)
        state.record(names[i], 1.0 if ok else 0.0, ok, ctx, rng, now=float(t))
        t += 1
    state.refresh(rng, now=float(t))
    index = {n: i for i, n in enumerate(names)}
    rounds = env.rounds
    while t < rounds:
        n = min(batch, rounds - t)
        start = time.perf_counter()
        chosen = [state.choose(ctx, None, rng) for _ in range(n)]
        run.choose_s += time.perf_counter() - start
        run.chooses += n
        start = time.perf_counter()
        for arm in chosen:
            i = index[str(arm)]
            p = rates_at(rates, t, drift_at)
            ok = pays(i, p[i])
            run.regret += max(p) - p[i]
            run.pulls.append(i)
            state.record(str(arm), 1.0 if ok else 0.0, ok, ctx, rng, now=float(t))
            t += 1
        state.refresh(rng, now=float(t))
        run.learn_s += time.perf_counter() - start
    return run


def run_mabwiser(
    algo: Algo,
    env: Environment,
    batch: int,
    drift_at: int | None = None,
) -> Run:
    from mabwiser.mab import MAB

    assert algo.mabwiser is not None
    rates, seed = env.rates, env.seed
    pays = Pays(env)
    k = len(rates)
    names = [f"a{i}" for i in range(k)]
    mab: Mab = MAB(names, algo.mabwiser(), seed=seed + 1)
    run = Run()
    t = 0
    decisions, rewards = [], []
    for i in range(k):
        p = rates_at(rates, t, drift_at)
        run.regret += max(p) - p[i]
        run.pulls.append(i)
        decisions.append(names[i])
        rewards.append(1 if pays(i, p[i]) else 0)
        t += 1
    ones = np.ones((k, 1))
    mab.fit(decisions, rewards, contexts=ones if algo.contextual else None)
    index = {n: i for i, n in enumerate(names)}
    rounds = env.rounds
    while t < rounds:
        n = min(batch, rounds - t)
        start = time.perf_counter()
        chosen = mab.predict(np.ones((n, 1)))  # context-free policies: n independent decisions
        run.choose_s += time.perf_counter() - start
        run.chooses += n
        chosen = [chosen] if n == 1 and not isinstance(chosen, list) else list(chosen)
        start = time.perf_counter()
        rewards = []
        for arm in chosen:
            i = index[str(arm)]
            p = rates_at(rates, t, drift_at)
            run.regret += max(p) - p[i]
            run.pulls.append(i)
            rewards.append(1 if pays(i, p[i]) else 0)
            t += 1
        mab.partial_fit(chosen, rewards, contexts=np.ones((n, 1)) if algo.contextual else None)
        run.learn_s += time.perf_counter() - start
    return run


def mean_se(values: Sequence[float]) -> tuple[float, float]:
    m = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return m, se


def stationary(args: argparse.Namespace) -> list[str]:
    lines = [
        "| scenario | algorithm | ours regret (± se) | mabwiser regret (± se) | ours/mabwiser "
        "| paired ratio 95 % CI | ours µs/choice | mabwiser µs/choice |",
        "|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    mab_runs: dict[tuple[str, str, int], tuple[float, float]] = {}  # shared by compare_with rows
    for sc in scenarios(args.arms):
        for algo in algorithms(args.confidence):
            if args.only and algo.label not in args.only:
                continue
            ours, theirs, o_us, t_us = [], [], [], []
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                env = Environment(seed, sc.rates, args.rounds)
                r1 = run_ours(algo, env, args.batch)
                ours.append(r1.regret)
                o_us.append(r1.choose_s / r1.chooses * 1e6)
                if not args.no_mabwiser:
                    key = (sc.name, algo.compare_with or algo.label, seed)
                    if key not in mab_runs:
                        r2 = run_mabwiser(algo, env, args.batch)
                        mab_runs[key] = (r2.regret, r2.choose_s / r2.chooses * 1e6)
                    theirs.append(mab_runs[key][0])
                    t_us.append(mab_runs[key][1])
            om, ose = mean_se(ours)
            row = f"| {sc.name} | {algo.label} | {om:.1f} ± {ose:.1f} | "
            if theirs:
                tm, tse = mean_se(theirs)
                ratio = om / tm if tm else float("nan")
                lo, hi = paired_ratio_ci(ours, theirs)
                row += (
                    f"{tm:.1f} ± {tse:.1f} | **{ratio:.3f}** | {lo:.2f}–{hi:.2f} | "
                    f"{statistics.fmean(o_us):.2f} | {statistics.fmean(t_us):.1f} |"
                )
            else:
                row += f"– | – | – | {statistics.fmean(o_us):.2f} | – |"
            print(row, flush=True)
            lines.append(row)
    return lines


def paired_ratio_ci(ours: Sequence[float], theirs: Sequence[float]) -> tuple[float, float]:
    """95 % CI of mean(ours)/mean(theirs) by a paired bootstrap over seeds (fixed seed)."""
    rng = random.Random(12345)
    n = len(ours)
    ratios = []
    for _ in range(2000):
        idx = [rng.randrange(n) for _ in range(n)]
        denominator = sum(theirs[i] for i in idx)
        if denominator > 0:
            ratios.append(sum(ours[i] for i in idx) / denominator)
    ratios.sort()
    if not ratios:
        return float("nan"), float("nan")
    return ratios[int(0.025 * len(ratios))], ratios[int(0.975 * len(ratios)) - 1]


def recovery(pulls: Sequence[int], best_after: int, start: int, window: int) -> int | None:
    """Rounds after `start` until the new best arm has > 50 % of the last `window` pulls."""
    recent: deque[int] = deque(maxlen=window)
    hits = 0
    for t in range(start, len(pulls)):
        if len(recent) == window and recent[0] == best_after:
            hits -= 1
        recent.append(pulls[t])
        hits += pulls[t] == best_after
        if len(recent) == window and hits * 2 > window:
            return t - start + 1
    return None


def drift(args: argparse.Namespace) -> list[str]:
    half = args.rounds // 2
    half_life = args.half_life or args.rounds / 10
    window = args.window
    lines = [
        f"Best arm swaps with the worst at round {half}; decay_half_life = {half_life:g} rounds "
        f"(1 round = 1 s); recovery = rounds after the swap until the new best arm has > 50 % "
        f"of the last {window} pulls (median over seeds; 'never' counts as the remaining rounds).",
        "",
        "| scenario | algorithm | 2nd-half regret (± se) | recovery rounds (median) | recovered runs |",
        "|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for sc in [s for s in scenarios(args.drift_arms) if s.name.endswith("far")]:
        for algo in algorithms(args.confidence):
            if algo.contextual or (args.only and algo.label not in args.only):
                continue
            variants: list[tuple[str, Callable[[Environment], Run]]] = [
                ("ours", lambda e, a=algo: run_ours(a, e, args.batch, half)),
                (
                    f"ours + decay {half_life:g}",
                    lambda e, a=algo: run_ours(
                        a, e, args.batch, half, {"decay_half_life": half_life}
                    ),
                ),
            ]
            if not args.no_mabwiser and not algo.compare_with:
                variants.append(
                    ("mabwiser", lambda e, a=algo: run_mabwiser(a, e, args.batch, half))
                )
            for label, fn in variants:
                second, recs, ok = [], [], 0
                for seed in range(args.first_seed, args.first_seed + args.seeds):
                    env = Environment(seed, sc.rates, args.rounds)
                    rates = env.rates
                    run = fn(env)
                    before = sum(max(rates) - rates[i] for i in run.pulls[:half])
                    second.append(run.regret - before)
                    new_best = max(range(len(rates)), key=rates_at(rates, half, half).__getitem__)
                    rec = recovery(run.pulls, new_best, half, window)
                    ok += rec is not None
                    recs.append(rec if rec is not None else args.rounds - half)
                m, se = mean_se(second)
                row = (
                    f"| {sc.name} | {algo.label} ({label}) | {m:.1f} ± {se:.1f} | "
                    f"{statistics.median(recs):.0f} | {ok}/{args.seeds} |"
                )
                print(row, flush=True)
                lines.append(row)
    return lines


def micro(args: argparse.Namespace) -> list[str]:
    """µs per call in a tight loop on a trained state (less noisy than the per-run timings)."""
    from mabwiser.mab import MAB

    lines = [
        "| algorithm | arms | choose, no unit (µs) | choose, sticky unit (µs) | refresh (µs) "
        "| mabwiser predict, 1 call (µs) |",
        "|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    context = {"country": "DE", "plan": "pro", "age": 0.3}
    for k in (2, 10):
        names = [f"a{i}" for i in range(k)]
        for algo in algorithms(args.confidence):
            state = create_state(algo.slug, algo.settings, names)
            rng = random.Random(1)
            ctx = context if algo.contextual else {}
            for t in range(2000):
                arm = names[t % k]
                ok = rng.random() < 0.1 + 0.02 * (t % k)
                state.record(arm, 1.0 if ok else 0.0, ok, ctx, rng)
            state.refresh(rng)
            n = 20_000
            start = time.perf_counter()
            for _ in range(n):
                state.choose(ctx, None, rng)
            free = (time.perf_counter() - start) / n * 1e6
            start = time.perf_counter()
            for i in range(n):
                state.choose(ctx, i / n, rng)
            sticky = (time.perf_counter() - start) / n * 1e6
            reps = 50
            start = time.perf_counter()
            for i in range(reps):
                state.record(names[i % k], 1.0, True, ctx, rng)  # new data: no memo hit
                state.refresh(rng)
            refresh = (time.perf_counter() - start) / reps * 1e6
            theirs = "–"
            if not args.no_mabwiser and algo.mabwiser is not None and not algo.compare_with:
                mab: Mab = MAB(names, algo.mabwiser(), seed=1)
                decisions = [names[t % k] for t in range(2000)]
                rewards = [1 if rng.random() < 0.1 else 0 for _ in range(2000)]
                ones = np.ones((2000, 1)) if algo.contextual else None
                mab.fit(decisions, rewards, contexts=ones)
                one = np.ones((1, 1)) if algo.contextual else None
                start = time.perf_counter()
                for _ in range(500):
                    mab.predict(one)
                theirs = f"{(time.perf_counter() - start) / 500 * 1e6:.1f}"
            label = algo.label + (" (3-attribute context)" if algo.contextual else "")
            row = f"| {label} | {k} | {free:.2f} | {sticky:.2f} | {refresh:.0f} | {theirs} |"
            print(row, flush=True)
            lines.append(row)
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0, help="to check another seed set")
    parser.add_argument("--batch", type=int, default=10, help="rounds per model update")
    parser.add_argument("--arms", type=lambda s: [int(x) for x in s.split(",")], default=[2, 5, 10])
    parser.add_argument(
        "--drift-arms", type=lambda s: [int(x) for x in s.split(",")], default=[2, 5]
    )
    parser.add_argument("--confidence", type=float, default=2.0, help="our UCB confidence")
    parser.add_argument(
        "--half-life",
        type=float,
        default=0.0,
        help="decay half-life for the drift scenario (default rounds/10)",
    )
    parser.add_argument("--window", type=int, default=200, help="recovery window (rounds)")
    parser.add_argument(
        "--only", type=lambda s: s.split(","), default=None, help="comma-separated algorithm labels"
    )
    parser.add_argument("--no-mabwiser", action="store_true")
    parser.add_argument(
        "--skip", choices=["stationary", "drift", "micro"], action="append", default=[]
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    print(f"# python bench/bandits.py {' '.join(sys.argv[1:])}".rstrip())
    print(
        f"# {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs"
    )
    if "micro" not in args.skip:
        print("\n## Speed (tight loops on a trained state)\n")
        micro(args)
    if "stationary" not in args.skip:
        print(f"\n## Stationary: {args.rounds} rounds, {args.seeds} seeds, batch {args.batch}\n")
        stationary(args)
    if "drift" not in args.skip:
        print(f"\n## Drift: {args.rounds} rounds, {args.seeds} seeds, batch {args.batch}\n")
        drift(args)
    print(f"\n# took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
