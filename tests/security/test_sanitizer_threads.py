"""The sanitizer is safe to call from several threads at once (the web server is threaded):
each call returns its own text, never another thread's."""

from __future__ import annotations

import threading

from hoering.sanitize import clean_snippet, comment_html, markdown_html


def test_parallel_cleaning_never_mixes_texts():
    failures: list[str] = []
    start = threading.Barrier(8)

    def work(n: int) -> None:
        start.wait()
        mine = f"tråd{n}"
        for i in range(300):
            outputs = (comment_html(f"Innspill fra {mine} nummer {i} https://example.org/{mine}"),
                       clean_snippet(f"<mark>{mine}</mark> og <b>mer</b> {i}"),
                       markdown_html(f"**{mine}** avsnitt {i}"))
            for output in outputs:
                others = [f"tråd{m}" for m in range(8) if m != n and f"tråd{m}" in output]
                if mine not in output or others or f" {i}" not in output:
                    failures.append(output)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
