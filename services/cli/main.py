"""``xueji``: the operators' command-line tool."""

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from xueji_contracts import spec
from xueji_contracts.enums import Role

from services.common.auth import local_key_pair, mint_token
from services.common.settings import ServiceSettings

from .topics import create_topics

app = typer.Typer(help="Operate the xueji platform.", no_args_is_help=True)
stack_app = typer.Typer(help="The local Kafka, MongoDB and S3 servers (development only).")
contracts_app = typer.Typer(help="The message contract documents.")
app.add_typer(stack_app, name="stack")
app.add_typer(contracts_app, name="contracts")

REPO = Path(__file__).resolve().parents[2]
DEV_KEY_DIR = Path(os.environ.get("XUEJI_JWT_LOCAL_KEY_DIR", REPO / ".local" / "dev-jwt"))


def _stack(command: str) -> None:
    script = REPO / "deploy" / "local" / "stack.py"
    raise typer.Exit(subprocess.call([sys.executable, str(script), command]))  # noqa: S603


@stack_app.command("up")
def stack_up() -> None:
    """Install (once) and start the local servers; wait until each answers."""
    _stack("up")


@stack_app.command("down")
def stack_down() -> None:
    """Stop the local servers (their data is kept)."""
    _stack("down")


@stack_app.command("status")
def stack_status() -> None:
    """Show which local servers run."""
    _stack("status")


@app.command("topics")
def topics(
    replication_factor: Annotated[int, typer.Option(min=1, help="Replicas per partition.")] = 1,
    case_partitions: Annotated[str, typer.Option(
        help='JSON object of province topic → partitions, e.g. {"xueji.cases.440000.v2": 12}')] = "{}",
    dead_letter_retention_days: Annotated[int, typer.Option(
        min=1, max=90, help="Retention of xueji.deadletters.v1 (full bodies, registrations included).")] = 14,
) -> None:
    """Create every topic of the contract catalogue that does not exist yet."""
    overrides = json.loads(case_partitions)
    asyncio.run(create_topics(ServiceSettings(), replication_factor, overrides, report=typer.echo,
                              dead_letter_retention_days=dead_letter_retention_days))


@app.command("token")
def token(
    role: Annotated[Role, typer.Option(help="Role of the caller.")],
    org: Annotated[str, typer.Option(help="Organisation code: school code or division code.")],
    hours: Annotated[int, typer.Option(min=1, max=12, help="At most the services' token lifetime.")] = 8,
) -> None:
    """Mint a development bearer token signed with the local key (never in production)."""
    if not ServiceSettings().is_development:
        typer.echo("refused: local tokens are for the local and test environments only", err=True)
        raise typer.Exit(2)
    private, _ = local_key_pair(DEV_KEY_DIR)
    typer.echo(mint_token(private, role, org, ttl=timedelta(hours=hours)))


@contracts_app.command("export")
def contracts_export(directory: Annotated[Path, typer.Argument(help="Folder to write to.")]) -> None:
    """Write the JSON Schemas and the AsyncAPI document to a folder."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "schemas").mkdir(exist_ok=True)
    for path, text in spec.generated_files().items():
        target = directory / ("schemas" if path.parent == spec.SCHEMA_DIR else "") / path.name
        target.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {len(spec.generated_files())} files to {directory}")


@contracts_app.command("check")
def contracts_check() -> None:
    """Fail when the committed documents drift from the models or break the last release."""
    raise typer.Exit(spec.main(["check"]))


@contracts_app.command("consumers")
def contracts_consumers(
    write: Annotated[bool, typer.Option(help="Rewrite consumers.json and the AsyncAPI document.")] = False,
) -> None:
    """Which service consumes which topic, read from the services' subscribers."""
    from .consumers import CONSUMERS_FILE, rendered  # builds every service: only when asked

    if not write:
        typer.echo(rendered(), nl=False)
        raise typer.Exit(0 if CONSUMERS_FILE.read_text(encoding="utf-8") == rendered() else 1)
    CONSUMERS_FILE.write_text(rendered(), encoding="utf-8")
    raise typer.Exit(spec.main(["write"]))


dlq_app = typer.Typer(help="The dead-letter topic.")
app.add_typer(dlq_app, name="dlq")


@dlq_app.command("replay")
def dlq_replay(
    service: Annotated[str | None, typer.Option(
        help="Only this service's dead letters, e.g. xueji-notify.")] = None,
    since: Annotated[datetime | None, typer.Option(
        help="Only those parked at or after this UTC time.")] = None,
    deliveries: Annotated[bool, typer.Option(
        help="Notify's parked webhook deliveries instead: queued again as delivery jobs, in order.")] = False,
    endpoint: Annotated[str | None, typer.Option(
        help="With --deliveries: only this endpoint's (province code) parked jobs.")] = None,
) -> None:
    """Send dead letters not replayed yet back to the topics they came from; with --deliveries,
    queue notify's parked webhook deliveries again (nothing is re-broadcast to a shared topic)."""
    if deliveries:
        from .deadletters import requeue_deliveries

        asyncio.run(requeue_deliveries(ServiceSettings(), endpoint, typer.echo))
        return
    from .deadletters import replay

    parked_since = since.replace(tzinfo=UTC) if since and since.tzinfo is None else since
    asyncio.run(replay(ServiceSettings(), service, typer.echo, parked_since=parked_since))


@app.command("openapi")
def openapi(check: Annotated[bool, typer.Option(help="Only fail when a committed document drifted.")] = False,
            ) -> None:
    """Write (or check) the OpenAPI documents of the workflow, evidence and notify APIs under docs/openapi."""
    from . import openapi as documents

    if check:
        drifted = documents.drifted()
        for path in drifted:
            typer.echo(f"drifted: {path.relative_to(documents.REPO)} (run: xueji openapi)", err=True)
        raise typer.Exit(1 if drifted else 0)
    for path in documents.write():
        typer.echo(f"wrote {path.relative_to(documents.REPO)}")


@app.command("import")
def import_registrations(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSON Lines (UTF-8).")],
) -> None:
    """Publish registrations from a file; rejected rows go to FILE.rejected.csv with line and reason."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from services.dedup import importer

    with Progress(TextColumn("published"), BarColumn(), MofNCompleteColumn()) as bar:
        task = bar.add_task("import", total=None)
        report = importer.import_file(file, ServiceSettings(), lambda n: bar.advance(task, n))
    rejected = importer.write_rejections(file, report)
    typer.echo(f"read {report.read} rows: {report.published} published, {len(report.rejected)} rejected")
    if rejected:
        typer.echo(f"rejected rows with line numbers and reasons: {rejected}")


@app.command("demo")
def demo(
    count: Annotated[int, typer.Option(min=1, help="How many registrations.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 2017,
    output: Annotated[Path, typer.Option(help="Where to write the JSON Lines file.")] = Path(
        ".local/demo-registrations.jsonl"),
) -> None:
    """Generate realistic synthetic registrations and load them through the real pipeline."""
    from itertools import islice

    from services.dedup.demo import Generator

    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as handle:
        for record in islice(Generator(seed).stream(count), count):
            handle.write(record.model_dump_json() + "\n")
    typer.echo(f"wrote {count} synthetic registrations to {output}")
    import_registrations(output)
