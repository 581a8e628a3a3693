"""Binary graph cut on the pixel grid, solved by max-flow.

Each free pixel pays a cost for being foreground and one for being background;
neighbours (8-connected) pay a contrast-sensitive price for taking different
labels, so the cut follows color edges. Pixels that are not free keep a fixed
label and only pull on their free neighbours. The max-flow is PyMaxflow's
Boykov-Kolmogorov solver, made for exactly these grid graphs.
"""
import maxflow
import numpy as np

from .. import kernels

# Forward neighbour offsets (row, col) and their distance factor; with their
# mirror images they make the 8-neighbourhood. Diagonals are sqrt(2) apart.
NEIGHBOURS = ((0, 1, 1.0), (1, 0, 1.0), (1, 1, 2 ** -0.5), (1, -1, 2 ** -0.5))
# Rows of pixel pairs whose features are gathered at once for the contrast term.
BLOCK_ROWS = 256


def _pair_slices(shape, d_row, d_col):
    """Slices (p, q) of the pixel pairs p -> p + (d_row, d_col) inside an (M, N) grid."""
    rows, cols = shape
    p = (slice(0, rows - d_row), slice(max(0, -d_col), cols - max(0, d_col)))
    q = (slice(d_row, rows), slice(max(0, d_col), cols + min(0, d_col)))
    return p, q


def contrast_weights(features, strength):
    """Pairwise weights of GrabCut (Rother et al. 2004) for an (M, N, F) feature image.

    strength * exp(-beta |f_p - f_q|^2) / distance(p, q), with beta = 1 / (2 mean
    |f_p - f_q|^2) over all neighbour pairs, so the term adapts to the image's
    contrast. Returns one (M - d_row, N - |d_col|) array per NEIGHBOURS entry.
    """
    return indexed_contrast_weights(lambda start, stop: features[start:stop], features.shape[:2],
                                    features.shape[2], strength)


def indexed_contrast_weights(feature_rows, shape, n_channels, strength):
    """:func:`contrast_weights` of the feature image whose rows [start, stop) are
    ``feature_rows(start, stop)`` ((stop - start, N, F) float64), made one
    neighbour direction and block of rows at a time, so an image never needs its
    (M, N, F) features at once.
    """
    kept, total_squared, n_pairs = [], 0.0, 0
    for d_row, d_col, _ in NEIGHBOURS:
        p, q = _pair_slices(shape, d_row, d_col)
        squared = np.zeros((shape[0] - d_row, shape[1] - abs(d_col)))
        for start in range(0, squared.shape[0], BLOCK_ROWS):
            stop = min(start + BLOCK_ROWS, squared.shape[0])
            block = feature_rows(start, stop + d_row)  # the rows of p and of q
            for channel in range(n_channels):
                difference = block[:stop - start, p[1], channel] - block[d_row:, q[1], channel]
                difference *= difference
                squared[start:stop] += difference  # the channels in order, as a sum over the channel axis
        total_squared += float(squared.sum())
        n_pairs += squared.size
        kept.append(squared)
    beta = _beta(total_squared, n_pairs)
    for values, (_, _, factor) in zip(kept, NEIGHBOURS):
        values *= -beta
        np.exp(values, out=values)
        values *= strength * factor
    return kept


def contrast_beta(index, features, n_threads, *, row_pairs=False):
    """GrabCut's beta, 1 / (2 mean |f_p - f_q|^2) over the neighbour pairs of the
    image whose pixels are rows ``index`` ((M, N) int32) of ``features`` ((n_colors,
    F) float64), summed row by row. With ``row_pairs``, the rows are pairs (2i, 2i + 1)
    of neighbouring rows sampled from a larger image: rows 2i + 1 and 2i + 2 are no
    neighbours, and their pairs are left out."""
    row_totals = np.empty((len(NEIGHBOURS), index.shape[0]))  # in NEIGHBOURS' order, as the kernel's
    kernels.contrast.pair_sqdist_row_totals(index, features, row_totals, n_threads)
    total_squared, n_pairs = 0.0, 0
    for (d_row, d_col, _), totals in zip(NEIGHBOURS, row_totals):
        totals = totals[:index.shape[0] - d_row]
        if row_pairs and d_row:
            totals = totals[0::2]
        total_squared += float(totals.sum())
        n_pairs += totals.size * (index.shape[1] - abs(d_col))
    return _beta(total_squared, n_pairs)


def _beta(total_squared, n_pairs):
    """GrabCut's beta from the sum of the pairs' squared differences: 0 on a flat image."""
    mean = total_squared / max(n_pairs, 1)
    return 1.0 / (2.0 * mean) if mean > 0 else 0.0


