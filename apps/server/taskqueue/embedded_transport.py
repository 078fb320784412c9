"""kombu's filesystem transport, with messages published atomically.

kombu writes a message file in place, and a consumer polling the folder can move and read
it before the write finished: the worker then dies on half a JSON document (seen under
load in this project's tests). Here a message is written under a name the consumer
ignores and renamed into place, which is atomic on POSIX file systems.
"""

import os
import uuid
from time import monotonic
from typing import Any

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.json import dumps

SCHEME = "atomicfs"


class Channel(filesystem.Channel):
    # kombu's stubs give the base and filesystem channels different _put signatures.
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = f"{final}.part"  # the consumer only reads names ending in `.<queue>.msg`
        with open(partial, "wb") as file:
            file.write(dumps(payload).encode())
        os.replace(partial, final)


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES[SCHEME] = f"{__name__}:Transport"
