"""Issue: bad input reached a traceback or was accepted. Generated malformed rig files, run ids, params.yaml,
label files and import mappings go to the CLI: every case exits 2 with one error line naming the file or field
and a hint at the next step; no traceback; nothing is created or changed."""

from __future__ import annotations

import copy
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import need_module
from weldctl.schema import default_sim_rig, dump_rig

hypothesis = need_module("hypothesis", "hypothesis drives the bad-input fuzz test: pip install -e '.[dev]'")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from weldctl.cli import app  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
# Derandomized and not shrunk: the same cases on every run, and a failure reports the case it met at once.
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# Invalid wherever they land in a rig or mapping: a mapping with an unknown key (every model forbids extras),
# and infinity (no field takes it).
POISON = [{"not_a_field": 1}, math.inf, -math.inf]


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value in a YAML document."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _set(doc: Any, path: tuple, value: Any) -> Any:
    doc = copy.deepcopy(doc)
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return doc


def check_refused(work: Path, args: list[str], names: list[str]) -> None:
    """Exit 2, no exception, one error line naming one of ``names`` (file or field), a hint; nothing changed."""
    before = _snapshot(work)
    res = CliRunner().invoke(app, args, catch_exceptions=True, env={"COLUMNS": "400"})
    err = res.stderr
    assert res.exception is None or isinstance(res.exception, SystemExit), (args, repr(res.exception), err)
    assert res.exit_code == 2, (args, res.exit_code, res.output)
    assert "Traceback" not in res.output, res.output
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    assert any(n in err for n in names), (names, err)
    assert "→" in err, err  # the next step
    assert _snapshot(work) == before, (args, err)


def _rig_doc() -> dict:
    return yaml.safe_load(dump_rig(default_sim_rig()))


RIG_PATHS = _paths(_rig_doc())


@SETTINGS
@given(path=st.sampled_from(RIG_PATHS), value=st.sampled_from(POISON))
def test_rig_files_with_a_poisoned_field(tmp_path: Path, path: tuple, value: Any) -> None:
    rig = tmp_path / "rig.yaml"
    rig.write_text(yaml.safe_dump(_set(_rig_doc(), path, value)))
    field = str(path[-1]) if isinstance(path[-1], str) else str(path[-2])
    check_refused(tmp_path, ["rig", "validate", str(rig)], [str(rig)])
    check_refused(tmp_path, ["record", "--run-id", "RF", "--rig", str(rig), "--out", str(tmp_path / "runs"),
                             "--duration", "0.2", "--no-live"], [f"{field}", str(rig)])


INFEASIBLE = {
    "fps .inf": ((("devices", 0, "fps"), math.inf), "fps"),
    "1e12 Hz DAQ": ((("devices", 2, "rate_hz"), 1e12), "rate_hz"),
    "4096² camera at full rate": ((("devices", 0, "width"), 4096), "GB/s"),
    "repeat 1e9": ((("sim", "repeat"), 10**9), "repeat"),
    "lead_s 1e12": ((("sim", "lead_s"), 1e12), "lead_s"),
    "no devices": ((("devices",), []), "devices"),
}


@pytest.mark.parametrize("case", sorted(INFEASIBLE))
def test_infeasible_rigs_are_refused(tmp_path: Path, case: str) -> None:
    (path, value), names = INFEASIBLE[case]
    doc = _set(_rig_doc(), path, value)
    if case.startswith("4096"):
        doc = _set(doc, ("devices", 0, "height"), 4096)
    rig = tmp_path / "rig.yaml"
    rig.write_text(yaml.safe_dump(doc))
    check_refused(tmp_path, ["record", "--run-id", "RF", "--rig", str(rig), "--out", str(tmp_path / "runs"),
                             "--duration", "0.2", "--no-live"], [names])


@SETTINGS
@given(junk=st.binary(min_size=1, max_size=64), cut=st.integers(min_value=1, max_value=400))
def test_rig_files_that_are_not_rig_files(tmp_path: Path, junk: bytes, cut: int) -> None:
    text = dump_rig(default_sim_rig())
    cases = {
        "latin1.yaml": b"name: s\xe9\xff\n" + junk,  # not UTF-8
        "truncated.yaml": (text[:cut] + "\n  : [").encode(),  # cut mid-document, unbalanced
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "a_folder.yaml").mkdir(exist_ok=True)
    for name in [*cases, "a_folder.yaml"]:
        check_refused(tmp_path, ["rig", "validate", str(tmp_path / name)], [name])


