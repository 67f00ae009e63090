"""The public-facing service: trades the caller's API key for a passport, then calls orders.

It never verifies or keeps the key: the token service does. A refusal of the token service
(401, 403, 503) is the caller's answer, challenge included.

Run: ``python frontend.py`` (127.0.0.1:8100 or ``$PORT``; ``$TOKEN_SERVICE_URL``,
``$ORDERS_URL``).
"""

from __future__ import annotations

import os

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response

TOKEN_SERVICE_URL = os.environ.get("TOKEN_SERVICE_URL", "http://127.0.0.1:8101")
ORDERS_URL = os.environ.get("ORDERS_URL", "http://127.0.0.1:8102")
#: what a refusal may carry back to the caller
PASSED_ON = ("content-type", "www-authenticate", "retry-after")

app = FastAPI()


def _relay(answer: httpx.Response) -> Response:
    headers = {name: answer.headers[name] for name in PASSED_ON if name in answer.headers}
    return Response(answer.content, status_code=answer.status_code, headers=headers)


@app.get("/my-orders")
async def my_orders(request: Request) -> Response:
    credential = {"X-API-Key": request.headers.get("x-api-key", "")}
    async with httpx.AsyncClient(timeout=5) as http:
        try:
            minted = await http.get(
                f"{TOKEN_SERVICE_URL}/auth", params={"audience": "orders"}, headers=credential
            )
            if minted.status_code != 200:
                return _relay(minted)
            passport = {"X-Passport": minted.headers["x-passport"]}
            return _relay(await http.get(f"{ORDERS_URL}/orders", headers=passport))
        except httpx.TransportError:
            return Response(status_code=503, headers={"Retry-After": "5"})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8100")))
