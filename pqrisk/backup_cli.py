"""`pqrisk backup` / `pqrisk restore`: the PostgreSQL database and the uploaded files.

A backup is a directory ``pqrisk-backup-<UTC time>`` holding

- ``database.dump``: ``pg_dump --format=custom`` of ``DATABASE_URL``;
- ``media.tar``: the uploaded files (``MEDIA_ROOT``: warning photos, case evidence, lab
  result files, disposal and communication attachments), paths relative to it;
- ``manifest.json``: the sha256 and size of both parts, the exact row count of every table
  and the sha256 of every uploaded file; ``SHA256SUMS`` (for ``sha256sum -c`` where there
  is no Python, e.g. the off-site copy).

The dump and the row counts come from one snapshot (``pg_export_snapshot`` shared with
``pg_dump --snapshot``), so the counts are those of the dump even while the platform keeps
writing. The files are archived after the snapshot: an uploaded file is written before its
row commits, so every file a dumped row names is already on disk. The directory is written
as ``….partial`` and renamed when complete; a backup without its manifest is not one.

``restore`` checks the parts against the manifest before it touches anything, restores the
dump into a database that must not exist yet (or is replaced with ``--replace``), unpacks
the files into a directory that must be empty, then checks every table's row count and
every file's checksum against the manifest. Messages are in Chinese for the operator.

Runs without Django (``python -m pqrisk.backup_cli``) so that the scripts in ``scripts/``
work on a host with only the virtual environment and the PostgreSQL client tools.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import click

FORMAT = 1  # manifest format version
DUMP = "database.dump"
MEDIA = "media.tar"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
PREFIX = "pqrisk-backup-"
CHUNK = 1 << 20


class BackupError(Exception):
    """A refused or failed backup step, with the reason an operator reads (Chinese)."""


# -------------------------------------------------------------------------------- helpers


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _database_url(url: str | None) -> str:
    url = url or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise BackupError("备份和恢复只支持 PostgreSQL：请设置 DATABASE_URL=postgresql://…")
    return url


def _with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` on the same server."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    params["dbname"] = name
    return make_conninfo("", **{k: v for k, v in params.items() if v is not None})


def _public_url(url: str) -> dict[str, Any]:
    """Where the database is, for the manifest: never the password."""
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(url)
    return {k: params.get(k) for k in ("host", "port", "dbname", "user")}


def default_media_root() -> Path:
    """``MEDIA_ROOT`` of the settings in ``DJANGO_SETTINGS_MODULE`` (``var/media`` by
    default)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqrisk.settings.dev")
    from django.conf import settings

    return Path(settings.MEDIA_ROOT)


