"""Opening ZIP archives that come from uploads (DOCX, XLSX, ODT are ZIP files) without
letting them take the server's memory or time.

A small ZIP can name a huge number of members, or hold a member that inflates to
gigabytes ("zip bomb"), and its headers can lie about both. :func:`open_checked` refuses
such an archive before anything is unpacked into memory:

1. The archive's directory is read under a byte budget (:data:`DIRECTORY_BYTES_PER_MEMBER`
   per allowed member, plus the end records), so a directory of 100,000 entries is refused
   before it is parsed; then the members are counted.
2. Members packed other than stored or deflated (the only methods office files use) are
   refused. The sizes the directory declares are checked: in total, and as a ratio of unpacked to
   packed size per member (Apache POI's ``ZipSecureFile`` defaults: 1,000 members, ratio
   100, members under 100 KiB exempt from the ratio).
3. Every member is then inflated in 64 KiB pieces that are thrown away, counting the real
   bytes against the same caps: reading stops at the cap whatever the headers say, and a
   member whose real size differs from its declared one is refused.

Only then is the archive handed to the caller, whose reads are bounded by the checked sizes.
"""

from __future__ import annotations

import copy
import io
import os
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

#: Directory bytes allowed per member: a directory entry is 46 bytes plus the member's
#: name and extra fields, which office files keep far below this.
DIRECTORY_BYTES_PER_MEMBER = 512
#: Bytes the end records may take: the end of central directory record with the longest
#: comment (22 + 65,535 bytes), the ZIP64 end record and its locator, with room to spare.
END_RECORDS_BYTES = 128 * 1024
#: Members that unpack to less than this are not held to the ratio (Apache POI's grace size).
RATIO_GRACE_BYTES = 100 * 1024
#: Bytes inflated at a time while the members are checked.
CHUNK_BYTES = 64 * 1024

#: The packing methods office programs write (ISO/IEC 29500-2 and OpenDocument allow only
#: these). The standard library would also unpack BZIP2 and LZMA, but in one piece whatever
#: the size asked for, so their output cannot be bounded while it is read.
OFFICE_COMPRESSION = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})

#: What a damaged or unreadable archive raises, from the standard library and zlib.
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError,
                KeyError, struct.error)


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps on an uploaded ZIP archive.

    Attributes:
        max_members: most members (files and folders) it may have.
        max_unpacked_bytes: most bytes all its members may unpack to, together.
        max_ratio: most times a member may unpack to its packed size (members under
            :data:`RATIO_GRACE_BYTES` exempt).
    """

    max_members: int
    max_unpacked_bytes: int
    max_ratio: float


class ArchiveRefused(Exception):
    """Base of the refusals of :func:`open_checked`."""


class ArchiveTooLarge(ArchiveRefused):
    """The archive has more members, or unpacks to more bytes or a higher ratio, than the
    :class:`ArchiveLimits` allow (declared or real)."""


class ArchiveDamaged(ArchiveRefused):
    """The archive cannot be read: not a ZIP, damaged data, a wrong checksum, encrypted or
    unknown compression, two members with one name, or a member whose real size differs
    from the size its header declares."""


class _BudgetedFile:
    """A binary file whose reads are refused past a budget of bytes (``None``: no budget).
    ZIP readers read the directory through it; zipfile needs read, seek, tell, seekable."""

    def __init__(self, raw, budget: int | None):
        self._raw = raw
        self._size = os.fstat(raw.fileno()).st_size
        self.budget = budget

    def read(self, size: int = -1) -> bytes:
        if self.budget is not None:
            wanted = self._size - self._raw.tell() if size is None or size < 0 else size
            if wanted > self.budget:
                raise ArchiveTooLarge("the archive's directory is larger than its members allow")
            self.budget -= wanted
        return self._raw.read(size)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True


def _over_ratio(unpacked: int, packed: int, limits: ArchiveLimits) -> bool:
    return unpacked > RATIO_GRACE_BYTES and unpacked > limits.max_ratio * max(packed, 1)


def _check_declared(infos: list[zipfile.ZipInfo], limits: ArchiveLimits) -> None:
    if len(infos) > limits.max_members:
        raise ArchiveTooLarge(f"{len(infos)} members")
    for info in infos:
        if info.compress_type not in OFFICE_COMPRESSION:
            raise ArchiveDamaged(f"{info.filename} is packed with method {info.compress_type}")
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise ArchiveDamaged("two members have the same name")
    if sum(info.file_size for info in infos) > limits.max_unpacked_bytes:
        raise ArchiveTooLarge("the declared sizes are too large")
    for info in infos:
        if _over_ratio(info.file_size, info.compress_size, limits):
            raise ArchiveTooLarge(f"{info.filename} is declared to unpack too far")


def _check_real(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: ArchiveLimits) -> None:
    total = 0
    for info in infos:
        # Read until the data ends or the cap is passed, not until the declared size.
        probe = copy.copy(info)
        probe.file_size = limits.max_unpacked_bytes - total + 1
        size = 0
        with archive.open(probe) as member:
            while chunk := member.read(CHUNK_BYTES):
                size += len(chunk)
                total += len(chunk)
                if total > limits.max_unpacked_bytes or _over_ratio(size, info.compress_size, limits):
                    raise ArchiveTooLarge(f"{info.filename} unpacks too far")
        if size != info.file_size:
            raise ArchiveDamaged(f"{info.filename} unpacks to {size} bytes, not the {info.file_size} declared")


@contextmanager
def open_checked(path: str | os.PathLike, limits: ArchiveLimits) -> Iterator[zipfile.ZipFile]:
    """Open the ZIP archive at ``path`` once it has passed the checks in this module's
    docstring.

    Args:
        path: a file on disk (an upload already saved).
        limits: the caps to hold it to.

    Yields:
        the open :class:`zipfile.ZipFile`; every member has been inflated once, so reading
        one again is bounded by its checked size.

    Raises:
        ArchiveTooLarge: too many members, or too many bytes or too high a ratio unpacked.
        ArchiveDamaged: not a readable ZIP archive (see the class).
    """
    with open(path, "rb") as raw:
        budgeted = _BudgetedFile(raw, END_RECORDS_BYTES + limits.max_members * DIRECTORY_BYTES_PER_MEMBER)
        try:
            archive = zipfile.ZipFile(budgeted)
        except _READ_ERRORS as error:
            raise ArchiveDamaged(str(error)) from None
        budgeted.budget = None
        with archive:
            infos = archive.infolist()
            _check_declared(infos, limits)
            try:
                _check_real(archive, infos, limits)
            except _READ_ERRORS as error:
                raise ArchiveDamaged(str(error)) from None
            yield archive
