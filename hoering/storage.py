"""Where attached documents are kept: one small interface over a local folder (the default)
or an S3-compatible object store, so that several app servers can share the documents.

A document is stored under its key, the SHA-256 of its content as 64 lowercase hex digits;
the same file is stored once however often it is attached. Both stores lay the keys out the
same way, ``<first two digits>/<key>``: in the folder ``DOCUMENT_DIR`` (default
``instance/documents``), or as object names after ``S3_PREFIX`` in ``S3_BUCKET``. A folder
copied into a bucket (``aws s3 sync``) is therefore read as it is.

The bucket is never public: documents are streamed through the app, which checks who may
see them and sets the headers (``hoering.consultations.views.document``).

:func:`get_storage` gives the store the configuration names (``DOCUMENT_STORAGE``). A store
that cannot be used just now raises :class:`StorageError`; a key with nothing stored under
it raises :class:`NotStored` when opened.
"""

from __future__ import annotations

import abc
import datetime as dt
import importlib.util
import io
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from typing import BinaryIO

from flask import current_app

#: A key: a SHA-256 as lowercase hex.
KEY_PATTERN = re.compile(r"[0-9a-f]{64}")
#: What ``DOCUMENT_STORAGE`` may be.
STORAGE_KINDS = ("local", "s3")
#: What ``S3_ADDRESSING_STYLE`` may be (botocore's names).
ADDRESSING_STYLES = ("auto", "path", "virtual")
#: Bytes copied at a time into a local file.
COPY_CHUNK = 1024 * 1024


class StorageError(Exception):
    """The store cannot be used just now: unreachable, refusing (credentials, a missing
    bucket, throttling) or out of space. The message names the operation and the cause,
    for the log; users are told in their language by the caller."""


class NotStored(LookupError):
    """Nothing is stored under the key."""


def check_key(key: str) -> str:
    """``key`` if it is a SHA-256 in lowercase hex.

    Raises:
        ValueError: any other string (so no key can lead outside the store).
    """
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise ValueError(f"not a document key (a SHA-256 in lowercase hex): {key!r}")
    return key


def layout(key: str) -> str:
    """Where below the store's root the file with ``key`` lies: ``ab/abcd…``."""
    return f"{key[:2]}/{check_key(key)}"


