"""PyKMIP 0.11 using keys on a running Keyward server: encrypt, decrypt, sign, signature_verify and
mac, with keys it registers or creates.

Run with test_pykmip.py (same environment variables, same connection helper). Expected values
are published test vectors (NIST SP 800-38A, RFC 4231), or are checked with the `cryptography`
package PyKMIP itself depends on: what the server signs or encrypts is verified or decrypted
locally, and what is signed or encrypted locally is verified or decrypted by the server. RSA key
pairs are made locally and registered (PKCS#8 private key, X.509 public key).
"""

import unittest

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from kmip.core import enums
from kmip.pie import exceptions
from kmip.pie import objects

from test_pykmip import ConnectedClient, unique

# NIST SP 800-38A, appendix F: the AES-128 key, the first IV and plaintext block, and the
# ciphertexts of F.1.1 (ECB) and F.2.1 (CBC).
SP800_38A_KEY = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
SP800_38A_IV = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
SP800_38A_BLOCK = bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")
ECB_BLOCK = bytes.fromhex("3ad77bb40d7a3660a89ecaf32466ef97")
CBC_BLOCK = bytes.fromhex("7649abac8119b246cee98e9b12e9197d")

# RFC 4231, test case 2.
# RFC 4231 test case 1: a 160-bit key. (Case 2's four-byte key "Jefe" is below the 112 bits the
# server's default algorithm policy asks of an HMAC key, after SP 800-131A Rev. 2.)
HMAC_KEY = b"\x0b" * 20
HMAC_DATA = b"Hi There"
HMAC_SHA256 = bytes.fromhex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")

CBC_NO_PADDING = {
    "cryptographic_algorithm": enums.CryptographicAlgorithm.AES,
    "block_cipher_mode": enums.BlockCipherMode.CBC,
    "padding_method": enums.PaddingMethod.NONE,
}

PSS_SHA256 = {
    "cryptographic_algorithm": enums.CryptographicAlgorithm.RSA,
    "padding_method": enums.PaddingMethod.PSS,
    "hashing_algorithm": enums.HashingAlgorithm.SHA_256,
}

PKCS1_SHA256 = {
    "cryptographic_algorithm": enums.CryptographicAlgorithm.RSA,
    "padding_method": enums.PaddingMethod.PKCS1v15,
    "hashing_algorithm": enums.HashingAlgorithm.SHA_256,
}

# KMIP's defaults for OAEP: the Hashing Algorithm hashes the label, MGF1 uses SHA-1 unless the
# Mask Generator Hashing Algorithm says otherwise (PyKMIP 0.11 cannot send that field).
OAEP_SHA256 = {
    "cryptographic_algorithm": enums.CryptographicAlgorithm.RSA,
    "padding_method": enums.PaddingMethod.OAEP,
    "hashing_algorithm": enums.HashingAlgorithm.SHA_256,
}
LOCAL_OAEP_SHA256 = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA256(), label=None)


