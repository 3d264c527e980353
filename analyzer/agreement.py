"""Agreement statistics between the analyzer and human coders.

Plain functions over sequences, no third-party dependencies, so researchers
can call them on their own codes.  Definitions:

* precision, recall, F1 for one code treated as binary;
* Cohen's kappa (Cohen 1960) for two raters over the same items;
* ROC AUC as the Mann-Whitney probability that a random positive scores
  above a random negative (ties count one half);
* Spearman's rho as Pearson's r over average ranks.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class BinaryAgreement:
    """Agreement on one binary code: counts and the usual statistics."""

    code: str
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        if math.isnan(p) or math.isnan(r) or p + r == 0:
            return 0.0 if self.tp == 0 and (self.fp or self.fn) else float("nan")
        return 2 * p * r / (p + r)

    @property
    def kappa(self) -> float:
        n = self.n
        if not n:
            return float("nan")
        po = (self.tp + self.tn) / n
        pe = ((self.tp + self.fp) * (self.tp + self.fn) + (self.fn + self.tn) * (self.fp + self.tn)) / (n * n)
        return (po - pe) / (1 - pe) if pe < 1 else float("nan")

    def as_row(self) -> dict[str, float | int | str]:
        return {
            "code": self.code,
            "n": self.n,
            "gold_positive": self.tp + self.fn,
            "predicted_positive": self.tp + self.fp,
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "f1": round(self.f1, 3),
            "kappa": round(self.kappa, 3),
        }


def binary_agreement(code: str, gold: Sequence[bool], predicted: Sequence[bool]) -> BinaryAgreement:
    """Count agreement on one binary code over paired items."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted must have the same length")
    tp = fp = fn = tn = 0
    for g, p in zip(gold, predicted):
        if g and p:
            tp += 1
        elif p:
            fp += 1
        elif g:
            fn += 1
        else:
            tn += 1
    return BinaryAgreement(code, tp, fp, fn, tn)


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Cohen's kappa for two raters' nominal codes over the same items."""
    if len(a) != len(b):
        raise ValueError("both raters must code the same items")
    n = len(a)
    if n == 0:
        return float("nan")
    po = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[k] * cb.get(k, 0) for k in ca) / (n * n)
    return (po - pe) / (1 - pe) if pe < 1 else float("nan")


def roc_auc(labels: Sequence[bool], scores: Sequence[float]) -> float:
    """Area under the ROC curve (Mann-Whitney); items with a NaN/None score are dropped."""
    pairs = [(bool(lab), float(s)) for lab, s in zip(labels, scores) if s is not None and not math.isnan(float(s))]
    pos = [s for lab, s in pairs if lab]
    neg = [s for lab, s in pairs if not lab]
    if not pos or not neg:
        return float("nan")
    ranks = _average_ranks([s for _, s in pairs])
    rank_sum = sum(r for (lab, _), r in zip(pairs, ranks) if lab)
    return (rank_sum - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation; pairs with a missing value are dropped."""
    pairs = [
        (float(a), float(b))
        for a, b in zip(x, y)
        if a is not None and b is not None and not math.isnan(float(a)) and not math.isnan(float(b))
    ]
    if len(pairs) < 3:
        return float("nan")
    rx = _average_ranks([a for a, _ in pairs])
    ry = _average_ranks([b for _, b in pairs])
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = math.sqrt(sum((a - mx) ** 2 for a in rx))
    vy = math.sqrt(sum((b - my) ** 2 for b in ry))
    return cov / (vx * vy) if vx and vy else float("nan")


def _average_ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        avg = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = avg
        i = j + 1
    return ranks
