"""`regledger serve` and `regledger worker`: the HTTP API and the projection worker."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from application.projections.parallel import ParallelRunner
from interfaces.cli.common import err, fail, open_system, settings

# Named, not imported: the command line and the HTTP API stay independent modules.
APP_FACTORY = "interfaces.api.app:app_from_settings"
# uvicorn's HTTP/1.1 implementation on the C parser (httptools), not the pure-Python h11,
# writing each answer in one piece (see `interfaces.api.protocol` and docs/decisions.md).
HTTP_PROTOCOL = "interfaces.api.protocol:HttpProtocol"


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default: settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind (default: settings).")] = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) until interrupted."""
    import uvicorn

    conf = settings()
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host or conf.host,
        port=port if port is not None else conf.port,
        log_level=conf.log_level.lower(),
        access_log=False,  # the API writes its own JSON request log
        http=HTTP_PROTOCOL,
    )


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Apply what is recorded so far, then exit.")
    ] = False,
    processes: Annotated[
        int,
        typer.Option(
            "--processes",
            min=0,
            help="With --once: share the views out over this many processes (0: one per core).",
        ),
    ] = 1,
) -> None:
    """Keep the projections current, in the foreground, until Ctrl-C."""
    if processes != 1 and not once:
        fail("--processes applies only with --once")
    with open_system() as system:
        if once:
            with ParallelRunner(system.runner, system.store, processes) as runner:
                applied = runner.catch_up()
                err.print(f"applied {applied} events; projections at {runner.position()}")
            return
        system.follow()
        system.schedule(settings().schedule_every)
        err.print(f"following {system.store.kind} store from position {system.runner.position()}")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            err.print(f"stopped at position {system.runner.position()}")


def register(app: typer.Typer) -> None:
    """Add `serve` and `worker` to the command line."""
    app.command()(serve)
    app.command()(worker)
