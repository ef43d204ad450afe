"""Configuration defaults for Hoering.

Precedence, lowest first: the defaults in :class:`DefaultConfig`, then
``instance/config.py`` (optional), then ``HOERING_*`` environment variables,
then the mapping passed to :func:`hoering.create_app` (tests use that).
"""

from __future__ import annotations

import json
import os

#: The placeholder secret key. The app refuses to run with it outside debug and testing.
DEFAULT_SECRET_KEY = "dev-insecure-change-me"


class ConfigurationError(RuntimeError):
    """The configuration is unsafe or incomplete; the message says what to change."""


class DefaultConfig:
    """Defaults that every deployment starts from; see docs/CONFIGURATION.md."""

    SECRET_KEY = DEFAULT_SECRET_KEY
    #: SQLAlchemy URL. ``None`` means ``sqlite:///<instance>/hoering.sqlite``.
    SQLALCHEMY_DATABASE_URI: str | None = None
    #: Passed to SQLAlchemy's ``create_engine``. ``pool_pre_ping`` (test every connection
    #: before use, one round trip a request) may be set here; by default only connections
    #: idle longer than ``DATABASE_PING_IDLE_SECONDS`` are tested (:func:`hoering.database.ping_when_idle`).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    #: Seconds a pooled database connection may rest before it is tested (``SELECT 1``) when
    #: next taken from the pool; a dead one is replaced. A connection that breaks while in
    #: busy use is found by its first failing statement instead, and the pool is renewed.
    DATABASE_PING_IDLE_SECONDS: float = 5.0

    #: Languages offered in the switch; the first is the default.
    LANGUAGES = ("nb", "en", "nn")
    BABEL_DEFAULT_LOCALE = "nb"
    BABEL_DEFAULT_TIMEZONE = "Europe/Oslo"
    #: Language of messages outside a web request (command-line tools).
    CLI_LOCALE = "en"

    #: Maximum length of a comment, in characters (Unicode code points).
    COMMENT_MAX_LENGTH = 4000
    #: How long an author may edit their comment after posting it, in seconds.
    COMMENT_EDIT_WINDOW_SECONDS = 15 * 60
    #: Threads (top-level comments) per page on a consultation page and in the API.
    THREADS_PER_PAGE = 20
    #: Replies shown under each thread on a page of threads (and in the API's threads), the
    #: first in reading order; a link leads to the thread's own page with all of them.
    THREAD_REPLIES_SHOWN = 5
    #: Replies per page on a thread's own page, on a moderator's page of one comment, and
    #: in the API's thread.
    REPLIES_PER_PAGE = 50
    #: Deepest visual nesting of replies (DESIGN §3); deeper replies are shown at this depth.
    MAX_REPLY_DEPTH = 3

    #: Distinct open reports that hide a comment pending review.
    REPORT_HIDE_THRESHOLD = 3
    #: Automatic holds: words (whole words, any case) that send a comment to the queue …
    MODERATION_HOLD_WORDS: list[str] = []
    #: … more links than this …
    MODERATION_MAX_LINKS = 3
    #: … and, when true, every user's first comment.
    MODERATION_HOLD_FIRST_COMMENT = False
    #: Items per page of the moderation queue and the audit log.
    MODERATION_PER_PAGE = 50
    #: Comments per page of the lists moderators tag from (the themes page's filters).
    CODING_PER_PAGE = 50
    #: Publishing a summary while more than this share (0–1) of the consultation's published
    #: comments is not analysed yet (no theme, not marked "read, no theme") asks the moderator
    #: to confirm first (docs/SUMMARIES.md, "Analysis"). 0.05: on Bowling Green that is 30 of
    #: 607 comments, a stretch a moderator reads in a few minutes.
    UNANALYSED_WARNING_SHARE = 0.05

    #: Reverse proxies in front of the app that set ``X-Forwarded-For`` and
    #: ``X-Forwarded-Proto`` (0: clients connect directly and the headers are ignored).
    #: The client address counts rate limits and shows in log lines.
    TRUSTED_PROXIES = 0

    #: Flask-Limiter storage: ``memory://`` (one process) or ``redis://host:6379/0``.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_STRATEGY = "moving-window"
    #: While the storage (Redis) cannot be reached, count in each process's memory instead
    #: (the same limits, per process) and go back to the storage when it answers again;
    #: an error of the storage itself lets the request through rather than fail it. The
    #: database, not Redis, holds what citizens write: Redis restarting must not refuse it
    #: (found by bench/loadtest.py: a comment stored and then answered with a 500).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_HEADERS_ENABLED = True
    #: Limits (Flask-Limiter notation), per logged-in user or else per IP address.
    RATELIMIT_COMMENTS = "10 per minute;60 per hour"
    #: Supports given or taken back (each click counts), per logged-in user.
    RATELIMIT_SUPPORTS = "30 per minute;300 per hour"
    RATELIMIT_REPORTS = "20 per hour"
    #: Formal responses sent through the web form, per logged-in user or client address.
    RATELIMIT_RESPONSES = "5 per minute;20 per hour"
    RATELIMIT_REGISTRATION = "5 per hour"
    RATELIMIT_LOGIN = "10 per minute;50 per hour"
    #: Failed logins on one account, from browsers that have not logged in to it before,
    #: after which the account counts as under attack: its owner is warned by mail, and
    #: such browsers log in only with a link mailed to the owner (see docs/SECURITY.md).
    RATELIMIT_LOGIN_ACCOUNT = "20 per hour"
    #: Failed logins on one account from one client (a browser the account knows, else an
    #: address) before it must wait; the wait starts at ``LOGIN_BACKOFF_SECONDS`` and
    #: doubles with every further failure, up to ``LOGIN_BACKOFF_MAX_SECONDS``. A client's
    #: failures are forgotten ``LOGIN_FAILURE_MEMORY_SECONDS`` after the first, or at a login.
    LOGIN_BACKOFF_AFTER = 3
    LOGIN_BACKOFF_SECONDS = 30
    LOGIN_BACKOFF_MAX_SECONDS = 3600
    LOGIN_FAILURE_MEMORY_SECONDS = 24 * 3600
    #: At most one "someone is guessing your password" mail per account in this many seconds.
    LOGIN_WARNING_PERIOD_SECONDS = 24 * 3600
    #: How long the sign-in link mailed during an attack works, in seconds (it works once).
    SIGN_IN_LINK_MAX_AGE = 15 * 60
    #: How long a browser stays known to the accounts that logged in on it, in seconds.
    DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600
    #: Password-reset and verification mails asked for, per address and per account.
    RATELIMIT_ACCOUNT_MAIL = "5 per hour"
    #: Requests for e-mail alerts, per client address and per e-mail address asked for
    #: (each sends a mail, so the form cannot be used to flood someone's inbox).
    RATELIMIT_ALERTS = "10 per hour"
    RATELIMIT_ALERTS_ADDRESS = "3 per hour"
    #: Two-factor codes tried for one account (after the password was right).
    RATELIMIT_TWO_FACTOR = "5 per minute;20 per hour"
    #: Password confirmations by a logged-in user (changing the password, deleting the
    #: account, new recovery codes, switching two-factor login off).
    RATELIMIT_PASSWORD_CHECK = "5 per minute;20 per hour"
    #: Requests to the open-data API (``/api/v1``), per client address.
    RATELIMIT_API = "300 per minute;5000 per hour"
    #: How long clients and shared caches may reuse an API answer without asking again, in
    #: seconds (``Cache-Control: max-age``); 0: they revalidate every time (``no-cache``),
    #: which costs a ``304`` without a body when nothing changed.
    API_CACHE_SECONDS = 0

    #: Folder of the Whoosh index; ``None`` means ``instance/search-index``.
    SEARCH_INDEX_DIR: str | None = None
    #: Apply index tasks in the web process after each request that wrote some (and after
    #: each sweep for domain events that delivered some). Turn off when
    #: ``flask hoering index-worker`` runs beside several web processes.
    SEARCH_INDEX_INLINE = True
    #: Results per page of the search page and API.
    SEARCH_PER_PAGE = 20
    #: Where searching happens: ``"whoosh"`` (an index in ``SEARCH_INDEX_DIR``, nothing else
    #: to install) or ``"postgresql"`` (a ``search_document`` table with a GIN index in the
    #: database itself, written in the same transaction as each change; needs PostgreSQL as
    #: the database). See docs/SEARCH.md.
    SEARCH_BACKEND = "whoosh"
    #: With the PostgreSQL backend, hits are counted up to this number; beyond it the page
    #: says "over 1 000 results", so the cost of counting does not grow with the corpus.
    SEARCH_COUNT_LIMIT = 1000

    #: A citizen's comments wait until the e-mail address is verified (the link in the
    #: mail sent at registration). Accounts made by admins or the CLI count as verified.
    EMAIL_VERIFICATION_REQUIRED = True
    #: How long a verification link works, in seconds (7 days).
    EMAIL_VERIFICATION_MAX_AGE = 7 * 24 * 3600
    #: How long a password-reset link works, in seconds (1 hour; OWASP Forgot Password
    #: Cheat Sheet: short-lived, single use).
    PASSWORD_RESET_MAX_AGE = 3600
    #: How long an administrator's invitation of a colleague works, in days (single use;
    #: only the token's hash is stored).
    INVITATION_MAX_AGE_DAYS = 7
    #: Account mails (verification, password reset) are sent right after the request that
    #: queued them; when sending fails they stay in the outbox for ``send-mail``.
    MAIL_ACCOUNT_INLINE = True
    #: Seconds between two looks, after a response, for account mails whose own delivery did
    #: not run (a stopped process, a browser that hung up on the development server).
    MAIL_ACCOUNT_SWEEP_SECONDS = 30
    #: Seconds between two looks, after a response, for domain events due for delivery
    #: (a subscriber failed before, or the process that announced them stopped); 0 leaves
    #: them to ``flask hoering events deliver``.
    EVENT_SWEEP_SECONDS = 30
    #: Seconds between two rounds, after a response, of sending the mail outbox (replies,
    #: follower mails; hourly also the deadline reminders and moderator digests): the
    #: embedded default needs no cron job. 0 when a background worker sends them
    #: (``flask hoering worker``, ``docs/DEPLOY.md``).
    MAIL_SWEEP_SECONDS = 60
    #: ``/healthz`` says "degraded" when a domain event, index task or mail has waited
    #: longer than this many seconds (15 minutes: longer than a ``send-mail`` cron interval).
    HEALTH_BACKLOG_SECONDS = 900
    #: Redis (``redis://host:6379/0``), shared by several app servers; ``None``: none.
    REDIS_URL: str | None = None
    #: Where the work behind the pages runs (``hoering/jobs.py``): ``"rq"``, jobs in an RQ
    #: queue in ``REDIS_URL`` run by ``flask hoering worker``; ``"inline"``, in the web
    #: process as the embedded default does; ``None``: ``"rq"`` when ``REDIS_URL`` is set.
    JOBS_BACKEND: str | None = None
    #: Name of the RQ queue (one per site sharing a Redis).
    JOBS_QUEUE = "hoering"
    #: Seconds between two sweeps of the RQ worker, which queue again the events, index
    #: tasks and mails that wait longer than they should (a job lost from Redis).
    JOBS_SWEEP_SECONDS = 30
    #: Log level of the RQ worker (``"INFO"`` logs every job).
    JOBS_LOG_LEVEL = "WARNING"
    #: Seconds a cached consultation page or API answer is kept (the key holds the
    #: consultation's content version, so a change never waits for this; it only lets
    #: unused entries go). 0 switches the cache off. Shared in Redis when ``REDIS_URL``
    #: is set, else in each process's memory (docs/PERFORMANCE.md "Consultation page").
    PAGE_CACHE_SECONDS = 600
    #: Entries kept by the in-process cache (without Redis) before the oldest are dropped.
    PAGE_CACHE_MAX_ITEMS = 500
    #: Seconds a process may reuse a consultation's content version it read for an
    #: anonymous page or an API answer, instead of asking the database on every view
    #: (:func:`hoering.consultations.versions.content_head`). A change made by another
    #: process (another worker or app server) shows up to this late for anonymous readers;
    #: the process that made it shows it at once. 0 asks every time.
    CONTENT_HEAD_MEMO_SECONDS = 1.0
    #: Run the chart, the reports, the XLSX export, near-duplicates and theme suggestions in
    #: a short-lived child process forked from the web worker (:mod:`hoering.isolation`), so
    #: their libraries never load into the worker. False runs them in the worker itself.
    ISOLATION_FORK = True
    #: Seconds such a child may take before it is killed and the request answered 503;
    #: below gunicorn's worker timeout (30 s by default), which would kill the worker itself.
    ISOLATION_TIMEOUT_SECONDS = 25
    #: Most published comments the report's PDF lists in its appendix; above this it carries
    #: them as an embedded CSV file instead. WeasyPrint lays out about 200 comments a second
    #: on the 2-core reference machine (2,000 listed: 9.9 s for PDF/UA, 11.4 s for PDF/A,
    #: docs/PERFORMANCE.md), so 800 keeps the PDF under 5 s, as the exports' target asks.
    REPORT_PDF_APPENDIX_LIMIT = 800
    #: How comments become vectors for themes by meaning and near-duplicate groups
    #: (:mod:`hoering.embeddings`): ``"auto"`` (the multilingual sentence model when its
    #: package is installed, else ``"lexical"``), ``"sentence"`` or ``"lexical"``.
    EMBEDDING_METHOD = "auto"
    #: Name shown in authenticator apps next to the account (``None``: ``SITE_OWNER``).
    TOTP_ISSUER: str | None = None
    #: Recovery codes made when two-factor login is switched on.
    RECOVERY_CODE_COUNT = 10

    #: Logging in with ID-porten (citizens) and the staff login (the municipality's own
    #: OpenID Connect provider, e.g. Microsoft Entra ID); each is off until its issuer and
    #: client id are set. See docs/CONFIGURATION.md, "Logging in with ID-porten and staff
    #: single sign-on". The redirect URIs to register are ``SITE_URL`` +
    #: ``/logg-inn/idporten/tilbake`` and ``/logg-inn/ansatt/tilbake``; after logout the
    #: provider sends people to ``SITE_URL`` + ``/logget-ut``.
    #: ID-porten's issuer: ``https://test.idporten.no`` (test), ``https://idporten.no``.
    IDPORTEN_ISSUER: str | None = None
    IDPORTEN_CLIENT_ID: str | None = None
    #: Set through the environment (``HOERING_IDPORTEN_CLIENT_SECRET``), never in the repository.
    IDPORTEN_CLIENT_SECRET: str | None = None
    IDPORTEN_SCOPES = "openid profile"
    #: The level of assurance asked for (``acr_values``); "" asks for none.
    IDPORTEN_ACR_VALUES = "idporten-loa-substantial"
    #: ``acr`` values of the ID token that count as a second factor (both levels of
    #: ID-porten require one: MinID with a code, BankID, Buypass, Commfides).
    IDPORTEN_MFA_ACR: list[str] = ["idporten-loa-substantial", "idporten-loa-high"]
    IDPORTEN_MFA_AMR: list[str] = []
    #: The button's label on the login page (``None``: "Logg inn med ID-porten").
    IDPORTEN_LABEL: str | None = None
    #: The staff login: the provider's issuer (Entra ID:
    #: ``https://login.microsoftonline.com/<tenant id>/v2.0``), client id and secret.
    STAFF_OIDC_ISSUER: str | None = None
    STAFF_OIDC_CLIENT_ID: str | None = None
    STAFF_OIDC_CLIENT_SECRET: str | None = None
    STAFF_OIDC_SCOPES = "openid profile email"
    #: ``acr_values`` asked of the staff provider; "" asks for none.
    STAFF_OIDC_ACR_VALUES = ""
    #: The claim of the ID token that holds the person's roles or groups (a list or a string).
    STAFF_OIDC_ROLE_CLAIM = "roles"
    #: Claim values → Hoering roles (``moderator``, ``case_officer``, ``admin``); a person
    #: none of whose values is here is refused. Several: the highest (admin, then case
    #: officer, then moderator).
    STAFF_OIDC_ROLE_MAP: dict[str, str] = {}
    #: ``amr`` values (RFC 8176) and ``acr`` values of the ID token that show the provider
    #: checked a second factor: such a login counts as two-factor login here.
    STAFF_OIDC_MFA_AMR: list[str] = ["mfa"]
    STAFF_OIDC_MFA_ACR: list[str] = []
    #: The button's label on the login page (``None``: "Logg inn for ansatte").
    STAFF_OIDC_LABEL: str | None = None
    #: Seconds to wait for the providers (discovery, keys, token endpoint) before the
    #: person is told that the login service cannot be reached.
    OIDC_TIMEOUT_SECONDS = 10
    #: Seconds between pressing the button and coming back from the provider.
    OIDC_LOGIN_MAX_SECONDS = 600
    #: Logins started (the button pressed), per client address.
    RATELIMIT_OIDC = "10 per minute;60 per hour"

    #: Password hashing method passed to :func:`werkzeug.security.generate_password_hash`.
    PASSWORD_HASH_METHOD = "scrypt"

    WTF_CSRF_TIME_LIMIT = 3600 * 8
    SESSION_COOKIE_HTTPONLY = True
    #: ``None``: Secure when ``SITE_URL`` is https (see ``hoering.secure_cookies``).
    SESSION_COOKIE_SECURE: bool | None = None
    REMEMBER_COOKIE_SECURE: bool | None = None
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    MAX_CONTENT_LENGTH = 1024 * 1024
    #: Days the text of a rejected comment is kept (for appeals and the audit), counted
    #: from when it was posted; ``flask --app wsgi hoering purge`` then erases the text.
    #: ``None`` keeps it.
    REJECTED_RETENTION_DAYS: int | None = 180
    #: What happens to the comments of a user who deletes their account: ``"anonymize"``
    #: (they stay, signed "Slettet bruker") or ``"remove"`` (they are removed, like a
    #: comment its author removed). The municipality decides.
    ACCOUNT_DELETION_COMMENTS = "anonymize"
    #: Shortest consultation period, in days from the opening day to the deadline day, that
    #: needs no public justification. Utredningsinstruksen § 3-3 sets three months as the
    #: normal period and six weeks (42 days) as the shortest; many municipalities follow it.
    CONSULTATION_MINIMUM_DAYS = 42
    #: Days a closed consultation with no decision recorded stays on the front page
    #: ("Closed, awaiting the decision") before only the archive lists it.
    FRONT_PAGE_AWAITING_DAYS = 180
    #: Most consultations staff may feature on the front page at once.
    FEATURED_MAX = 3
    #: Largest document a case officer may upload, in bytes (the upload route alone
    #: accepts requests this large).
    DOCUMENT_MAX_BYTES = 25 * 1024 * 1024
    #: Formal responses (docs/CASE_OFFICERS.md, "Høringssvar"): the largest attachment, in
    #: bytes; all attachments of one response together; how many files one response may have.
    RESPONSE_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    RESPONSE_ATTACHMENTS_MAX_TOTAL_BYTES = 25 * 1024 * 1024
    RESPONSE_ATTACHMENTS_MAX_COUNT = 5
    #: The prefix of a response's reference number: ``HS-2026-0042``.
    RESPONSE_REFERENCE_PREFIX = "HS"
    #: The legal grounds a case officer chooses from when keeping a response (or parts of
    #: it) from publication; the text is shown on the public list.
    RESPONSE_LEGAL_GROUNDS = [
        "offentleglova § 13 jf. forvaltningsloven § 13 første ledd nr. 1 (personlige forhold)",
        "offentleglova § 13 jf. forvaltningsloven § 13 første ledd nr. 2 (forretningshemmeligheter)",
        "offentleglova § 24 andre ledd",
        "Avsender har ikke samtykket til publisering",
    ]
    #: A document upload is read to its end up to this many times ``DOCUMENT_MAX_BYTES``
    #: (what is over the limit is dropped as it arrives), so a file that is too large gets
    #: the form back with its title and a message; a larger request gets the form with the
    #: message only. Let the proxy in front accept as much (nginx ``client_max_body_size``).
    DOCUMENT_UPLOAD_READ_FACTOR = 4
    #: Where attached documents are kept (``hoering/storage.py``): ``"local"``, files in
    #: ``DOCUMENT_DIR``; or ``"s3"``, objects in the S3-compatible bucket ``S3_BUCKET``,
    #: which several app servers share. Either way they are served through the app only.
    DOCUMENT_STORAGE = "local"
    #: Folder of uploaded documents, outside ``static/``; ``None`` means ``instance/documents``.
    #: With several app servers and ``DOCUMENT_STORAGE = "local"``: a shared file system.
    DOCUMENT_DIR: str | None = None
    #: The bucket of ``DOCUMENT_STORAGE = "s3"`` (required then); it must not be public.
    S3_BUCKET: str | None = None
    #: Object names are ``S3_PREFIX`` + ``ab/<sha256>`` (the same layout as the folder).
    S3_PREFIX = "documents/"
    #: Address of an S3-compatible store other than AWS (``https://minio.example:9000``);
    #: ``None``: AWS S3 in ``S3_REGION``.
    S3_ENDPOINT_URL: str | None = None
    #: The bucket's region (``eu-north-1``); ``None``: boto3's own (``AWS_DEFAULT_REGION``).
    S3_REGION: str | None = None
    #: Credentials of the app's own access key: set both through the environment
    #: (``HOERING_S3_ACCESS_KEY_ID``, ``HOERING_S3_SECRET_ACCESS_KEY``), never in the
    #: repository; ``None``: boto3's own search (``AWS_*`` variables, a profile, the role
    #: of the machine).
    S3_ACCESS_KEY_ID: str | None = None
    S3_SECRET_ACCESS_KEY: str | None = None
    #: How bucket names go into addresses: ``"auto"`` (botocore decides), ``"path"``
    #: (``host/bucket/key``: MinIO and most self-hosted stores) or ``"virtual"``
    #: (``bucket.host/key``).
    S3_ADDRESSING_STYLE = "auto"
    #: Seconds to wait for a connection to the store, and for each read from it; a store
    #: that does not answer in time is an upload refused with 503, not a hanging request.
    S3_CONNECT_TIMEOUT_SECONDS = 5
    S3_READ_TIMEOUT_SECONDS = 30
    #: Caps on an uploaded office file (DOCX, XLSX, ODT are ZIP archives), checked before
    #: it is attached (``hoering/archives.py``): most members; most bytes all members may
    #: unpack to; most times a member (of 100 KiB or more unpacked) may unpack to its
    #: packed size. Member count and ratio are Apache POI's defaults.
    DOCUMENT_ZIP_MAX_MEMBERS = 1000
    DOCUMENT_ZIP_MAX_UNPACKED_BYTES = 256 * 1024 * 1024
    DOCUMENT_ZIP_MAX_RATIO = 100

    #: Outgoing mail. Without ``MAIL_SMTP_HOST`` mails are written to ``MAIL_DIR``
    #: (default ``instance/mail``) instead of being sent: for development.
    MAIL_SMTP_HOST: str | None = None
    MAIL_SMTP_PORT = 25
    MAIL_SMTP_STARTTLS = False
    MAIL_SMTP_USERNAME: str | None = None
    MAIL_SMTP_PASSWORD: str | None = None
    #: The sender of every mail. ``MAIL_FROM_NAME``: ``None`` is ``SITE_OWNER``.
    #: ``MAIL_FROM_ADDRESS``: ``None`` is ``noreply@`` and the host of ``SITE_URL`` when that
    #: is a domain name (``https://hoering.fjordvik.kommune.no`` gives
    #: ``noreply@hoering.fjordvik.kommune.no``). Outside debug and testing, with
    #: ``MAIL_SMTP_HOST`` set, the app refuses to start without an address it can send from.
    #: ``MAIL_FROM`` (``"Name <address>"``), when set, is used as it is.
    MAIL_FROM_NAME: str | None = None
    MAIL_FROM_ADDRESS: str | None = None
    MAIL_FROM: str | None = None
    MAIL_DIR: str | None = None
    #: The site's public address, for links in mails queued outside a request (reminders,
    #: digests).
    SITE_URL = "http://127.0.0.1:5000"

    #: Host names the site answers to (``Host`` header; others get 400). ``None``: the
    #: host of an https ``SITE_URL`` outside debug and testing, else any; ``[]``: any.
    ALLOWED_HOSTS: list[str] | None = None

    #: Name of the public body running this installation, shown in the header and footer.
    SITE_OWNER = "Hoering"

    #: The privacy page (``/personvern``, GDPR art. 13): the data controller's name (``None``:
    #: ``SITE_OWNER``), its postal address and organisation number as one line, and where to
    #: write about personal data (an e-mail address or a web form's address).
    PRIVACY_CONTROLLER: str | None = None
    PRIVACY_CONTROLLER_ADDRESS = ""
    PRIVACY_CONTACT = ""
    #: The data protection officer (personvernombud, GDPR art. 37, which public bodies must
    #: have): name and e-mail address. Empty: the page says to ask the controller.
    PRIVACY_DPO_NAME = ""
    PRIVACY_DPO_EMAIL = ""
    #: Further rows for the privacy page's retention table, ``[(what, how long), ...]`` in
    #: the site's language, for what the municipality keeps beyond the platform's own rules
    #: (its archive, say).
    PRIVACY_EXTRA_RETENTION: list[tuple[str, str]] = []

    #: The accessibility statement (``/tilgjengelighet``), in the form the Norwegian
    #: authority's uustatus.no publishes (EU Web Accessibility Directive 2016/2102 art. 7, in
    #: Norway through forskrift om universell utforming av IKT-løsninger): ``"full"``,
    #: ``"partial"`` or ``"none"`` compliance with WCAG 2.1 AA; the date it was last
    #: assessed (ISO ``YYYY-MM-DD``); ``"self"`` assessment or ``"third_party"``; the
    #: address of the statement published on uustatus.no; where to give feedback (e-mail
    #: or web address; empty: ``PRIVACY_CONTACT``).
    ACCESSIBILITY_STATUS = "partial"
    ACCESSIBILITY_ASSESSED_ON = "2026-12-04"
    ACCESSIBILITY_METHOD = "self"
    ACCESSIBILITY_UUSTATUS_URL = ""
    ACCESSIBILITY_FEEDBACK = ""
    #: The known breaches, ``[{"criterion": "1.1.1", "text": ..., "plan": ...}, ...]`` in the
    #: site's language; ``None`` lists the platform's own known ones (translated).
    ACCESSIBILITY_NONCONFORMITIES: list[dict] | None = None

    #: Topics a consultation can be filed under (the consultation form, the page, the front
    #: page and the e-mail alerts): ``{key: {"nb": label, "nn": label, "en": label}}``. The
    #: key is stored with the consultation and in subscribers' choices: rename labels
    #: freely, but keep a key once it is in use. A label missing in a language falls back
    #: to bokmål.
    CONSULTATION_TOPICS: dict = {
        "skole": {"nb": "Skole og barnehage", "nn": "Skule og barnehage", "en": "Schools and kindergartens"},
        "trafikk": {"nb": "Vei og trafikk", "nn": "Veg og trafikk", "en": "Roads and traffic"},
        "helse": {"nb": "Helse og omsorg", "nn": "Helse og omsorg", "en": "Health and care"},
        "kultur": {"nb": "Kultur og idrett", "nn": "Kultur og idrett", "en": "Culture and sport"},
        "miljo": {"nb": "Miljø og klima", "nn": "Miljø og klima", "en": "Environment and climate"},
        "plan": {"nb": "Plan og bygg", "nn": "Plan og bygg", "en": "Planning and building"},
        "okonomi": {"nb": "Økonomi og styring", "nn": "Økonomi og styring", "en": "Budget and governance"},
    }
    #: Seconds the schedule of urgent notices is kept in the cache before it is read again
    #: (a notice still starts and ends on time; a change made in another process without
    #: Redis shows within this time).
    NOTICE_REFRESH_SECONDS = 30
    #: Hours an e-mail alert request waits for its confirmation; after that the link
    #: expires and the unconfirmed address is deleted (by the next request or ``send-mail``).
    ALERT_CONFIRM_HOURS = 48
    #: Areas (the municipality's districts) a consultation can concern, in the same shape
    #: as ``CONSULTATION_TOPICS``. Replace the example districts with your own.
    CONSULTATION_AREAS: dict = {
        "hele-kommunen": {"nb": "Hele kommunen", "nn": "Heile kommunen", "en": "The whole municipality"},
        "sentrum": {"nb": "Sentrum", "nn": "Sentrum", "en": "Town centre"},
        "nord": {"nb": "Nordbygda", "nn": "Nordbygda", "en": "Nordbygda (north)"},
        "sor": {"nb": "Sørbygda", "nn": "Sørbygda", "en": "Sørbygda (south)"},
        "fjorden": {"nb": "Fjordsida", "nn": "Fjordsida", "en": "Fjordsida (the fjord side)"},
    }

    #: Words and names that only the municipality's own accounts may use in a display name
    #: (``SITE_OWNER`` is always added). Matched however they are written: any case,
    #: look-alike letters, invisible characters (``hoering.names.reserved_word_in``).
    #: Staff accounts made with ``create-user --allow-reserved-name``, and staff changing
    #: their own name, may use them.
    RESERVED_NAMES: list[str] = [
        # the municipality and its offices (bokmål, nynorsk)
        "kommune", "kommunen", "fylkeskommune", "kommunedirektør", "rådmann", "ordfører", "ordførar",
        "postmottak", "servicetorget", "sentralbord", "innbyggertorg",
        # the platform and its staff
        "moderator", "moderatorer", "moderatorar", "moderering", "administrator", "admin",
        "saksbehandler", "saksbehandlar", "redaksjonen", "hoering", "høring",
        "brukerstøtte", "brukarstøtte", "støtte", "kundeservice", "offisiell", "offisielt",
        # how imported participants are named ("Deltaker 12")
        "deltaker", "deltakar", "participant",
        # English
        "municipality", "council", "official", "support", "helpdesk", "case officer",
        # how the comments of a deleted account are signed, in each language
        "Slettet bruker", "Sletta brukar", "Deleted user",
    ]


def env_overrides(environ: os._Environ | dict | None = None) -> dict:
    """Read ``HOERING_<NAME>`` environment variables into config keys.

    Args:
        environ: mapping to read (default ``os.environ``).

    Returns:
        ``{NAME: value}``. ``HOERING_DATABASE_URL`` maps to ``SQLALCHEMY_DATABASE_URI``.
        Values that parse as JSON (numbers, ``true``/``false``, lists, objects) are decoded; other
        values stay strings.
    """
    environ = os.environ if environ is None else environ
    result: dict = {}
    for key, raw in environ.items():
        if not key.startswith("HOERING_") or key.startswith("HOERING_TEST_"):
            continue
        name = key[len("HOERING_"):]
        if name == "DATABASE_URL":
            name = "SQLALCHEMY_DATABASE_URI"
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        if not isinstance(value, (int, float, bool, list, dict)):
            value = raw
        result[name] = value
    return result
