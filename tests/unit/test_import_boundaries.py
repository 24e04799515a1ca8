"""STYLE.md: domain code imports no I/O library; services never import each other."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("dedup", "workflow", "evidence", "notify")
IO_LIBRARIES = {"faststream", "pymongo", "motor", "minio", "aiokafka", "fastapi", "httpx",
                "uvicorn", "requests", "aiosmtplib", "socket", "urllib", "asyncio", "subprocess"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def absolute_imports(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved against its package."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def python_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


@pytest.mark.parametrize("service", SERVICES)
def test_domain_code_imports_no_io_library(service: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files(ROOT / "services" / service / "domain")
        for module in imported_modules(path)
        if module.split(".")[0] in IO_LIBRARIES
    ]
    assert offenders == []


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_only_itself_common_and_contracts(service: str) -> None:
    others = {f"services.{s}" for s in SERVICES if s != service} | {"services.cli"}
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files(ROOT / "services" / service)
        for module in imported_modules(path)
        if any(module == o or module.startswith(o + ".") for o in others)
    ]
    assert offenders == []


def use_case_files(service: str) -> list[Path]:
    folder = ROOT / "services" / service
    return [p for p in [folder / "usecases.py", *python_files(folder / "usecases")] if p.exists()]


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_use_cases_and_ports(service: str) -> None:
    assert use_case_files(service), f"{service} has no usecases.py or usecases/"
    assert (ROOT / "services" / service / "ports.py").exists()


@pytest.mark.parametrize("service", SERVICES)
def test_use_cases_import_no_adapter(service: str) -> None:
    adapters = f"services.{service}.adapters"
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in use_case_files(service)
        for module in absolute_imports(path)
        if module == adapters or module.startswith(adapters + ".")
    ]
    assert offenders == []


# the edges: HTTP routes and Kafka subscribers
EDGES = ("api.py", "handlers.py")


@pytest.mark.parametrize("service", SERVICES)
def test_routes_and_subscribers_reach_the_domain_only_through_use_cases(service: str) -> None:
    domain = f"services.{service}.domain"
    allowed = {f"{domain}.errors"}  # what a refusal is, not a rule
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for name in EDGES
        if (path := ROOT / "services" / service / name).exists()
        for module in absolute_imports(path)
        if (module == domain or module.startswith(domain + "."))
        and not any(module == a or module.startswith(a + ".") for a in allowed)
    ]
    assert offenders == []


def test_common_plumbing_imports_no_service() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files(ROOT / "services" / "common")
        for module in imported_modules(path)
        if module.startswith("services.") and not module.startswith("services.common")
    ]
    assert offenders == []


def test_contracts_stand_alone() -> None:
    allowed = {"pydantic", "xueji_contracts"}
    stdlib = {"json", "sys", "unicodedata", "datetime", "typing", "uuid", "enum", "dataclasses", "pathlib",
              "importlib", "importlib.metadata", "hmac", "hashlib", "time", "collections", "collections.abc"}
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files(ROOT / "contracts" / "xueji_contracts")
        for module in imported_modules(path)
        if module.split(".")[0] not in allowed and module not in stdlib
        and module.split(".")[0] not in stdlib
    ]
    assert offenders == []


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "rule.py"
    sample.write_text("from pymongo import AsyncMongoClient\nimport services.workflow.api\n")
    assert {"pymongo", "services.workflow.api"} <= imported_modules(sample)


def test_relative_imports_are_resolved() -> None:
    handlers = ROOT / "services" / "workflow" / "handlers.py"
    assert "services.workflow.settings" in absolute_imports(handlers)


def test_the_console_is_a_client_of_the_services_and_imports_none_of_them() -> None:
    """It reaches the workflow, evidence and notify over their HTTP APIs only (issue: a client)."""
    for path in (ROOT / "services" / "console").rglob("*.py"):
        others = {m for m in absolute_imports(path) if m.startswith("services.")
                  and not m.startswith(("services.console", "services.common"))}
        assert not others, f"{path.relative_to(ROOT)} imports {sorted(others)}"
