"""Debian packages as folders: fetched with ``apt-get download``, unpacked with ``dpkg-deb -x``.

Nothing is installed system-wide: each package is unpacked into ``CACHE/root/<package>`` once,
and its licence is read from the ``copyright`` file it ships (or, when a data package links
its documentation folder to the game's main package, from that package's).
"""

from __future__ import annotations

import logging
import re
import subprocess
import zipfile
from pathlib import Path

from model.errors import CoverscopeError

log = logging.getLogger(__name__)

MUSIC_PACKAGES: tuple[str, ...] = (
    # Packages of music only.
    "singularity-music", "warzone2100-music", "wesnoth-1.16-music", "ufoai-music",
    "planetblupi-music-ogg", "asc-music", "hyperrogue-music", "nexuiz-music", "drascula-music",
    "fb-music-high", "xblast-tnt-musics", "fretsonfire-songs-muldjord",
    "fretsonfire-songs-sectoid", "colobot-common-sounds",
    # Game data that carries its soundtrack (Ogg, MP3, FLAC, WAV or tracker modules).
    "0ad-data", "7kaa-data", "a7xpg-data", "abe-data", "adonthell-data", "alex4-data",
    "alienblaster-data", "amoebax-data", "amphetamine-data", "asylum-data", "atanks-data",
    "ballz-data", "berusky-data", "berusky2-data", "billard-gl-data", "biniax2-data",
    "blobandconquer-data", "blobwars-data", "blocks-of-the-undead-data", "bomberclone-data",
    "boswars-data", "brainparty-data", "briquolo-data", "btanks-data", "bumprace-data",
    "cataclysm-dda-data", "caveexpress-data", "cavepacker-data", "chromium-bsu-data",
    "circuslinux-data", "criticalmass-data", "cube2-data", "cuyo-data", "davegnukem-data",
    "ddnet-data", "dreamchess-data", "dustracing2d-data", "endless-sky-data", "enigma-data",
    "etw-data", "extremetuxracer-data", "fillets-ng-data", "flare-game", "foobillardplus-data",
    "freedroid-data", "freedroidrpg-data", "freegish-data", "freeorion-data",
    "frozen-bubble-data", "garden-of-coloured-lights-data", "gigalomania-data", "glob2-data",
    "gnujump-data", "gunroar-data", "hannah-data", "hedgewars-data", "heroes-data",
    "holotz-castle-data", "ironseed-data", "kball-data", "kobodeluxe-data", "kraptor-data",
    "lbreakout2-data", "lbreakouthd-data", "lierolibre-data", "lincity-ng-data",
    "liquidwar-data", "littlewizard-data", "lordsawar-data", "lugaru-data", "luola-data",
    "madbomber-data", "manaplus-data", "marsshooter-data", "mazeofgalious-data",
    "megaglest-data", "meritous-data", "mirrormagic-data", "monsterz-data", "moon-lander-data",
    "mu-cade-data", "naev-data", "netpanzer-data", "neverball-data", "neverputt-data",
    "nexuiz-data", "njam-data", "noiz2sa-data", "open-invaders-data", "openarena-data",
    "opencity-data", "openclonk-data", "openssn-data", "orbital-eunuchs-sniper-data",
    "overgod-data", "parsec47-data", "pathological", "pax-britannica-data",
    "pekka-kana-2-data", "phlipple-data", "pinball-data", "pingus-data", "pink-pony-data",
    "pipenightdreams-data", "plee-the-bear-data", "pokerth-data", "powermanga-data",
    "pushover-data", "rafkill-data", "raincat-data", "redeclipse-data", "ri-li-data",
    "rrootage-data", "scorched3d-data", "searchandrescue-data", "slimevolley-data",
    "solarwolf", "starfighter-data", "starvoyager-data", "stormbaancoureur-data",
    "supertransball2-data", "supertux-data", "supertuxkart-data", "tecnoballz-data",
    "teeworlds-data", "titanion-data", "tomatoes-data", "toppler", "torcs-data",
    "torus-trooper-data", "trackballs-data", "trigger-rally-data", "tumiki-fighters-data",
    "tuxmath-data", "tuxtype-data", "val-and-rick-data", "warmux-data", "warzone2100-data",
    "wesnoth-1.16-data", "widelands-data", "wizznic-data", "xbubble-data", "xmoto-data",
    "xye-data", "zaz-data",
)  # fmt: skip
"""Every Debian (bookworm) package found here that ships music; most hold sound effects too,
which the duration filter of the corpus builder removes."""


