"""The app served on 127.0.0.1 from a thread, for tests that need real HTTP: the browser,
parallel requests, two app instances, schemathesis."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server
from werkzeug.wsgi import ClosingIterator


class _CountingRequests:
    """WSGI middleware that knows how many requests are being handled right now."""

    def __init__(self, app):
        self._app = app
        self._busy = 0
        self._changed = threading.Condition()

    def __call__(self, environ, start_response):
        """Busy from the call until the server has sent the body and closed it (a static
        file's handle included), not only until the app returns."""
        with self._changed:
            self._busy += 1
        try:
            body = self._app(environ, start_response)
        except BaseException:
            self._done()
            raise
        return ClosingIterator(body, self._done)  # closes the body first, then _done

    def _done(self):
        with self._changed:
            self._busy -= 1
            self._changed.notify_all()

    def wait_until_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._busy == 0, timeout=timeout)


class LiveServer:
    def __init__(self, app):
        self._requests = _CountingRequests(app)
        self._server = make_server("127.0.0.1", 0, self._requests, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        """Stop accepting, then let requests the browser still had in flight finish, so their
        database connections are back in the pool before the test disposes of it."""
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._requests.wait_until_idle(timeout=10)
        self._server.server_close()