def _client_args(url: str) -> tuple[str, dict[str, str]]:
    """``--dbname`` for pg_dump / pg_restore without the password, which goes in the
    environment instead (a command line is visible to every user of the host)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = {k: v for k, v in conninfo_to_dict(url).items() if v is not None}
    password = params.pop("password", None)
    env = {**os.environ, **({"PGPASSWORD": str(password)} if password else {})}
    return f"--dbname={make_conninfo('', **params)}", env


def _run(cmd: list[str], what: str, url: str) -> None:
    dbname, env = _client_args(url)
    proc = subprocess.run([*cmd, dbname], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise BackupError(f"{what}失败（退出码 {proc.returncode}）：{proc.stderr.strip()[-800:]}")


def _media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Regular files under ``root`` in a stable order, as (posix relative path, path)."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path.relative_to(root).as_posix(), path


def table_counts(cursor: Any) -> dict[str, int]:
    """Exact row counts of every table of the public schema."""
    cursor.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    names = [row[0] for row in cursor.fetchall()]
    counts: dict[str, int] = {}
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        cursor.execute(f"SELECT count(*) FROM public.{quoted}")
        row = cursor.fetchone()
        counts[name] = int(row[0]) if row else 0
    return counts


# -------------------------------------------------------------------------------- backup


@dataclass(frozen=True)
class BackupResult:
    directory: Path
    manifest: dict[str, Any]


def backup(
    destination: Path,
    *,
    database_url: str | None = None,
    media_root: Path | None = None,
    keep: int | None = None,
    now: datetime | None = None,
) -> BackupResult:
    """Write a backup directory under ``destination``; prune to the newest ``keep``."""
    import psycopg

    url = _database_url(database_url)
    media = Path(media_root) if media_root is not None else default_media_root()
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    final = Path(destination) / f"{PREFIX}{stamp}"
    if final.exists():
        raise BackupError(f"备份目录已存在：{final}")
    work = final.with_name(final.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            # The snapshot lives as long as this transaction: pg_dump and the counts share it.
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            row = conn.execute(
                "SELECT pg_export_snapshot(), current_setting('server_version')"
            ).fetchone()
            assert row is not None
            snapshot, server_version = row
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={work / DUMP}",
                ],
                "数据库导出（pg_dump）",
                url,
            )
            with conn.cursor() as cursor:
                counts = table_counts(cursor)
            conn.execute("COMMIT")
        files: dict[str, dict[str, Any]] = {}
        with tarfile.open(work / MEDIA, "w", format=tarfile.PAX_FORMAT) as tar:
            for relative, path in _media_files(media):
                files[relative] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
                tar.add(path, arcname=relative, recursive=False)
        parts = {
            name: {"sha256": sha256_file(work / name), "bytes": (work / name).stat().st_size}
            for name in (DUMP, MEDIA)
        }
        manifest = {
            "format": FORMAT,
            "created_at": (now or datetime.now(UTC)).isoformat(),
            "database": _public_url(url),
            "server_version": server_version,
            "media_root": str(media),
            "parts": parts,
            "tables": counts,
            "media_files": files,
        }
        (work / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        )
        (work / SUMS).write_text(
            "".join(f"{parts[name]['sha256']}  {name}\n" for name in (DUMP, MEDIA))
        )
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if keep is not None:
        prune(Path(destination), keep)
    return BackupResult(final, manifest)


def complete_backups(destination: Path) -> list[Path]:
    """Complete backups under ``destination``, oldest first (names sort by time)."""
    return sorted(
        p
        for p in destination.glob(f"{PREFIX}*")
        if p.is_dir() and not p.name.endswith(".partial") and (p / MANIFEST).is_file()
    )


def prune(destination: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` complete backups; return the deleted ones."""
    if keep < 1:
        raise BackupError("至少保留 1 份备份")
    old = complete_backups(destination)[:-keep]
    for path in old:
        shutil.rmtree(path)
    return old


# -------------------------------------------------------------------------------- restore