class PackageUnavailable(CoverscopeError):
    """apt could not download a package, or dpkg-deb could not unpack it."""

    code = "package_unavailable"


def fetch(package: str, *, cache: Path) -> Path:
    """The unpacked tree of ``package`` (``CACHE/root/<package>``), downloaded if need be."""
    root = cache / "root" / package
    done = root / ".unpacked"
    if done.is_file():
        return root
    deb = _download(package, cache=cache)
    root.mkdir(parents=True, exist_ok=True)
    _run(["dpkg-deb", "-x", str(deb), str(root)], what=f"unpack {deb.name}")
    done.write_text(deb.name + "\n")
    return root


def version(package: str, *, cache: Path) -> str:
    """The Debian version of the downloaded package (from its ``.deb`` name)."""
    marker = cache / "root" / package / ".unpacked"
    name = marker.read_text().strip() if marker.is_file() else _download(package, cache=cache).name
    return name.split("_")[1].replace("%3a", ":")


def _download(package: str, *, cache: Path) -> Path:
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        _run(["apt-get", "download", package], what=f"download {package}", cwd=debs)
        found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        raise PackageUnavailable(f"apt-get download {package} left no .deb in {debs}")
    return found[-1]


def _run(cmd: list[str], *, what: str, cwd: Path | None = None) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise PackageUnavailable(f"could not {what}: {detail}")


def copyright_text(package: str, *, cache: Path, follow: bool = True) -> str:
    """The package's ``copyright`` file, following a doc folder linked to another package."""
    doc = cache / "root" / package / "usr" / "share" / "doc" / package
    if (doc / "copyright").is_file():
        return (doc / "copyright").read_text(errors="replace")
    if doc.is_symlink():
        owner = Path(str(doc.readlink())).name
        if follow and owner and owner != package:
            try:
                fetch(owner, cache=cache)
            except PackageUnavailable as exc:
                log.warning("%s: %s", package, exc)
                return ""
            return copyright_text(owner, cache=cache, follow=False)
    return ""


_LICENSE_LINE = re.compile(r"^License:\s*(\S.*)$", re.MULTILINE)
_FREEFORM = re.compile(
    r"(GNU (?:Lesser |Library )?General Public License[^.\n]*|GPL-?\d[+]?|Creative Commons[^.\n]*"
    r"|CC[- ]BY[-A-Z0-9. ]*|public domain|Artistic License|BSD[- ]\w+|MIT|freeware[^.\n]*)",
    re.IGNORECASE,
)


def licence_summary(text: str) -> str:
    """The distinct licences a copyright file names (DEP-5 ``License:`` fields or free text)."""
    names = [m.strip() for m in _LICENSE_LINE.findall(text)]
    if not names:
        names = [m.strip() for m in _FREEFORM.findall(text)]
    unique = list(dict.fromkeys(n for n in names if n))
    return "; ".join(unique[:8]) if unique else "unknown (no copyright file found)"


AUDIO_SUFFIXES = (".ogg", ".oga", ".opus", ".mp3", ".flac", ".wav", ".mod", ".xm", ".it", ".s3m")
TRACKER_SUFFIXES = (".mod", ".xm", ".it", ".s3m")
ARCHIVE_SUFFIXES = (".pk3", ".zip")


def audio_files(root: Path) -> list[Path]:
    """Audio files under ``root``, with those inside zip archives (``.pk3``) unpacked next to it.

    Members are unpacked once into ``root/.unzipped/<archive name>/``.
    """
    found = []
    for path in sorted(root.rglob("*")):
        if ".unzipped" in path.parts or not path.is_file():
            continue
        suffix = path.suffix.lower()
        if suffix in AUDIO_SUFFIXES:
            found.append(path)
        elif suffix in ARCHIVE_SUFFIXES and zipfile.is_zipfile(path):
            found += _unzip_audio(path, root / ".unzipped" / path.name)
    return found


def _unzip_audio(archive: Path, into: Path) -> list[Path]:
    out = []
    with zipfile.ZipFile(archive) as z:
        for member in z.namelist():
            if not member.lower().endswith(AUDIO_SUFFIXES) or ".." in Path(member).parts:
                continue
            target = into / member
            if not target.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(z.read(member))
            out.append(target)
    return sorted(out)
