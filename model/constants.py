"""Signal constants of the feature pipeline, in one place; derived values are computed."""

SAMPLE_RATE = 22050
"""Every decoded signal is mono float32 at this rate (Hz)."""

FRAME_SIZE = 2048
HOP_SIZE = 512
N_BINS = 12
"""HPCP bins; bin 0 is A (``REFERENCE_FREQUENCY``), bins rise by one semitone."""

# How Essentia's HPCP is computed from each frame (``model.hpcp.hpcp``).
SPECTRUM_WINDOW = "blackmanharris62"
PEAK_THRESHOLD = 1e-5
"""Spectral peaks below this magnitude are ignored."""
MAX_PEAKS = 100
PEAK_ORDER = "magnitude"
"""Which peaks are kept when there are more than ``MAX_PEAKS``."""
MIN_FREQUENCY = 40.0
MAX_FREQUENCY = 5000.0
"""The band (Hz) whose spectral peaks feed the profile."""
REFERENCE_FREQUENCY = 440.0
HARMONICS = 8
"""Each peak also votes for the pitch classes of this many lower fundamentals."""
HPCP_BAND_PRESET = False
HPCP_NON_LINEAR = False
HPCP_WEIGHT = "cosine"
HPCP_WINDOW_SEMITONES = 1.0
HPCP_NORMALIZED = "unitMax"

FRAMES_PER_SECOND = SAMPLE_RATE / HOP_SIZE
"""HPCP frame rate before time scaling (~43.07 fps)."""

TIME_SCALE = 0.1
"""The CNN sees HPCP averaged over 1 / TIME_SCALE frames (the thesis' time scaling)."""

FEATURE_FPS = FRAMES_PER_SECOND * TIME_SCALE
"""Frame rate of CNN features (~4.3 fps)."""

ALIGN_DOWNSAMPLE = 16
"""The alignment works on HPCP averaged over this many frames (~2.7 fps)."""

ALIGN_FPS = FRAMES_PER_SECOND / ALIGN_DOWNSAMPLE

SEGMENT_SECONDS = 85.0
"""Segment window for pair checks (the thesis platform's ~85 s windows)."""

SEGMENT_OVERLAP = 0.5
