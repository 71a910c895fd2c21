"""Every log record of the process, fully formatted, for tests that search logs for patient data."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from chalicelib import access_log


class Records(logging.Handler):
    """Every record, fully formatted: message, arguments, traceback and stack."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))

    def holding(self, needle: str) -> list[str]:
        return [text for text in self.texts if needle in text]


@contextlib.contextmanager
def all_records() -> Iterator[Records]:
    """Root at DEBUG, as a deployer who turns the Lambda's log level to DEBUG gets it.

    Loggers that do not propagate (ours writes its own stdout line, set up here if no app has
    been built yet) are listened to directly; but not uvicorn's access logger, which our servers
    turn off and a handler on it would turn on. The SDK loggers keep the level the app gives them
    (INFO, see chalicelib/access_log.py).
    """
    handler = Records()
    root = logging.getLogger()
    access_log.configure()
    islands = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
        and not logger.propagate
        and logger.name != "uvicorn.access"
    ]
    previous_level = root.level
    root.setLevel(logging.DEBUG)
    for logger in [root, *islands]:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in [root, *islands]:
            logger.removeHandler(handler)
        root.setLevel(previous_level)