def read_manifest(directory: Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise BackupError(f"不是完整的备份：{directory} 中没有 {MANIFEST}")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except ValueError as exc:
        raise BackupError(f"备份清单 {MANIFEST} 无法读取：{exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不支持的备份清单格式：{manifest.get('format')}")
    return manifest


def verify_parts(directory: Path, manifest: dict[str, Any]) -> None:
    """Refuse a backup whose parts are missing or differ from the manifest."""
    for name, expected in manifest["parts"].items():
        path = Path(directory) / name
        if not path.is_file():
            raise BackupError(f"备份不完整：缺少 {name}")
        if sha256_file(path) != expected["sha256"]:
            raise BackupError(f"备份文件 {name} 的校验值与清单不符，文件可能已损坏，不予恢复")


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in tar.getmembers():
        path = PurePosixPath(member.name)
        if not member.isfile() or path.is_absolute() or ".." in path.parts:
            raise BackupError(f"上传文件归档中有不安全的条目，不予恢复：{member.name}")
        members.append(member)
    return members


@dataclass(frozen=True)
class RestoreResult:
    database: str
    media_root: Path
    tables: int
    rows: int
    files: int


def restore(
    directory: Path,
    *,
    database: str,
    media_root: Path,
    database_url: str | None = None,
    replace: bool = False,
) -> RestoreResult:
    """Restore the backup in ``directory`` into database ``database`` (on the server of
    ``DATABASE_URL``) and the directory ``media_root``; verify both against the manifest."""
    import psycopg
    from psycopg import sql

    url = _database_url(database_url)
    manifest = read_manifest(directory)
    verify_parts(directory, manifest)
    media = Path(media_root)
    if media.exists() and any(media.iterdir()) and not replace:
        raise BackupError(f"上传文件目录 {media} 不是空的；确认覆盖请加 --replace")

    admin = _with_database(url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if exists and not replace:
            raise BackupError(f"数据库 {database} 已存在；恢复到新库，或确认覆盖后加 --replace")
        if exists:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    target = _with_database(url, database)
    try:
        _run(
            [
                "pg_restore",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                str(Path(directory) / DUMP),
            ],
            "数据库恢复（pg_restore）",
            target,
        )
    except BackupError as exc:
        # A half-restored database is of no use and would block the next attempt.
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
        raise BackupError(f"{exc}（未完成的数据库 {database} 已删除）") from exc

    if replace and media.exists():
        shutil.rmtree(media)
    media.mkdir(parents=True, exist_ok=True)
    with tarfile.open(Path(directory) / MEDIA) as tar:
        tar.extractall(media, members=_safe_members(tar), filter="data")

    problems: list[str] = []
    with psycopg.connect(target) as conn, conn.cursor() as cursor:
        counts = table_counts(cursor)
    for table, expected in manifest["tables"].items():
        if counts.get(table) != expected:
            problems.append(f"表 {table}：应有 {expected} 行，恢复后 {counts.get(table)} 行")
    restored = {relative: path for relative, path in _media_files(media)}
    for relative, expected in manifest["media_files"].items():
        path = restored.get(relative)
        if path is None:
            problems.append(f"上传文件缺失：{relative}")
        elif sha256_file(path) != expected["sha256"]:
            problems.append(f"上传文件校验值不符：{relative}")
    if problems:
        raise BackupError("恢复后核对不一致：\n" + "\n".join(problems[:50]))
    return RestoreResult(
        database=database,
        media_root=media,
        tables=len(manifest["tables"]),
        rows=sum(manifest["tables"].values()),
        files=len(manifest["media_files"]),
    )


# -------------------------------------------------------------------------------- commands


def _fail(exc: BackupError) -> None:
    raise click.ClickException(str(exc))


@click.command("backup", help="备份数据库（pg_dump）和上传文件，写入带时间戳的备份目录及校验清单")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
@click.option("--database-url", default=None, help="默认取环境变量 DATABASE_URL")
@click.option(
    "--media-root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="上传文件目录，默认取配置 MEDIA_ROOT",
)
@click.option("--keep", type=int, default=None, help="只保留最新的若干份备份，较旧的删除")
def backup_command(
    destination: Path, database_url: str | None, media_root: Path | None, keep: int | None
) -> None:
    try:
        result = backup(destination, database_url=database_url, media_root=media_root, keep=keep)
    except BackupError as exc:
        _fail(exc)
        return
    m = result.manifest
    click.echo(
        f"备份完成：{result.directory}\n"
        f"  数据库 {m['database']['dbname']}：{len(m['tables'])} 张表，"
        f"{sum(m['tables'].values())} 行，导出 {m['parts'][DUMP]['bytes']} 字节\n"
        f"  上传文件 {len(m['media_files'])} 个，归档 {m['parts'][MEDIA]['bytes']} 字节"
    )


@click.command("restore", help="把备份恢复到新的数据库和上传文件目录，并按清单核对行数和文件校验值")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--database", required=True, help="恢复到的数据库名（同一 PostgreSQL 服务器）")
@click.option(
    "--media-root",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="恢复上传文件的目录（须为空或不存在）",
)
@click.option("--database-url", default=None, help="服务器连接，默认取环境变量 DATABASE_URL")
@click.option("--replace", is_flag=True, help="目标数据库或目录已存在时覆盖")
def restore_command(
    directory: Path, database: str, media_root: Path, database_url: str | None, replace: bool
) -> None:
    try:
        result = restore(
            directory,
            database=database,
            media_root=media_root,
            database_url=database_url,
            replace=replace,
        )
    except BackupError as exc:
        _fail(exc)
        return
    click.echo(
        f"恢复完成并已核对：数据库 {result.database}（{result.tables} 张表，{result.rows} 行），"
        f"上传文件 {result.files} 个 → {result.media_root}"
    )


@click.group(help="pqrisk 备份与恢复")
def main() -> None:
    pass


main.add_command(backup_command)
main.add_command(restore_command)


if __name__ == "__main__":
    sys.exit(main())
