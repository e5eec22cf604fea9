"""The ``workerpool`` command: dev chain, scheduler, worker, local pool, and the requester's commands."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from workerpool.common.errors import WorkerpoolError

from . import commands

__all__ = ["app", "main"]

console = Console(stderr=True)
app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="An iExec workerpool on the genuine PoCo v6 contracts.")
app_cmd = typer.Typer(no_args_is_help=True, help="Register apps and publish their orders.")
task_cmd = typer.Typer(no_args_is_help=True, help="Inspect tasks.")
app.add_typer(app_cmd, name="app")
app.add_typer(task_cmd, name="task")

Home = Annotated[Path | None, typer.Option("--home", help="State folder (default $WORKERPOOL_HOME or ~/.workerpool)")]


def _logging(level: int = logging.INFO) -> None:
    """Services log at INFO; interactive commands only show warnings (their progress is printed)."""
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    for noisy in ("web3", "urllib3", "httpx", "httpcore", "docker", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.command()
def chain(home: Home = None, port: int = 8545, detach: bool = typer.Option(False, help="Return once deployed")) -> None:
    """Start a local Hardhat node and deploy the genuine PoCo v6.1.0 on it (reused when already there)."""
    _logging(logging.WARNING)
    commands.chain(home, port=port, detach=detach)


@app.command()
def scheduler() -> None:
    """Run the scheduler (settings from IEXEC_* environment variables)."""
    _logging()
    commands.scheduler()


@app.command()
def worker() -> None:
    """Run a worker (settings from IEXEC_* environment variables, seeds/003)."""
    _logging()
    commands.worker()


@app.command()
def up(home: Home = None, workers: int = typer.Option(1, min=1, max=16), chain_port: int = 8545,
       scheduler_port: int = 13000) -> None:
    """Start a complete local pool: chain, PoCo, wallets, workerpool, scheduler, workers, demo app."""
    _logging(logging.WARNING)
    commands.up(home, workers=workers, chain_port=chain_port, scheduler_port=scheduler_port)


@app.command()
def down(home: Home = None) -> None:
    """Stop the processes started by `workerpool up`."""
    commands.down(home)


@app.command()
def demo(home: Home = None, keep: bool = typer.Option(False, help="Leave the pool running afterwards")) -> None:
    """Start a local pool, compute one demo task end to end, print its verified result."""
    _logging(logging.WARNING)
    raise typer.Exit(commands.demo(home, keep=keep))


@app_cmd.command("register")
def app_register(image: str, home: Home = None, name: str = "",
                 price: int = typer.Option(0, help="nRLC per task")) -> None:
    """Register a Docker image as an app on chain and sign its app order."""
    commands.app_register(home, image=image, name=name, price_nrlc=price)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(app_ref: Annotated[str, typer.Argument(metavar="APP", help="App address or registered image")],
        args: Annotated[list[str] | None, typer.Argument(help="Arguments given to the app")] = None,
        home: Home = None, trust: int = typer.Option(1, min=0), category: int = 0,
        volume: int = typer.Option(1, min=1, help="How many tasks (a bag of tasks in one deal)"),
        output: Path = typer.Option(Path("results"), help="Where the verified result zip goes"),
        timeout: float = typer.Option(900, help="Give up after this many seconds")) -> None:
    """Buy one task of APP, follow it live, download the result and verify it against the chain."""
    raise typer.Exit(commands.run(home, app_ref, list(args or []), trust=trust, category=category, output=output,
                                  timeout_s=timeout, volume=volume))


@task_cmd.command("show")
def task_show(chain_task_id: str, home: Home = None) -> None:
    """Show a task as the scheduler and the chain see it."""
    commands.task_show(home, chain_task_id)


def main() -> None:
    started = time.monotonic()
    try:
        app()
    except WorkerpoolError as e:
        console.print(f"[bold red]error:[/] {e}")
        sys.exit(1)
    except KeyboardInterrupt:
        console.print(f"interrupted after {time.monotonic() - started:.1f} s")
        sys.exit(130)


if __name__ == "__main__":
    main()
