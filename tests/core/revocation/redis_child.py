"""A second process for the propagation test: its own store and verifier, told by stdin.

Reads one JSON line (url, prefix, jwks, token, issuer, audience), prints ``ready``
once its list is loaded and the token verifies, then polls until the token is
refused and prints the ``time.monotonic()`` at which it was (one clock for every
process on Linux), or ``timeout``. Bounded: 10 s in all.
"""

from __future__ import annotations

import json
import sys
import time

from passport_core import PassportRevoked, RedisRevocations, Verifier


def main() -> None:
    task = json.loads(sys.stdin.readline())
    store = RedisRevocations.from_url(task["url"], prefix=task["prefix"])
    store.start()
    try:
        deadline = time.monotonic() + 5
        while not store.healthy:
            if time.monotonic() > deadline:
                print("timeout", flush=True)
                return
            time.sleep(0.005)
        verifier = Verifier(
            keys=task["jwks"], issuer=task["issuer"], audience=task["audience"], revocations=store
        )
        verifier.verify(task["token"])
        print("ready", flush=True)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                verifier.verify(task["token"])
            except PassportRevoked:
                print(repr(time.monotonic()), flush=True)
                return
            time.sleep(0.001)
        print("timeout", flush=True)
    finally:
        store.close()


if __name__ == "__main__":
    main()
