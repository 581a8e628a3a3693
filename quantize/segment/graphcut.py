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


def indexed_contrast_weights(feature_rows, shape, n_channels, strength, needed=None):
    """:func:`contrast_weights` of the feature image whose rows [start, stop) are
    ``feature_rows(start, stop)`` ((stop - start, N, F) float64), made one
    neighbour direction and block of rows at a time, so an image never needs its
    (M, N, F) features at once.

    With ``needed`` ((M, N) bool, the pixels a cut will decide), each direction's
    weights are kept only for the pairs that touch a needed pixel, as (touch (bool
    per pair), weights of those pairs): the cut reads no others, and beta is still
    the mean over every pair of the image.
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
        if needed is None:
            kept.append(squared)
        else:
            touch = needed[p] | needed[q]
            kept.append((touch, squared[touch]))
        del squared
    mean = total_squared / max(n_pairs, 1)
    beta = 1.0 / (2.0 * mean) if mean > 0 else 0.0
    for entry, (_, _, factor) in zip(kept, NEIGHBOURS):
        values = entry[1] if needed is not None else entry
        values *= -beta
        np.exp(values, out=values)
        values *= strength * factor
    return kept


def band_contrast_weights(index, features, strength, needed, n_threads):
    """:func:`indexed_contrast_weights` with ``needed``, for the image whose pixels
    are rows ``index`` ((M, N) int32) of ``features`` ((n_colors, F) float64), in
    kernels that read the colors through the index: no feature rows gathered and
    no (M, N) array of squared differences per direction. Beta is the mean over
    every pair, summed row by row."""
    total_squared, n_pairs = 0.0, 0
    for d_row, d_col, _ in NEIGHBOURS:
        row_totals = np.empty(index.shape[0] - d_row)
        kernels.contrast.pair_sqdist_totals(index, features, d_row, d_col, row_totals, n_threads)
        total_squared += float(row_totals.sum())
        n_pairs += row_totals.size * (index.shape[1] - abs(d_col))
    mean = total_squared / max(n_pairs, 1)
    beta = 1.0 / (2.0 * mean) if mean > 0 else 0.0
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
        kept.append((touch, values))
    return kept


def cut(cost_fg, cost_bg, free, labels, weights):
    """Minimum-energy foreground mask.

    cost_fg, cost_bg : (n_free,) costs of each free pixel (row-major order of
        ``free``) being foreground / background.
    free : (M, N) bool, the pixels to decide.
    labels : (M, N) bool, the fixed label of every pixel that is not free.
    weights : from :func:`contrast_weights` on the same grid, or from
        :func:`indexed_contrast_weights` with ``needed`` covering ``free``.
    Returns a new (M, N) bool mask: ``labels`` with the free pixels decided.
    """
    index = np.full(free.shape, -1, dtype=np.int32)  # an 18 MP image has fewer than 2**31 pixels
    n_free = int(free.sum())
    index[free] = np.arange(n_free)
    base = np.minimum(cost_fg, cost_bg)  # only the difference matters; keep capacities >= 0
    to_source = cost_bg - base  # paid when the pixel ends on the background (sink) side
    to_sink = cost_fg - base
    edge_from, edge_to, edge_weight = [], [], []
    for (d_row, d_col, _), weight in zip(NEIGHBOURS, weights):
        p, q = _pair_slices(free.shape, d_row, d_col)
        ip, iq, label_p, label_q = index[p], index[q], labels[p], labels[q]
        if isinstance(weight, tuple):  # only the pairs that touch a free pixel, in the same order
            touch, weight = weight
            ip, iq, label_p, label_q = ip[touch], iq[touch], label_p[touch], label_q[touch]
        both = (ip >= 0) & (iq >= 0)
        edge_from.append(ip[both])
        edge_to.append(iq[both])
        edge_weight.append(weight[both])
        # A free pixel beside a fixed one pays the weight for disagreeing with it.
        for i_free, fixed_label, free_side in ((ip, label_q, iq < 0), (iq, label_p, ip < 0)):
            near = (i_free >= 0) & free_side
            np.add.at(to_source, i_free[near & fixed_label], weight[near & fixed_label])
            np.add.at(to_sink, i_free[near & ~fixed_label], weight[near & ~fixed_label])
    edge_from = np.concatenate(edge_from)
    graph = maxflow.Graph[float](n_free, len(edge_from))
    nodes = graph.add_nodes(n_free)
    graph.add_edges(nodes[edge_from], nodes[np.concatenate(edge_to)], np.concatenate(edge_weight),
                    np.concatenate(edge_weight))
    graph.add_grid_tedges(nodes, to_source, to_sink)
    graph.maxflow()
    result = labels.copy()
    result[free] = ~graph.get_grid_segments(nodes)
    return result
