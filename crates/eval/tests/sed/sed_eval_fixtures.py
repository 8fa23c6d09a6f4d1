#!/usr/bin/env python3
"""Score sound event fixtures with sed_eval, the reference for hark_eval::sed.

Usage: python3 sed_eval_fixtures.py FIXTURES.json > RESULTS.json

FIXTURES.json is one fixture or {"fixtures": [fixture, ...]}; a fixture is
  {"classes": [label, ...],
   "config": {"t_collar": 0.2, "percentage_of_length": 0.2, "time_resolution": 1.0},
   "files": [{"reference": [{"label": .., "onset": .., "offset": ..}, ...],
              "detected": [...], "duration_s": ..}, ...]}
Each file is passed to sed_eval's evaluate() once, as a DCASE evaluation does. The output
has, per fixture, "event_based" and "segment_based", each with "overall", "class_wise"
(label -> row) and "class_wise_average". Rows use hark's field names (n_ref, n_sys, tp, fp,
fn, substitutions, deletions, insertions, precision, recall, f1, error_rate, ...) and hold
only what sed_eval itself computes; NaN is written as null.
"""
import json
import math
import sys

import sed_eval


def clean(value):
    """JSON-safe: numpy scalars to float, NaN to None."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, str) or value is None:
        return value
    value = float(value)
    return None if math.isnan(value) else value


def events(items):
    return [
        {"event_label": e["label"], "event_onset": e["onset"], "event_offset": e["offset"]}
        for e in items
    ]


def row(counts, f_measure, error_rate, s, d, i):
    out = {
        "n_ref": counts["Nref"],
        "n_sys": counts["Nsys"],
        "tp": counts["Ntp"],
        "fp": counts["Nfp"],
        "fn": counts["Nfn"],
        "substitutions": s,
        "deletions": d,
        "insertions": i,
        "precision": f_measure["precision"],
        "recall": f_measure["recall"],
        "f1": f_measure["f_measure"],
    }
    out.update(error_rate)
    return out


def report(metrics, subs_key, d_key, i_key):
    results = metrics.results()
    overall = metrics.overall
    out = {
        "overall": row(
            overall,
            results["overall"]["f_measure"],
            results["overall"]["error_rate"],
            overall[subs_key],
            overall[d_key],
            overall[i_key],
        ),
        "class_wise": {},
        "class_wise_average": {
            "precision": results["class_wise_average"]["f_measure"]["precision"],
            "recall": results["class_wise_average"]["f_measure"]["recall"],
            "f1": results["class_wise_average"]["f_measure"]["f_measure"],
            **results["class_wise_average"]["error_rate"],
        },
    }
    for label in metrics.event_label_list:
        counts = metrics.class_wise[label]
        res = results["class_wise"][label]
        out["class_wise"][label] = row(
            counts, res["f_measure"], res["error_rate"], 0, counts["Nfn"], counts["Nfp"]
        )
    return out


def score(fixture):
    config = fixture["config"]
    classes = fixture["classes"]
    event_based = sed_eval.sound_event.EventBasedMetrics(
        event_label_list=classes,
        t_collar=float(config["t_collar"]),
        percentage_of_length=float(config["percentage_of_length"]),
        evaluate_onset=True,
        evaluate_offset=True,
        event_matching_type="optimal",
    )
    segment_based = sed_eval.sound_event.SegmentBasedMetrics(
        event_label_list=classes, time_resolution=float(config["time_resolution"])
    )
    for f in fixture["files"]:
        reference, detected = events(f["reference"]), events(f["detected"])
        event_based.evaluate(reference_event_list=reference, estimated_event_list=detected)
        segment_based.evaluate(
            reference_event_list=reference,
            estimated_event_list=detected,
            evaluated_length_seconds=f["duration_s"],
        )
    return clean(
        {
            "event_based": report(event_based, "Nsubs", "Nfn", "Nfp"),
            "segment_based": report(segment_based, "S", "D", "I"),
        }
    )


def main():
    with open(sys.argv[1]) as f:
        data = json.load(f)
    if "fixtures" in data:
        out = {"results": [score(fx) for fx in data["fixtures"]]}
    else:
        out = score(data)
    json.dump(out, sys.stdout, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