BAD_ID = st.one_of(
    st.text(alphabet="ab1[]/\\ *?:;'\"$~#%{}<>|&!\t", min_size=1, max_size=12).filter(
        lambda s: any(c in s for c in "[]/\\ *?:;'\"$~#%{}<>|&!\t")),
    st.sampled_from(["", "..", "R1.", "R1.zarr", "r.ZARR", "[/]", "[red]R1", "x" * 65, ".hidden", "-x/..", "a..b"]),
)


@SETTINGS
@given(run_id=BAD_ID)
def test_bad_run_ids_create_nothing(tmp_path: Path, run_id: str) -> None:
    out = tmp_path / "runs"
    check_refused(tmp_path, ["record", "--run-id", run_id, "--out", str(out), "--duration", "0.2", "--no-live"],
                  ["run id"])
    assert not out.exists()


def _params_doc() -> dict:
    return yaml.safe_load((REPO / "params.yaml").read_text())


PARAM_PATHS = [p for p in _paths(_params_doc()) if p[0] != "segment"]


@SETTINGS
@given(section=st.sampled_from(sorted(_params_doc())), typo=st.integers(min_value=0, max_value=3),
       path=st.sampled_from(PARAM_PATHS), value=st.sampled_from(POISON), which=st.sampled_from(["typo", "value"]))
def test_bad_params_files(tmp_path: Path, section: str, typo: int, path: tuple, value: Any, which: str) -> None:
    doc = _params_doc()
    if which == "typo":  # a misspelled section used to be ignored, its stage run on defaults
        wrong = section[:typo] + section[typo + 1 :] if len(section) > typo else section + "s"
        doc[wrong] = doc.pop(section)
        names = [wrong]
    else:
        doc = _set(doc, path, value)
        names = [str(k) for k in path if isinstance(k, str)]
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(doc))
    check_refused(tmp_path, ["dataset", "samples", str(tmp_path / "runs"), "--params", str(params),
                             "--out", str(tmp_path / "work")], names)


LABEL = {"run_id": "R1", "weld_id": 0, "annotator": "ann", "labels": {"penetration": "full"},
         "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "source": "label_studio"}


@SETTINGS
@given(kind=st.sampled_from(["outside", "duplicate", "poison", "not_utf8", "not_json"]),
       key=st.sampled_from(sorted(LABEL)), value=st.sampled_from([*POISON[:1], "", "fulll", "LACK"]))
def test_bad_label_files(tmp_path: Path, kind: str, key: str, value: Any) -> None:
    rec = dict(LABEL)
    lines = [json.dumps(rec)]
    if kind == "outside":  # a value outside the taxonomy used to become a class of its own
        lines = [json.dumps({**rec, "labels": {"penetration": str(value) or "partial_"}})]
    elif kind == "duplicate":
        lines.append(json.dumps({**rec, "updated_at": "2026-01-02T00:00:00Z"}))
    elif kind == "poison":
        lines = [json.dumps({**rec, key: {"not_a_field": 1} if key != "labels" else {"penetration": [1]}})]
    data = "\n".join(lines).encode()
    if kind == "not_utf8":
        data = b"\xff\xfe" + data
    elif kind == "not_json":
        data = data[: len(data) // 2]
    labels = tmp_path / "labels.jsonl"
    labels.write_bytes(data)
    check_refused(tmp_path, ["label", "status", "--labels", str(labels), "--taxonomy", "laser"], ["labels.jsonl"])


def _mapping_doc() -> dict:
    return yaml.safe_load((REPO / "examples" / "import" / "gmaw-sample.yaml").read_text())


# run.manifest and run.labels are free-form maps (extra manifest fields, a lab's own label names): their
# entries are fuzzed, the maps themselves are not.
MAPPING_PATHS = [p for p in _paths(_mapping_doc()) if p not in (("run", "manifest"), ("run", "labels"))]


@SETTINGS
@given(path=st.sampled_from(MAPPING_PATHS), value=st.sampled_from(POISON))
def test_bad_import_mappings(tmp_path: Path, path: tuple, value: Any) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(yaml.safe_dump(_set(_mapping_doc(), path, value)))
    source = tmp_path / "source"
    source.mkdir(exist_ok=True)
    check_refused(tmp_path, ["import", str(mapping), str(source), "--out", str(tmp_path / "runs")],
                  ["mapping.yaml"])
