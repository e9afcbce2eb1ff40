"""The `govguide` command line: the only place (with the API app factory) that reads Settings."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from govguide.config import Settings

app = typer.Typer(help="GovGuide: a grounded assistant for government service centres.", no_args_is_help=True)
corpus_app = typer.Typer(help="Validate and import the curated corpus files.", no_args_is_help=True)
graph_app = typer.Typer(help="Inspect, back up and restore the knowledge graph.", no_args_is_help=True)
bench_app = typer.Typer(
    help="Benchmarks (they print their figures; --json for machine-readable output).", no_args_is_help=True
)
eval_app = typer.Typer(help="Evaluations on the eval/ datasets.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")
app.add_typer(graph_app, name="graph")
app.add_typer(bench_app, name="bench")
app.add_typer(eval_app, name="eval")

console = Console(stderr=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the figures as one JSON object.")]


def _settings() -> Settings:
    return Settings()


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def _save_eval(settings: Settings, name: str, result: dict) -> None:  # type: ignore[type-arg]
    """Keep the latest figures under data_dir/eval/ (the curation console's eval page reads them)."""
    folder = settings.data_dir / "eval"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@app.command()
def ingest(
    corpus_dir: Annotated[
        Path | None, typer.Option("--corpus", help="Corpus directory (default: settings).")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Rows per UNWIND batch.")] = 500,
) -> None:
    """Validate the corpus and load it into the graph (idempotent, all-or-nothing)."""
    from corpus.errors import CorpusValidationError
    from corpus.ingest import ingest_corpus
    from corpus.loader import load_corpus
    from graph.errors import GraphError
    from graph.factory import open_graph_store

    settings = _settings()
    root = corpus_dir or settings.corpus_dir
    try:
        corpus = load_corpus(root)
    except CorpusValidationError as e:
        _fail(f"corpus {root} is invalid; nothing was written.\n{e}")
        return
    try:
        with (
            open_graph_store(settings) as store,
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} steps"),
                TimeElapsedColumn(),
                console=console,
            ) as bar,
        ):
            from corpus.ingest import corpus_rows

            steps = corpus_rows(corpus)
            task = bar.add_task("ingest", total=len(steps.nodes) + 1 + len(steps.rels))

            def progress(desc: str, n: int) -> None:
                bar.update(task, advance=1, description=f"{desc} ({n})")

            report = ingest_corpus(store, corpus, batch_size=batch_size, progress=progress)
            bar.update(task, completed=bar.tasks[0].total, description="done")
    except GraphError as e:
        _fail(f"graph error; the graph is unchanged: {e}")
        return
    table = Table(title=f"Ingested corpus {report.corpus_version} in {report.seconds:.2f} s")
    table.add_column("kind")
    table.add_column("name")
    table.add_column("count", justify="right")
    for label, n in report.nodes.items():
        table.add_row("node", label, str(n))
    for rel, n in report.relationships.items():
        table.add_row("relationship", rel, str(n))
    Console().print(table)
    c = report.changes
    typer.echo(
        f"changes: {c.nodes_created} nodes created, {c.nodes_deleted} deleted, "
        f"{c.relationships_created} relationships created, {c.relationships_deleted} deleted"
    )


@corpus_app.command("validate")
def corpus_validate(
    corpus_dir: Annotated[Path | None, typer.Argument(help="Corpus directory.")] = None,
) -> None:
    """Check every corpus file against its schema and every cross-file reference."""
    from corpus.errors import CorpusValidationError
    from corpus.loader import load_corpus

    root = corpus_dir or _settings().corpus_dir
    try:
        c = load_corpus(root)
    except CorpusValidationError as e:
        _fail(str(e))
        return
    typer.echo(
        f"ok: {len(c.matters)} matters, {len(c.materials)} materials, {len(c.situations)} situations, "
        f"{len(c.forms)} forms, {len(c.bundles)} bundles, {len(c.faqs)} FAQs, {len(c.policies)} policies, "
        f"{len(c.windows)} windows, {len(c.lobby.locations) if c.lobby else 0} locations; version {c.version}"
    )


@corpus_app.command("import-list")
def corpus_import_list(
    table: Annotated[Path, typer.Argument(help="实施清单 table (.csv or .xlsx).")],
    write: Annotated[
        bool, typer.Option("--write", help="Write the records into the corpus directory.")
    ] = False,
    corpus_dir: Annotated[Path | None, typer.Option("--corpus")] = None,
) -> None:
    """Import a national implementation list (实施清单) table as corpus records."""
    from corpus.errors import CorpusValidationError
    from corpus.implementation_list import import_table, write_import
    from corpus.loader import load_corpus

    root = corpus_dir or _settings().corpus_dir
    try:
        result = import_table(table, load_corpus(root))
    except CorpusValidationError as e:
        _fail(f"nothing imported.\n{e}")
        return
    typer.echo(f"{len(result.matters)} matters, {len(result.materials)} new materials read from {table}")
    if write:
        for p in write_import(result, root, table.stem):
            typer.echo(f"wrote {p}")
        try:
            load_corpus(root)
        except CorpusValidationError as e:
            _fail(f"the corpus no longer validates after the import:\n{e}")