def band_contrast_weights(index, features, strength, needed, n_threads, beta=None):
    """:func:`contrast_weights` kept only for the pairs that touch a ``needed``
    pixel ((M, N) bool, the pixels a cut will decide; the cut reads no others),
    as (flat index of each such pair's first pixel, int32; their weights) per
    direction. The image's pixels are rows ``index`` ((M, N) int32) of
    ``features`` ((n_colors, F) float64), read through the index by kernels: no
    feature image and no (M, N) array of squared differences per direction; the
    index is read only at the ends of those pairs. ``beta`` defaults to
    :func:`contrast_beta` of the whole index."""
    if beta is None:
        beta = contrast_beta(index, features, n_threads)
    kept = []
    for d_row, d_col, factor in NEIGHBOURS:
        p, q = _pair_slices(index.shape, d_row, d_col)
        touch = needed[p] | needed[q]
        per_row = touch.sum(axis=1)
        row_start = np.concatenate([[0], np.cumsum(per_row)[:-1]]).astype(np.int64)
        values = np.empty(int(per_row.sum()))
        kernels.contrast.touching_pair_sqdist(index, features, d_row, d_col, touch, row_start, values, n_threads)
        values *= -beta
        np.exp(values, out=values)
        values *= strength * factor
        kept.append((_first_pixels(touch, index.shape[1], d_col), values))
    return kept


def _first_pixels(touch, n_cols, d_col):
    """Flat index (int32) of the first pixel of each pair where ``touch``, in its
    row-major order: 4 bytes a touching pair instead of a byte for every pair."""
    pair = np.flatnonzero(touch)
    rows, cols = np.divmod(pair, touch.shape[1])
    return (rows * n_cols + cols + max(0, -d_col)).astype(np.int32)


def _pair_ends(first_pixels, d_row, d_col, free_flat, labels):
    """(node of p, node of q, label of p, label of q) of the pairs whose first
    pixels p are ``first_pixels`` (flat indices); a node is -1 for a fixed pixel.
    Found by searching the free pixels' flat positions, not through an (M, N) map
    of nodes (72 MB on 18 MP)."""
    p_flat = first_pixels.astype(np.int64)
    q_flat = p_flat + d_row * labels.shape[1] + d_col
    flat_labels = labels.ravel()
    return _node_of(p_flat, free_flat), _node_of(q_flat, free_flat), flat_labels[p_flat], flat_labels[q_flat]


def _node_of(flat, free_flat):
    """Position of each flat pixel index among the sorted ``free_flat``, -1 where absent."""
    if len(free_flat) == 0:
        return np.full(len(flat), -1, dtype=np.int32)
    position = np.searchsorted(free_flat, flat)
    found = free_flat[np.minimum(position, len(free_flat) - 1)] == flat
    return np.where(found, position, -1).astype(np.int32)


def cut(cost_fg, cost_bg, free, labels, weights):
    """Minimum-energy foreground mask.

    cost_fg, cost_bg : (n_free,) costs of each free pixel (row-major order of
        ``free``) being foreground / background.
    free : (M, N) bool, the pixels to decide.
    labels : (M, N) bool, the fixed label of every pixel that is not free.
    weights : from :func:`contrast_weights` on the same grid, or from
        :func:`band_contrast_weights` with ``needed`` covering ``free``.
    Returns a new (M, N) bool mask: ``labels`` with the free pixels decided.
    """
    free_flat = np.flatnonzero(free)  # a free pixel's node is its position here
    n_free = len(free_flat)
    index = None  # (M, N) node of each pixel, -1 if fixed: made only for whole-grid weights
    base = np.minimum(cost_fg, cost_bg)  # only the difference matters; keep capacities >= 0
    to_source = cost_bg - base  # paid when the pixel ends on the background (sink) side
    to_sink = cost_fg - base
    edge_from, edge_to, edge_weight = [], [], []
    for (d_row, d_col, _), weight in zip(NEIGHBOURS, weights):
        if isinstance(weight, tuple):  # only the pairs that touch a free pixel, in the same order
            first_pixels, weight = weight
            ip, iq, label_p, label_q = _pair_ends(first_pixels, d_row, d_col, free_flat, labels)
        else:
            if index is None:
                index = np.full(free.shape, -1, dtype=np.int32)  # an 18 MP image has fewer than 2**31 pixels
                index[free] = np.arange(n_free)
            p, q = _pair_slices(free.shape, d_row, d_col)
            ip, iq, label_p, label_q = index[p], index[q], labels[p], labels[q]
        both = (ip >= 0) & (iq >= 0)
        edge_from.append(ip[both])
        edge_to.append(iq[both])
        edge_weight.append(weight[both])
        # A free pixel beside a fixed one pays the weight for disagreeing with it.
        for i_free, fixed_label, free_side in ((ip, label_q, iq < 0), (iq, label_p, ip < 0)):
            near = (i_free >= 0) & free_side
            np.add.at(to_source, i_free[near & fixed_label], weight[near & fixed_label])
            np.add.at(to_sink, i_free[near & ~fixed_label], weight[near & ~fixed_label])
    # One at a time, so each list is freed as its array is made (the peak of an 18 MP cut).
    edge_from = np.concatenate(edge_from)
    edge_to = np.concatenate(edge_to)
    edge_weight = np.concatenate(edge_weight)
    graph = maxflow.Graph[float](n_free, len(edge_from))
    nodes = graph.add_nodes(n_free)  # a new graph's nodes are 0 .. n_free - 1: the free positions
    graph.add_edges(edge_from, edge_to, edge_weight, edge_weight)  # symmetric: one array both ways
    graph.add_grid_tedges(nodes, to_source, to_sink)
    graph.maxflow()
    result = labels.copy()
    result[free] = ~graph.get_grid_segments(nodes)
    return result
