"""Clustering days into representative days: tsam when installed, else SciPy (the same
algorithm: Ward clustering, medoid or mean days, rescaled to keep the annual means)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from planner.timeseries.hourly import DAY_HOURS

RESCALE_TOLERANCE = 1e-10


RESCALE_ITERATIONS = 100


def tsam_class() -> Any | None:
    """tsam's `TimeSeriesAggregation` class, or None if tsam (classic API, < 4) is absent."""
    try:
        from tsam.timeseriesaggregation import TimeSeriesAggregation
    except ImportError:
        return None
    return TimeSeriesAggregation


def block_means(daily: np.ndarray, hours: Sequence[int]) -> np.ndarray:
    """(days, 24, profiles) -> (days, slices, profiles): the mean of each block of hours."""
    edges = np.cumsum((0, *hours)).astype(int)
    sums = np.add.reduceat(daily, edges[:-1], axis=1)
    return sums / np.asarray(hours, dtype=float)[None, :, None]


def _ward_labels(features: np.ndarray, k: int) -> np.ndarray:
    """Ward's hierarchical clustering of the rows of `features` into exactly k clusters."""
    if k == 1:
        return np.zeros(len(features), dtype=int)
    from scipy.cluster.hierarchy import cut_tree, linkage

    tree = linkage(features, method="ward")
    return cut_tree(tree, n_clusters=k).ravel().astype(int)


def _medoids(features: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Per cluster, the member with the least sum of Euclidean distances to the others."""
    from scipy.spatial.distance import cdist

    medoids = np.empty(k, dtype=int)
    for j in range(k):
        members = np.flatnonzero(labels == j)
        inner = cdist(features[members], features[members])
        medoids[j] = members[int(np.argmin(inner.sum(axis=0)))]
    return medoids


def _normalise(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Min-max normalisation per profile (as tsam's): normalised values, minimum, span."""
    low = blocks.min(axis=(0, 1))
    span = blocks.max(axis=(0, 1)) - low
    span = np.where(span > 0, span, 1.0)
    return (blocks - low) / span, low, span


def _rescale(
    centers: np.ndarray, counts: np.ndarray, norm: np.ndarray, hours: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Scale normalised centers per profile so that their weighted sum matches the data's,
    holding them in [0, 1] (the data's range), as tsam's rescaleClusterPeriods does.
    Returns the centers and the number of values held at the bound, per profile."""
    centers = centers.copy()
    held = np.zeros(centers.shape, dtype=bool)
    for c in range(centers.shape[2]):
        target = float(np.einsum("dm,m->", norm[:, :, c], hours))
        for _ in range(RESCALE_ITERATIONS):
            current = float(np.einsum("k,km,m->", counts, centers[:, :, c], hours))
            if current <= 0 or abs(target - current) <= RESCALE_TOLERANCE * target:
                break
            scaled = centers[:, :, c] * (target / current)
            held[:, :, c] |= scaled > 1
            centers[:, :, c] = np.minimum(scaled, 1.0)
    return centers, held.sum(axis=(0, 1))


class Clusters(NamedTuple):
    labels: np.ndarray
    """Cluster of each clustered day, 0..k-1."""
    medoids: np.ndarray
    """Per cluster, its medoid day (index into the clustered days)."""
    centers: np.ndarray
    """Per cluster, the rescaled slice values (clusters x slices x profiles)."""
    held: np.ndarray | None
    """Per profile, values held at the bound while rescaling (None: not known)."""
    notes: list[str]


def cluster_scipy(blocks: np.ndarray, hours: np.ndarray, k: int, representation: str) -> Clusters:
    """Ward clustering of the days in SciPy, medoid or mean days, rescaled."""
    norm, low, span = _normalise(blocks)
    features = (norm * np.sqrt(hours)[None, :, None]).reshape(len(blocks), -1)
    labels = _ward_labels(features, k)
    medoids = _medoids(features, labels, k)
    if representation == "medoid":
        centers = norm[medoids]
    else:
        centers = np.stack([norm[labels == j].mean(axis=0) for j in range(k)])
    counts = np.bincount(labels, minlength=k)
    centers, held = _rescale(centers, counts, norm, hours)
    return Clusters(labels, medoids, low + centers * span, held, [])


def cluster_tsam(
    aggregation_class: Any, blocks: np.ndarray, hours: np.ndarray, k: int, representation: str
) -> Clusters:
    """The same clustering in tsam, fed the days as hourly series constant within each slice
    (so each slice weighs by its hours). tsam does not report values held at the bound."""
    days, _, count = blocks.shape
    hourly = np.repeat(blocks, hours, axis=1).reshape(days * DAY_HOURS, count)
    columns = [f"c{i:04d}" for i in range(count)]  # tsam sorts columns by name
    series = pd.DataFrame(
        hourly, columns=columns, index=pd.date_range("2001-01-01", periods=len(hourly), freq="h")
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        model = aggregation_class(
            series,
            resolution=1.0,
            noTypicalPeriods=k,
            hoursPerPeriod=DAY_HOURS,
            clusterMethod="hierarchical",
            representationMethod=f"{representation}Representation",
            rescaleClusterPeriods=True,
        )
        typical = model.createTypicalPeriods()
    labels = np.asarray(model.clusterOrder, dtype=int)
    centers = typical[columns].to_numpy(dtype=float).reshape(k, DAY_HOURS, count)
    if representation == "medoid":
        medoids = np.asarray(model.clusterCenterIndices, dtype=int)
    else:
        norm, _, _ = _normalise(blocks)
        features = (norm * np.sqrt(hours)[None, :, None]).reshape(days, -1)
        medoids = _medoids(features, labels, k)
    notes = []
    for caught_warning in caught:  # tsam's own warnings go to the header, others pass on
        if issubclass(caught_warning.category, UserWarning):
            notes.append(f"tsam: {caught_warning.message}")
        else:
            warnings.warn(caught_warning.message, caught_warning.category, stacklevel=2)
    return Clusters(labels, medoids, block_means(centers, hours), None, notes)
