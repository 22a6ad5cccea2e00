"""Loading a model trusts only the exact types perfcore writes (a crafted file runs no code)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from perfcore.errors import InputError
from perfcore.training.models import MODEL_TYPES, build_model
from perfcore.training.promotion import TRUSTED_TYPES, load_model


def _json_node(value: Any) -> dict[str, Any]:
    return {
        "__class__": type(value).__name__,
        "__module__": "builtins",
        "__loader__": "JsonNode",
        "content": json.dumps(value),
        "is_json": True,
        "__id__": id(value),
    }


def _runstring_node(code: str) -> dict[str, Any]:
    """A skops node that calls numpy.testing._private.utils.runstring(code, {}) on load."""
    args = {
        "__class__": "tuple",
        "__module__": "builtins",
        "__loader__": "TupleNode",
        "content": [
            _json_node(code),
            {
                "__class__": "dict",
                "__module__": "builtins",
                "__loader__": "DictNode",
                "content": {},
                "key_types": {
                    "__class__": "list",
                    "__module__": "builtins",
                    "__loader__": "ListNode",
                    "content": [],
                    "__id__": 2,
                },
                "__id__": 3,
            },
        ],
        "__id__": 1,
    }
    return {
        "__class__": "runstring",
        "__module__": "numpy.testing._private.utils",
        "__loader__": "ConstructorFromReduceNode",
        "content": args,
        "__id__": 4,
    }


def _crafted_model(tmp_path: Path, marker: Path) -> Path:
    """A real logistic model's skops file with the payload planted in its state."""
    import skops.io as sio

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    model = build_model("logistic", epochs=1, batch_size=8, seed=0).fit(x, (x[:, 0] > 0) * 1)
    archive = zipfile.ZipFile(io.BytesIO(sio.dumps(model)))
    schema = json.loads(archive.read("schema.json"))
    code = f"open({str(marker)!r}, 'w').write('pwned')"
    state = schema["content"]
    state["content"]["payload"] = _runstring_node(code)
    state["key_types"]["content"].append(
        {"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode", "__id__": 5}
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as crafted:
        for name in archive.namelist():
            data = json.dumps(schema) if name == "schema.json" else archive.read(name)
            crafted.writestr(name, data)
    path = tmp_path / "models" / "current" / "logistic.skops"
    path.parent.mkdir(parents=True)
    path.write_bytes(out.getvalue())
    return path


def test_crafted_file_names_the_payload_type(tmp_path: Path) -> None:
    """The crafted file really carries the code-running type (the test's premise)."""
    import skops.io as sio

    path = _crafted_model(tmp_path, tmp_path / "marker")
    assert "numpy.testing._private.utils.runstring" in sio.get_untrusted_types(file=path)


def test_load_model_refuses_a_code_running_type(tmp_path: Path) -> None:
    """load_model refuses the crafted file before anything in it runs."""
    marker = tmp_path / "marker"
    path = _crafted_model(tmp_path, marker)
    with pytest.raises(InputError, match=r"runstring"):
        load_model(path)
    assert not marker.exists()


def test_serve_refuses_the_crafted_model_with_exit_2(tmp_path: Path) -> None:
    """perfcore serve exits 2 with one line on the crafted model and runs none of it."""
    marker = tmp_path / "marker"
    path = _crafted_model(tmp_path, marker)
    proc = subprocess.run(
        [sys.executable, "-m", "perfcore", "serve", "--model-dir", str(path.parent), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "refusing untrusted types" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not marker.exists()


def test_not_a_skops_file_is_an_input_error(tmp_path: Path) -> None:
    """A file that is not a skops archive is refused as bad input, not a crash."""
    path = tmp_path / "m.skops"
    path.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a skops model file"):
        load_model(path)


@pytest.mark.parametrize("model_type", MODEL_TYPES)
def test_every_model_type_loads_with_the_exact_list(tmp_path: Path, model_type: str) -> None:
    """Each model perfcore writes needs only types on the exact list, and loads back."""
    import skops.io as sio

    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 4))
    y = (x[:, 0] + x[:, 1] > 0) * 1
    model = build_model(model_type, epochs=2, batch_size=16, seed=1).fit(x, y)
    path = tmp_path / f"{model_type}.skops"
    path.write_bytes(sio.dumps(model))
    assert set(sio.get_untrusted_types(file=path)) <= TRUSTED_TYPES
    np.testing.assert_allclose(load_model(path).predict_proba(x), model.predict_proba(x))
