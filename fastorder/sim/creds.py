"""Fixed, documented test credentials accepted by the simulator by default.

All of them are *published example values* (exchange documentation / RFC test vectors), never real keys:

* Binance HMAC: the example key/secret of the Binance Spot API docs' signing examples
  (https://github.com/binance/binance-spot-api-docs/blob/master/rest-api.md).
* Binance Ed25519: API key ``4yNzx3yW…`` from the same docs' Ed25519 example, paired with the RFC 8032 §7.1
  TEST 1 private seed (https://www.rfc-editor.org/rfc/rfc8032#section-7.1) -- so signatures are reproducible.
* OKX: the example secret ``22582BD0…`` of OKX's API docs
  (https://www.okx.com/docs-v5/en/#overview-rest-authentication) with a fixed API key and passphrase, as a
  live key; a second key of the same kind is a demo-trading key.
* HTX: the placeholder access key / secret of HTX's API docs
  (https://huobiapi.github.io/docs/spot/v1/en/#authentication); an Ed25519 key ``ed25519-sim-htx-key-0001``
  with the same RFC 8032 seed (HTX publishes no Ed25519 example).

tests/data/signing_vectors.json lists the signing examples these come from, each with its source.

Pass ``credentials=`` to :class:`fastorder.sim.Simulator` to replace or extend them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BINANCE_HMAC_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
BINANCE_HMAC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
BINANCE_ED25519_KEY = "4yNzx3yWC5bS6YTwEkSRaC0nRmSQIIStAUOh1b6kqaBrTLIhjCpI5lJH8q8R8WNO"
# RFC 8032 §7.1 TEST 1 secret key (seed); public key d75a9801...
BINANCE_ED25519_SEED_HEX = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
BINANCE_ED25519_PUBLIC_HEX = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
# Not from Binance: a simulator key of the Spot Test Network (env "testnet"), with the HMAC example secret
BINANCE_TESTNET_KEY = "sim-testnet-key-0001"

OKX_KEY = "985d5b66-57ce-40fb-b714-afc0b9787083"
OKX_SECRET = "22582BD0CFF14C41EDBF1AB98506286D"
OKX_PASSPHRASE = "Sim-Passphrase-1"
# a demo-trading key: accepted only with `x-simulated-trading: 1` (REST) or on a demo WebSocket host
OKX_DEMO_KEY = "4f3d2c1b-0a9e-4d8c-b7a6-5f4e3d2c1b0a"

HTX_KEY = "e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx"
HTX_SECRET = "b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx"
HTX_ACCOUNT_ID = 100009
# Not from HTX (HTX publishes no Ed25519 example): a simulator key paired with the RFC 8032 TEST 1 seed.
HTX_ED25519_KEY = "ed25519-sim-htx-key-0001"


@dataclass
class BinanceKey:
    """One Binance API key. ``kind`` is ``"HMAC"`` (``secret`` = shared secret) or ``"ED25519"``
    (``public_key`` = 32 raw bytes). ``account`` names the simulated account the key trades on. ``env``: the
    environment that issued it ("live", "testnet" on testnet.binance.vision, "demo" on demo.binance.com); the
    other environments' hosts do not know it."""

    api_key: str
    kind: str = "HMAC"
    secret: str = ""
    public_key: bytes = b""
    account: str = "main"
    env: str = "live"


@dataclass
class OkxKey:
    """``env`` is ``"live"`` or ``"demo"``: OKX issues keys for one environment, and refuses a key used in the
    other with 50101."""

    api_key: str
    secret: str
    passphrase: str
    account: str = "main"
    env: str = "live"


@dataclass
class HtxKey:
    """``secret`` for HmacSHA256 keys; ``public_key`` (32 raw bytes) for Ed25519 keys."""

    access_key: str
    secret: str = ""
    account: str = "main"
    account_id: int = HTX_ACCOUNT_ID
    public_key: bytes = b""


@dataclass
class Credentials:
    """Keys the simulator accepts, per venue."""

    binance: list[BinanceKey] = field(default_factory=list)
    okx: list[OkxKey] = field(default_factory=list)
    htx: list[HtxKey] = field(default_factory=list)

    @classmethod
    def default(cls) -> Credentials:
        return cls(
            binance=[
                BinanceKey(BINANCE_HMAC_KEY, "HMAC", secret=BINANCE_HMAC_SECRET),
                BinanceKey(BINANCE_ED25519_KEY, "ED25519", public_key=bytes.fromhex(BINANCE_ED25519_PUBLIC_HEX)),
                BinanceKey(BINANCE_TESTNET_KEY, "HMAC", secret=BINANCE_HMAC_SECRET, account="testnet",
                           env="testnet"),
            ],
            okx=[OkxKey(OKX_KEY, OKX_SECRET, OKX_PASSPHRASE),
                 OkxKey(OKX_DEMO_KEY, OKX_SECRET, OKX_PASSPHRASE, account="demo", env="demo")],
            htx=[HtxKey(HTX_KEY, HTX_SECRET),
                 HtxKey(HTX_ED25519_KEY, public_key=bytes.fromhex(BINANCE_ED25519_PUBLIC_HEX))],
        )


def ed25519_private_key():
    """The RFC 8032 TEST 1 private key as a ``cryptography`` object (for tests and examples)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(BINANCE_ED25519_SEED_HEX))
