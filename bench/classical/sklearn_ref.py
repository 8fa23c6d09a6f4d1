"""Benchmark (classical classifiers): scikit-learn on the feature files of
`classical_features`, the reference linfa and smartcore are measured against
(compare/src/main.rs does the same three fits).

    bench/.venv/bin/python bench/classical/sklearn_ref.py TRAIN.csv TEST.csv

Standardisation is fitted on TRAIN only; C = 1 for both linear models; 100 trees.
"""
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC


def load(path):
    a = np.loadtxt(path, delimiter=",", ndmin=2)
    return a[:, 1:], a[:, 0].astype(int)


xtr, ytr = load(sys.argv[1])
xte, yte = load(sys.argv[2])
scaler = StandardScaler().fit(xtr)
xtr, xte = scaler.transform(xtr), scaler.transform(xte)
for name, model in [
    ("logreg", LogisticRegression(C=1.0, max_iter=100)),
    ("svm", LinearSVC(C=1.0)),
    ("forest", RandomForestClassifier(n_estimators=100, random_state=42, n_jobs=1)),
]:
    t = time.perf_counter()
    model.fit(xtr, ytr)
    fit = time.perf_counter() - t
    t = time.perf_counter()
    acc = (model.predict(xte) == yte).mean()
    pred = time.perf_counter() - t
    print(f"{'sklearn':10} {name:8} accuracy {acc * 100:.2f}%  fit {fit:.3f} s  predict {pred:.4f} s")
