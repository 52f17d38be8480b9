"""``RemoteMonitor``: each epoch's logs posted as JSON to an HTTP server."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from ._callback import Callback

__all__ = ["RemoteMonitor"]


class RemoteMonitor(Callback):
    """After each epoch, POST ``{"epoch": epoch, **logs}`` to ``root + path``: as a JSON body
    with ``send_as_json``, else as the form field ``field`` holding the JSON text. Keras posts
    with ``requests``; this posts with the standard library's ``urllib`` (the same requests on
    the wire). A server that cannot be reached gives a warning, not an error."""

    def __init__(
        self,
        root="http://localhost:9000",
        path="/publish/epoch/end/",
        field="data",
        headers=None,
        send_as_json=False,
    ):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        send = {"epoch": epoch}
        for k, v in (logs or {}).items():
            send[k] = v.item() if isinstance(v, np.ndarray | np.generic) else v
        try:
            urllib.request.urlopen(self._request(send), timeout=30).close()
        except urllib.error.HTTPError as error:
            error.close()  # the server answered: as ``requests``, no warning for its status
        except (OSError, ValueError):  # unreachable, bad URL, or NaN in a JSON body
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)

    def _request(self, send):
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(send, allow_nan=False).encode()  # as ``requests``' json=
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return urllib.request.Request(self.root + self.path, body, headers, method="POST")
