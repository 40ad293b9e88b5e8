"""The app of ``pcf serve`` run in a test (not a test module)."""

from __future__ import annotations

import threading
import time


def start(app, **config):
    """Run ``app`` with uvicorn on 127.0.0.1 and an ephemeral port in a daemon thread (``config``:
    more uvicorn settings, e.g. ``ssl_certfile``); returns (server, thread, port). Stop it with
    ``server.should_exit = True; thread.join()``."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    assert server.started, "the test server did not start within 5 s"
    return server, thread, server.servers[0].sockets[0].getsockname()[1]