@graph_app.command("stats")
def graph_stats(as_json: JsonOpt = False) -> None:
    """Counts per node label and relationship type."""
    from graph.factory import open_graph_store

    with open_graph_store(_settings()) as store:
        s = store.stats()
    if as_json:
        _print_json({"nodes": s.nodes, "relationships": s.relationships})
        return
    for kind, counts in (("nodes", s.nodes), ("relationships", s.relationships)):
        typer.echo(f"{kind}:")
        for k, v in sorted(counts.items()):
            typer.echo(f"  {k:<14} {v:>7}")


@graph_app.command("export")
def graph_export(file: Annotated[Path, typer.Argument(help="Backup file (JSON Lines).")]) -> None:
    """Back up the whole graph to a file."""
    from graph.backup import export_graph
    from graph.factory import open_graph_store

    with open_graph_store(_settings()) as store:
        nodes, rels = export_graph(store, file)
    typer.echo(f"exported {nodes} nodes and {rels} relationships to {file}")


@graph_app.command("import")
def graph_import(
    file: Annotated[Path, typer.Argument(help="Backup file written by `graph export`.")],
) -> None:
    """Restore the graph from a backup (replaces the current content, all-or-nothing)."""
    from graph.backup import import_graph
    from graph.errors import GraphError
    from graph.factory import open_graph_store

    if not file.exists():
        _fail(f"{file} does not exist")
    try:
        with open_graph_store(_settings()) as store:
            summary = import_graph(store, file, clear=True)
    except GraphError as e:
        _fail(f"restore failed; the graph is unchanged: {e}")
        return
    typer.echo(
        f"restored {summary.nodes_created} nodes and {summary.relationships_created} "
        f"relationships from {file}"
    )


@bench_app.command("graph")
def bench_graph(
    as_json: JsonOpt = False,
    runs: Annotated[int, typer.Option(help="Matter-detail queries to time.")] = 1000,
    scale: Annotated[int, typer.Option(help="Multiplier of the generated large catalogue.")] = 10,
) -> None:
    """Ingest time of the demo corpus and of a generated larger catalogue; matter-detail query p50/p95."""
    from eval.bench_graph import format_report, run

    settings = _settings()
    result = run(settings, runs=runs, scale=scale)
    _save_eval(settings, "graph", result)
    _print_json(result) if as_json else typer.echo(format_report(result))


@bench_app.command("vectors")
def bench_vectors(
    as_json: JsonOpt = False,
    n: Annotated[int, typer.Option(help="Synthetic vectors in the index.")] = 1_000_000,
    dim: Annotated[int, typer.Option(help="Vector dimension (the e5 model's is 384).")] = 384,
    queries: Annotated[int, typer.Option(help="Queries to time.")] = 200,
) -> None:
    """Scale benchmark: FAISS index over N synthetic vectors (build time, memory, query p50/p95, recall)."""
    from eval.bench_vectors import run

    result = run(n=n, dim=dim, queries=queries)
    if as_json:
        _print_json(result)
    else:
        for key, value in result.items():
            typer.echo(f"{key:>28}: {value}")


@bench_app.command("voice")
def bench_voice(as_json: JsonOpt = False) -> None:
    """ASR real-time factor, TTS time to first audio, phrase-bias gain, voice turn latency."""
    from dialogue.factory import build_engine
    from eval.bench_voice import format_report, run
    from graph.factory import open_graph_store

    settings = _settings()
    # The voice turn is measured through the real dialogue engine over the ingested graph.
    with open_graph_store(settings) as graph:
        engine = build_engine(settings, graph_store=graph)
        try:
            result = run(settings.corpus_dir, asr_model_dir=settings.voice.asr_model_dir, engine=engine)
        finally:
            engine.store.close()
    _save_eval(settings, "voice", result)
    _print_json(result) if as_json else typer.echo(format_report(result))


@bench_app.command("robot")
def bench_robot(as_json: JsonOpt = False) -> None:
    """Navigation target accuracy over every window and named place of the demo lobby, planning latency."""
    from eval.bench_robot import format_report, run

    settings = _settings()
    result = run(settings.corpus_dir)
    _print_json(result) if as_json else typer.echo(format_report(result))


@bench_app.command("load")
def bench_load(
    as_json: JsonOpt = False,
    duration: Annotated[float, typer.Option(help="Seconds of load (the run stops by itself).")] = 120.0,
    concurrency: Annotated[int, typer.Option(help="Concurrent chat sessions.")] = 20,
    rate: Annotated[
        float, typer.Option(help="Offered turns/s over all sessions (0: as fast as possible).")
    ] = 60.0,
    finder: Annotated[
        str | None, typer.Option(help="Matter finder of the served engine: hybrid or lexical.")
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Server processes (0: one per core, the recommended deployment).")
    ] = 0,
) -> None:
    """API load on loopback: turns/s, latency percentiles, errors (grounded mode)."""
    from eval.bench_load import format_report, run

    settings = _settings()
    if finder:
        if finder not in ("hybrid", "lexical"):
            _fail("--finder must be hybrid or lexical")
        settings = settings.model_copy(update={"api": settings.api.model_copy(update={"finder": finder})})
    result = run(settings, duration_s=duration, concurrency=concurrency, rate=rate, workers=workers)
    _save_eval(settings, "load", result)
    _print_json(result) if as_json else typer.echo(format_report(result))


