"""Are the sim's condition labels trivially readable? A simple classifier on per-weld summary features.

Welds are drawn per condition with their parameters varied as on a real bench (power, speed, focus, gap,
film cover around the condition's setting), rendered by the sim, summarised by ``_sim_features`` and
classified by multinomial logistic regression (numpy, L2, standardised features) under stratified
5-fold cross-validation. Per-condition accuracy (recall) and the confusion matrix are reported; the
result is written to BENCHMARKS.md (``python -m bench --only bench.sim_labels``) and to the JSON the
dataset card of a sim dataset quotes.

    python -m bench.sim_labels [--quick]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from weldctl.daq.sim import condition_plan, study_rig
from weldctl.schema import LaserCondition

from ._sim_features import FEATURES, weld_stats

RESULT_JSON = Path(__file__).resolve().parents[1] / "curation" / "sim_label_check.json"
FOLDS = 5


# Ranges per condition: "bench" is an operator's scatter around each condition's setting; "wide" lets
# the conditions approach each other (a barely lowered power, a slight defocus, a thin film, a small gap).
RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "bench": {"power": (1800.0, 2200.0), "low_power": (1100.0, 1500.0), "cold": (450.0, 750.0),
              "defocus": (3.0, 5.0), "low_gap": (0.0, 0.05), "gap": (0.1, 0.3), "film": (0.3, 0.9)},
    "wide": {"power": (1600.0, 2400.0), "low_power": (1000.0, 1700.0), "cold": (400.0, 1000.0),
             "defocus": (1.5, 5.0), "low_gap": (0.0, 0.1), "gap": (0.05, 0.4), "film": (0.05, 0.9)},
}


def varied_plan(condition: str, weld_id: int, rng: np.random.Generator, spread: str = "bench") -> object:
    """A weld of ``condition`` as an operator would set it: the condition's setting, with scatter."""
    r = RANGES[spread]
    over: dict[str, float] = {
        "laser_power_w": rng.uniform(*r["power"]), "speed_mm_s": rng.uniform(50.0, 70.0),
        "focus_offset_mm": rng.uniform(-0.5, 0.5), "gap_mm": rng.uniform(*r["gap"]), "length_mm": 18.0,
    }
    if condition == LaserCondition.low_power:
        over["laser_power_w"] = rng.uniform(*r["low_power"])
    elif condition == LaserCondition.cold_weld:
        over["laser_power_w"] = rng.uniform(*r["cold"])
    elif condition == LaserCondition.defocus:
        over["focus_offset_mm"] = rng.choice([-1.0, 1.0]) * rng.uniform(*r["defocus"])
    elif condition == LaserCondition.low_gap:
        over["gap_mm"] = rng.uniform(*r["low_gap"])
    elif condition == LaserCondition.water_treatment:
        over["water_film"] = rng.uniform(*r["film"])
    elif condition == LaserCondition.oil_treatment:
        over["oil_film"] = rng.uniform(*r["film"])
    return condition_plan(str(condition), weld_id, **over)


# The control: these labels name no surface treatment, so welds planned with one shared (baseline) setting
# under any of them are the same process; a classifier must fall to chance if no label leaks into a signal.
CONTROL = [str(c) for c in (LaserCondition.baseline, LaserCondition.low_power, LaserCondition.low_gap,
                            LaserCondition.defocus, LaserCondition.cold_weld)]


