"""A real HTTP server that speaks the OpenAI chat-completions protocol, with scripted replies.

Run as its own process (`python -m server.tests.support.fake_openai PORT`, or through
`fake_openai_server()`), it stands in for any provider: each path prefix is a provider of
its own (`http://127.0.0.1:PORT/<name>/v1`), so one process serves a primary and its
fallbacks. A test scripts each provider's next replies in order, then reads back what the
provider received. A step is a JSON object:

- `{"content": "text", "tool_calls": [{"name": "f", "arguments": "{...}"}],
  "usage": [in, out], "finish_reason": "stop"}`: an answer, streamed when the request asks
  (the content split into `chunks` pieces);
- `{"status": 429, "retry_after": "1"}` or any other status: an error answer;
- `"delay_s"`: wait before answering (a slow provider); `"stall_after"` with `"stall_s"`:
  a stream that stops sending after that many chunks; `"break_after"`: a stream that closes
  after that many chunks without its finish; `"raw"`: this body as it is (malformed JSON);
  `"hold_after"`: a stream that stops after that many chunks until someone posts to
  `/_control/release/<provider>` (at most `"hold_s"`, 60 s): a browser test looks at a
  half-written reply, then lets it finish, without guessing how long to stall.

With no step left a provider answers 500 `no scripted reply`, so a test that calls more
often than it scripted fails visibly. Standard library only: it starts in a blink.
"""

import json
import sys
import threading
import time
from contextlib import suppress
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CONTROL = "/_control"


class Script:
    """Scripted steps and received requests, by provider; shared by the handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.steps: dict[str, list[dict[str, Any]]] = {}
        self.received: dict[str, list[dict[str, Any]]] = {}
        self.released: dict[str, threading.Event] = {}

    def release(self, provider: str) -> threading.Event:
        """The event a held stream of `provider` waits on (set: it goes on)."""
        with self.lock:
            return self.released.setdefault(provider, threading.Event())

    def next_step(self, provider: str, request: dict[str, Any]) -> dict[str, Any] | None:
        with self.lock:
            self.received.setdefault(provider, []).append(request)
            queue = self.steps.get(provider, [])
            return queue.pop(0) if queue else None


SCRIPT = Script()


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _tool_calls(step: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": call.get("id", f"call_{index}"),
            "type": "function",
            "function": {"name": call["name"], "arguments": call.get("arguments", "{}")},
        }
        for index, call in enumerate(step.get("tool_calls", []))
    ]


def _pieces(text: str, count: int) -> list[str]:
    if not text:
        return []
    size = max(1, -(-len(text) // count))
    return [text[start : start + size] for start in range(0, len(text), size)]


class Handler(BaseHTTPRequestHandler):
    server_version = "fake-openai/1"

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(length) or b"null")

    def do_GET(self) -> None:
        if self.path == f"{CONTROL}/health":
            self._json(200, {"ok": True})
        elif self.path.startswith(f"{CONTROL}/requests/"):
            provider = self.path.rsplit("/", 1)[1]
            with SCRIPT.lock:
                self._json(200, SCRIPT.received.get(provider, []))
        else:
            self._json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        if self.path.startswith(f"{CONTROL}/script/"):
            provider = self.path.rsplit("/", 1)[1]
            steps = self._body()
            with SCRIPT.lock:
                SCRIPT.steps[provider] = list(steps)
                SCRIPT.received[provider] = []
                SCRIPT.released[provider] = threading.Event()
            self._json(200, {"ok": True})
            return
        if self.path.startswith(f"{CONTROL}/release/"):
            SCRIPT.release(self.path.rsplit("/", 1)[1]).set()
            self._json(200, {"ok": True})
            return
        parts = self.path.strip("/").split("/")
        if parts[1:] != ["v1", "chat", "completions"]:
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        request = self._body()
        request["authorization"] = self.headers.get("Authorization")
        step = SCRIPT.next_step(parts[0], request)
        # A client that gave up (its timeout) closed the connection: nothing to answer.
        with suppress(BrokenPipeError, ConnectionResetError):
            self._answer(step, request, parts[0])

    def _answer(self, step: dict[str, Any] | None, request: dict[str, Any], provider: str) -> None:
        if step is None:
            self._json(500, {"error": {"message": "no scripted reply"}})
            return
        time.sleep(step.get("delay_s", 0))
        if "status" in step:
            headers = {"Retry-After": step["retry_after"]} if "retry_after" in step else {}
            body = {"error": {"message": f"scripted {step['status']}", "type": "fake"}}
            self._json(step["status"], body, headers)
        elif "raw" in step and not request.get("stream"):
            self._json(200, step["raw"].encode())
        elif request.get("stream"):
            self._stream(step, provider)
        else:
            self._json(200, self._completion(step))

    def _completion(self, step: dict[str, Any]) -> dict[str, Any]:
        prompt, completion = step.get("usage", [0, 0])
        message: dict[str, Any] = {"role": "assistant", "content": step.get("content")}
        if step.get("tool_calls"):
            message["tool_calls"] = _tool_calls(step)
        finish = step.get("finish_reason", "tool_calls" if step.get("tool_calls") else "stop")
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": "fake",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }

    def _stream(self, step: dict[str, Any], provider: str) -> None:
        # HTTP/1.0 without a length: the body ends when the connection closes, so a
        # `break_after` close is a broken stream, not a short one.
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        events: list[bytes | dict[str, Any]] = [_chunk({"role": "assistant", "content": ""})]
        events += [
            _chunk({"content": piece})
            for piece in _pieces(step.get("content") or "", step.get("chunks", 3))
        ]
        for index, call in enumerate(_tool_calls(step)):
            arguments = call["function"]["arguments"]
            half = len(arguments) // 2
            head = {"index": index, "id": call["id"], "type": "function"}
            events.append(
                _chunk(
                    {
                        "tool_calls": [
                            {
                                **head,
                                "function": {
                                    "name": call["function"]["name"],
                                    "arguments": arguments[:half],
                                },
                            }
                        ]
                    }
                )
            )
            events.append(
                _chunk(
                    {"tool_calls": [{"index": index, "function": {"arguments": arguments[half:]}}]}
                )
            )
        if "raw" in step:
            events.append(step["raw"].encode())
        finish = step.get("finish_reason", "tool_calls" if step.get("tool_calls") else "stop")
        events.append(_chunk({}, finish))
        prompt, completion = step.get("usage", [0, 0])
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        events.append({**_chunk({}), "choices": [], "usage": usage})
        for number, event in enumerate(events):
            if number == step.get("break_after"):
                return
            if number == step.get("stall_after"):
                time.sleep(step.get("stall_s", 0))
            if number == step.get("hold_after"):
                SCRIPT.release(provider).wait(step.get("hold_s", 60))
            data = event if isinstance(event, bytes) else json.dumps(event).encode()
            self.wfile.write(b"data: " + data + b"\n\n")
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
