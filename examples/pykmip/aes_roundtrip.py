#!/usr/bin/env python3
"""One AES-256 key's life on a Keyward server, through the PyKMIP 0.11 client.

Creates a key that may encrypt and decrypt, activates it (a key encrypts only once Active),
encrypts a message on the server, decrypts it again, then revokes and destroys the key.

Where the server is and which certificates to use come from the command line or, failing that,
from the environment (the names crates/cli/tests/examples.rs sets), or default to what
`keyward serve` creates in ./keyward-data on first start:

  --host     KEYWARD_HOST   127.0.0.1
  --port     KEYWARD_PORT   5696
  --ca       KEYWARD_CA     keyward-data/pki/ca.pem
  --cert     KEYWARD_CERT   keyward-data/pki/clients/admin.pem
  --key      KEYWARD_KEY    keyward-data/pki/clients/admin.key

  pip install pykmip==0.11.0
  python3 examples/pykmip/aes_roundtrip.py
"""

import argparse
import os
import sys
import uuid

from kmip.core import enums
from kmip.pie import client as pie_client


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])

    def option(name, variable, default):
        parser.add_argument("--" + name, default=os.environ.get(variable, default),
                            help="default: ${0} or {1}".format(variable, default))

    option("host", "KEYWARD_HOST", "127.0.0.1")
    option("port", "KEYWARD_PORT", "5696")
    option("ca", "KEYWARD_CA", "keyward-data/pki/ca.pem")
    option("cert", "KEYWARD_CERT", "keyward-data/pki/clients/admin.pem")
    option("key", "KEYWARD_KEY", "keyward-data/pki/clients/admin.key")
    return parser.parse_args()


# AES in CBC mode with PKCS#5 padding; the server draws the IV and returns it with the ciphertext.
CBC = {
    "cryptographic_algorithm": enums.CryptographicAlgorithm.AES,
    "block_cipher_mode": enums.BlockCipherMode.CBC,
    "padding_method": enums.PaddingMethod.PKCS5,
    "random_iv": True,
}


def main():
    args = arguments()
    # config_file=/dev/null: everything PyKMIP needs is given here, so a stray ~/.pykmip/pykmip.conf
    # cannot change where this connects. KMIP 1.2 is PyKMIP's default; Keyward serves 1.0 to 2.1.
    client = pie_client.ProxyKmipClient(
        hostname=args.host,
        port=int(args.port),
        ca=args.ca,
        cert=args.cert,
        key=args.key,
        # Negotiates the newest protocol both sides have: TLS 1.3 with Keyward.
        ssl_version="PROTOCOL_TLS",
        config_file="/dev/null",
    )
    message = b"The quick brown fox jumps over the lazy dog"
    with client:
        name = "pykmip-example-{0}".format(uuid.uuid4())
        uid = client.create(
            enums.CryptographicAlgorithm.AES,
            256,
            name=name,
            cryptographic_usage_mask=[enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT],
        )
        print("created   {0} ({1})".format(uid, name))

        # A new key is Pre-Active: the server refuses to encrypt with it until it is activated.
        client.activate(uid)
        print("activated {0}".format(uid))

        ciphertext, iv = client.encrypt(message, uid=uid, cryptographic_parameters=CBC)
        print("encrypted {0} bytes into {1} (IV {2})".format(len(message), len(ciphertext), iv.hex()))

        plaintext = client.decrypt(ciphertext, uid=uid, cryptographic_parameters=CBC, iv_counter_nonce=iv)
        if plaintext != message:
            print("decrypted text differs from the message", file=sys.stderr)
            return 1
        print("decrypted {0!r}".format(plaintext.decode()))

        # An Active key cannot be destroyed: revoke it first, which also stops its use.
        client.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION, uid)
        client.destroy(uid)
        print("destroyed {0}".format(uid))
    return 0


if __name__ == "__main__":
    sys.exit(main())
