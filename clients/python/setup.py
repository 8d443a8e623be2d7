"""Generates the gRPC stubs at build time from the repository's protos/ (never committed): protos/inference.proto
becomes hiertcn_client/v1/inference_pb2.py and inference_pb2_grpc.py in the build directory. The .proto files are read
from ../../protos, or from the folder named by HIERTCN_PROTOS."""
import os
import shutil
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
PROTOS = ["inference.proto"]
PACKAGE = "hiertcn_client/v1"


def protos_dir() -> Path:
    folder = Path(os.environ.get("HIERTCN_PROTOS", HERE.parent.parent / "protos"))
    missing = [name for name in PROTOS if not (folder / name).is_file()]
    if missing:
        raise SystemExit(f"hiertcn-client: {', '.join(missing)} not found in {folder}; build from the repository "
                         "checkout (clients/python) or set HIERTCN_PROTOS to the protos/ folder")
    return folder


class BuildWithStubs(build_py):
    """build_py, then protoc (grpc_tools) on protos/ into the build directory."""

    def run(self):
        super().run()
        from grpc_tools import protoc

        source = protos_dir()
        out = Path(self.build_lib)
        with tempfile.TemporaryDirectory() as include:
            # Copied under the package path so the generated grpc module imports hiertcn_client.v1.inference_pb2.
            target = Path(include) / PACKAGE
            target.mkdir(parents=True)
            for name in PROTOS:
                shutil.copyfile(source / name, target / name)
            args = ["grpc_tools.protoc", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}"]
            args += [str(target / name) for name in PROTOS]
            if protoc.main(args) != 0:
                raise SystemExit(f"hiertcn-client: protoc failed on {', '.join(PROTOS)} from {source}")
        (out / PACKAGE / "__init__.py").write_text('"""Stubs generated from protos/ at build time."""\n')


setup(cmdclass={"build_py": BuildWithStubs})
