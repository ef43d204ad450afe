"""Distances and the silhouette of a clustering on NumPy alone, as scikit-learn computes
them, so that the theme discovery's child process need not import scikit-learn
(:func:`hoering.summaries.meaning.cluster_labels`)."""

from __future__ import annotations


def _unit(matrix):
    """``matrix``'s rows scaled to length 1 (a zero row stays zero)."""
    import numpy as np

    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def cosine_distances(matrix):
    """The cosine distances (1 − cosine, clipped to [0, 2], 0 on the diagonal) between the
    rows of ``matrix`` (``(n, dimensions)``): array ``(n, n)`` of float64, as scikit-learn's
    ``pairwise_distances(metric="cosine")`` gives them (without importing scikit-learn,
    which alone took 0.8 s of the first "Temaforslag": docs/PERFORMANCE.md)."""
    import numpy as np

    unit = _unit(np.asarray(matrix, dtype=np.float64))
    distances = np.clip(1.0 - unit @ unit.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    return distances


def silhouette(distances, labels) -> float:
    """The mean silhouette coefficient (Rousseeuw, 1987) of a clustering, as scikit-learn's
    ``silhouette_score(metric="precomputed")`` computes it: per row, ``(b − a) / max(a, b)``
    with ``a`` the mean distance to the other rows of its cluster and ``b`` the least mean
    distance to another cluster; 0 for a row alone in its cluster.

    Args:
        distances: array ``(n, n)`` of distances.
        labels: array ``(n,)`` of cluster numbers ``0 .. k − 1`` (2 ≤ k < n).
    """
    import numpy as np

    labels = np.asarray(labels)
    clusters = int(labels.max()) + 1
    onehot = np.zeros((len(labels), clusters))
    onehot[np.arange(len(labels)), labels] = 1.0
    sums = distances @ onehot  # (n, k): summed distance of each row to each cluster
    sizes = onehot.sum(axis=0)
    rows = np.arange(len(labels))
    own = sizes[labels]
    a = sums[rows, labels] / np.maximum(own - 1, 1)
    means = sums / np.maximum(sizes, 1)
    means[rows, labels] = np.inf
    means[:, sizes == 0] = np.inf
    b = means.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(own > 1, (b - a) / np.maximum(a, b), 0.0)
    return float(np.nan_to_num(scores).mean())
