"""PyKMIP (KMIP 1.x) and a server rotation policy: creates an AES key in the Object Group named by
KEYWARD_ROTATION_GROUP with the Name KEYWARD_ROTATION_NAME, activates it, and waits until Locate by
that Name finds another key, the one the server rotated it into; checks that the new key can be
fetched, and prints {"old": ..., "new": ...} as its last line.

Not a test_*.py module: the PyKMIP suite does not pick it up; crates/cli/tests/rotation_cli.rs
runs it against a server with a policy on that group.
"""

import json
import os
import time

from kmip.core import enums
from kmip.core import objects as cobjects
from kmip.core.factories import attributes as attribute_factories
from kmip.pie import objects

from test_pykmip import connect

ATTRIBUTES = attribute_factories.AttributeFactory()
PATIENCE_SECONDS = 20


def main():
    group = os.environ["KEYWARD_ROTATION_GROUP"]
    name = os.environ["KEYWARD_ROTATION_NAME"]
    client = connect()
    try:
        template = cobjects.TemplateAttribute(
            attributes=[
                ATTRIBUTES.create_attribute(
                    enums.AttributeType.CRYPTOGRAPHIC_ALGORITHM, enums.CryptographicAlgorithm.AES
                ),
                ATTRIBUTES.create_attribute(enums.AttributeType.CRYPTOGRAPHIC_LENGTH, 256),
                ATTRIBUTES.create_attribute(
                    enums.AttributeType.CRYPTOGRAPHIC_USAGE_MASK,
                    [enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT],
                ),
                ATTRIBUTES.create_attribute(enums.AttributeType.OBJECT_GROUP, group),
                ATTRIBUTES.create_attribute(enums.AttributeType.NAME, name),
            ]
        )
        result = client.proxy.create(enums.ObjectType.SYMMETRIC_KEY, template)
        assert result.result_status.value == enums.ResultStatus.SUCCESS, result.result_message
        old = result.uuid
        client.activate(old)
        by_name = [ATTRIBUTES.create_attribute(enums.AttributeType.NAME, name)]
        deadline = time.monotonic() + PATIENCE_SECONDS
        while True:
            found = client.locate(attributes=by_name)
            if len(found) == 1 and found[0] != old:
                new = found[0]
                break
            assert time.monotonic() < deadline, "no rotation of {0}: Locate says {1}".format(old, found)
            time.sleep(0.25)
        key = client.get(new)
        assert isinstance(key, objects.SymmetricKey) and len(key.value) == 32
        print(json.dumps({"old": old, "new": new}))
    finally:
        client.close()


if __name__ == "__main__":
    main()
