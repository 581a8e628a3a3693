"""Pictures a person would rather look at than read: before/after, the pixel cloud, and\nthe curve a choice of the number of colors was made on."""
from PIL import Image, ImageDraw

_PANEL = 300       # pixels per side of one scatter panel
_MARGIN = 28
_N_POINTS = 6000   # pixels drawn: enough to show the cloud's shape, few enough to see each


def comparison(before, after):
    """The input (left) and its quantized version (right), side by side, labelled."""
    before = Image.fromarray(before[:, :, :3] if before.shape[2] == 4 else before)
    after = Image.fromarray(after[:, :, :3] if after.shape[2] == 4 else after)
    width, height = before.size
    canvas = Image.new("RGB", (2 * width + 8, height + 20), "white")
    canvas.paste(before, (0, 20))
    canvas.paste(after, (width + 8, 20))
    draw = ImageDraw.Draw(canvas)
    draw.text((4, 4), "before", fill="black")
    draw.text((width + 12, 4), "after", fill="black")
    return canvas


def pixel_cloud_plot(pixels, result, rng, n_points=_N_POINTS):
    """A sample of pixels in the (R, G) and (R, B) planes: top row in their own
    colors, bottom row in the color of the palette entry each was mapped to."""
    flat = pixels.reshape(-1, pixels.shape[2])[:, :3]
    mapped = result.palette[result.labels.ravel()][:, :3]
    rows = rng.choice(len(flat), size=min(n_points, len(flat)), replace=False)
    size = 2 * _PANEL + 3 * _MARGIN
    canvas = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(canvas)
    planes = [(0, 1, "red", "green"), (0, 2, "red", "blue")]
    for row, (title, colors) in enumerate([("input pixels", flat[rows]),
                                           (f"{len(result.palette)}-color palette", mapped[rows])]):
        for col, (x_channel, y_channel, x_name, y_name) in enumerate(planes):
            left = _MARGIN + col * (_PANEL + _MARGIN)
            top = _MARGIN + row * (_PANEL + _MARGIN)
            draw.rectangle([left, top, left + _PANEL, top + _PANEL], outline="gray")
            draw.text((left, top - 14), f"{title}: {x_name} vs {y_name}", fill="black")
            xs = left + flat[rows, x_channel].astype(int) * _PANEL // 256
            ys = top + _PANEL - 1 - flat[rows, y_channel].astype(int) * _PANEL // 256
            for x, y, c in zip(xs, ys, colors):
                draw.ellipse([x - 1, y - 1, x + 1, y + 1], fill=tuple(int(v) for v in c))
    return canvas


def choice_plot(choice, width=520, height=320):
    """The inertia curve of a ColorCountChoice (blue), its method's score where that
    is not the elbow (orange), each on its own scale, and the pick marked."""
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    left, top, right, bottom = 50, 30, width - 20, height - 40
    draw.rectangle([left, top, right, bottom], outline="gray")
    ks = choice.candidates
    span = max(1, ks[-1] - ks[0])

    def x_of(k):
        return left + (k - ks[0]) * (right - left) / span

    def polyline(values, color):
        values = [(k, v) for k, v in zip(ks, values) if v == v]  # NaN: not measured
        if not values:
            return
        low, high = min(v for _, v in values), max(v for _, v in values)
        scale = (high - low) or 1.0
        points = {k: (x_of(k), bottom - (v - low) * (bottom - top) / scale) for k, v in values}
        if len(points) > 1:
            draw.line(list(points.values()), fill=color, width=2)
        for x, y in points.values():
            draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=color)
        if choice.n_colors in points:  # the pick, ringed: visible even on the frame's edge
            x, y = points[choice.n_colors]
            draw.ellipse([x - 6, y - 6, x + 6, y + 6], outline=(200, 30, 30), width=2)

    pick = x_of(choice.n_colors)
    draw.line([(pick, top), (pick, bottom)], fill=(200, 30, 30), width=1)
    polyline(choice.inertia, (40, 90, 200))
    if choice.method != "elbow":
        polyline(choice.scores, (230, 120, 20))
    label = {"elbow": "inertia (blue), knee", "silhouette": "inertia (blue), mean silhouette (orange)",
             "quality": "inertia (blue), mean CIEDE2000 (orange)"}[choice.method]
    draw.text((left, 8), f"{label}: k = {choice.n_colors}", fill="black")
    for k in (ks[0], choice.n_colors, ks[-1]):
        draw.text((x_of(k) - 6, bottom + 6), str(k), fill="black")
    draw.text(((left + right) // 2 - 30, bottom + 22), "colors (k)", fill="black")
    return canvas
