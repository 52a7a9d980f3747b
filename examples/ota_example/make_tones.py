#!/usr/bin/env python3
"""Generate the example's voice-tone files: short sine-wave WAV prompts.

The original ships recorded MP3 prompts; the tone partition does not care
what the audio is, so the example makes its own, deterministic and small.
Usage: make_tones.py OUTDIR
"""
import math
import os
import struct
import sys
import wave

TONES = [  # name, frequency in Hz, duration in ms
    ("wifi_success", 880, 250), ("wifi_reconnect", 660, 300), ("wifi_time_out", 440, 400),
    ("server_connect", 990, 200), ("server_disconnect", 330, 300), ("upgrade_start", 520, 250),
    ("upgrade_done", 784, 350), ("volume_up", 1046, 120), ("volume_down", 392, 120),
]
RATE = 8000


def write_tone(path, freq, ms):
    frames = int(RATE * ms / 1000)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        data = b"".join(
            struct.pack("<h", int(12000 * math.sin(2 * math.pi * freq * i / RATE) * min(1, (frames - i) / 400)))
            for i in range(frames))
        w.writeframes(data)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for i, (name, freq, ms) in enumerate(TONES):
        write_tone(os.path.join(out, "%02d_%s.wav" % (i, name)), freq, ms)


if __name__ == "__main__":
    main()
