"""The one path a gateway both routes on and forwards: decided and served must be the same path.

A route (and with it the passport's audience) chosen on one spelling of a path
while the upstream serves another is a confused deputy: ``/public/../admin``
minted for ``public`` but served as ``/admin``. So the path is put in one
normal form first, and anything that another hop could still read differently
is refused rather than guessed:

* escapes of unreserved characters are decoded (RFC 3986 §6.2.2.2: ``%6f`` is
  ``o``), every other escape is kept with upper-case hex (§6.2.2.1);
* dot segments ``.`` and ``..``, literal or encoded, are refused: removing them
  (§5.2.4) would hide where a path points from the route that authorised it;
* an encoded ``/`` or ``\\`` (``%2F``, ``%5C``), a literal ``\\``, NUL or any
  other control character are refused: upstreams disagree on what they mean;
* repeated slashes are merged, as nginx's ``merge_slashes`` does, so that
  ``//internal/x`` cannot miss its route and reach it anyway.
"""

from __future__ import annotations

import string

__all__ = ["UnsafePath", "normalised_path"]

#: RFC 3986 §2.3
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_HEX = frozenset(string.hexdigits)
#: decoded, these change a path's structure for some upstream: never forwarded
_STRUCTURAL = {"/": "an encoded '/'", "\\": "an encoded '\\'", "\x00": "an encoded NUL"}


class UnsafePath(ValueError):
    """A request path the gateway refuses to route (the message says why, without the path)."""


def _decoded_unreserved(raw: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char != "%":
            out.append(char)
            index += 1
            continue
        pair = raw[index + 1 : index + 3]
        if len(pair) != 2 or not set(pair) <= _HEX:
            raise UnsafePath("the path has a malformed percent-escape")
        decoded = chr(int(pair, 16))
        if decoded in _STRUCTURAL:
            raise UnsafePath(f"the path has {_STRUCTURAL[decoded]}")
        out.append(decoded if decoded in _UNRESERVED else "%" + pair.upper())
        index += 3
    return "".join(out)


def normalised_path(raw_path: str) -> str:
    """The normal form of ``raw_path`` (the request target's path, without its query).

    :raises UnsafePath: for a path another hop could read as a different path.
    """
    if not raw_path.startswith("/"):
        raise UnsafePath("the path must start with '/'")
    if "\\" in raw_path:
        raise UnsafePath("the path has a '\\'")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in raw_path):
        raise UnsafePath("the path has a control character")
    path = _decoded_unreserved(raw_path)
    segments = path.split("/")
    if any(segment in (".", "..") for segment in segments):
        raise UnsafePath("the path has a '.' or '..' segment")
    # Keep the leading "" (the root) and a trailing "" (a trailing slash); merge the rest.
    inner = [segment for segment in segments[1:-1] if segment]
    return "/" + "/".join([*inner, segments[-1]]) if len(segments) > 1 else "/"