class PyKmipUseTest(ConnectedClient, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cls.private_uid, cls.public_uid = cls.register_pair(cls.private_key)

    @classmethod
    def register_pair(cls, private_key):
        """Registers and activates a local RSA key pair; returns (private, public) identifiers."""
        private_der = private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        public_der = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        private = objects.PrivateKey(
            enums.CryptographicAlgorithm.RSA,
            2048,
            private_der,
            enums.KeyFormatType.PKCS_8,
            masks=[enums.CryptographicUsageMask.SIGN, enums.CryptographicUsageMask.DECRYPT],
            name=unique("use-private"),
        )
        public = objects.PublicKey(
            enums.CryptographicAlgorithm.RSA,
            2048,
            public_der,
            enums.KeyFormatType.X_509,
            masks=[enums.CryptographicUsageMask.VERIFY, enums.CryptographicUsageMask.ENCRYPT],
            name=unique("use-public"),
        )
        uids = cls.client.register(private), cls.client.register(public)
        for uid in uids:
            cls.client.activate(uid)
        return uids

    def register_symmetric(self, algorithm, value, masks):
        key = objects.SymmetricKey(algorithm, len(value) * 8, value, masks=masks, name=unique("use-symmetric"))
        uid = self.client.register(key)
        self.client.activate(uid)
        return uid

    def aes_key(self, value=SP800_38A_KEY):
        masks = [enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT]
        return self.register_symmetric(enums.CryptographicAlgorithm.AES, value, masks)

    # ---- Symmetric encryption -------------------------------------------------------------------

    def test_encrypt_and_decrypt_match_sp_800_38a(self):
        uid = self.aes_key()
        ciphertext, server_iv = self.client.encrypt(
            SP800_38A_BLOCK, uid=uid, cryptographic_parameters=CBC_NO_PADDING, iv_counter_nonce=SP800_38A_IV
        )
        self.assertEqual(ciphertext, CBC_BLOCK)
        self.assertIsNone(server_iv, "the client's IV is not sent back")
        plaintext = self.client.decrypt(
            CBC_BLOCK, uid=uid, cryptographic_parameters=CBC_NO_PADDING, iv_counter_nonce=SP800_38A_IV
        )
        self.assertEqual(plaintext, SP800_38A_BLOCK)
        ecb = dict(CBC_NO_PADDING, block_cipher_mode=enums.BlockCipherMode.ECB)
        self.assertEqual(self.client.encrypt(SP800_38A_BLOCK, uid=uid, cryptographic_parameters=ecb)[0], ECB_BLOCK)

    def test_the_server_makes_the_iv_when_asked(self):
        uid = self.aes_key()
        parameters = dict(CBC_NO_PADDING, padding_method=enums.PaddingMethod.PKCS5, random_iv=True)
        message = b"attack at dawn, not at dusk"
        ciphertext, server_iv = self.client.encrypt(message, uid=uid, cryptographic_parameters=parameters)
        self.assertEqual(len(server_iv), 16)
        self.assertEqual(len(ciphertext), 32)
        plaintext = self.client.decrypt(
            ciphertext, uid=uid, cryptographic_parameters=parameters, iv_counter_nonce=server_iv
        )
        self.assertEqual(plaintext, message)

    def test_a_key_without_the_encrypt_mask_is_refused(self):
        uid = self.register_symmetric(
            enums.CryptographicAlgorithm.AES, SP800_38A_KEY, [enums.CryptographicUsageMask.DECRYPT]
        )
        with self.assertRaises(exceptions.KmipOperationFailure) as failure:
            self.client.encrypt(SP800_38A_BLOCK, uid=uid, cryptographic_parameters=CBC_NO_PADDING,
                                iv_counter_nonce=SP800_38A_IV)
        self.assertIn(
            failure.exception.reason,
            (enums.ResultReason.PERMISSION_DENIED, enums.ResultReason.INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK),
        )

    def test_a_created_key_encrypts_once_active(self):
        uid = self.client.create(
            enums.CryptographicAlgorithm.AES,
            256,
            cryptographic_usage_mask=[enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT],
        )
        with self.assertRaises(exceptions.KmipOperationFailure):
            self.client.encrypt(SP800_38A_BLOCK, uid=uid, cryptographic_parameters=CBC_NO_PADDING,
                                iv_counter_nonce=SP800_38A_IV)
        self.client.activate(uid)
        ciphertext, _ = self.client.encrypt(
            SP800_38A_BLOCK, uid=uid, cryptographic_parameters=CBC_NO_PADDING, iv_counter_nonce=SP800_38A_IV
        )
        # The server's own key, fetched: the ciphertext is what AES-CBC makes of the block.
        encryptor = Cipher(algorithms.AES(self.client.get(uid).value), modes.CBC(SP800_38A_IV)).encryptor()
        self.assertEqual(ciphertext, encryptor.update(SP800_38A_BLOCK) + encryptor.finalize())

    # ---- RSA ------------------------------------------------------------------------------------

    def test_rsa_oaep_both_ways(self):
        message = b"a secret for the key holder"
        ciphertext, _ = self.client.encrypt(message, uid=self.public_uid, cryptographic_parameters=OAEP_SHA256)
        self.assertEqual(self.private_key.decrypt(ciphertext, LOCAL_OAEP_SHA256), message)
        local = self.private_key.public_key().encrypt(message, LOCAL_OAEP_SHA256)
        self.assertEqual(
            self.client.decrypt(local, uid=self.private_uid, cryptographic_parameters=OAEP_SHA256), message
        )

    def test_pss_signatures_both_ways(self):
        message = b"signed by the server"
        signature = self.client.sign(message, uid=self.private_uid, cryptographic_parameters=PSS_SHA256)
        # The server's PSS salt is the hash's length; verify with exactly that.
        local_pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        self.private_key.public_key().verify(signature, message, local_pss, hashes.SHA256())
        valid = self.client.signature_verify(
            message, signature, uid=self.public_uid, cryptographic_parameters=PSS_SHA256
        )
        self.assertEqual(valid, enums.ValidityIndicator.VALID)
        # A signature with the longest salt (OpenSSL's default) verifies too, as the parameters
        # name no Salt Length.
        longest = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)
        local_signature = self.private_key.sign(message, longest, hashes.SHA256())
        valid = self.client.signature_verify(
            message, local_signature, uid=self.public_uid, cryptographic_parameters=PSS_SHA256
        )
        self.assertEqual(valid, enums.ValidityIndicator.VALID)
        invalid = self.client.signature_verify(
            message + b"!", local_signature, uid=self.public_uid, cryptographic_parameters=PSS_SHA256
        )
        self.assertEqual(invalid, enums.ValidityIndicator.INVALID)

    def test_pkcs1_signatures_equal_the_local_ones(self):
        message = b"deterministic"
        signature = self.client.sign(message, uid=self.private_uid, cryptographic_parameters=PKCS1_SHA256)
        self.assertEqual(signature, self.private_key.sign(message, padding.PKCS1v15(), hashes.SHA256()))
        valid = self.client.signature_verify(
            message, signature, uid=self.public_uid, cryptographic_parameters=PKCS1_SHA256
        )
        self.assertEqual(valid, enums.ValidityIndicator.VALID)
        tampered = bytes([signature[0] ^ 1]) + signature[1:]
        invalid = self.client.signature_verify(
            message, tampered, uid=self.public_uid, cryptographic_parameters=PKCS1_SHA256
        )
        self.assertEqual(invalid, enums.ValidityIndicator.INVALID)

    def test_a_public_key_does_not_sign(self):
        with self.assertRaises(exceptions.KmipOperationFailure):
            self.client.sign(b"no", uid=self.public_uid, cryptographic_parameters=PKCS1_SHA256)

    # ---- MAC ------------------------------------------------------------------------------------

    def test_hmac_matches_rfc_4231(self):
        masks = [enums.CryptographicUsageMask.MAC_GENERATE, enums.CryptographicUsageMask.MAC_VERIFY]
        uid = self.register_symmetric(enums.CryptographicAlgorithm.HMAC_SHA256, HMAC_KEY, masks)
        returned_uid, tag = self.client.mac(HMAC_DATA, uid=uid, algorithm=enums.CryptographicAlgorithm.HMAC_SHA256)
        self.assertEqual(returned_uid, uid)
        self.assertEqual(tag, HMAC_SHA256)
        # Without an algorithm, the key's own is used.
        self.assertEqual(self.client.mac(HMAC_DATA, uid=uid)[1], HMAC_SHA256)


if __name__ == "__main__":
    unittest.main()