@eval_app.command("retrieval")
def eval_retrieval(
    as_json: JsonOpt = False,
    split: Annotated[str, typer.Option(help="dev or test.")] = "test",
) -> None:
    """Retrieval hit@1/hit@5/MRR/out-of-scope for BM25, vector, LangChain FAISS and the hybrid retriever."""
    from eval.retrieval_eval import format_report, run

    settings = _settings()
    result = run(settings, split=split)
    _save_eval(settings, "retrieval", result)
    _print_json(result) if as_json else typer.echo(format_report(result))


@eval_app.command("dialogue")
def eval_dialogue(as_json: JsonOpt = False) -> None:
    """Intent accuracy, grounding, guide exactness, form filling vs baseline, turn latency."""
    from eval.dialogue_eval import format_report, run

    settings = _settings()
    result = run(settings)
    _save_eval(settings, "dialogue", result)
    _print_json(result) if as_json else typer.echo(format_report(result))


@app.command()
def demo(
    skip_ingest: Annotated[bool, typer.Option("--skip-ingest", help="Use the graph as it is.")] = False,
) -> None:
    """The main job: load the catalogue into the embedded graph, then play the seed conversation."""
    if not skip_ingest:
        ingest(corpus_dir=None, batch_size=500)
    from dialogue.demo import run_demo

    for utterance, reply in run_demo(_settings()):
        typer.echo(f"\n市民: {utterance}")
        typer.echo(f"GovGuide [{reply.intent}]: {reply.text}")
        for action in reply.actions:
            typer.echo(f"  -> action: {action.model_dump(exclude_none=True)}")
        if reply.citations:
            typer.echo("  -> citations: " + ", ".join(f"{c.id} ({c.source})" for c in reply.citations[:4]))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default: settings, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: settings, 8000).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Server processes (default: settings, 1); e.g. one per core.")
    ] = None,
) -> None:
    """Run the HTTP API, the chat widget and the curation console."""
    from api.app import serve as run_server

    run_server(_settings(), host=host, port=port, workers=workers)


@app.command()
def robot(
    sim: Annotated[
        bool, typer.Option("--sim", help="Drive the simulated robot (the only driver wired here).")
    ] = False,
    audio: Annotated[
        Path | None, typer.Option(help="WAV file of the citizen's speech, or - for raw 16 kHz PCM on stdin.")
    ] = None,
    say: Annotated[list[str] | None, typer.Option("--say", help="A typed utterance (repeatable).")] = None,
    display_port: Annotated[
        int, typer.Option(help="Head-display WebSocket port on 127.0.0.1 (0: any free).")
    ] = 0,
    elderly: Annotated[bool, typer.Option(help="Slower speech and larger display text.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The lobby robot runtime: audio -> ASR -> dialogue engine -> TTS + navigation, with a head display."""
    if not sim:
        _fail(
            "only --sim is wired to the command line; a ROS 2 robot uses robot.ros2.Ros2Driver (see README)"
        )
    from dialogue.factory import build_engine
    from graph.factory import open_graph_store
    from robot.simrun import run_sim

    settings = _settings()
    utterances = say or ([] if audio else ["护士执业证书重新注册要带什么", "带我到办事窗口"])
    with open_graph_store(settings) as graph:
        engine = build_engine(settings, graph_store=graph)
        try:
            result = run_sim(
                settings,
                audio=audio,
                utterances=utterances,
                handler=engine,
                asr_model_dir=settings.voice.asr_model_dir,
                tts_backend=settings.voice.tts_backend,
                tts_voice=settings.voice.tts_voice,
                display_port=display_port,
                elderly=elderly,
            )
        finally:
            engine.store.close()
    if as_json:
        _print_json(result)
        return
    for turn in result.get("turns", []):
        typer.echo(f"市民: {turn.get('heard')}\n机器人: {turn.get('said')}")
    typer.echo(f"robot: {result.get('robot')}")


users_app = typer.Typer(help="Curator and admin accounts of the curation console.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="curator or admin.")] = "curator",
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="At least 8 characters (prompted when omitted).",
        ),
    ] = "",
) -> None:
    """Create a curation-console account (password stored as an argon2 hash)."""
    from api.db import ApiDatabase
    from api.runtime import make_auth

    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    auth = make_auth(ApiDatabase(settings.dialogue.db_url(settings.data_dir)), settings)
    try:
        auth.create_user(name, password, role)
    except Exception as e:  # noqa: BLE001 - Conflict / ValueError become a clear message
        _fail(str(e) or type(e).__name__)
    typer.echo(f"created {role} {name}")


def main() -> None:  # pragma: no cover
    app()
