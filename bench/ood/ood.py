"""Out-of-distribution scores for RESULTS.md: reads `hark predict --json` lines for
in-distribution and out-of-distribution inputs and prints, for each, the share decided
`unknown` (and `silent`) at the model's stored threshold, and the AUROC of the top
probability as an in/out detector (in = positive). Standard library only.

Usage: ood.py IN.jsonl OUT.jsonl
"""

import json
import sys


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            v = json.loads(line)
            rows.append((v["label"], max(v["probabilities"].values())))
    return rows


def auroc(pos, neg):
    """Probability that a random positive scores above a random negative (ties count
    half): the Mann-Whitney U statistic over |pos| x |neg|."""
    allv = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg])
    # Average ranks over ties.
    i = 0
    rank_sum = 0.0
    while i < len(allv):
        j = i
        while j < len(allv) and allv[j][0] == allv[i][0]:
            j += 1
        avg = (i + 1 + j) / 2.0
        rank_sum += avg * sum(1 for k in range(i, j) if allv[k][1] == 1)
        i = j
    n1, n0 = len(pos), len(neg)
    u = rank_sum - n1 * (n1 + 1) / 2.0
    return u / (n1 * n0)


def share(rows, label):
    return sum(1 for r in rows if r[0] == label) / len(rows)


def main():
    inside, outside = load(sys.argv[1]), load(sys.argv[2])
    for name, rows in (("in-distribution", inside), ("out-of-distribution", outside)):
        print(
            f"{name}: {len(rows)} clips, unknown {share(rows, 'unknown') * 100:.1f}%, "
            f"silent {share(rows, 'silent') * 100:.1f}%"
        )
    pos = [p for label, p in inside if label != "silent"]
    neg = [p for label, p in outside if label != "silent"]
    print(f"AUROC of the top probability (in vs out): {auroc(pos, neg):.3f}")


if __name__ == "__main__":
    main()
