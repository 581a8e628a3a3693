"""Pictures a person would rather look at than read: before/after and the pixel cloud."""
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
