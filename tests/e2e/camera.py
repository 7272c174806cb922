"""A fake camera for browser tests: a QR image as the .y4m video Chromium plays as its webcam."""

from __future__ import annotations

from pathlib import Path

import qrcode
from PIL import Image

FRAME_SIZE = (640, 480)
BACKGROUND = (128, 128, 128)  # a grey room, so the white quiet zone of the label stands out


def qr_image(text: str, box_size: int = 6) -> Image.Image:
    """The QR for this text as a label printer would make it: black on white, 4-module margin."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size)
    code.add_data(text)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")


def scene(image: Image.Image | None, size: tuple[int, int] = FRAME_SIZE) -> Image.Image:
    """The picture the camera sees: the image (if any) in the middle of a grey background."""
    frame = Image.new("RGB", size, BACKGROUND)
    if image is not None:
        if image.width > size[0] or image.height > size[1]:
            image = image.copy()
            image.thumbnail(size)
        frame.paste(image, ((size[0] - image.width) // 2, (size[1] - image.height) // 2))
    return frame


def write_y4m(path: Path, frame: Image.Image, frames: int = 4, fps: int = 10) -> Path:
    """Write a still picture as a short YUV4MPEG2 (4:2:0, JPEG range) video that loops."""
    width, height = frame.size
    if width % 2 or height % 2:
        raise ValueError("4:2:0 video needs an even width and height")
    luma, blue, red = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)  # 4:2:0: one chroma sample per 2x2 pixels
    planes = [luma, blue.resize(half, Image.BOX), red.resize(half, Image.BOX)]
    frame_bytes = b"".join(plane.tobytes() for plane in planes)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(frame_bytes)
    return path


def qr_video(path: Path, text: str) -> Path:
    """A video of a label whose QR holds this text, held up in front of the camera."""
    return write_y4m(path, scene(qr_image(text)))
