"""`togglr experiments results`: an experiment's per-variant results as a table."""

from __future__ import annotations

import asyncio

import typer

from togglr.bootstrap import build_runtime
from togglr.domain.accounts import SYSTEM
from togglr.domain.errors import TogglrError
from togglr.services.experiment_results import Results

app = typer.Typer(help="Adaptive experiments.", no_args_is_help=True)

COLUMNS = (
    "variant",
    "evals",
    "succ",
    "fail",
    "reward",
    "rate",
    "95% interval",
    "P(best)",
    "weight",
)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def format_results(r: Results) -> str:
    """A fixed-width table, one line per variant (or served value), then the totals."""
    a = r.attachment
    state = "current" if a.is_current else f"detached {a.detached_at:%Y-%m-%d %H:%M}"
    lines = [
        f"{r.target.feature.key} in {r.target.environment.key}: {a.algorithm} "
        f"({'enabled' if a.enabled else 'disabled'}, {state}, attachment {a.id})",
    ]
    rows = [COLUMNS] + [
        (
            v.variant or "(none)",
            str(v.evaluations),
            str(v.successes),
            str(v.failures),
            f"{v.reward_sum:.4g}",
            _pct(v.rate),
            f"{_pct(v.interval[0])}-{_pct(v.interval[1])}",
            _pct(v.probability_best),
            _pct(v.weight),
        )
        for v in r.variants
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    for row in rows:
        lines.append(
            "  ".join(
                cell.rjust(w) if i else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    if r.optimizer is not None:
        o = r.optimizer
        lines.append(
            f"current value {o['current_value']}, best {o['best_value']} (reward {o['best_reward']}), "
            f"iteration {o['iteration']}"
        )
    return "\n".join(lines)


@app.command("results")
def results(
    feature_id: str = typer.Argument(..., help="The feature's id"),
    env: str = typer.Option("prod", "--env", help="Environment key"),
    attachment: str | None = typer.Option(
        None, help="An older attachment's id (see the history API)"
    ),
) -> None:
    """Print the statistics last flushed to the database by the running servers."""
    runtime = build_runtime()

    async def run() -> Results:
        try:
            found: Results = await runtime.services.extra["experiments"].results.results(
                SYSTEM, feature_id, env, attachment_id=attachment
            )
            return found
        finally:
            await runtime.services.storage.close()

    try:
        typer.echo(format_results(asyncio.run(run())))
    except TogglrError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
