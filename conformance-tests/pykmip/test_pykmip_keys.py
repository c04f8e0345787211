"""PyKMIP 0.11 making, rotating, deriving and wrapping keys on a running Keyward server.

Run with test_pykmip.py (same environment, same helpers): create_key_pair, rekey, derive_key,
and get with a key_wrapping_specification. Expected derived values are published test vectors
(RFC 6070, RFC 4231); wrapped keys are unwrapped with the `cryptography` package PyKMIP itself
depends on, not with anything of ours.
"""

import struct
import unittest

from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from kmip.core import enums
from kmip.core import objects as cobjects
from kmip.core.factories import attributes as attribute_factories
from kmip.core.messages import messages, payloads
from kmip.core.messages.contents import Operation
from kmip.pie import exceptions
from kmip.pie import objects

from test_pykmip import ConnectedClient, unique

ATTRIBUTES = attribute_factories.AttributeFactory()

KEY_VALUE = 0x420045
RESULT_STATUS = 0x42007F
STRUCTURE = 0x01
BYTE_STRING = 0x08


def ttlv_items(data):
    """Every (tag, type, value) of a TTLV message, depth first; a structure's value is its body."""
    offset = 0
    while offset + 8 <= len(data):
        tag = int.from_bytes(data[offset:offset + 3], "big")
        kind = data[offset + 3]
        (length,) = struct.unpack(">I", data[offset + 4:offset + 8])
        value = data[offset + 8:offset + 8 + length]
        yield tag, kind, value
        if kind == STRUCTURE:
            yield from ttlv_items(value)
        offset += 8 + length + (-length % 8)