class StoredFile:
    """A stored file opened for reading: a binary stream (``read``, ``close``; a context
    manager) with its ``size`` in bytes and the time it was ``modified`` (aware UTC, or
    ``None`` when the store does not say)."""

    def __init__(self, stream: BinaryIO, size: int | None, modified: dt.datetime | None):
        self.stream = stream
        self.size = size
        self.modified = modified

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when negative); ``b""`` at the end."""
        return self.stream.read() if size is None or size < 0 else self.stream.read(size)

    def close(self) -> None:
        """Release the file or the connection it is read from."""
        self.stream.close()

    def seekable(self) -> bool:
        """Whether :meth:`seek` works (a local file; not an object read from S3)."""
        seekable = getattr(self.stream, "seekable", None)
        return bool(seekable and seekable())

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move to ``offset`` (see :meth:`io.IOBase.seek`); only where :meth:`seekable`."""
        return self.stream.seek(offset, whence)

    def tell(self) -> int:
        """The current position; only where :meth:`seekable`."""
        return self.stream.tell()

    def fileno(self) -> int:
        """The file descriptor of a local file (servers may send it with ``sendfile``).

        Raises:
            io.UnsupportedOperation: the stream is not a local file.
        """
        fileno = getattr(self.stream, "fileno", None)
        if fileno is None:
            raise io.UnsupportedOperation("fileno")
        return fileno()

    def __enter__(self) -> StoredFile:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class Storage(abc.ABC):
    """What every document store does (an abstract base: :class:`LocalStorage` and the S3
    store implement it). Keys are checked with :func:`check_key`
    (``ValueError`` for anything else)."""

    #: The ``DOCUMENT_STORAGE`` value that selects this store.
    kind = ""

    def staging_dir(self) -> str | None:
        """The folder for an upload's temporary file while it is checked (``None``: the
        system's temporary folder)."""
        return None

    @abc.abstractmethod
    def put(self, key: str, file: BinaryIO) -> None:
        """Store the content of ``file`` (a binary file object, read from its current
        position to the end) under ``key``, replacing what was there. Either all of it is
        stored or nothing is.

        Raises:
            StorageError: the store cannot take it.
        """
        ...

    @abc.abstractmethod
    def open(self, key: str) -> StoredFile:
        """The file stored under ``key``, to be read as a stream and closed.

        Raises:
            NotStored: nothing is stored under ``key``.
            StorageError: the store cannot be read.
        """
        ...

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the file stored under ``key``; nothing happens if there is none.

        Raises:
            StorageError: the store cannot be changed.
        """
        ...

    @abc.abstractmethod
    def exists(self, key: str) -> bool:
        """Whether a file is stored under ``key``.

        Raises:
            StorageError: the store cannot be asked.
        """
        ...


class LocalStorage(Storage):
    """Files in a folder of this machine (or a shared file system mounted on every app
    server): ``<folder>/<ab>/<key>``. A file is written beside its place under a temporary
    name and renamed into it, so readers never see half a file."""

    kind = "local"

    def __init__(self, folder: str):
        self.folder = folder

    def path(self, key: str) -> str:
        """The file of ``key``."""
        return os.path.join(self.folder, *layout(key).split("/"))

    def staging_dir(self) -> str:
        """The store's own folder, as before there were other stores: an upload's temporary
        file lies on the same disk as the documents."""
        return self.folder

    def put(self, key: str, file: BinaryIO) -> None:
        """See :meth:`Storage.put`; ``OSError`` (no space, no permission) becomes
        :class:`StorageError`."""
        target = self.path(key)
        temporary = None
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".upload-")
            with os.fdopen(handle, "wb") as out:
                shutil.copyfileobj(file, out, COPY_CHUNK)
            os.replace(temporary, target)
            temporary = None
        except OSError as error:
            raise StorageError(f"storing {key} in {self.folder}: {error}") from error
        finally:
            if temporary is not None:
                _remove_quietly(temporary)

    def open(self, key: str) -> StoredFile:
        """See :meth:`Storage.open`."""
        path = self.path(key)
        try:
            stream = open(path, "rb")  # noqa: SIM115 - the caller closes it (a streamed response)
        except (FileNotFoundError, NotADirectoryError):
            raise NotStored(key) from None
        except OSError as error:
            raise StorageError(f"reading {key} in {self.folder}: {error}") from error
        stat = os.fstat(stream.fileno())
        return StoredFile(stream, stat.st_size, dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC))

    def delete(self, key: str) -> None:
        """See :meth:`Storage.delete`."""
        try:
            os.remove(self.path(key))
        except (FileNotFoundError, NotADirectoryError):
            pass
        except OSError as error:
            raise StorageError(f"deleting {key} in {self.folder}: {error}") from error

    def exists(self, key: str) -> bool:
        """See :meth:`Storage.exists`."""
        return os.path.isfile(self.path(key))


class S3Storage(Storage):
    """Objects in a bucket of an S3-compatible store (AWS S3, MinIO, Ceph, …), named
    ``<prefix><ab>/<key>``, written and read by the app with its own credentials."""

    kind = "s3"

    def __init__(self, bucket: str, prefix: str = "", client=None, connect: Callable[[], object] | None = None):
        """Args:
            bucket, prefix: where the objects are (see :meth:`object_name`).
            client: a boto3 S3 client; or ``connect``, called for one on first use (an
                upload refused by its checks never needs one).
        """
        self.bucket = bucket
        self.prefix = prefix
        self._client = client
        self._connect = connect

    @property
    def client(self):
        """The boto3 S3 client."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    @property
    def _failures(self) -> tuple[type[Exception], ...]:
        from botocore.exceptions import BotoCoreError, ClientError  # loaded with the client already

        return BotoCoreError, ClientError

    def object_name(self, key: str) -> str:
        """The name of ``key``'s object in the bucket."""
        return self.prefix + layout(key)

    def put(self, key: str, file: BinaryIO) -> None:
        """See :meth:`Storage.put`: one PUT request (S3 stores an object whole or not at
        all; a failed request is retried from the start of ``file``)."""
        name = self.object_name(key)
        try:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=file,
                                   ContentType="application/octet-stream")
        except self._failures as error:
            raise self._failure("storing", name, error) from error

    def open(self, key: str) -> StoredFile:
        """See :meth:`Storage.open`: the object's body is read as it arrives."""
        name = self.object_name(key)
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=name)
        except self._failures as error:
            if self._is_missing(error):
                raise NotStored(key) from None
            raise self._failure("reading", name, error) from error
        return StoredFile(answer["Body"], answer.get("ContentLength"), answer.get("LastModified"))

    def delete(self, key: str) -> None:
        """See :meth:`Storage.delete`."""
        name = self.object_name(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except self._failures as error:
            if self._is_missing(error):
                return
            raise self._failure("deleting", name, error) from error

    def exists(self, key: str) -> bool:
        """See :meth:`Storage.exists`."""
        name = self.object_name(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=name)
        except self._failures as error:
            if self._is_missing(error):
                return False
            raise self._failure("looking for", name, error) from error
        return True

    def _is_missing(self, error: Exception) -> bool:
        """Whether ``error`` says the object is not there (not that the bucket is missing)."""
        from botocore.exceptions import ClientError  # loaded with the client already

        if not isinstance(error, ClientError):
            return False
        code = str(error.response.get("Error", {}).get("Code", ""))
        return code in ("NoSuchKey", "404", "NotFound")

    def _failure(self, action: str, name: str, error: Exception) -> StorageError:
        return StorageError(f"{action} s3://{self.bucket}/{name}: {type(error).__name__}: {error}")


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def local_folder() -> str:
    """The folder of the local store (``DOCUMENT_DIR``, default ``instance/documents``)."""
    return current_app.config.get("DOCUMENT_DIR") or os.path.join(current_app.instance_path, "documents")


def storage_kind(config) -> str:
    """The store ``config`` names (``DOCUMENT_STORAGE``, default ``local``), in lower case."""
    return str(config.get("DOCUMENT_STORAGE") or "local").strip().lower()


def s3_prefix(config) -> str:
    """``S3_PREFIX`` as it is put before keys: no leading slash, one trailing slash unless empty."""
    prefix = str(config.get("S3_PREFIX") or "").strip().lstrip("/")
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def settings_problems(config) -> list[str]:
    """What is wrong with the storage settings in ``config`` (empty when nothing is): each
    entry names the variable to change. Nothing is contacted."""
    kind = storage_kind(config)
    if kind not in STORAGE_KINDS:
        return [f"HOERING_DOCUMENT_STORAGE (DOCUMENT_STORAGE) must be one of {', '.join(STORAGE_KINDS)}; "
                f"got {config.get('DOCUMENT_STORAGE')!r}."]
    if kind != "s3":
        return []
    problems = []
    if importlib.util.find_spec("boto3") is None:
        problems.append("DOCUMENT_STORAGE s3 needs boto3: install requirements.txt (pip install -r requirements.txt).")
    endpoint = str(config.get("S3_ENDPOINT_URL") or "")
    if endpoint and not re.fullmatch(r"https?://[^/\s]+/?", endpoint):
        problems.append(f"HOERING_S3_ENDPOINT_URL (S3_ENDPOINT_URL) must be an address such as "
                        f"https://objects.example.net or http://minio.internal:9000; got {endpoint!r}.")
    if not str(config.get("S3_BUCKET") or "").strip():
        problems.append("HOERING_S3_BUCKET (S3_BUCKET) must name the bucket when DOCUMENT_STORAGE is s3.")
    style = str(config.get("S3_ADDRESSING_STYLE") or "auto").strip().lower()
    if style not in ADDRESSING_STYLES:
        problems.append(f"HOERING_S3_ADDRESSING_STYLE (S3_ADDRESSING_STYLE) must be one of "
                        f"{', '.join(ADDRESSING_STYLES)}; got {config.get('S3_ADDRESSING_STYLE')!r}.")
    if bool(config.get("S3_ACCESS_KEY_ID")) != bool(config.get("S3_SECRET_ACCESS_KEY")):
        problems.append("HOERING_S3_ACCESS_KEY_ID and HOERING_S3_SECRET_ACCESS_KEY are set together, or neither "
                        "(then the AWS_* variables, a profile or the machine's role are used).")
    return problems


_client_lock = threading.Lock()


def _text(value) -> str | None:
    """A setting as text (``HOERING_*`` values that look like numbers arrive as numbers)."""
    return None if value is None or value == "" else str(value)


def s3_client(config):
    """The boto3 S3 client for the settings in ``config``, made once per process and set of
    settings (boto3 clients may be shared by threads).

    Raises:
        StorageError: botocore refuses the settings (a malformed region, say).

    Credentials are ``S3_ACCESS_KEY_ID`` and ``S3_SECRET_ACCESS_KEY`` when set, else
    boto3's own search (``AWS_*`` variables, a profile, the machine's role). Connections
    time out after ``S3_CONNECT_TIMEOUT_SECONDS``, reads after ``S3_READ_TIMEOUT_SECONDS``;
    failed requests are retried as botocore's "standard" mode does (``AWS_MAX_ATTEMPTS``
    changes how often).
    """
    settings = (_text(config.get("S3_ENDPOINT_URL")), _text(config.get("S3_REGION")),
                _text(config.get("S3_ACCESS_KEY_ID")), _text(config.get("S3_SECRET_ACCESS_KEY")),
                str(config.get("S3_ADDRESSING_STYLE") or "auto").strip().lower(),
                float(config.get("S3_CONNECT_TIMEOUT_SECONDS") or 5),
                float(config.get("S3_READ_TIMEOUT_SECONDS") or 30))
    clients = current_app.extensions.setdefault("hoering_s3_clients", {})
    with _client_lock:
        client = clients.get(settings)
        if client is None:
            # boto3 takes about half a second to import: only installations that keep
            # their documents in S3 pay for it, on their first document.
            import boto3
            from botocore.config import Config
            from botocore.exceptions import BotoCoreError

            endpoint, region, key_id, secret, style, connect_timeout, read_timeout = settings
            try:
                client = boto3.session.Session().client(
                    "s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=key_id,
                    aws_secret_access_key=secret,
                    config=Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                                  retries={"mode": "standard"}, s3={"addressing_style": style}))
            except (BotoCoreError, ValueError) as error:  # a region or address botocore refuses
                raise StorageError(f"making the S3 client: {type(error).__name__}: {error}") from error
            clients[settings] = client
    return client


def get_storage() -> Storage:
    """The document store the current app's configuration names (``DOCUMENT_STORAGE``):
    :class:`LocalStorage` on ``DOCUMENT_DIR``, or :class:`S3Storage` on ``S3_BUCKET``.
    Cheap to call: the S3 client is made once per process, when a store first needs it.

    Raises:
        ValueError: the settings are not usable (:func:`settings_problems`; the app
            factory refuses to start with them).
    """
    config = current_app.config
    problems = settings_problems(config)
    if problems:
        raise ValueError(" ".join(problems))
    if storage_kind(config) == "s3":
        return S3Storage(str(config["S3_BUCKET"]).strip(), s3_prefix(config), connect=lambda: s3_client(config))
    return LocalStorage(local_folder())
