"""The fake Discord's CDN: attachments people and the bot upload, stored under signed, expiring URLs
and served with `Range` support, every request recorded in `attachment_requests`.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from aiohttp import web

from tests.fakediscord import payloads as p
from tests.fakediscord.world import Upload, World


class Cdn(World):
    """Attachment storage and the CDN routes that serve it."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.attachments: dict[str, tuple[bytes, str | None]] = {}
        self.attachment_requests: list[dict[str, Any]] = []

    def _store_upload(self, channel_id: int, upload: Upload) -> dict[str, Any]:
        attachment_id = self.ids.next()
        key = f"{channel_id}/{attachment_id}/{upload.filename}"
        self.attachments[key] = (upload.data, upload.content_type)
        # Real attachment URLs are signed and expire: the query must survive the bot's request.
        expires = int(time.time()) + 86400
        url = f"http://127.0.0.1:{self.port}/attachments/{key}?ex={expires:x}&is={int(time.time()):x}&hm={secrets.token_hex(32)}&"
        return p.attachment(attachment_id, upload.filename, len(upload.data), url, upload.content_type)

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        key = (
            f"{request.match_info['channel_id']}/{request.match_info['attachment_id']}/{request.match_info['filename']}"
        )
        record: dict[str, Any] = {"key": key, "range": request.headers.get("Range"), "query": dict(request.query)}
        self.attachment_requests.append(record)
        found = self.attachments.get(key)
        if found is None or "ex" not in request.query:
            record["status"] = 404
            return web.Response(status=404, text="This content is no longer available.")
        data, content_type = found
        headers = {"Accept-Ranges": "bytes", "Content-Type": content_type or "application/octet-stream"}
        start, end = 0, len(data) - 1
        status = 200
        spec = request.headers.get("Range")
        if spec:
            match = re.fullmatch(r"bytes=(\d*)-(\d*)", spec.strip())
            if match is None or match.groups() == ("", ""):
                record["status"] = 416
                return web.Response(status=416, headers={"Content-Range": f"bytes */{len(data)}"})
            first, last = match.groups()
            if first == "":  # a suffix: the last N bytes
                start = max(0, len(data) - int(last))
            else:
                start = int(first)
                end = min(end, int(last)) if last else end
            if start > end:
                record["status"] = 416
                return web.Response(status=416, headers={"Content-Range": f"bytes */{len(data)}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        body = data[start : end + 1]
        record.update(status=status, served=len(body))
        return web.Response(status=status, body=body, headers=headers)
