"""``python -m election_monitor.notify --database-url URL``: the dispatcher alone.

The same loop as ``elmon notify`` (``Dispatcher.run_forever``, SIGTERM stops it after its
round) without loading the whole CLI, so it starts in a fraction of the time: the kill -9
trials start it dozens of times.
"""

from __future__ import annotations

import argparse
import os
import signal

from election_monitor.db.session import make_engine
from election_monitor.notify.dispatcher import Dispatcher


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m election_monitor.notify")
    parser.add_argument("--database-url", default=os.environ.get("ELMON_DATABASE_URL"))
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set ELMON_DATABASE_URL")
    engine = make_engine(args.database_url)
    dispatcher = Dispatcher(engine)
    signal.signal(signal.SIGTERM, lambda *_: dispatcher.request_stop())
    try:
        dispatcher.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        dispatcher.stop()
        engine.dispose()


if __name__ == "__main__":
    main()
