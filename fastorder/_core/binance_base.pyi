"""What the Binance Spot and USDⓈ-M futures encoders share: their base classes (binance.pyi and
binance_futures.pyi describe the classes built on them; nothing here is meant to be made directly)."""

from fastorder._core.buffer import WriteBuffer
from fastorder._core.sign import Signer

class Signed:
    """The key, the signer (never exposed) and recvWindow. Not picklable."""

    api_key: str
    recv_window: int | None

    def __init__(self, api_key: str, signer: Signer, recv_window: int | None) -> None: ...
    def __reduce__(self) -> str | tuple[object, ...]: ...

class RestSigned(Signed):
    host: str

    def __init__(self, api_key: str, signer: Signer, host: str, recv_window: int | None,
                 user_agent: str | None) -> None: ...

class WsSigned(Signed):
    def session_logon(self, buf: WriteBuffer, request_id: int | str, *, timestamp: int) -> None:
        """session.logon: apiKey, recvWindow (when set), timestamp, signature (an Ed25519 key's)."""
