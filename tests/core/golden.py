"""Signing golden vectors, as data (REFERENCE.md §1.3, 2.5, 3.2, 3.5, 4.2, 4.4).

official=True: published by the exchange (its docs or its official SDK's tests). official=False: computed here from
the documented algorithm with the docs' example secrets (HMAC) or the RFC 8032 test seed (Ed25519), and
cross-checked with OpenSSL when the shared reference was written. The test suite needs no file outside the repo;
test_vectors.py checks this table against shared/exchanges/vectors.json when that is beside the checkout.
"""

BINANCE_API_KEY = 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A'

# (id, venue, kind, official, key material, signed text, signature, encoding)
# key material: the HMAC secret, or ("seed", hex) for Ed25519
VECTORS = [
    ('binance-rest-R1', 'binance', 'rest-hmac', True,
     'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j',
     'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559',
     'c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71', 'hex'),
    ('binance-rest-R2-nonascii', 'binance', 'rest-hmac', True,
     'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j',
     'symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559',
     'e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3', 'hex'),
    ('binance-rest-R3-query+body', 'binance', 'rest-hmac', True,
     'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j',
     'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559',
     '0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77', 'hex'),
    ('binance-ws-W1', 'binance', 'ws-hmac', True,
     'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j',
     'apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT',
     'aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24', 'hex'),
    ('binance-ws-W2-nonascii', 'binance', 'ws-hmac', True,
     'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j',
     'apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=0.10000000&quantity=1.00000000&recvWindow=5000&side=BUY&symbol=１２３４５６&timeInForce=GTC&timestamp=1645423376532&type=LIMIT',
     'b33892ae8e687c939f4468c6268ddd4c40ac1af18ad19a064864c47bae0752cd', 'hex'),
    ('binance-ws-order.place', 'binance', 'ws-hmac', True,
     'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j',
     'apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=23416.10000000&quantity=0.00847000&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1660801715431&type=LIMIT',
     '15af09e41c36f3cc61378c2fbe2c33719a03dd5eba8d0f9206fbda44de717c88', 'hex'),
    ('binance-ws-order.cancel', 'binance', 'ws-hmac', True,
     'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j',
     'apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&origClientOrderId=4d96324ff9d44481926157&symbol=BTCUSDT&timestamp=1660801715830',
     '33d5b721f278ae17a52f004a82a6f68a70c68e7dd6776ed0be77a455ab855282', 'hex'),
    ('binance-ws-order.status', 'binance', 'ws-hmac', True,
     'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j',
     'apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&orderId=12569099453&symbol=BTCUSDT&timestamp=1660801720951',
     '2c3aab5a078ee4ea465ecd95523b77289f61476c2f238ec10c55ea6cb11a6f35', 'hex'),
    ('binance-ws-session.logon', 'binance', 'ws-hmac', True,
     'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j',
     'apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&timestamp=1649729878532',
     '1cf54395b336b0a9727ef27d5d98987962bc47aca6e13fe978612d0adee066ed', 'hex'),
    ('okx-rest-get', 'okx', 'rest-hmac', False,
     '22582BD0CFF14C41EDBF1AB98506286D',
     '2020-12-08T09:08:57.715ZGET/api/v5/account/balance?ccy=BTC',
     'HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY=', 'base64'),
    ('okx-rest-post-order', 'okx', 'rest-hmac', False,
     '22582BD0CFF14C41EDBF1AB98506286D',
     '2020-12-08T09:08:57.715ZPOST/api/v5/trade/order{"instId":"BTC-USDT","tdMode":"cash","clOrdId":"b15","side":"buy","ordType":"limit","px":"2.15","sz":"2"}',
     'dI6rrL9rXW/HdaPKJ/6LC1OgvH4/PYju6R3CqixMTNQ=', 'base64'),
    ('okx-ws-login', 'okx', 'ws-login-hmac', False,
     '22582BD0CFF14C41EDBF1AB98506286D',
     '1538054050GET/users/self/verify',
     '+LdIr8lkkvhr5hoA3g9TMC0+uQJ849ftAcocA/ouu4M=', 'base64'),
    ('htx-sdk-test', 'htx', 'rest-hmac-v2', True,
     '456',
     'GET\nhost\n/url\nAccessKeyId=123&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=123',
     'Hhiaq8xYQPiBZOyWV37MdQutLo4f0ZOHiJtG3p+nILc=', 'base64'),
    ('htx-post-place', 'htx', 'rest-hmac-v2', False,
     'b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx',
     'POST\napi.huobi.pro\n/v1/order/orders/place\nAccessKeyId=e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2017-05-11T15%3A19%3A30',
     '5NjPB1wj1lHSZO0PkwvX5X7fuOi2DHrI8Y/jS1nbDvQ=', 'base64'),
    ('htx-ws-v2-auth', 'htx', 'ws-auth-hmac-v2.1', False,
     'b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx',
     'GET\napi.huobi.pro\n/ws/v2\naccessKey=e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx&signatureMethod=HmacSHA256&signatureVersion=2.1&timestamp=2019-09-01T18%3A16%3A16',
     'axtO0jdyWXVW/kMs0WefT2OvjoacWnJte/hJOc66pW4=', 'base64'),
    ('binance-rest-ed25519-rfc8032seed', 'binance', 'ed25519', False,
     ('seed', '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
     'symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=1&price=0.2&timestamp=1668481559918&recvWindow=5000',
     'XtZirsmmi0noRzUfkqktvkVfxpkq/WtbLg2UOL3QGYdUBZVlqOBEMuEVw8zioY93N54NcKj9UuAXQEa9zgTDBg==', 'base64'),
    ('binance-ws-session.logon-ed25519-rfc8032seed', 'binance', 'ed25519', False,
     ('seed', '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
     'apiKey=4yNzx3yWC5bS6YTwEkSRaC0nRmSQIIStAUOh1b6kqaBrTLIhjCpI5lJH8q8R8WNO&timestamp=1649729878532',
     'NBJq5sX1RkU7ta3XDctruMgnrhyBcouMvvPIxxQSCUbVWxhp3ai6W7a0Iip/3nOwmJxkVIv6n20cekYCOa5qAg==', 'base64'),
]


def as_dicts() -> list[dict]:
    """The table in the shape of shared/exchanges/vectors.json entries."""
    out = []
    for vid, venue, kind, official, km, text, sig, enc in VECTORS:
        d = {"id": vid, "venue": venue, "kind": kind, "official": official}
        if isinstance(km, tuple):
            d["private_seed_hex"] = km[1]
        else:
            d["secret"] = km
        d.update(signed_text=text, signature=sig, encoding=enc)
        out.append(d)
    return out
