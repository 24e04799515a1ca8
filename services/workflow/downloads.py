"""The export's files (``GET /v1/cases/export``): CSV streamed batch by batch as the store is read,
or an Excel workbook written in constant memory to an anonymous temporary file (gone once closed,
whatever happens) and then streamed. Either carries an ASCII file name.
"""

import asyncio
import csv
import io
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime
from typing import IO, Any, Literal

from fastapi.responses import StreamingResponse
from xlsxwriter import Workbook

from .usecases import Export

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"  # so Excel reads the CSV as UTF-8
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SHEET = "问题学籍"
CHUNK = 64 * 1024
# every value is text: nothing the workbook holds is read as a number, a formula or a link
TEXT_ONLY = {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
             "strings_to_urls": False}

Format = Literal["csv", "xlsx"]


def file_name(now: datetime, fmt: Format) -> str:
    return f"problem-records-{now:%Y%m%d-%H%M%S}.{fmt}"


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def csv_cell(value: str) -> str:
    """A value a spreadsheet would take for a formula is kept as text."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def csv_lines(rows: list[tuple[str, ...]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([csv_cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


async def csv_chunks(export: Export) -> AsyncIterator[bytes]:
    yield BOM.encode("utf-8") + csv_lines([export.columns])
    async for rows in export.batches:
        if rows:
            yield csv_lines(rows)


def _write_rows(sheet: Any, first: int, rows: list[tuple[str, ...]]) -> None:
    for offset, row in enumerate(rows):
        for column, value in enumerate(row):
            if value:
                sheet.write_string(first + offset, column, value)


async def write_workbook(export: Export, file: IO[bytes]) -> None:
    """The whole export into ``file``, a batch at a time (the workbook keeps one row in memory)."""
    workbook = Workbook(file, TEXT_ONLY)
    sheet = workbook.add_worksheet(SHEET)
    await asyncio.to_thread(_write_rows, sheet, 0, [export.columns])
    written = 1
    async for rows in export.batches:
        await asyncio.to_thread(_write_rows, sheet, written, rows)
        written += len(rows)
    await asyncio.to_thread(workbook.close)


async def file_chunks(file: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(file.read, CHUNK):
            yield chunk
    finally:
        file.close()


async def download(export: Export, fmt: Format) -> StreamingResponse:
    """The export as a file download; the workbook is complete before its first byte is sent, so a
    refusal while writing it is still an answer of its own."""
    headers = attachment(file_name(export.made_at, fmt))
    if fmt == "csv":
        return StreamingResponse(csv_chunks(export), media_type=CSV_TYPE, headers=headers)
    file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by file_chunks, or below
    try:
        await write_workbook(export, file)
        size = file.tell()
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return StreamingResponse(file_chunks(file), media_type=XLSX_TYPE,
                             headers={**headers, "Content-Length": str(size)})
