"""Where the cron test app writes what happened: one file per topic in $GANTRY_TEST_OUT.

Each record is one line appended with a single write (O_APPEND), so that lines from
several processes never interleave.
"""

import os

OUT = os.environ.get("GANTRY_TEST_OUT")


def record(topic, *fields):
    if not OUT:
        return
    line = (" ".join(str(f) for f in fields) + "\n").encode()
    fd = os.open(os.path.join(OUT, topic), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
