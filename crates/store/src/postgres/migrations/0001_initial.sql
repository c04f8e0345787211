-- Keyward's store on PostgreSQL, version 1. Nothing here is readable without the KEK: records and
-- settings are sealed (AES-256-GCM), index keys are HMACs; identifiers and revisions are clear.

-- A sealed check value that proves the KEK is right (as in sled's `meta` tree).
CREATE TABLE keyward_meta (
    name text COLLATE "C" PRIMARY KEY,
    value bytea NOT NULL
);

-- One row per managed object. `id` is the creation sequence (Locate lists newest first);
-- `index_keys` is the concatenation of the object's index keys, bound to `sealed` as associated
-- data with the identifier and the revision, so that neither can be swapped unnoticed.
CREATE TABLE objects (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unique_identifier text COLLATE "C" NOT NULL UNIQUE,
    revision bigint NOT NULL,
    index_keys bytea NOT NULL,
    sealed bytea NOT NULL
);

-- The Locate index: one row per index term of an object (kind byte + HMAC of the value).
CREATE TABLE object_terms (
    index_key bytea NOT NULL,
    object_id bigint NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    PRIMARY KEY (index_key, object_id)
);
CREATE INDEX object_terms_by_object ON object_terms (object_id);

-- A live object's claim on each of its Names for its owner: at most one object holds a claim
-- (KMIP 1.4 section 3.2, 2.1 section 4.36), enforced by the primary key.
CREATE TABLE name_claims (
    claim_key bytea PRIMARY KEY,
    object_id bigint NOT NULL REFERENCES objects (id) ON DELETE CASCADE
);
CREATE INDEX name_claims_by_object ON name_claims (object_id);

-- The server's own records (grants, rotation policies...), sealed and bound to their key.
CREATE TABLE settings (
    key text COLLATE "C" PRIMARY KEY,
    sealed bytea NOT NULL
);