def dataset(per_condition: int, seed: int = 21, control: bool = False, spread: str = "bench",
            ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    conds = CONTROL if control else [str(c) for c in LaserCondition]
    rows: list[dict[str, float | str]] = []
    batch = 7  # welds per simulated run
    if control:
        plans = [varied_plan(str(LaserCondition.baseline), 0, rng).model_copy(update={"condition": c})  # type: ignore[attr-defined]
                 for c in conds for _ in range(per_condition)]
    else:
        plans = [varied_plan(c, 0, rng, spread) for c in conds for _ in range(per_condition)]
    order = rng.permutation(len(plans))
    for k in range(0, len(plans), batch):
        chunk = [plans[i].model_copy(update={"weld_id": j}) for j, i in enumerate(order[k:k + batch])]  # type: ignore[attr-defined]
        rows += weld_stats(study_rig(chunk, seed=seed + k))
    x = np.array([[float(r[f]) for f in FEATURES] for r in rows])
    y = np.array([conds.index(str(r["condition"])) for r in rows])
    return x, y, conds


def fit_softmax(x: np.ndarray, y: np.ndarray, n_classes: int, l2: float = 1e-2, steps: int = 3000) -> np.ndarray:
    """Multinomial logistic regression by gradient descent (features already standardised)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros((xb.shape[1], n_classes))
    onehot = np.eye(n_classes)[y]
    lr = 0.5
    for _ in range(steps):
        z = xb @ w
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        w -= lr * (xb.T @ (p - onehot) / len(x) + l2 * np.vstack([w[:-1], np.zeros((1, n_classes))]))
    return w


def cross_validate(x: np.ndarray, y: np.ndarray, n_classes: int, seed: int = 0) -> np.ndarray:
    """Stratified k-fold predictions for every weld."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), dtype=np.int64)
    for c in range(n_classes):
        idx = rng.permutation(np.flatnonzero(y == c))
        fold[idx] = np.arange(len(idx)) % FOLDS
    pred = np.empty(len(y), dtype=np.int64)
    for k in range(FOLDS):
        tr, te = fold != k, fold == k
        mu, sd = x[tr].mean(axis=0), x[tr].std(axis=0) + 1e-9
        w = fit_softmax((x[tr] - mu) / sd, y[tr], n_classes)
        pred[te] = np.argmax(np.hstack([(x[te] - mu) / sd, np.ones((te.sum(), 1))]) @ w, axis=1)
    return pred


def _confusion_scores(x: np.ndarray, y: np.ndarray, conds: list[str]) -> dict[str, object]:
    pred = cross_validate(x, y, len(conds))
    confusion = np.zeros((len(conds), len(conds)), dtype=np.int64)
    np.add.at(confusion, (y, pred), 1)
    return {
        "welds": len(y), "accuracy": float(np.mean(pred == y)),
        "per_condition": {c: float(confusion[i, i] / confusion[i].sum()) for i, c in enumerate(conds)},
        "confusion": {c: {d: int(confusion[i, j]) for j, d in enumerate(conds) if confusion[i, j]}
                      for i, c in enumerate(conds)},
    }


def evaluate(per_condition: int) -> dict[str, object]:
    t0 = time.perf_counter()
    xc, yc, control = dataset(per_condition, seed=22, control=True)
    control_acc = float(np.mean(cross_validate(xc, yc, len(control)) == yc))
    x, y, conds = dataset(per_condition)
    res: dict[str, object] = {
        "classifier": "multinomial logistic regression (numpy, L2), standardised per-weld summary features, "
                      f"stratified {FOLDS}-fold cross-validation",
        "welds_per_condition": per_condition, "features": FEATURES, "chance": 1.0 / len(conds),
        "ranges": RANGES, **_confusion_scores(x, y, conds),
    }
    xw, yw, _ = dataset(per_condition, seed=23, spread="wide")
    res["wide"] = _confusion_scores(xw, yw, conds)
    res["control"] = {"labels": control, "welds": len(yc), "accuracy": control_acc, "chance": 1.0 / len(control)}
    res["seconds"] = round(time.perf_counter() - t0, 1)
    return res


def markdown(res: dict[str, object]) -> str:
    per, wide, ctl = res["per_condition"], res["wide"], res["control"]
    assert isinstance(per, dict) and isinstance(wide, dict) and isinstance(ctl, dict)

    def confusions(r: dict) -> str:  # type: ignore[type-arg]
        return "; ".join(f"{c} → {d} {n}" for c, row in r["confusion"].items() for d, n in row.items() if c != d)

    return "\n".join([
        "## Sim labels are not trivially readable",
        "",
        f"{res['classifier']} on {len(res['features'])} per-weld sensor summaries "  # type: ignore[arg-type]
        "(photodiode, acoustic, camera, IR, OCT; `bench/_sim_features.py`), "
        f"{res['welds_per_condition']} simulated welds per condition. *Bench* spread: each condition's setting with an "
        "operator's scatter (power 1.8–2.2 kW, speed 50–70 mm/s, focus ±0.5 mm, gap 0.1–0.3 mm; low power "
        "1.1–1.5 kW, cold 0.45–0.75 kW, defocus 3–5 mm, closed gap < 0.05 mm, films 0.3–0.9). *Wide* spread: the "
        "conditions approach each other (low power up to 1.7 kW, cold up to 1 kW, defocus from 1.5 mm, gap up "
        "to 0.1 mm, films from 0.05). Per-condition accuracy (recall):",
        "",
        "| spread | all | " + " | ".join(per) + " |",
        "|---|" + "---:|" * (len(per) + 1),
        f"| bench | {res['accuracy']:.2f} | " + " | ".join(f"{v:.2f}" for v in per.values()) + " |",
        f"| wide | {wide['accuracy']:.2f} | " + " | ".join(f"{v:.2f}" for v in wide["per_condition"].values()) + " |",
        "",
        f"Chance {res['chance']:.2f}. Confusions (true → predicted), bench: {confusions(res)}; "
        f"wide: {confusions(wide)}.",
        "The conditions are recognised through what they do to the process (energy, irradiance, films, a closed "
        f"gap). Control: {ctl['welds']} welds with one shared baseline setting labelled "
        f"{', '.join(ctl['labels'])}: accuracy {ctl['accuracy']:.2f} (chance {ctl['chance']:.2f}) — no label "
        "reaches a signal by itself. Reproduce: `python -m bench.sim_labels` (writes `curation/sim_label_check.json`, "
        "which the card of a sim dataset quotes).",
        "",
    ])


def run(quick: bool = False) -> str:
    res = evaluate(8 if quick else 30)
    if not quick:
        RESULT_JSON.write_text(json.dumps(res, indent=2, sort_keys=True) + "\n")
    return markdown(res)


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
