"""A separate process that posts comments, as one of several web workers would.

Run: python -m tests.search.concurrent_writer DATABASE_URL INDEX_DIR CONSULTATION_ID WORKER COUNT [BACKEND]
Each comment is committed with its index task, then the tasks are applied in-process,
exactly as after a web request (with BACKEND ``postgresql``: committed with its search
document).
"""

from __future__ import annotations

import sys

from hoering import create_app
from hoering.accounts.services import create_user
from hoering.comments.services import post_comment
from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.search.services import process_pending


def main(database_url: str, index_dir: str, consultation_id: int, worker: int, count: int,
         backend: str = "whoosh") -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": database_url,
                      "SEARCH_INDEX_DIR": index_dir, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "SEARCH_BACKEND": backend})
    with app.test_request_context():
        user = create_user(f"worker{worker}@example.org", f"Prosess {worker}", "langt-passord-1")
        for n in range(count):
            consultation = db.session.get(Consultation, consultation_id)
            post_comment(consultation, user, f"Samtidig innspill {n} fra prosess {worker} om veilys", consent=True)
            process_pending()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), *sys.argv[6:7])
