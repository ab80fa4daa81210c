"""The `mesocare` command: a thin front over Django's management commands."""

from __future__ import annotations

import argparse
import os
import sys

DEMO_URL = "http://127.0.0.1:{port}"
# `mesocare A B ...` runs management command C with the rest of the arguments.
FORWARDED: dict[tuple[str, str], str] = {
    ("import", "csv"): "import_csv",
    ("fhir", "client"): "smart_client",
    ("fhir", "purge-exports"): "fhir_export_purge",
    ("fhir", "import"): "fhir_import",
    ("audit", "archive"): "audit_archive",
    ("audit", "verify"): "audit_verify",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mesocare", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="migrate, load demo data, print logins and serve")
    demo.add_argument("--no-serve", action="store_true", help="set up only; do not serve")
    demo.add_argument("--port", type=int, default=8000)

    serve = sub.add_parser("serve", help="serve the web UI and API")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--prod", action="store_true", help="gunicorn, production security")
    serve.add_argument("--workers", type=int, default=3)
    serve.add_argument(
        "--threads",
        type=int,
        default=1,
        help="with --prod: threads per worker (more than 1: gunicorn's gthread workers)",
    )

    worker = sub.add_parser(
        "worker", help="deliver patient messages and run background tasks (until SIGTERM)"
    )
    worker.add_argument("--once", action="store_true", help="deliver what is due, then exit")
    worker.add_argument("--outbox-only", action="store_true", help="no django-tasks worker")
    worker.add_argument("--tasks-only", action="store_true", help="no outbox delivery loop")
    worker.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    worker.add_argument("--batch-size", type=int, default=100)

    token = sub.add_parser("token", help="API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="create a token and print it once")
    create.add_argument("--user", required=True, help="the user's email")
    create.add_argument("--org", help="organization slug (default: the user's first)")
    create.add_argument("--name", default="cli")

    seed = sub.add_parser(
        "seed",
        help="synthetic data for load tests: patients in one clinic (--patients), "
        "or a whole chain of clinics with histories on PostgreSQL (--scale)",
    )
    what = seed.add_mutually_exclusive_group(required=True)
    what.add_argument("--patients", type=int, help="add N bare patients to the --org clinic")
    what.add_argument(
        "--scale", type=int, nargs="?", const=1_000_000, metavar="N",
        help="build a chain of N patients (default 1,000,000) with their histories",
    )  # fmt: skip
    seed.add_argument("--org", default="demo", help="with --patients: the clinic's slug")
    seed.add_argument("--organizations", type=int, default=20, help="with --scale")
    seed.add_argument("--locations", type=int, default=60, help="with --scale")
    seed.add_argument("--workers", type=int, default=2, help="with --scale: processes")
    seed.add_argument("--seed", type=int, default=1, help="random seed")

    catalog = sub.add_parser("catalog", help="curated catalog")
    catalog.add_argument("catalog_command", choices=["load"])

    backup = sub.add_parser("backup", help="database dump + private media in one archive")
    backup.add_argument("--output", help="archive path (default var/backups/mesocare-<time>.tar)")

    restore = sub.add_parser("restore", help="replace the database and media from a backup")
    restore.add_argument("archive")
    restore.add_argument("--check", action="store_true", help="verify checksums only")
    restore.add_argument("--yes", action="store_true", help="replace without asking")

    imp = sub.add_parser("import", help="bring data over from another system")
    imp_sub = imp.add_subparsers(dest="import_command", required=True)
    imp_csv = imp_sub.add_parser(
        "csv",
        help="patients, future appointments or stock lots from a CSV file",
        add_help=False,
    )
    imp_csv.add_argument("args", nargs=argparse.REMAINDER)

    fhir = sub.add_parser("fhir", help="FHIR bulk access")
    fhir_sub = fhir.add_subparsers(dest="fhir_command", required=True)
    fhir_sub.add_parser(
        "client", help="register, list or deactivate SMART Backend Services clients"
    )
    fhir_sub.add_parser("purge-exports", help="remove export files past their retention")
    fhir_sub.add_parser(
        "import", help="read a Bulk Data export (ndjson files) into an organization"
    )

    audit = sub.add_parser("audit", help="audit log retention")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser(
        "archive", help="archive the events of past months to a checksummed file, then remove them"
    )
    audit_sub.add_parser("verify", help="check an audit archive file and read it back")

    manage = sub.add_parser("manage", help="any Django management command", add_help=False)
    manage.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def default_site_url(host: str, port: int) -> str:
    """The address links in messages point to when `SITE_URL` is not set: the one being served."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _setup(prod: bool = False, debug: bool = False) -> None:
    if prod:
        os.environ["MESOCARE_PROD"] = "1"
        os.environ.setdefault("DEBUG", "0")
    elif debug:
        os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesocare.settings")
    import django

    django.setup()


def gunicorn_argv(host: str, port: int, workers: int, threads: int) -> list[str]:
    """gunicorn's command line. Threads let a worker serve other requests while one waits for
    PostgreSQL; the keep-alive outlasts a client's pause between requests on one connection."""
    argv = [sys.executable, "-m", "gunicorn", "mesocare.wsgi:application",
            "--bind", f"{host}:{port}", "--workers", str(workers), "--access-logfile", "-",
            "--no-control-socket"]  # fmt: skip
    if threads > 1:
        argv += ["--worker-class", "gthread", "--threads", str(threads), "--keep-alive", "5"]
    return argv


def _serve(host: str, port: int, prod: bool, workers: int, threads: int = 1) -> int:
    from django.core.management import call_command

    if prod:
        call_command("collectstatic", "--noinput", verbosity=0)
        from django.db import connection

        if connection.vendor == "sqlite":
            # One connection first turns the file WAL (settings' init_command): workers that
            # raced to switch a rollback-journal file failed at once with "database is locked".
            connection.ensure_connection()
            connection.close()
        sys.stdout.flush()
        sys.stderr.flush()
        # gunicorn takes this process's place (same pid), so the signals of a service manager
        # reach it; as a child it kept serving after this process was stopped. Its control
        # socket is off: one fixed path in the home folder would be shared by every server
        # on the machine, and a service account's home may not be writable.
        os.execv(sys.executable, gunicorn_argv(host, port, workers, threads))
    call_command("runserver", f"{host}:{port}", "--noreload")
    return 0


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    forwarded = FORWARDED.get((argv[0], argv[1])) if len(argv) >= 2 else None
    if forwarded is not None:
        # Forwarded whole (argparse's REMAINDER would swallow the command's own --help).
        _setup(prod=os.environ.get("MESOCARE_PROD") == "1")
        from django.core.management import execute_from_command_line

        execute_from_command_line([f"mesocare {argv[0]}", forwarded, *argv[2:]])
        return
    args = _parser().parse_args(argv)
    if args.command == "manage":
        _setup(prod=os.environ.get("MESOCARE_PROD") == "1")
        from django.core.management import execute_from_command_line

        execute_from_command_line(["mesocare manage", *args.args])
        return
    if args.command in ("demo", "serve"):
        # Links in messages (portal, invitations, password resets) follow the served address
        # unless the operator names the public one in SITE_URL.
        os.environ.setdefault(
            "SITE_URL", default_site_url(getattr(args, "host", "127.0.0.1"), args.port)
        )
    _setup(prod=getattr(args, "prod", False), debug=args.command == "demo")
    from django.core.management import call_command

    if args.command == "demo":
        call_command("migrate", "--noinput", verbosity=0)
        call_command("demo_data", port=args.port)
        if not args.no_serve:
            sys.exit(_serve("127.0.0.1", args.port, prod=False, workers=1))
    elif args.command == "serve":
        sys.exit(_serve(args.host, args.port, args.prod, args.workers, args.threads))
    elif args.command == "worker":
        from mesocare.notify.runner import run_worker

        sys.exit(
            run_worker(
                once=args.once,
                outbox=not args.tasks_only,
                tasks=not args.outbox_only,
                interval=args.interval,
                batch_size=args.batch_size,
            )
        )
    elif args.command == "token":
        call_command("create_token", user=args.user, org=args.org, name=args.name)
    elif args.command == "seed":
        if args.scale is not None:
            from django.core.management import CommandError

            try:
                call_command(
                    "seed_chain", scale=args.scale, organizations=args.organizations,
                    locations=args.locations, workers=args.workers, seed=args.seed,
                )  # fmt: skip
            except CommandError as exc:
                sys.exit(f"mesocare seed: {exc}")
        else:
            call_command("seed_patients", patients=args.patients, org=args.org, seed=args.seed)
    elif args.command in ("backup", "restore"):
        from mesocare.ops.cli import run_backup_command

        sys.exit(run_backup_command(args))
    elif args.command == "catalog":
        from mesocare.catalog.loader import load_catalog

        counts = load_catalog()
        print(", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