class PyKmipKeysTest(ConnectedClient, unittest.TestCase):

    def test_create_key_pair_makes_an_rsa_pair_that_signs_and_verifies(self):
        public_uid, private_uid = self.client.create_key_pair(
            enums.CryptographicAlgorithm.RSA,
            2048,
            public_name=unique("pair-public"),
            public_usage_mask=[enums.CryptographicUsageMask.VERIFY],
            private_name=unique("pair-private"),
            private_usage_mask=[enums.CryptographicUsageMask.SIGN],
        )
        public = self.client.get(public_uid)
        private = self.client.get(private_uid)
        self.assertIsInstance(public, objects.PublicKey)
        self.assertIsInstance(private, objects.PrivateKey)
        self.assertEqual(public.cryptographic_algorithm, enums.CryptographicAlgorithm.RSA)
        self.assertEqual(private.cryptographic_length, 2048)
        self.assertEqual(public.key_format_type, enums.KeyFormatType.PKCS_1)
        # The two halves are one pair: what the private key signs, the public key verifies.
        private_key = serialization.load_der_private_key(private.value, password=None)
        public_key = serialization.load_der_public_key(public.value)
        message = b"signed by the generated private key"
        signature = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())

    def test_rekey_replaces_a_key_and_takes_over_its_name(self):
        name = unique("rekey")
        uid = self.client.create(
            enums.CryptographicAlgorithm.AES,
            256,
            name=name,
            cryptographic_usage_mask=[enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT],
        )
        replacement = self.client.rekey(uid=uid, offset=3600)
        self.assertNotEqual(replacement, uid)
        old_key = self.client.get(uid)
        new_key = self.client.get(replacement)
        self.assertEqual(len(new_key.value), 32)
        self.assertNotEqual(new_key.value, old_key.value)
        found = self.client.locate(attributes=[ATTRIBUTES.create_attribute(enums.AttributeType.NAME, name)])
        self.assertEqual(found, [replacement])
        # The replacement activates an hour after it was made.
        _, attributes = self.client.get_attributes(replacement, ["State"])
        self.assertEqual(attributes[0].attribute_value.value, enums.State.PRE_ACTIVE)

    def register_derivation_base(self, value):
        secret = objects.SecretData(
            value,
            enums.SecretDataType.PASSWORD,
            masks=[enums.CryptographicUsageMask.DERIVE_KEY],
            name=unique("derivation-base"),
        )
        uid = self.client.register(secret)
        self.client.activate(uid)
        return uid

    def test_derive_key_with_pbkdf2_matches_rfc_6070(self):
        password = self.register_derivation_base(b"password")
        derived = self.client.derive_key(
            enums.ObjectType.SYMMETRIC_KEY,
            [password],
            enums.DerivationMethod.PBKDF2,
            {
                "cryptographic_parameters": {"hashing_algorithm": enums.HashingAlgorithm.SHA_1},
                "salt": b"salt",
                "iteration_count": 4096,
            },
            cryptographic_length=160,
            cryptographic_algorithm=enums.CryptographicAlgorithm.HMAC_SHA1,
        )
        key = self.client.get(derived)
        self.assertEqual(key.value, bytes.fromhex("4b007901b765489abead49d926f721d065a429c1"))

    def test_derive_key_with_hmac_matches_rfc_4231(self):
        jefe = self.register_derivation_base(b"Jefe")
        derived = self.client.derive_key(
            enums.ObjectType.SECRET_DATA,
            [jefe],
            enums.DerivationMethod.HMAC,
            {
                "cryptographic_parameters": {"hashing_algorithm": enums.HashingAlgorithm.SHA_256},
                "derivation_data": b"what do ya want for nothing?",
            },
            cryptographic_length=256,
        )
        secret = self.client.get(derived)
        expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        self.assertEqual(secret.value, bytes.fromhex(expected))

    def create_wrapping_key(self):
        """An active AES key allowed to wrap, whose Cryptographic Parameters say NIST Key Wrap: a
        Key Wrapping Specification may only name parameters the key has (KMIP 2.1 §7.18)."""
        template = cobjects.TemplateAttribute(
            attributes=[
                ATTRIBUTES.create_attribute(
                    enums.AttributeType.CRYPTOGRAPHIC_ALGORITHM, enums.CryptographicAlgorithm.AES
                ),
                ATTRIBUTES.create_attribute(enums.AttributeType.CRYPTOGRAPHIC_LENGTH, 256),
                ATTRIBUTES.create_attribute(
                    enums.AttributeType.CRYPTOGRAPHIC_USAGE_MASK,
                    [enums.CryptographicUsageMask.WRAP_KEY, enums.CryptographicUsageMask.UNWRAP_KEY],
                ),
                ATTRIBUTES.create_attribute(
                    enums.AttributeType.CRYPTOGRAPHIC_PARAMETERS,
                    {"block_cipher_mode": enums.BlockCipherMode.NIST_KEY_WRAP},
                ),
            ]
        )
        result = self.client.proxy.create(enums.ObjectType.SYMMETRIC_KEY, template)
        self.assertEqual(result.result_status.value, enums.ResultStatus.SUCCESS)
        uid = result.uuid
        self.client.activate(uid)
        return uid

    def test_get_wraps_a_key_under_another_with_nist_key_wrap(self):
        kek = self.create_wrapping_key()
        uid = self.client.create(enums.CryptographicAlgorithm.AES, 128, name=unique("wrapped"))
        specification = {
            "wrapping_method": enums.WrappingMethod.ENCRYPT,
            "encryption_key_information": {
                "unique_identifier": kek,
                "cryptographic_parameters": {"block_cipher_mode": enums.BlockCipherMode.NIST_KEY_WRAP},
            },
            "encoding_option": enums.EncodingOption.NO_ENCODING,
        }
        wrapped = self.get_wrapped(uid, specification)
        self.assertEqual(len(wrapped), 24)
        plain = self.client.get(uid)
        kek_value = self.client.get(kek).value
        self.assertEqual(keywrap.aes_key_unwrap(kek_value, wrapped), plain.value)

    def get_wrapped(self, uid, specification):
        """The wrapped Key Value of a Get sent by PyKMIP with the key wrapping specification.

        PyKMIP 0.11 builds the request, but cannot read the answer: KMIP makes a wrapped Key Value
        a Byte String (2.1 §3.2, 1.4 §2.1.4), and PyKMIP's reader only takes a Key Value
        structure, the form its own server uses. So the response is read here.
        """
        proxy = self.client.proxy
        payload = payloads.GetRequestPayload(
            unique_identifier=uid,
            key_wrapping_specification=self.client._build_key_wrapping_specification(specification),
        )
        item = messages.RequestBatchItem(operation=Operation(enums.Operation.GET), request_payload=payload)
        proxy._send_message(proxy._build_request_message(None, [item]))
        response = bytes(proxy._receive_message().buffer)
        items = list(ttlv_items(response))
        status = [value for tag, _, value in items if tag == RESULT_STATUS]
        self.assertEqual(status, [struct.pack(">I", enums.ResultStatus.SUCCESS.value)])
        wrapped = [value for tag, kind, value in items if tag == KEY_VALUE and kind == BYTE_STRING]
        self.assertEqual(len(wrapped), 1, "one wrapped Key Value, a Byte String")
        return wrapped[0]

    def test_get_refuses_to_wrap_with_a_key_that_may_not_wrap(self):
        not_a_kek = self.client.create(
            enums.CryptographicAlgorithm.AES,
            256,
            cryptographic_usage_mask=[enums.CryptographicUsageMask.ENCRYPT],
        )
        self.client.activate(not_a_kek)
        uid = self.client.create(enums.CryptographicAlgorithm.AES, 128)
        specification = {
            "wrapping_method": enums.WrappingMethod.ENCRYPT,
            "encryption_key_information": {"unique_identifier": not_a_kek},
            "encoding_option": enums.EncodingOption.NO_ENCODING,
        }
        with self.assertRaises(exceptions.KmipOperationFailure):
            self.client.get(uid, key_wrapping_specification=specification)


if __name__ == "__main__":
    unittest.main()
